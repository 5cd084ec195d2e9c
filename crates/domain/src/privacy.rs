//! Personal data: people, their consents, and the audit trail of who read or changed them.

use serde::{Deserialize, Serialize};

/// The purposes a person can consent to.
pub const PURPOSE_CALLBACK: &str = "rappel_offre";
/// Being followed by an advisor: the record, skills and timeline.
pub const PURPOSE_SUPPORT: &str = "accompagnement";
/// Giving age band and gender for the programme's figures.
pub const PURPOSE_STATS: &str = "statistiques";
/// The version of the wording an advisor reads to the person before creating a record.
pub const SUPPORT_CONSENT_VERSION: &str = "accompagnement-2026-11";
pub const SUPPORT_CONSENT_TEXT: &str = "La personne accepte que DKLIK garde ces informations, ses compétences et son parcours pour l'accompagner vers l'emploi. Elle peut les voir, les télécharger et les effacer depuis « Mon espace ».";

/// A person known to the programme. Once anonymised, the personal fields are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub first_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_activity_at: i64,
    pub anonymised_at: Option<i64>,
    /// When the person proved the e-mail is theirs (a code sent to it and used) or an advisor
    /// entered it; only such an address opens "Mon espace" when records share it.
    pub email_verified_at: Option<i64>,
    /// When an advisor entered or confirmed the phone number.
    pub phone_verified_at: Option<i64>,
}

/// Consent given for one purpose, with the version of the wording shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub id: i64,
    pub person_id: i64,
    pub purpose: String,
    pub wording_version: String,
    pub given_at: i64,
    pub withdrawn_at: Option<i64>,
}

/// One read or change of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    /// Who, in words ("Camille (conseiller)", "la personne elle-même", "tâche de rétention").
    pub actor: String,
    /// read, update, export, erase.
    pub action: String,
    /// "person:12", "interest:40".
    pub subject: String,
    pub detail: String,
}
