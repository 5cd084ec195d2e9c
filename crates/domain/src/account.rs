//! Who may use DKLIK, and the rules of their accounts.

use crate::employer::EmployerId;
use serde::{Deserialize, Serialize};

/// A role. Staff and employer users log in with a password; a person logs in with a code sent
/// by email; screens and feed senders use API tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages accounts, tokens and settings; sees everything.
    Admin,
    /// Follows people, their requests and introductions.
    Advisor,
    /// Meets people outside offices and records those meetings.
    MobileTeam,
    /// An employer's user: sees and changes only its own employer's data.
    Employer,
    /// A person with an optional account (passwordless).
    Person,
    /// A bus screen player (API token).
    Screen,
    /// A vehicle-position feed sender (API token).
    Feed,
}

impl Role {
    /// Every role, in the order of the administration page.
    pub const ALL: [Role; 7] = [
        Self::Admin,
        Self::Advisor,
        Self::MobileTeam,
        Self::Employer,
        Self::Person,
        Self::Screen,
        Self::Feed,
    ];
    /// The programme's own staff: the roles that work with people's personal data. Employer
    /// users are not staff (they see a person only once introduced to them).
    pub const STAFF: [Role; 3] = [Self::Admin, Self::Advisor, Self::MobileTeam];
    /// The roles of password accounts: the staff and employer users.
    pub const PASSWORD_ACCOUNTS: [Role; 4] =
        [Self::Admin, Self::Advisor, Self::MobileTeam, Self::Employer];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Advisor => "advisor",
            Self::MobileTeam => "mobile_team",
            Self::Employer => "employer",
            Self::Person => "person",
            Self::Screen => "screen",
            Self::Feed => "feed",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                format!("« {s} » n'est pas un rôle : admin, advisor, mobile_team, employer, person, screen ou feed.")
            })
    }
    /// The role in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Admin => "Administrateur",
            Self::Advisor => "Conseiller",
            Self::MobileTeam => "Équipe mobile",
            Self::Employer => "Entreprise",
            Self::Person => "Personne",
            Self::Screen => "Écran",
            Self::Feed => "Flux de positions",
        }
    }
    /// One of [`Self::STAFF`].
    pub fn is_staff(self) -> bool {
        Self::STAFF.contains(&self)
    }
}

/// A password account (staff or employer user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The account's number.
    pub id: i64,
    /// The sign-in address, lower case.
    pub email: String,
    /// The name shown to colleagues and in the journal.
    pub display_name: String,
    /// What the account may do.
    pub role: Role,
    /// For an employer's account, the employer it belongs to.
    pub employer_id: Option<EmployerId>,
    /// The argon2 hash of the password.
    #[serde(skip)]
    pub password_hash: String,
    /// Wrong passwords in a row (kept for the journal; lockout is per address).
    pub failed_logins: i64,
    /// Unix seconds until which logins are refused.
    pub locked_until: Option<i64>,
    /// A disabled account cannot sign in.
    pub disabled: bool,
}

/// A new password account, checked.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The sign-in address.
    pub email: String,
    /// The name shown to colleagues.
    pub display_name: String,
    /// What the account may do.
    pub role: Role,
    /// For an employer's account, its employer.
    pub employer_id: Option<EmployerId>,
    /// The argon2 hash of the chosen password.
    pub password_hash: String,
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Password rule: at least 12 characters, not only one repeated character. Length beats
/// complexity rules (ANSSI and NIST advice).
pub fn check_password(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!(
            "Le mot de passe est trop court : il faut au moins {MIN_PASSWORD_LEN} caractères."
        ));
    }
    if n > 200 {
        return Err("Le mot de passe est trop long (200 caractères au plus).".into());
    }
    let first = p.chars().next();
    if p.chars().all(|c| Some(c) == first) {
        return Err("Le mot de passe ne peut pas être un seul caractère répété.".into());
    }
    Ok(())
}

/// Where a call-back request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestStatus {
    /// Not handled yet.
    New,
    /// An advisor reached the person.
    Contacted,
    /// To call again.
    FollowUp,
    /// Could not be reached.
    Unreachable,
    /// The person no longer wants it.
    NotInterested,
}

impl InterestStatus {
    /// Every status, in the order of the inbox filter.
    pub const ALL: [InterestStatus; 5] = [
        Self::New,
        Self::Contacted,
        Self::FollowUp,
        Self::Unreachable,
        Self::NotInterested,
    ];
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Contacted => "contacted",
            Self::FollowUp => "follow_up",
            Self::Unreachable => "unreachable",
            Self::NotInterested => "not_interested",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| format!("« {s} » n'est pas un état de demande."))
    }
    /// The status in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::New => "Nouvelle",
            Self::Contacted => "Contactée",
            Self::FollowUp => "Suivi en cours",
            Self::Unreachable => "Injoignable",
            Self::NotInterested => "Plus intéressée",
        }
    }
    /// new → contacted → follow-up; unreachable may be tried again; "not interested" ends it.
    pub fn can_become(self, next: InterestStatus) -> bool {
        use InterestStatus::*;
        matches!(
            (self, next),
            (New, Contacted)
                | (New, Unreachable)
                | (New, NotInterested)
                | (Unreachable, Contacted)
                | (Unreachable, NotInterested)
                | (Contacted, FollowUp)
                | (Contacted, NotInterested)
                | (FollowUp, NotInterested)
        )
    }
    /// Whether the call-back deadline still runs.
    pub fn awaits_call(self) -> bool {
        matches!(self, Self::New | Self::Unreachable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        assert!(check_password("court").is_err());
        assert!(check_password("aaaaaaaaaaaaaaaa").is_err());
        assert!(check_password("une phrase de passe").is_ok());
    }

    #[test]
    fn interest_workflow() {
        use InterestStatus::*;
        assert!(New.can_become(Contacted));
        assert!(Contacted.can_become(FollowUp));
        assert!(!NotInterested.can_become(Contacted));
        assert!(!New.can_become(FollowUp));
        assert!(New.awaits_call() && !Contacted.awaits_call());
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
    }
}
