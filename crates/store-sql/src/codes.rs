//! Stored codes: every enum the store writes as a word (`"published"`, `"cancelled"`…) is
//! encoded and decoded by its type, never spelled in a query.
//!
//! - bind it: `.bind(OfferStatus::Published)` (see the `From` impls for [`Arg`]);
//! - read it: `row.code::<OfferStatus>("status")?`, which names the column and the value when
//!   the stored word is not one the type knows;
//! - list it in SQL: `format!("… status IN {}", sql_list(&TAKING_PLACE))`, for the few
//!   constant lists (the words come from the type, so the text stays constant and safe).

use crate::db::{Arg, Column, Row};
use dklik_app::people_store::CodePurpose;
use dklik_app::skills_store::Attendance;
use dklik_app::store::StoreError;
use dklik_domain::impact::{Dimension, Stage};
use dklik_domain::matching::{Badge, IntroStatus};
use dklik_domain::orientation::{
    EventKind, Need, NextStep, OutreachChannel, OutreachPlace, PlaceKind, RegistrationStatus,
    ServiceKind,
};
use dklik_domain::rome::ItemKind;
use dklik_domain::{
    ActivityKind, BestTime, Channel, ContractType, Evidence, Importance, InseeCode, InterestStatus,
    Modality, OfferStatus, Role, RomeCode, ShortCode,
};

/// An enum stored as a word.
pub trait StoredCode: Copy + Sized + 'static {
    /// What the code is, in French, for error messages.
    const WHAT: &'static str;
    /// The stored word.
    fn code(self) -> &'static str;
    /// The value of a stored word, if the type knows it.
    fn from_code(s: &str) -> Option<Self>;
}

/// `Result` or `Option` into `Option` (the domain's `parse` functions return either).
trait Known<T> {
    fn known(self) -> Option<T>;
}

impl<T, E> Known<T> for Result<T, E> {
    fn known(self) -> Option<T> {
        self.ok()
    }
}

impl<T> Known<T> for Option<T> {
    fn known(self) -> Option<T> {
        self
    }
}

macro_rules! stored_codes {
    ($($t:ty => $what:literal),* $(,)?) => {$(
        impl StoredCode for $t {
            const WHAT: &'static str = $what;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn from_code(s: &str) -> Option<Self> {
                Known::known(<$t>::parse(s))
            }
        }
        bound_codes!($t);
    )*};
}

/// Codes the store writes but never reads back: bound by type only.
macro_rules! bound_codes {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::Text(Some(v.as_str().to_string()))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg {
                Arg::Text(v.map(|v| v.as_str().to_string()))
            }
        }
    )*};
}

stored_codes!(
    OfferStatus => "état d'offre",
    ContractType => "contrat",
    Importance => "importance",
    ItemKind => "type d'élément ROME",
    InterestStatus => "état de demande",
    BestTime => "moment d'appel",
    Role => "rôle",
    IntroStatus => "état de mise en relation",
    Evidence => "preuve",
    Modality => "modalité",
    ActivityKind => "type d'activité",
    Stage => "étape",
    Dimension => "dimension",
    ServiceKind => "type de prestation",
    PlaceKind => "type de lieu",
    EventKind => "type d'événement",
    RegistrationStatus => "état d'inscription",
    Need => "besoin",
    NextStep => "suite",
    OutreachChannel => "canal d'aller-vers",
    OutreachPlace => "lieu d'aller-vers",
    Attendance => "présence",
    SessionState => "état de session",
    SurveyPhase => "moment du questionnaire",
    EventState => "état d'événement",
);

bound_codes!(Badge, CodePurpose);

impl StoredCode for Channel {
    const WHAT: &'static str = "canal";
    fn code(self) -> &'static str {
        self.as_str()
    }
    fn from_code(s: &str) -> Option<Self> {
        Channel::parse(s)
    }
}
bound_codes!(Channel);

/// Checked text codes (ROME job sheet, INSEE commune, an offer's short code): bound as their
/// text.
macro_rules! text_codes {
    ($($t:ty),* $(,)?) => {$(
        impl From<&$t> for Arg {
            fn from(v: &$t) -> Arg {
                Arg::Text(Some(v.as_str().to_string()))
            }
        }
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::from(&v)
            }
        }
    )*};
}

text_codes!(RomeCode, InseeCode, ShortCode);

/// Whether an orientation session still takes place (`orientation_sessions.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Open to registrations until it starts.
    Open,
    /// Cancelled: its registrants were told.
    Cancelled,
}

impl SessionState {
    fn as_str(self) -> &'static str {
        match self {
            SessionState::Open => "open",
            SessionState::Cancelled => "cancelled",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        [SessionState::Open, SessionState::Cancelled]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Whether an event still takes place (`events.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventState {
    /// It takes place.
    Planned,
    /// Cancelled.
    Cancelled,
}

impl EventState {
    fn as_str(self) -> &'static str {
        match self {
            EventState::Planned => "planned",
            EventState::Cancelled => "cancelled",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        [EventState::Planned, EventState::Cancelled]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// When a survey was answered (`surveys.phase`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurveyPhase {
    /// Before the activity.
    Before,
    /// After it.
    After,
}

impl SurveyPhase {
    fn as_str(self) -> &'static str {
        match self {
            SurveyPhase::Before => "before",
            SurveyPhase::After => "after",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        [SurveyPhase::Before, SurveyPhase::After]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Registrations that hold a place (the others wait, or were cancelled).
pub const HOLDING_A_PLACE: [RegistrationStatus; 3] = [
    RegistrationStatus::Registered,
    RegistrationStatus::Present,
    RegistrationStatus::Absent,
];

/// `('a', 'b')`: a constant list of codes for `IN`, from the type's own words.
pub fn sql_list<T: StoredCode>(values: &[T]) -> String {
    let words: Vec<String> = values
        .iter()
        .map(|v| {
            let w = v.code();
            debug_assert!(w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            format!("'{w}'")
        })
        .collect();
    format!("({})", words.join(", "))
}

/// `'a'`: one code as an SQL literal, for constant statements.
pub fn sql_word<T: StoredCode>(value: T) -> String {
    sql_list(&[value])
        .trim_start_matches('(')
        .trim_end_matches(')')
        .to_string()
}

impl Row {
    /// The column's stored word, decoded by type.
    pub fn code<T: StoredCode>(&self, col: impl Column + Copy) -> Result<T, StoreError> {
        let word: String = self.try_get(col).map_err(crate::common::db_err)?;
        T::from_code(&word).ok_or_else(|| {
            StoreError::Backend(format!(
                "valeur stockée invalide ({}, colonne {col:?}) : « {word} »",
                T::WHAT
            ))
        })
    }

    /// The same, for a column that may be NULL.
    pub fn code_opt<T: StoredCode>(
        &self,
        col: impl Column + Copy,
    ) -> Result<Option<T>, StoreError> {
        let word: Option<String> = self.try_get(col).map_err(crate::common::db_err)?;
        word.map(|w| {
            T::from_code(&w).ok_or_else(|| {
                StoreError::Backend(format!(
                    "valeur stockée invalide ({}, colonne {col:?}) : « {w} »",
                    T::WHAT
                ))
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_words_come_from_the_type() {
        assert_eq!(
            sql_list(&HOLDING_A_PLACE),
            "('registered', 'present', 'absent')"
        );
        assert_eq!(sql_word(OfferStatus::Published), "'published'");
        assert_eq!(SessionState::from_code("open"), Some(SessionState::Open));
        assert_eq!(SurveyPhase::from_code("later"), None);
        assert_eq!(
            Arg::from(RegistrationStatus::Cancelled),
            Arg::Text(Some("cancelled".into()))
        );
    }
}
