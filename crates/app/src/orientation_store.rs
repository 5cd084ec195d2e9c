//! The storage contract of OrientaKlik: the catalogue, sessions and registrations with their
//! waiting list, surveys, events, and mobile teams' contacts. Part of [`crate::Store`];
//! implemented once for both databases by `dklik_store_sql::impl_orientation_store!`.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::orientation::{
    Event, EventKind, OrientationService, OrientationSession, RegistrationStatus, ServiceKind,
    SessionId,
};
use dklik_domain::privacy::PersonId;
use dklik_domain::EmployerId;
use dklik_domain::OfferId;
use serde::Serialize;

/// Who registers: a record staff already follow, or a contact typed in a public form (found
/// or made inside the registration's transaction, never changed).
#[derive(Debug, Clone, Copy)]
pub enum Registrant<'a> {
    /// A person with a record.
    Person(PersonId),
    /// Someone who typed their contact in a form.
    Contact(&'a Contact),
}

/// Filters of the public catalogue; empty means all.
#[derive(Debug, Clone, Default)]
pub struct ServiceFilter {
    /// Only this kind.
    pub kind: Option<ServiceKind>,
    /// A ROME family letter (H: industry…).
    pub family: Option<char>,
    /// Only this kind of place.
    pub place_kind: Option<dklik_domain::orientation::PlaceKind>,
}

/// Someone registering without an account, or met by a mobile team, who agreed to be contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// First name.
    pub first_name: String,
    /// Phone, normalised.
    pub phone: Option<String>,
    /// E-mail, lower case.
    pub email: Option<String>,
    /// What they agreed to (`privacy::PURPOSE_…`) and the wording's version.
    pub purpose: String,
    /// The wording version of the consent given.
    pub consent_version: String,
}

/// A registration with who it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    /// Its number.
    pub id: i64,
    /// The session.
    pub session_id: SessionId,
    /// Who.
    pub person_id: PersonId,
    /// First name.
    pub first_name: String,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// How the person wants messages ("sms", "email", none: both).
    pub contact_by: Option<String>,
    /// Registered, waiting, cancelled, present or absent.
    pub status: RegistrationStatus,
    /// How they came (site, conseiller…).
    pub channel: String,
    /// When, Unix seconds.
    pub created_at: i64,
}

/// A reminder to send the day before a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    /// The registration.
    pub registration_id: i64,
    /// First name.
    pub first_name: String,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// How the person wants messages ("sms", "email", none: both).
    pub contact_by: Option<String>,
    /// The service's name.
    pub service: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// Where.
    pub place: String,
}

/// A reminder to send the day before an event (Café de l'emploi, Bus de l'emploi…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventReminder {
    /// The event.
    pub event_id: i64,
    /// Who.
    pub person_id: PersonId,
    /// First name.
    pub first_name: String,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// How the person wants messages ("sms", "email", none: both).
    pub contact_by: Option<String>,
    /// The event's title.
    pub title: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// Where.
    pub place: String,
}

/// One person's before and after answers for a session of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurveyPair {
    /// The service.
    pub service_id: i64,
    /// The service's name.
    pub service: String,
    /// Answers before (1 to 5 each).
    pub before: Option<[u8; 3]>,
    /// Answers after (1 to 5 each).
    pub after: Option<[u8; 3]>,
}

/// A contact made by a mobile team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutreachContact {
    /// Its number.
    pub id: i64,
    /// Made by the form page: the same submission sent twice counts once.
    pub submission: String,
    /// When, Unix seconds.
    pub at: i64,
    /// The team member's account.
    pub recorded_by: Option<i64>,
    /// Kind of place (quartier, arret, evenement…).
    pub place_kind: String,
    /// The place's code.
    pub place_ref: String,
    /// The place in words.
    pub place_label: String,
    /// How the meeting happened.
    pub channel: String,
    /// How many people (an anonymous count), or 1 for a person who gave their contact.
    pub people_count: u32,
    /// The person's record, when they gave a contact.
    pub person_id: Option<PersonId>,
    /// Comma list of `orientation::Need` words.
    pub needs: String,
    /// What happens next.
    pub next_step: String,
    /// The team's notes.
    pub notes: String,
}

/// OrientaKlik services, sessions, registrations, events and outreach.
#[async_trait]
pub trait OrientationStore: Send + Sync {
    // --- Catalogue ---
    /// The id is ignored; `Conflict` when the name is taken.
    async fn create_service(&self, s: &OrientationService, at: i64) -> Result<i64, StoreError>;
    /// Services matching the filter.
    async fn services(&self, f: &ServiceFilter) -> Result<Vec<OrientationService>, StoreError>;
    /// A service by number.
    async fn service(&self, id: i64) -> Result<Option<OrientationService>, StoreError>;

    // --- Sessions and registrations ---
    /// Adds a session; returns its number.
    async fn create_orientation_session(
        &self,
        service_id: i64,
        starts_at: i64,
        ends_at: i64,
        place: &str,
        capacity: u32,
        at: i64,
    ) -> Result<SessionId, StoreError>;
    /// Sessions of one service (or all) starting after `from`, by start.
    async fn orientation_sessions(
        &self,
        service_id: Option<i64>,
        from: i64,
    ) -> Result<Vec<OrientationSession>, StoreError>;
    /// A session by number.
    async fn orientation_session(
        &self,
        id: SessionId,
    ) -> Result<Option<OrientationSession>, StoreError>;
    /// The person of a contact, with their consent, in one transaction: a record already
    /// holding every contact typed is reused unchanged, else a new record is made (nothing
    /// typed ever changes an existing record).
    async fn find_or_create_person(&self, c: &Contact, at: i64) -> Result<PersonId, StoreError>;
    /// Registers a person: a place while there is one, else the waiting list — never more
    /// registered than the capacity, even at the same instant. `Conflict` when already on it,
    /// when the session is cancelled or has started.
    async fn register(
        &self,
        session: SessionId,
        person_id: PersonId,
        channel: &str,
        at: i64,
    ) -> Result<(i64, RegistrationStatus), StoreError>;
    /// A registration from a public form: the checks, the person (see
    /// [`Self::find_or_create_person`]) and the registration in one transaction, so a refused
    /// registration writes nothing. Returns (registration, status, person).
    async fn register_contact(
        &self,
        session: SessionId,
        c: &Contact,
        channel: &str,
        at: i64,
    ) -> Result<(i64, RegistrationStatus, PersonId), StoreError>;
    /// Cancels a registration; the first on the waiting list takes the place freed. Returns
    /// the registration promoted, if any.
    async fn cancel_registration(&self, id: i64, at: i64) -> Result<Option<i64>, StoreError>;
    /// Cancels a session; returns everyone who was registered or waiting, to tell them.
    async fn cancel_orientation_session(
        &self,
        id: SessionId,
        at: i64,
    ) -> Result<Vec<Registration>, StoreError>;
    /// A session's registrations.
    async fn registrations(&self, session: SessionId) -> Result<Vec<Registration>, StoreError>;
    /// A registration by number.
    async fn registration(&self, id: i64) -> Result<Option<Registration>, StoreError>;
    /// A person's registrations, newest first.
    async fn person_registrations(
        &self,
        person_id: PersonId,
    ) -> Result<Vec<Registration>, StoreError>;
    /// Present or absent; `Conflict` for a registration not holding a place.
    async fn set_registration_status(
        &self,
        id: i64,
        status: RegistrationStatus,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Registrations holding a place in sessions starting in [from, to), not reminded yet.
    async fn due_reminders(&self, from: i64, to: i64) -> Result<Vec<Reminder>, StoreError>;
    /// Marks a reminder as sent.
    async fn mark_reminded(&self, registration_id: i64, at: i64) -> Result<(), StoreError>;
    /// People registered to events (not cancelled) starting in [from, to), not reminded yet.
    async fn due_event_reminders(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<EventReminder>, StoreError>;
    /// Marks an event reminder as sent.
    async fn mark_event_reminded(
        &self,
        event_id: i64,
        person: PersonId,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Before or after answers; sending the same phase again replaces them.
    async fn save_survey(
        &self,
        registration_id: i64,
        after: bool,
        answers: [u8; 3],
        at: i64,
    ) -> Result<(), StoreError>;
    /// Before/after answers, one pair per registration.
    async fn survey_pairs(&self) -> Result<Vec<SurveyPair>, StoreError>;

    // --- Events ---
    /// The id, code and counts are ignored; the code is made here. Returns (id, code).
    async fn create_event(
        &self,
        e: &Event,
        employer_ids: &[EmployerId],
        offer_ids: &[OfferId],
        at: i64,
    ) -> Result<(i64, String), StoreError>;
    /// Events of a kind (or all) ending after `from`, by start.
    async fn events(&self, kind: Option<EventKind>, from: i64) -> Result<Vec<Event>, StoreError>;
    /// An event by its short code.
    async fn event_by_code(&self, code: &str) -> Result<Option<Event>, StoreError>;
    /// `Conflict` when already registered or the event is cancelled.
    async fn register_event(
        &self,
        event_id: i64,
        person_id: PersonId,
        at: i64,
    ) -> Result<(), StoreError>;

    /// An event registration from a public form, in one transaction with its person (see
    /// [`Self::register_contact`]); returns the person.
    async fn register_event_contact(
        &self,
        event_id: i64,
        c: &Contact,
        at: i64,
    ) -> Result<PersonId, StoreError>;

    // --- Outreach ---
    /// Records a contact; returns its id and whether it was new (a submission sent again is
    /// not counted twice). With `person`, the person is found or created with their consent
    /// and `step` (its `person_id` and `reference` filled in) goes to their path — all in one
    /// transaction, and only for a new submission.
    async fn add_outreach(
        &self,
        c: &OutreachContact,
        person: Option<&Contact>,
        step: Option<&dklik_domain::JourneyEvent>,
    ) -> Result<(i64, bool), StoreError>;
    /// The latest outreach meetings.
    async fn outreach_contacts(&self, limit: u32) -> Result<Vec<OutreachContact>, StoreError>;
    /// The contact recorded under this submission id, if any.
    async fn outreach_by_submission(
        &self,
        submission: &str,
    ) -> Result<Option<OutreachContact>, StoreError>;
    /// Ties a contact to the person record made when they consented.
    async fn set_outreach_person(&self, id: i64, person_id: PersonId) -> Result<(), StoreError>;
}
