//! Personal data: people, their consents, and the audit trail of who read or changed them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The purposes a person can consent to.
pub const PURPOSE_CALLBACK: &str = "rappel_offre";
/// Being followed by an advisor: the record, skills and timeline.
pub const PURPOSE_SUPPORT: &str = "accompagnement";
/// Giving age band and gender for the programme's figures.
pub const PURPOSE_STATS: &str = "statistiques";
/// Receiving information text messages (new offers near them). Transactional texts (codes,
/// reminders, answers) need no consent of their own: they answer what the person did.
pub const PURPOSE_SMS_NEWS: &str = "sms_information";
/// The version of the information-texts wording.
pub const SMS_NEWS_CONSENT_VERSION: &str = "sms-information-2026-11";
/// The wording of the information-texts consent.
pub const SMS_NEWS_CONSENT_TEXT: &str = "Je veux recevoir par SMS les nouvelles offres près de chez moi. Jamais le soir après 20 h, ni le dimanche ni les jours fériés. Je peux arrêter à tout moment en répondant STOP.";
/// The version of the wording an advisor reads to the person before creating a record.
pub const SUPPORT_CONSENT_VERSION: &str = "accompagnement-2026-11";
/// The wording an advisor reads to the person before creating a record.
pub const SUPPORT_CONSENT_TEXT: &str = "La personne accepte que DKLIK garde ces informations, ses compétences et son parcours pour l'accompagner vers l'emploi. Elle peut les voir, les télécharger et les effacer depuis « Mon espace ».";

/// The number of a person's record (`people.id`). A record keeps its number for life, even
/// once anonymised; merging two records keeps one number and retires the other.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(transparent)]
pub struct PersonId(pub i64);

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A person known to the programme. Once anonymised, the personal fields are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Its number.
    pub id: PersonId,
    /// First name.
    pub first_name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// When the record was made, Unix seconds.
    pub created_at: i64,
    /// Last sign of life, Unix seconds (retention counts from it).
    pub last_activity_at: i64,
    /// When it was anonymised, if it was.
    pub anonymised_at: Option<i64>,
    /// When the person proved the e-mail is theirs (a code sent to it and used) or an advisor
    /// entered it; only such an address opens "Mon espace" when records share it.
    pub email_verified_at: Option<i64>,
    /// When an advisor entered or confirmed the phone number.
    pub phone_verified_at: Option<i64>,
    /// How the person wants the programme's messages: "sms", "email", or none for both (each
    /// only where known).
    #[serde(default)]
    pub contact_by: Option<String>,
}

/// Which of a person's contacts a message to them goes to: their choice when the contact it
/// names is known, otherwise every contact known. Returns (by e-mail, by text).
pub fn message_routes(contact_by: Option<&str>, email: bool, mobile: bool) -> (bool, bool) {
    match contact_by {
        Some("sms") if mobile => (false, true),
        Some("email") if email => (true, false),
        _ => (email, mobile),
    }
}

/// Consent given for one purpose, with the version of the wording shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Its number.
    pub id: i64,
    /// Whose consent.
    pub person_id: PersonId,
    /// The purpose (rappel_offre, accompagnement, statistiques).
    pub purpose: String,
    /// The version of the wording shown.
    pub wording_version: String,
    /// When it was given, Unix seconds.
    pub given_at: i64,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<i64>,
}

/// One read or change of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its number.
    pub id: i64,
    /// When, Unix seconds.
    pub at: i64,
    /// The account, when a staff member did it.
    pub actor_user_id: Option<i64>,
    /// Who, in words ("Camille (conseiller)", "la personne elle-même", "tâche de rétention").
    pub actor: String,
    /// read, update, export, erase.
    pub action: String,
    /// "person:12", "interest:40".
    pub subject: String,
    /// What was read or changed, in words.
    pub detail: String,
}

/// Text for a log line with what looks like an e-mail address or a phone number masked (a
/// database error can quote the value that broke a constraint): logs hold no personal data.
pub fn redact(text: &str) -> String {
    let words: Vec<String> = text
        .split(' ')
        .map(|w| {
            if w.contains('@') && w.contains('.') {
                "[e-mail]".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    mask_phones(&words.join(" "))
}

/// Stretches of digits and the signs people write between them (spaces, dots, dashes, +,
/// brackets) holding 9 digits or more become `[téléphone]`.
fn mask_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let sep = |c: char| " .-+()/".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '+' {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len() && (chars[j].is_ascii_digit() || sep(chars[j])) {
                digits += usize::from(chars[j].is_ascii_digit());
                j += 1;
            }
            // Keep the separators that end the stretch (a space before the next word).
            let mut end = j;
            while end > i && !chars[end - 1].is_ascii_digit() {
                end -= 1;
            }
            if digits >= 9 {
                out.push_str("[téléphone]");
            } else {
                out.extend(&chars[i..end]);
            }
            out.extend(&chars[end..j]);
            i = j.max(i + 1);
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_hold_no_contact() {
        let e = "doublon : Key (email)=(lea@exemple.fr) already exists; phone 0612345678, +33 6 12 34 56 78 or 06 12 34 56 78";
        let r = redact(e);
        assert!(!r.contains("lea@"), "{r}");
        assert!(!r.contains("0612345678"), "{r}");
        assert!(!r.contains("12 34 56 78"), "{r}");
        assert!(r.contains("Key"));
        assert_eq!(redact("offre 42 : 3 postes"), "offre 42 : 3 postes");
        assert_eq!(redact("le 2026-11-30 à 12:00"), "le 2026-11-30 à 12:00");
    }

    #[test]
    fn messages_go_the_way_chosen_when_that_contact_is_known() {
        // (by e-mail, by text)
        assert_eq!(message_routes(None, true, true), (true, true));
        assert_eq!(message_routes(Some("sms"), true, true), (false, true));
        assert_eq!(message_routes(Some("email"), true, true), (true, false));
        // The chosen contact is gone: whatever is known still gets it.
        assert_eq!(message_routes(Some("sms"), true, false), (true, false));
        assert_eq!(message_routes(Some("email"), false, true), (false, true));
        assert_eq!(message_routes(None, false, false), (false, false));
    }
}
