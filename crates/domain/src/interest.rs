//! "Ça m'intéresse": a person asks to be called back about an offer, without an account.

use crate::error::ValidationError;
use crate::offer::OfferId;
use crate::privacy::PersonId;
use serde::{Deserialize, Serialize};

/// When the person prefers to be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BestTime {
    /// Any time.
    Any,
    /// In the morning.
    Morning,
    /// Around noon.
    Noon,
    /// In the afternoon.
    Afternoon,
    /// In the evening.
    Evening,
}

impl BestTime {
    /// Every choice, in the order of the form.
    pub const ALL: [BestTime; 5] = [
        Self::Any,
        Self::Morning,
        Self::Noon,
        Self::Afternoon,
        Self::Evening,
    ];
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "indifferent",
            Self::Morning => "matin",
            Self::Noon => "midi",
            Self::Afternoon => "apres-midi",
            Self::Evening => "soir",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|b| b.as_str() == s.trim())
            .ok_or_else(|| "Choisissez un moment pour vous appeler.".to_string())
    }
    /// The choice in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Any => "N'importe quand",
            Self::Morning => "Le matin (9 h à 12 h)",
            Self::Noon => "À midi (12 h à 14 h)",
            Self::Afternoon => "L'après-midi (14 h à 17 h)",
            Self::Evening => "En fin de journée (17 h à 19 h)",
        }
    }
}

/// Where a person came from when they said they were interested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The public website, found by browsing or searching.
    Website,
    /// The QR code or short link shown on a bus screen.
    BusScreen,
    /// A printed poster's QR code or short link.
    Poster,
    /// A short link typed by hand (`/o/CODE`) without any other clue.
    ShortLink,
    /// The public soft-skills questionnaire, sent to an advisor.
    Questionnaire,
    /// A text message to the programme's number (an offer code, or words for an advisor).
    Sms,
}

impl Channel {
    /// Every channel, in the order of the figures.
    pub const ALL: [Channel; 6] = [
        Self::Website,
        Self::BusScreen,
        Self::Poster,
        Self::ShortLink,
        Self::Questionnaire,
        Self::Sms,
    ];
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Website => "site",
            Self::BusScreen => "ecran",
            Self::Poster => "affiche",
            Self::ShortLink => "lien",
            Self::Questionnaire => "questionnaire",
            Self::Sms => "sms",
        }
    }
    /// The channel of a stored word.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// A stored word read back (unknown words are the website).
    pub fn from_stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(Self::Website)
    }
    /// Unknown values fall back to the website: the source is a clue, never a reason to refuse.
    /// A web form never claims to be a text message.
    pub fn parse_lenient(s: &str) -> Self {
        Self::parse(s.trim())
            .filter(|c| *c != Self::Sms)
            .unwrap_or(Self::Website)
    }
    /// The channel in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Website => "Site internet",
            Self::BusScreen => "Écran de bus",
            Self::Poster => "Affiche",
            Self::ShortLink => "Lien court",
            Self::Questionnaire => "Questionnaire des qualités",
            Self::Sms => "SMS",
        }
    }
}

/// The version of the consent wording shown beside the form; stored with each record.
pub const INTEREST_CONSENT_VERSION: &str = "interet-2026-11";
/// The consent a person gives on the call-back form.
pub const INTEREST_CONSENT_TEXT: &str = "J'accepte qu'un conseiller DKLIK m'appelle ou m'écrive au sujet de cette offre. Mes coordonnées servent seulement à cela.";

/// The consent of a request that came by text message before the person answered OUI: the
/// request is kept for the advisors, no consent is recorded yet.
pub const CONSENT_AWAITED: &str = "attendu";
/// The wording version of the consent given by answering OUI to the programme's text.
pub const SMS_CONSENT_VERSION: &str = "sms-oui-2026-11";

/// A validated call-back request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInterest {
    /// The offer asked about, if any.
    pub offer_id: Option<OfferId>,
    /// The first name typed.
    pub first_name: String,
    /// The phone number, normalised.
    pub phone: Option<String>,
    /// The e-mail address, lower case.
    pub email: Option<String>,
    /// When to call.
    pub best_time: BestTime,
    /// The wording version of the consent given.
    pub consent_version: String,
    /// How the person came.
    pub channel: Channel,
    /// Free detail of the source (vehicle and stop, poster campaign…), 200 characters at most.
    pub channel_detail: String,
    /// The bus-screen display whose QR code was scanned, when known.
    pub impression: Option<String>,
    /// A key of this one sending, when it may arrive twice (a request kept on disk during an
    /// outage and written when the database is back): the store writes it once.
    #[serde(default)]
    pub submission: Option<String>,
    /// What the person wrote, when they wrote rather than filled a form (a text message).
    #[serde(default)]
    pub message: Option<String>,
}

/// What the form sent, unchecked.
#[derive(Debug, Clone, Default)]
pub struct InterestForm {
    /// First name as typed.
    pub first_name: String,
    /// Phone as typed.
    pub phone: String,
    /// E-mail as typed.
    pub email: String,
    /// Best time as chosen.
    pub best_time: String,
    /// Whether the consent box is ticked.
    pub consent: bool,
}

/// Normalises a French phone number to "0X XX XX XX XX" (or +33 written as 0).
pub fn normalize_phone(s: &str) -> Result<String, String> {
    let digits: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let other = s
        .chars()
        .any(|c| !(c.is_ascii_digit() || c == '+' || c == ' ' || c == '.' || c == '-'));
    let national = if let Some(rest) = digits.strip_prefix("+33") {
        format!("0{rest}")
    } else if let Some(rest) = digits.strip_prefix("0033") {
        format!("0{rest}")
    } else {
        digits
    };
    if other
        || national.len() != 10
        || !national.starts_with('0')
        || national.contains('+')
        || national.as_bytes()[1] == b'0'
    {
        return Err(
            "Ce numéro de téléphone n'est pas valide. Écrivez 10 chiffres, par exemple 06 12 34 56 78."
                .into(),
        );
    }
    let b = national.as_bytes();
    Ok(b.chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" "))
}

/// A light check of an email address: one @, something on each side, a dot in the domain.
pub fn normalize_email(s: &str) -> Result<String, String> {
    let t = s.trim();
    let bad = || "Cette adresse e-mail n'est pas valide. Exemple : prenom@exemple.fr".to_string();
    let (local, domain) = t.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains('@')
        || t.len() > 254
        || t.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(t.to_lowercase())
}

impl NewInterest {
    /// Checks the form: a first name, a phone or an e-mail, the consent; errors in French by field.
    pub fn from_form(
        f: &InterestForm,
        offer_id: Option<OfferId>,
        channel: Channel,
        channel_detail: &str,
    ) -> Result<Self, ValidationError> {
        let mut err = ValidationError::default();
        let first_name = f.first_name.trim().to_string();
        if first_name.is_empty() {
            err.push("prenom", "Écrivez votre prénom.");
        } else if first_name.chars().count() > 60 {
            err.push("prenom", "Le prénom est trop long (60 caractères au plus).");
        } else if first_name
            .chars()
            .any(|c| c.is_control() || c == '<' || c == '>')
        {
            err.push("prenom", "Le prénom contient des caractères non permis.");
        }
        let phone = if f.phone.trim().is_empty() {
            None
        } else {
            err.check("telephone", normalize_phone(&f.phone))
        };
        let email = if f.email.trim().is_empty() {
            None
        } else {
            err.check("email", normalize_email(&f.email))
        };
        if f.phone.trim().is_empty() && f.email.trim().is_empty() {
            err.push(
                "telephone",
                "Donnez un numéro de téléphone ou une adresse e-mail pour qu'on vous recontacte.",
            );
        }
        let best_time = err.check("moment", BestTime::parse(&f.best_time));
        if !f.consent {
            err.push(
                "consentement",
                "Cochez la case pour accepter d'être recontacté. Sans votre accord, nous ne pouvons pas vous appeler.",
            );
        }
        err.into_result()?;
        Ok(Self {
            offer_id,
            first_name,
            phone,
            email,
            best_time: best_time.unwrap_or(BestTime::Any),
            consent_version: INTEREST_CONSENT_VERSION.into(),
            channel,
            channel_detail: channel_detail.chars().take(200).collect(),
            impression: None,
            submission: None,
            message: None,
        })
    }
}

/// A stored call-back request, with the person's contact details (empty once erased).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interest {
    /// The request's number.
    pub id: i64,
    /// The offer asked about, if any.
    pub offer_id: Option<OfferId>,
    /// The person's record.
    pub person_id: PersonId,
    /// The first name typed.
    pub first_name: String,
    /// The phone number.
    pub phone: Option<String>,
    /// The e-mail address.
    pub email: Option<String>,
    /// When to call.
    pub best_time: BestTime,
    /// The wording version of the consent given.
    pub consent_version: String,
    /// How the person came.
    pub channel: Channel,
    /// Where exactly (a vehicle and stop, a poster's place).
    pub channel_detail: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Where the advisor is with it.
    pub status: crate::account::InterestStatus,
    /// The advisor in charge, if any.
    pub assigned_to: Option<i64>,
    /// The day by which the person should have been called.
    pub callback_due: Option<time::Date>,
    /// What the person wrote (a text message), if anything.
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> InterestForm {
        InterestForm {
            first_name: "Samia".into(),
            phone: "+33 6 12 34 56 78".into(),
            email: String::new(),
            best_time: "matin".into(),
            consent: true,
        }
    }

    #[test]
    fn good_form() {
        let i = NewInterest::from_form(&form(), Some(OfferId(3)), Channel::BusScreen, "").unwrap();
        assert_eq!(i.phone.as_deref(), Some("06 12 34 56 78"));
        assert_eq!(i.consent_version, INTEREST_CONSENT_VERSION);
    }

    #[test]
    fn bad_form_lists_each_field() {
        let f = InterestForm {
            first_name: " ".into(),
            phone: "12".into(),
            email: "pas-un-mail".into(),
            best_time: "jamais".into(),
            consent: false,
        };
        let e = NewInterest::from_form(&f, None, Channel::Website, "").unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["prenom", "telephone", "email", "moment", "consentement"]
        );
    }

    #[test]
    fn needs_a_way_to_call_back() {
        let mut f = form();
        f.phone.clear();
        assert!(NewInterest::from_form(&f, None, Channel::Website, "").is_err());
        f.email = "samia@exemple.fr".into();
        assert!(NewInterest::from_form(&f, None, Channel::Website, "").is_ok());
    }

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("0612345678").unwrap(), "06 12 34 56 78");
        assert!(normalize_phone("0012345678").is_err());
        assert!(normalize_phone("06 12 34 56 7a").is_err());
        assert!(normalize_phone("061234567").is_err());
    }
}
