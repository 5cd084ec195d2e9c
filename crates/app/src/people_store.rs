#![warn(missing_docs)]
//! The storage contract of what keeps people's records safe: their sign-in codes, verified
//! contacts, likely duplicates and merges, and the staff login failures per address. Part of
//! [`crate::Store`]; implemented once for both databases by `dklik_store_sql::impl_people_store!`.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::privacy::PersonId;
use dklik_domain::Person;
use serde::Serialize;

/// What a person's code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Opening "Mon espace".
    Login,
    /// Proving a new e-mail address before it replaces the old one.
    EmailChange,
}

impl CodePurpose {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::EmailChange => "email_change",
        }
    }
}

/// A live code, as stored: its keyed hash, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonCode {
    /// Its row.
    pub id: i64,
    /// Whose code it is.
    pub person_id: PersonId,
    /// HMAC-SHA256 of the code under the server's key, in hex.
    pub code_mac: String,
    /// For an e-mail change: the address the code was sent to.
    pub new_email: Option<String>,
    /// Tries made on it, this one included.
    pub attempts: i64,
}

/// Why two records look like the same person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DuplicateReason {
    /// The same phone number.
    Phone,
    /// The same e-mail address.
    Email,
    /// The same first name and the same commune.
    NameAndCommune,
}

impl DuplicateReason {
    /// Said to an advisor ("même téléphone").
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Phone => "même téléphone",
            Self::Email => "même adresse e-mail",
            Self::NameAndCommune => "même prénom et même commune",
        }
    }
}

/// Two records that may be one person (`a` < `b`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicatePair {
    /// The older record.
    pub a: PersonId,
    /// Its first name (empty once erased).
    pub a_name: String,
    /// When it was made, Unix seconds.
    pub a_created_at: i64,
    /// The newer record.
    pub b: PersonId,
    /// Its first name.
    pub b_name: String,
    /// When it was made, Unix seconds.
    pub b_created_at: i64,
    /// What they share.
    pub reason: DuplicateReason,
}

/// Staff login failures of one (account e-mail, address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// Wrong passwords in a row.
    pub failures: i64,
    /// Until when this address is held back for this account, Unix seconds.
    pub locked_until: Option<i64>,
}

/// Keeping people's records safe: codes, verified contacts, duplicates, merges, login failures.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    // --- A person's codes ---
    /// Issues a code: every earlier live code of this person and purpose ends, then the new
    /// one is kept — unless `max_per_hour` codes were already issued in the hour before `at`
    /// (false, nothing written). One transaction.
    #[allow(clippy::too_many_arguments)]
    async fn issue_person_code(
        &self,
        person_id: PersonId,
        purpose: CodePurpose,
        code_mac: &str,
        new_email: Option<&str>,
        at: i64,
        expires_at: i64,
        max_per_hour: i64,
    ) -> Result<bool, StoreError>;
    /// Takes one try on the person's live code of this purpose and returns it, or None when
    /// there is none (expired, used, or `max_attempts` tries already taken: it then ends).
    async fn try_person_code(
        &self,
        person_id: PersonId,
        purpose: CodePurpose,
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<PersonCode>, StoreError>;
    /// Ends a code that matched; false when it had ended meanwhile (used at the same time).
    async fn use_person_code(&self, id: i64, now: i64) -> Result<bool, StoreError>;

    // --- Contacts ---
    /// The record "Mon espace" opens for this e-mail: among the records not anonymised that
    /// hold it, the ones where it was verified first, then the oldest.
    async fn person_for_login(&self, email: &str) -> Result<Option<Person>, StoreError>;
    /// The record "Mon espace" opens for this mobile number (as records keep it: "06 12 34 56
    /// 78"): the same choice as [`Self::person_for_login`], by phone.
    async fn person_for_phone_login(&self, phone: &str) -> Result<Option<Person>, StoreError>;
    /// Records how a person wants the programme's messages (`contact_by`: "sms", "email", or
    /// none for both) and whether they want information texts: starting records a consent
    /// (purpose [`dklik_domain::privacy::PURPOSE_SMS_NEWS`]), stopping withdraws it.
    async fn set_message_choice(
        &self,
        person: PersonId,
        contact_by: Option<&str>,
        sms_news: bool,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Whether the person wants information texts (a consent given and not withdrawn).
    async fn wants_sms_news(&self, person: PersonId) -> Result<bool, StoreError>;
    /// Marks the e-mail (and/or phone) of a record as verified at `at`.
    async fn verify_contact(
        &self,
        person_id: PersonId,
        email: bool,
        phone: bool,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Replaces a person's e-mail by a verified one and ends every session of the person, in
    /// one transaction.
    async fn change_person_email(
        &self,
        person_id: PersonId,
        email: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Ends every session of a person.
    async fn delete_person_sessions(&self, person_id: PersonId) -> Result<(), StoreError>;

    // --- Duplicates and merges ---
    /// Pairs of records not anonymised sharing a phone, an e-mail, or a first name and a
    /// commune, whose newer record was made at `since` or later (a new record is where a
    /// duplicate appears; bounding it keeps the search small at any size); with `person`,
    /// only the pairs that include it. Newest first.
    async fn duplicates(
        &self,
        person: Option<PersonId>,
        since: i64,
        limit: u32,
    ) -> Result<Vec<DuplicatePair>, StoreError>;
    /// Moves everything of `other` (requests, consents, steps, skills, endorsements, tests,
    /// activities, registrations, introductions, contacts) to `keep`, fills `keep`'s missing
    /// contact fields from `other`, empties `other` (marked merged into `keep`) and ends both
    /// people's sessions, in one transaction. Where both have the same registration, test
    /// result or introduction, `keep`'s stays and `other`'s goes.
    async fn merge_people(
        &self,
        keep: PersonId,
        other: PersonId,
        at: i64,
    ) -> Result<(), StoreError>;

    // --- Staff login failures ---
    /// The failures of one (account e-mail, address); none: the default.
    async fn login_failures(&self, email: &str, addr: &str) -> Result<LoginFailures, StoreError>;
    /// Records them (the default clears them); failures a day old are forgotten on the way.
    async fn set_login_failures(
        &self,
        email: &str,
        addr: &str,
        f: LoginFailures,
        at: i64,
    ) -> Result<(), StoreError>;
}
