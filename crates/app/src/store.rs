//! The storage contract. Two implementations (SQLite and PostgreSQL) pass the same contract
//! suite (`crates/store-tests`); nothing above this trait knows which one runs.

use async_trait::async_trait;
use dklik_domain::privacy::PersonId;
use dklik_domain::rome::{
    RomeAppellation, RomeCounts, RomeDomain, RomeItem, RomeJob, RomeReference,
};
use dklik_domain::{
    AuditEntry, Consent, Employer, EmployerId, Interest, InterestStatus, NewEmployer, NewInterest,
    NewOffer, NewSite, Offer, OfferFilter, OfferId, OfferStatus, OgrCode, Person, Role, RomeCode,
    ShortCode, Site, SiteId, User,
};
use serde::Serialize;

/// Why a store call failed; the words are French, for pages.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record.
    #[error("introuvable")]
    NotFound,
    /// A rule of the data refused the change (an impossible status change, a duplicate…).
    #[error("{0}")]
    Conflict(String),
    /// The database failed; the text is for logs, never for a page.
    #[error("erreur de base de données : {0}")]
    Backend(String),
    /// The database cannot be reached now (stopped or restarting, out of connections, locked
    /// by a long write, out of space): worth trying again in a moment. The text is for logs.
    #[error("base de données indisponible : {0}")]
    Unavailable(String),
}

impl StoreError {
    /// Whether trying again in a moment may work (see [`StoreError::Unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// What to write for one offer: its employer and site are found by name and address, or created.
#[derive(Debug, Clone)]
pub struct OfferToSave {
    /// The employer, found by name or created.
    pub employer: NewEmployer,
    /// The site, found by name or created.
    pub site: NewSite,
    /// The offer, matched by external id or created.
    pub offer: NewOffer,
    /// The folded words the offers list searches in (see `dklik_domain::text`).
    pub search_text: String,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SaveOutcome {
    /// Offers created.
    pub created: u64,
    /// Offers updated.
    pub updated: u64,
    /// Offers the import would have changed but that someone changed while it ran (a hire,
    /// a status): left as that person made them.
    pub kept: u64,
}

/// One page of the offers list.
#[derive(Debug, Clone, Default)]
pub struct OfferPage {
    /// The offers of the page.
    pub offers: Vec<Offer>,
    /// Offers matching the filter, over every page.
    pub total: u64,
}

/// Values offered by the list's filters, with the number of published offers for each.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    /// (INSEE code, commune name, count), by name.
    pub communes: Vec<(String, String, u64)>,
    /// (ROME family letter, label, count), by letter.
    pub families: Vec<(char, String, u64)>,
}

/// An employer and how many of its offers are published.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EmployerSummary {
    /// The employer.
    pub employer: Employer,
    /// Its offers published now.
    pub published_offers: u64,
}

/// One slide shown on a vehicle's screens (proof of display).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impression {
    /// Its identity and the end of its short link (`/s/CODE`).
    pub code: String,
    /// The vehicle whose screen showed it.
    pub vehicle: String,
    /// The GTFS trip, when known.
    pub trip_id: Option<String>,
    /// The stop approached, when known.
    pub stop_id: Option<String>,
    /// The stop's name.
    pub stop_name: String,
    /// The offer shown (none for a service message).
    pub offer_id: Option<OfferId>,
    /// "offer" or "fallback".
    pub slide: String,
    /// When it was shown, Unix seconds.
    pub shown_at: i64,
    /// How long, in seconds.
    pub duration_s: i64,
    /// Scans of its QR code.
    pub scans: i64,
    /// The physical screen, when a player reported it.
    pub screen: Option<String>,
    /// "dklik" (shown by DKLIK's screen pages) or "player" (reported by another system).
    pub source: String,
}

impl Impression {
    /// Where a request made from this showing came from, in words, as advisors read it.
    pub fn detail(&self) -> String {
        format!(
            "bus {}, arrêt {} (affichage {})",
            self.vehicle, self.stop_name, self.code
        )
    }
}

/// A campaign: which offers are pushed, when, on which lines and how strongly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignRecord {
    /// Its number.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The offers it promotes.
    pub offer_ids: Vec<OfferId>,
    /// First day.
    pub from: time::Date,
    /// Last day.
    pub to: time::Date,
    /// Minutes of the local day, [from, to).
    pub from_minute: u16,
    /// Daily end, minutes after midnight.
    pub to_minute: u16,
    /// How likely its offers come first (2 = twice as likely as an offer without a campaign).
    pub weight: f64,
    /// Route ids; empty means every line.
    pub lines: Vec<String>,
}

/// A GPS fence around a hiring site (its centre is the site).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FenceRecord {
    /// Its number.
    pub id: i64,
    /// The site it surrounds.
    pub site_id: SiteId,
    /// The site's name.
    pub site_name: String,
    /// The employer's name.
    pub employer_name: String,
    /// Latitude of the centre.
    pub lat: f64,
    /// Longitude of the centre.
    pub lon: f64,
    /// Radius in metres.
    pub radius_m: f64,
}

/// A physical screen on board a vehicle: `/ecran/ID` shows what its vehicle shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenRecord {
    /// The screen's address (`/ecran/{id}`).
    pub id: String,
    /// The vehicle it is in.
    pub vehicle: String,
    /// Its name for the team.
    pub label: String,
    /// The line its vehicle serves (GTFS route id or short name), when known: the screen should
    /// be on while the line runs, and takes that line's service messages.
    pub line: Option<String>,
    /// The part of its page DKLIK may use ([`crate::screen_health::Region`]'s name; empty: all).
    pub region: String,
}

/// What a screen page says every 30 seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The registered screen.
    pub screen: String,
    /// Its vehicle (the impressions it may count plays for).
    pub vehicle: String,
    /// When (Unix seconds, the server's clock).
    pub at: i64,
    /// What it shows now: an impression's code, "message" or "general".
    pub slide: String,
    /// The day in Paris (YYYY-MM-DD) the slides shown count for.
    pub day: String,
    /// Slides shown since the last heartbeat: impression code and times.
    pub plays: Vec<(String, i64)>,
    /// Seconds one slide stays (the seconds on screen of a play).
    pub slide_seconds: i64,
}

/// A screen's last heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenHealthRow {
    /// The registered screen.
    pub screen: String,
    /// Its last heartbeat (Unix seconds).
    pub last_seen: i64,
    /// What it showed then.
    pub slide: String,
    /// The day of `shown_today` (YYYY-MM-DD).
    pub day: String,
    /// Slides shown that day.
    pub shown_today: i64,
}

/// Which screens a service message takes over.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TakeoverScope {
    /// Every screen.
    All,
    /// The screens of one line.
    Line,
    /// One screen (or one vehicle's screens).
    Screen,
}

impl TakeoverScope {
    /// Its name in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Line => "line",
            Self::Screen => "screen",
        }
    }
    /// From its name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(Self::All),
            "line" => Some(Self::Line),
            "screen" => Some(Self::Screen),
            _ => None,
        }
    }
}

/// A service message that replaces the offers on screens from a time until a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Takeover {
    /// Its number.
    pub id: i64,
    /// The message.
    pub text: String,
    /// Which screens.
    pub scope: TakeoverScope,
    /// The line or the screen (empty for all).
    pub target: String,
    /// From (Unix seconds).
    pub from: i64,
    /// Until (Unix seconds).
    pub until: i64,
    /// Who put it.
    pub created_by: String,
    /// When.
    pub created_at: i64,
    /// When it was ended early, if it was.
    pub ended_at: Option<i64>,
}

impl Takeover {
    /// Whether it is on screens at `now`.
    pub fn active(&self, now: i64) -> bool {
        self.ended_at.is_none() && self.from <= now && now < self.until
    }
}

/// Proof of play: one offer on one line over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlayRow {
    /// The offer's short code.
    pub offer_code: String,
    /// The offer's title.
    pub offer_title: String,
    /// The employer.
    pub employer_name: String,
    /// The line (empty when the trip was not known).
    pub line: String,
    /// Slides put on screens.
    pub impressions: i64,
    /// Showings the screens reported.
    pub plays: i64,
    /// Seconds on screen the screens reported.
    pub played_s: i64,
    /// QR scans.
    pub scans: i64,
    /// Call-back requests made from those slides.
    pub callbacks: i64,
}

/// A message shown when no offer is near (the next Café de l'emploi, where the job bus is…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenMessage {
    /// Its number.
    pub id: i64,
    /// The text shown.
    pub text: String,
    /// First day.
    pub from: time::Date,
    /// Last day.
    pub to: time::Date,
}

/// Where and how often an employer's offers were shown and scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayReportRow {
    /// The offer's short code.
    pub offer_code: String,
    /// The offer's title.
    pub offer_title: String,
    /// The stop.
    pub stop_name: String,
    /// Displays.
    pub impressions: i64,
    /// Vehicles that showed it.
    pub vehicles: i64,
    /// Scans.
    pub scans: i64,
}

/// A signed-in session: a user (password account) or a person (passwordless).
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The staff account, if any.
    pub user: Option<User>,
    /// The person signed in with a code, if any.
    pub person_id: Option<PersonId>,
    /// The session's CSRF token.
    pub csrf: String,
    /// When it ends, Unix seconds.
    pub expires_at: i64,
}

/// An API token (screens, feed senders); only its hash is stored.
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    /// Its number.
    pub id: i64,
    /// Its name for the team.
    pub name: String,
    /// Screen or feed.
    pub role: Role,
    /// When it was made, Unix seconds.
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When it was last used, if ever.
    pub last_used_at: Option<i64>,
}

/// An email waiting in (or gone from) the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxMessage {
    /// Its number.
    pub id: i64,
    /// The address.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// Tries so far.
    pub attempts: i64,
    /// When it was sent, if it was.
    pub sent_at: Option<i64>,
    /// The last delivery error, if any.
    pub last_error: Option<String>,
}

/// What the advisors' inbox lists.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// Only requests assigned to this account.
    pub assigned_to: Option<i64>,
    /// Only requests nobody has taken.
    pub unassigned: bool,
    /// Only requests in this status.
    pub status: Option<InterestStatus>,
    /// Only requests still awaiting a call whose deadline is before this day.
    pub overdue_on: Option<time::Date>,
    /// Rows at most.
    pub limit: u32,
    /// Rows skipped first (the pages after the first).
    pub offset: u32,
}

/// One call-back request with what the inbox shows beside it.
#[derive(Debug, Clone, Serialize)]
pub struct InboxRow {
    /// The request.
    pub interest: Interest,
    /// The offer's short code, if any.
    pub offer_code: Option<String>,
    /// The offer's title, if any.
    pub offer_title: Option<String>,
    /// Who has taken it, if anyone.
    pub assigned_name: Option<String>,
    /// The request was attached to an existing record because its phone or e-mail matched:
    /// anyone can type a contact, so the advisor checks who asked before using the record.
    pub unverified: bool,
}

/// Messages from the other servers sharing the database (PostgreSQL LISTEN/NOTIFY).
#[async_trait]
pub trait Notifications: Send {
    /// The next message's payload; waits until one comes.
    async fn next(&mut self) -> Result<String, StoreError>;
}

/// Everything the application stores, on SQLite or PostgreSQL; the contract suite checks both.
#[async_trait]
pub trait Store:
    crate::skills_store::SkillsStore
    + crate::orientation_store::OrientationStore
    + crate::introduction_store::IntroductionStore
    + crate::impact_store::ImpactStore
    + crate::screen_store::ScreenStore
    + crate::account_store::AccountStore
    + crate::people_store::PeopleStore
    + crate::employer_store::EmployerStore
    + crate::sms_store::SmsStore
    + Send
    + Sync
{
    /// "sqlite" or "postgres", for logs and the health page.
    fn backend(&self) -> &'static str;
    /// Applies the embedded migrations not applied yet.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    // --- ROME reference ---
    /// Writes a release, all or nothing: its new rows ahead, hidden, in short steps; what it
    /// changes in one short switch that shows them (rows already equal are left alone). Another
    /// import of a release still writing: `Conflict`. Calls `progress` with the number of rows
    /// handled so far. Returns the rows inserted or changed.
    async fn save_rome(
        &self,
        rome: &RomeReference,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, StoreError>;
    /// How many ROME rows are loaded.
    async fn rome_counts(&self) -> Result<RomeCounts, StoreError>;
    /// ROME items by code.
    async fn rome_items(&self, codes: &[OgrCode]) -> Result<Vec<RomeItem>, StoreError>;
    /// Every savoir-être item.
    async fn rome_savoir_etre(&self) -> Result<Vec<RomeItem>, StoreError>;
    /// Job sheets by code.
    async fn rome_jobs(&self, codes: &[RomeCode]) -> Result<Vec<RomeJob>, StoreError>;
    /// Appellations of some job sheets.
    async fn rome_appellations(
        &self,
        rome: &[RomeCode],
    ) -> Result<Vec<RomeAppellation>, StoreError>;
    /// Professional domains.
    async fn rome_domains(&self) -> Result<Vec<RomeDomain>, StoreError>;

    // --- Employers and offers ---
    /// Writes offers in one transaction, upserting by external id (offers without one are
    /// always created). Employers are matched by name, sites by employer, INSEE code, address
    /// and name.
    async fn save_offers(&self, offers: &[OfferToSave]) -> Result<SaveOutcome, StoreError>;
    /// An offer by number.
    async fn offer(&self, id: OfferId) -> Result<Option<Offer>, StoreError>;
    /// An offer by short code.
    async fn offer_by_code(&self, code: &ShortCode) -> Result<Option<Offer>, StoreError>;
    /// An offer by its id in the system it came from.
    async fn offer_by_external_id(&self, external_id: &str) -> Result<Option<Offer>, StoreError>;
    /// Published offers matching the filter, newest first.
    async fn list_offers(&self, filter: &OfferFilter) -> Result<OfferPage, StoreError>;
    /// A version of the published offers that moves whenever one is published, changed or
    /// withdrawn: (published offers, last change in Unix seconds). Cheap: the search index
    /// asks for it every second.
    async fn offers_version(&self) -> Result<(i64, i64), StoreError>;
    /// Every published offer, most recently published first, with its items when asked (the
    /// search index reads them; the screens do not). One query, however many there are.
    async fn published_offers(&self, with_items: bool) -> Result<Vec<Offer>, StoreError>;
    /// Counts per filter value over the published offers.
    async fn offer_facets(&self) -> Result<Facets, StoreError>;
    /// Moves an offer along its lifecycle; `Conflict` when the change is not allowed.
    async fn set_offer_status(
        &self,
        id: OfferId,
        status: OfferStatus,
        on: time::Date,
    ) -> Result<(), StoreError>;
    /// Employers with their published offers.
    async fn employers(&self) -> Result<Vec<EmployerSummary>, StoreError>;
    /// An employer by number.
    async fn employer(&self, id: EmployerId) -> Result<Option<Employer>, StoreError>;
    /// An employer's sites.
    async fn sites(&self, employer: EmployerId) -> Result<Vec<Site>, StoreError>;

    // --- Interest records ("Ça m'intéresse") and the advisors' inbox ---
    /// Records a request in one transaction: the person (found by email or phone among those
    /// not anonymised, or created), their consent, and the request.
    async fn add_interest(
        &self,
        interest: &NewInterest,
        at: i64,
        callback_due: time::Date,
    ) -> Result<i64, StoreError>;
    /// Newest first.
    async fn interests(&self, limit: u32) -> Result<Vec<Interest>, StoreError>;
    /// Requests of the advisors' inbox, newest first.
    async fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxRow>, StoreError>;
    /// How many requests the filter keeps on every page (`limit` and `offset` ignored), counted
    /// up to `cap` at most (a count costs what it counts).
    async fn inbox_count(&self, filter: &InboxFilter, cap: u64) -> Result<u64, StoreError>;
    /// One request with its offer and assignee.
    async fn interest(&self, id: i64) -> Result<Option<InboxRow>, StoreError>;
    /// Gives a request to an account (or to nobody).
    async fn assign_interest(&self, id: i64, user: Option<i64>, at: i64) -> Result<(), StoreError>;
    /// `Conflict` when the workflow does not allow the change.
    async fn set_interest_status(
        &self,
        id: i64,
        status: InterestStatus,
        at: i64,
    ) -> Result<(), StoreError>;
    /// True the first time a job claims a day: daily jobs run once even with several servers.
    async fn claim_job_run(&self, job: &str, day: time::Date) -> Result<bool, StoreError>;

    // --- People and privacy ---
    /// A person by number.
    async fn person(&self, id: PersonId) -> Result<Option<Person>, StoreError>;
    /// A person not anonymised, by email.
    async fn person_by_email(&self, email: &str) -> Result<Option<Person>, StoreError>;
    /// A person's consents, newest first.
    async fn consents(&self, person_id: PersonId) -> Result<Vec<Consent>, StoreError>;
    /// A person's requests, newest first.
    async fn person_interests(&self, person_id: PersonId) -> Result<Vec<Interest>, StoreError>;
    /// Empties the personal fields, ends the person's sessions and links; keeps anonymous rows.
    async fn erase_person(&self, id: PersonId, at: i64) -> Result<(), StoreError>;
    /// People not anonymised whose last activity is before `before`.
    async fn inactive_people(&self, before: i64) -> Result<Vec<PersonId>, StoreError>;
    /// Writes a line of the audit journal.
    async fn add_audit(
        &self,
        actor_user_id: Option<i64>,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Newest first; all subjects when `subject` is None.
    async fn audit_log(
        &self,
        subject: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}
