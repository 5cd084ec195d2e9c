#![warn(missing_docs)]
//! DKLIK domain: the types and rules of the programme, with no I/O.
//!
//! Every value that comes from outside (a form, a file, an API call) enters through a `parse`
//! or `new` constructor that refuses invalid input with a French message, so the rest of the
//! code can trust what it holds: a `RomeCode` is always a valid code shape, a `Coordinates` is
//! always on the globe, an `Offer` always has at least one open position (its shifts may be
//! empty: France Travail's offers give none, and the page then says the hours are to agree).

pub mod account;
pub mod calendar;
pub mod csv;
pub mod employer;
pub mod error;
pub mod geo;
pub mod impact;
pub mod interest;
pub mod matching;
pub mod numbers;
pub mod offer;
pub mod orientation;
pub mod privacy;
pub mod rome;
pub mod skills;
pub mod sms;
pub mod suggest;
pub mod text;

pub use account::{InterestStatus, NewUser, Role, User};
pub use employer::{Employer, EmployerId, NewEmployer, NewSite, Site, SiteId};
pub use error::{FieldError, ValidationError};
pub use geo::{Coordinates, InseeCode};
pub use interest::{BestTime, Channel, Interest, InterestForm, NewInterest};
pub use offer::{
    ContractType, Days, Importance, Level, NewOffer, NewOfferInput, Offer, OfferFilter, OfferId,
    OfferStatus, RequiredItem, Shift, ShiftPeriod, ShortCode, TimeOfDay,
};
pub use orientation::SessionId;
pub use privacy::{AuditEntry, Consent, Person, PersonId};
pub use rome::{ItemKind, OgrCode, RomeCode};
pub use skills::{
    ActivityKind, Evidence, Habilete, JourneyEvent, Mobility, Modality, Neighbourhood, PersonForm,
    PersonInput, PersonProfile, PersonSkill, SkillEvidence, SkillTest, TestItem, TestTarget,
};

/// How a date is written in the API (`2026-11-30`): the schema of every `time::Date` field.
pub struct IsoDate;

impl schemars::JsonSchema for IsoDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IsoDate".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date"})
    }
}
