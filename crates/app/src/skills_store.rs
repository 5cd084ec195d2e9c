//! The storage contract of the skills capability: people's records and timelines, skills with
//! their evidence, the test catalogue, observed activities, endorsements and the public
//! questionnaire. Part of [`crate::Store`]; implemented once for both databases by
//! `dklik_store_sql::impl_skills_store!`.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::privacy::PersonId;
use dklik_domain::rome::{RomeAppellation, RomeItem, RomeJob, RomeJobItem};
use dklik_domain::{
    ActivityKind, JourneyEvent, Level, Neighbourhood, OfferId, OgrCode, Person, PersonInput,
    PersonProfile, RequiredItem, SkillEvidence, SkillTest, TestTarget,
};
use serde::Serialize;

/// The whole ROME reference in memory, for item search and suggestions from text.
#[derive(Debug, Clone, Default)]
pub struct RomeCatalogue {
    /// Job sheets.
    pub jobs: Vec<RomeJob>,
    /// Savoir-faire, savoir-être and savoirs (contexts left out).
    pub items: Vec<RomeItem>,
    /// Appellations.
    pub appellations: Vec<RomeAppellation>,
    /// Items of each job sheet.
    pub job_items: Vec<RomeJobItem>,
}

/// A person in the advisors' list.
#[derive(Debug, Clone, Serialize)]
pub struct PersonRow {
    /// The record.
    pub person: Person,
    /// The advisor's profile, if one was made.
    pub profile: Option<PersonProfile>,
}

/// A person as the staff's list shows them and finds them by (see `crate::directory`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedPerson {
    /// The record.
    pub id: PersonId,
    /// First name (empty when not given).
    pub first_name: String,
    /// Last name, from the advisor's profile (empty without one).
    pub last_name: String,
    /// Phone as stored.
    pub phone: Option<String>,
    /// E-mail as stored.
    pub email: Option<String>,
    /// Commune, from the profile (empty without one).
    pub commune: String,
    /// Whether they live in a priority neighbourhood, when known.
    pub qpv: Option<bool>,
    /// Unix seconds of their last step.
    pub last_activity_at: i64,
}

/// A session of a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestSession {
    /// Its number.
    pub id: i64,
    /// The test.
    pub test_id: i64,
    /// The test's name.
    pub test_name: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// Where.
    pub place: String,
    /// Places.
    pub capacity: u32,
    /// People registered or present.
    pub registered: u32,
}

/// Whether a person came to a test session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Attendance {
    /// On the list.
    Registered,
    /// Came.
    Present,
    /// Did not come.
    Absent,
}

impl Attendance {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Present => "present",
            Self::Absent => "absent",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Registered, Self::Present, Self::Absent]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
    /// The attendance in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Registered => "inscrit",
            Self::Present => "présent",
            Self::Absent => "absent",
        }
    }
}

/// A person on a session's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionPerson {
    /// Who.
    pub person_id: PersonId,
    /// Their name.
    pub name: String,
    /// Whether they came.
    pub status: Attendance,
}

/// A result of a person on one assessed item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// The test session.
    pub session_id: i64,
    /// Whose result.
    pub person_id: PersonId,
    /// What was assessed.
    pub target: TestTarget,
    /// The level reached.
    pub level: Level,
    /// Who assessed.
    pub evaluator: String,
    /// The day of the test.
    pub on_day: time::Date,
    /// The assessor's notes.
    pub notes: String,
}

/// A Job Labo session or week of immersion of one person, with what the tutor saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedActivity {
    /// Its number.
    pub id: i64,
    /// Whose activity.
    pub person_id: PersonId,
    /// Job Labo or immersion.
    pub kind: ActivityKind,
    /// Its title.
    pub title: String,
    /// Where.
    pub place: String,
    /// The tutor's name.
    pub tutor: String,
    /// First day.
    pub starts_on: time::Date,
    /// Last day.
    pub ends_on: time::Date,
    /// The advisor's review, once written.
    pub review: Option<String>,
    /// Attendance per day.
    pub days: Vec<(time::Date, bool)>,
    /// What the tutor saw.
    pub observations: Vec<Observation>,
}

/// One thing a tutor saw during an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// Its number.
    pub id: i64,
    /// The item seen.
    pub item: OgrCode,
    /// The level seen.
    pub level: Level,
    /// The tutor's words.
    pub comment: String,
    /// The tutor's name.
    pub observer: String,
    /// When, Unix seconds.
    pub at: i64,
}

/// A link sent to a third party (coach, club president) to endorse a person's skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endorsement {
    /// Its number.
    pub id: i64,
    /// Whose skill.
    pub person_id: PersonId,
    /// The item vouched for.
    pub item: OgrCode,
    /// Where the third party saw the skill ("club de foot de Petite-Synthe").
    pub context: String,
    /// When the link was made, Unix seconds.
    pub created_at: i64,
    /// When the link stops working.
    pub expires_at: i64,
    /// When it was used, if it was.
    pub used_at: Option<i64>,
    /// The endorser's name, once used.
    pub endorser_name: Option<String>,
    /// The endorser's role, once used.
    pub endorser_role: Option<String>,
    /// The endorser's comment, once used.
    pub comment: Option<String>,
}

/// A finished questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionnaireResult {
    /// The link's token.
    pub token: String,
    /// JSON: question id → option id.
    pub answers: String,
    /// JSON: the skills found, with their reasons.
    pub skills: String,
    /// When it was filled in, Unix seconds.
    pub created_at: i64,
    /// The person, once sent to an advisor.
    pub person_id: Option<PersonId>,
}

/// A followed person as the ranking needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchingPerson {
    /// First name.
    pub first_name: String,
    /// The advisor's profile.
    pub profile: PersonProfile,
    /// Every piece of skill evidence.
    pub evidence: Vec<SkillEvidence>,
    /// Endorsements given: item, endorser's name and role.
    pub endorsed: Vec<(OgrCode, String, String)>,
}

/// People, profiles, skills, tests, activities and endorsements.
#[async_trait]
pub trait SkillsStore: Send + Sync {
    // --- Reference ---
    /// The ROME rows the skills pages need.
    async fn rome_catalogue(&self) -> Result<RomeCatalogue, StoreError>;
    /// The territory's neighbourhoods.
    async fn neighbourhoods(&self) -> Result<Vec<Neighbourhood>, StoreError>;
    /// Upserts by (INSEE code, name); returns the rows written.
    async fn save_neighbourhoods(&self, list: &[Neighbourhood]) -> Result<u64, StoreError>;

    // --- People (advisor side) ---
    /// Creates the person, their record and their consent to be followed, in one transaction
    /// (the caller has checked that the person agreed).
    async fn create_person(&self, p: &PersonInput, at: i64) -> Result<PersonId, StoreError>;
    /// `NotFound` for an unknown or anonymised person.
    async fn update_person(&self, id: PersonId, p: &PersonInput, at: i64)
        -> Result<(), StoreError>;
    /// A person's profile, if one was made.
    async fn person_profile(&self, id: PersonId) -> Result<Option<PersonProfile>, StoreError>;
    /// People not anonymised whose name, phone or email contains the words, newest first.
    async fn search_people(&self, query: &str, limit: u32) -> Result<Vec<PersonRow>, StoreError>;
    /// People not anonymised with an id above `after`, by id, `limit` of them at most: the
    /// staff's list in memory is read by such pages.
    async fn listed_people(&self, after: i64, limit: u32) -> Result<Vec<ListedPerson>, StoreError>;
    /// A cheap mark that moves when a person is added, edited, active, merged or anonymised:
    /// the greatest id, and the latest of those times (Unix seconds).
    async fn people_version(&self) -> Result<(i64, i64), StoreError>;
    /// Everyone followed (a record, not anonymised) with their skills' evidence and the
    /// endorsements they received, for ranking people for a post; a few queries in all.
    async fn matching_people(&self) -> Result<Vec<MatchingPerson>, StoreError>;

    // --- Timeline ---
    /// Adds a step to a person's path.
    async fn add_journey_event(&self, e: &JourneyEvent) -> Result<i64, StoreError>;
    /// Oldest first.
    async fn journey(&self, person_id: PersonId) -> Result<Vec<JourneyEvent>, StoreError>;

    // --- Skills and evidence ---
    /// Adds pieces of skill evidence.
    async fn add_skill_evidence(&self, rows: &[SkillEvidence]) -> Result<(), StoreError>;
    /// A person's skill evidence, oldest first.
    async fn skill_evidence(&self, person_id: PersonId) -> Result<Vec<SkillEvidence>, StoreError>;
    /// Removes one piece (a suggestion the advisor turned down); `NotFound` if not this person's.
    async fn delete_skill_evidence(&self, person_id: PersonId, id: i64) -> Result<(), StoreError>;
    /// Replaces an offer's required items.
    async fn set_offer_items(
        &self,
        offer: OfferId,
        items: &[RequiredItem],
    ) -> Result<(), StoreError>;

    // --- Endorsements ---
    /// Makes an endorsement link (its token stored as a hash).
    async fn create_endorsement(
        &self,
        person_id: PersonId,
        item: OgrCode,
        token_hash: &str,
        context: &str,
        at: i64,
        expires_at: i64,
    ) -> Result<i64, StoreError>;
    /// An endorsement link by its token's hash.
    async fn endorsement_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<Endorsement>, StoreError>;
    /// Records who endorsed; false when the link was used or expired meanwhile (atomic).
    async fn complete_endorsement(
        &self,
        id: i64,
        name: &str,
        role: &str,
        comment: &str,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// A person's endorsements, newest first.
    async fn endorsements(&self, person_id: PersonId) -> Result<Vec<Endorsement>, StoreError>;

    // --- Test catalogue ---
    /// `Conflict` when the name is taken.
    async fn create_test(&self, t: &SkillTest, at: i64) -> Result<i64, StoreError>;
    /// Every skill test.
    async fn tests(&self) -> Result<Vec<SkillTest>, StoreError>;
    /// Adds a session of a test.
    async fn create_test_session(
        &self,
        test_id: i64,
        starts_at: i64,
        place: &str,
        capacity: u32,
        at: i64,
    ) -> Result<i64, StoreError>;
    /// Sessions of one test, or of all tests, by start.
    async fn test_sessions(&self, test_id: Option<i64>) -> Result<Vec<TestSession>, StoreError>;
    /// Registers a person; `Conflict` when the session is full (never more than its capacity,
    /// even with registrations at the same time) or the person is already on it.
    async fn register_for_test(
        &self,
        session: i64,
        person_id: PersonId,
        at: i64,
    ) -> Result<(), StoreError>;
    /// `NotFound` when the person is not on the session's list.
    async fn set_test_attendance(
        &self,
        session: i64,
        person_id: PersonId,
        status: Attendance,
        at: i64,
    ) -> Result<(), StoreError>;
    /// The people on a test session's list.
    async fn session_people(&self, session: i64) -> Result<Vec<SessionPerson>, StoreError>;
    /// Writes results and the tested evidence they make, in one transaction; `Conflict` when
    /// the person was not marked present.
    async fn save_test_results(
        &self,
        results: &[TestResult],
        evidence: &[SkillEvidence],
        at: i64,
    ) -> Result<(), StoreError>;
    /// A person's test results.
    async fn test_results(&self, person_id: PersonId) -> Result<Vec<TestResult>, StoreError>;

    // --- Observed activities ---
    /// Records an activity; returns its number.
    async fn create_activity(&self, a: &ObservedActivity, at: i64) -> Result<i64, StoreError>;
    /// A person's activities.
    async fn activities(&self, person_id: PersonId) -> Result<Vec<ObservedActivity>, StoreError>;
    /// An activity by number.
    async fn activity(&self, id: i64) -> Result<Option<ObservedActivity>, StoreError>;
    /// Records what a tutor saw on one day of an activity.
    async fn set_activity_day(
        &self,
        id: i64,
        day: time::Date,
        present: bool,
    ) -> Result<(), StoreError>;
    /// The observation and the observed evidence it makes, in one transaction.
    async fn add_observation(
        &self,
        activity: i64,
        o: &Observation,
        evidence: &SkillEvidence,
    ) -> Result<i64, StoreError>;
    /// Writes the advisor's review of an activity.
    async fn set_activity_review(&self, id: i64, review: &str, at: i64) -> Result<(), StoreError>;

    // --- Public questionnaire ---
    /// False when this token was already recorded (a questionnaire sent twice counts once).
    async fn save_questionnaire(&self, r: &QuestionnaireResult) -> Result<bool, StoreError>;
    /// A questionnaire by its token.
    async fn questionnaire(&self, token: &str) -> Result<Option<QuestionnaireResult>, StoreError>;
    /// Sends a questionnaire to an advisor, all in one transaction: the call-back request
    /// (person found or created, consent, request, its step), the questionnaire tied to the
    /// person, the self-assessed skills and the questionnaire's step (their `person_id` is
    /// filled in). Returns the person. `Conflict` when it was already sent: nothing is kept.
    async fn send_questionnaire(
        &self,
        token: &str,
        interest: &dklik_domain::NewInterest,
        at: i64,
        callback_due: time::Date,
        skills: &[SkillEvidence],
        step: &JourneyEvent,
    ) -> Result<PersonId, StoreError>;
}
