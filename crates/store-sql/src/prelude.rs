//! What every module of the store uses: the contracts' and the domain's types, and the shared
//! helpers (`db_err`, dates, `CHUNK`, `insert_chunks`, `unix_now`).

pub(crate) use dklik_app::store::{
    ApiToken, CampaignRecord, DisplayReportRow, EmployerSummary, Facets, FenceRecord, Heartbeat,
    Impression, InboxFilter, InboxRow, OfferPage, OfferToSave, OutboxMessage, PlayRow, SaveOutcome,
    ScreenHealthRow, ScreenMessage, ScreenRecord, SessionRecord, Store, StoreError, Takeover,
    TakeoverScope,
};
pub(crate) use dklik_domain::rome::{
    RomeAppellation, RomeCounts, RomeDomain, RomeItem, RomeJob, RomeReference,
};
pub(crate) use dklik_domain::{
    AuditEntry, BestTime, Channel, Consent, ContractType, Coordinates, Employer, EmployerId,
    Importance, InseeCode, Interest, InterestStatus, ItemKind, Level, NewInterest, NewUser, Offer,
    OfferFilter, OfferId, OfferStatus, OgrCode, Person, PersonId, RequiredItem, Role, RomeCode,
    Shift, ShortCode, Site, SiteId, User,
};

pub(crate) use crate::common::*;
pub(crate) use crate::offer_saving::seen_offers;
pub(crate) use crate::offers::*;
pub(crate) use crate::people::*;
pub(crate) use crate::rome_saving::seen_rome;
