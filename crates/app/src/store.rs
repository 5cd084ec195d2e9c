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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("introuvable")]
    NotFound,
    /// A rule of the data refused the change (an impossible status change, a duplicate…).
    #[error("{0}")]
    Conflict(String),
    /// The database failed; the text is for logs, never for a page.
    #[error("erreur de base de données : {0}")]
    Backend(String),
}

/// What to write for one offer: its employer and site are found by name and address, or created.
#[derive(Debug, Clone)]
pub struct OfferToSave {
    pub employer: NewEmployer,
    pub site: NewSite,
    pub offer: NewOffer,
    /// The folded words the offers list searches in (see `dklik_domain::text`).
    pub search_text: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SaveOutcome {
    pub created: u64,
    pub updated: u64,
}

/// One page of the offers list.
#[derive(Debug, Clone, Default)]
pub struct OfferPage {
    pub offers: Vec<Offer>,
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
    pub employer: Employer,
    pub published_offers: u64,
}

/// One slide shown on a vehicle's screens (proof of display).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impression {
    /// Its identity and the end of its short link (`/s/CODE`).
    pub code: String,
    pub vehicle: String,
    pub trip_id: Option<String>,
    pub stop_id: Option<String>,
    pub stop_name: String,
    pub offer_id: Option<OfferId>,
    /// "offer" or "fallback".
    pub slide: String,
    pub shown_at: i64,
    pub duration_s: i64,
    pub scans: i64,
    /// The physical screen, when a player reported it.
    pub screen: Option<String>,
    /// "dklik" (shown by DKLIK's screen pages) or "player" (reported by another system).
    pub source: String,
}

/// A campaign: which offers are pushed, when, on which lines and how strongly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignRecord {
    pub id: i64,
    pub name: String,
    pub offer_ids: Vec<OfferId>,
    pub from: time::Date,
    pub to: time::Date,
    /// Minutes of the local day, [from, to).
    pub from_minute: u16,
    pub to_minute: u16,
    pub weight: f64,
    /// Route ids; empty means every line.
    pub lines: Vec<String>,
}

/// A GPS fence around a hiring site (its centre is the site).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FenceRecord {
    pub id: i64,
    pub site_id: SiteId,
    pub site_name: String,
    pub employer_name: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

/// A physical screen on board a vehicle: `/ecran/ID` shows what its vehicle shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenRecord {
    pub id: String,
    pub vehicle: String,
    pub label: String,
}

/// A message shown when no offer is near (the next Café de l'emploi, where the job bus is…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenMessage {
    pub id: i64,
    pub text: String,
    pub from: time::Date,
    pub to: time::Date,
}

/// Where and how often an employer's offers were shown and scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayReportRow {
    pub offer_code: String,
    pub offer_title: String,
    pub stop_name: String,
    pub impressions: i64,
    pub vehicles: i64,
    pub scans: i64,
}

/// A signed-in session: a user (password account) or a person (passwordless).
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: Option<User>,
    pub person_id: Option<PersonId>,
    pub csrf: String,
    pub expires_at: i64,
}

/// An API token (screens, feed senders); only its hash is stored.
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// An email waiting in (or gone from) the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// What the advisors' inbox lists.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub assigned_to: Option<i64>,
    pub unassigned: bool,
    pub status: Option<InterestStatus>,
    /// Only requests still awaiting a call whose deadline is before this day.
    pub overdue_on: Option<time::Date>,
    pub limit: u32,
}

/// One call-back request with what the inbox shows beside it.
#[derive(Debug, Clone, Serialize)]
pub struct InboxRow {
    pub interest: Interest,
    pub offer_code: Option<String>,
    pub offer_title: Option<String>,
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

#[async_trait]
pub trait Store:
    crate::skills_store::SkillsStore
    + crate::orientation_store::OrientationStore
    + crate::introduction_store::IntroductionStore
    + crate::impact_store::ImpactStore
    + crate::screen_store::ScreenStore
    + crate::account_store::AccountStore
    + crate::people_store::PeopleStore
    + Send
    + Sync
{
    /// "sqlite" or "postgres", for logs and the health page.
    fn backend(&self) -> &'static str;
    /// Applies the embedded migrations not applied yet.
    async fn migrate(&self) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;

    // --- ROME reference ---
    /// Writes a release in one transaction; rows already equal are left alone. Calls
    /// `progress` with the number of rows handled so far. Returns the rows inserted or changed.
    async fn save_rome(
        &self,
        rome: &RomeReference,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, StoreError>;
    async fn rome_counts(&self) -> Result<RomeCounts, StoreError>;
    async fn rome_items(&self, codes: &[OgrCode]) -> Result<Vec<RomeItem>, StoreError>;
    async fn rome_savoir_etre(&self) -> Result<Vec<RomeItem>, StoreError>;
    async fn rome_jobs(&self, codes: &[RomeCode]) -> Result<Vec<RomeJob>, StoreError>;
    async fn rome_appellations(
        &self,
        rome: &[RomeCode],
    ) -> Result<Vec<RomeAppellation>, StoreError>;
    async fn rome_domains(&self) -> Result<Vec<RomeDomain>, StoreError>;

    // --- Employers and offers ---
    /// Writes offers in one transaction, upserting by external id (offers without one are
    /// always created). Employers are matched by name, sites by employer, INSEE code, address
    /// and name.
    async fn save_offers(&self, offers: &[OfferToSave]) -> Result<SaveOutcome, StoreError>;
    async fn offer(&self, id: OfferId) -> Result<Option<Offer>, StoreError>;
    async fn offer_by_code(&self, code: &ShortCode) -> Result<Option<Offer>, StoreError>;
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
    async fn offer_facets(&self) -> Result<Facets, StoreError>;
    /// Moves an offer along its lifecycle; `Conflict` when the change is not allowed.
    async fn set_offer_status(
        &self,
        id: OfferId,
        status: OfferStatus,
        on: time::Date,
    ) -> Result<(), StoreError>;
    async fn employers(&self) -> Result<Vec<EmployerSummary>, StoreError>;
    async fn employer(&self, id: EmployerId) -> Result<Option<Employer>, StoreError>;
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
    async fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxRow>, StoreError>;
    async fn interest(&self, id: i64) -> Result<Option<InboxRow>, StoreError>;
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
    async fn person(&self, id: PersonId) -> Result<Option<Person>, StoreError>;
    /// A person not anonymised, by email.
    async fn person_by_email(&self, email: &str) -> Result<Option<Person>, StoreError>;
    async fn consents(&self, person_id: PersonId) -> Result<Vec<Consent>, StoreError>;
    async fn person_interests(&self, person_id: PersonId) -> Result<Vec<Interest>, StoreError>;
    /// Empties the personal fields, ends the person's sessions and links; keeps anonymous rows.
    async fn erase_person(&self, id: PersonId, at: i64) -> Result<(), StoreError>;
    /// People not anonymised whose last activity is before `before`.
    async fn inactive_people(&self, before: i64) -> Result<Vec<PersonId>, StoreError>;
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
