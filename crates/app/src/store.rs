//! The storage contract. Two implementations (SQLite and PostgreSQL) pass the same contract
//! suite (`crates/store-tests`); nothing above this trait knows which one runs.

use async_trait::async_trait;
use dklik_domain::rome::{
    RomeAppellation, RomeCounts, RomeDomain, RomeItem, RomeJob, RomeReference,
};
use dklik_domain::{
    Employer, EmployerId, Interest, NewEmployer, NewInterest, NewOffer, NewSite, Offer,
    OfferFilter, OfferId, OfferStatus, OgrCode, RomeCode, ShortCode, Site,
};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("introuvable")]
    NotFound,
    /// A rule of the data refused the change (an impossible status change, a duplicate…).
    #[error("{0}")]
    Conflict(String),
    /// The database failed; the text is for logs, never for a page.
    #[error("erreur de base de données : {0}")]
    Backend(String),
}

/// What to write for one offer: its employer and site are found by name and address, or created.
#[derive(Debug, Clone)]
pub struct OfferToSave {
    pub employer: NewEmployer,
    pub site: NewSite,
    pub offer: NewOffer,
    /// The folded words the offers list searches in (see `dklik_domain::text`).
    pub search_text: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SaveOutcome {
    pub created: u64,
    pub updated: u64,
}

/// One page of the offers list.
#[derive(Debug, Clone, Default)]
pub struct OfferPage {
    pub offers: Vec<Offer>,
    pub total: u64,
}

/// Values offered by the list's filters, with the number of published offers for each.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    /// (INSEE code, commune name, count), by name.
    pub communes: Vec<(String, String, u64)>,
    /// (ROME family letter, label, count), by letter.
    pub families: Vec<(char, String, u64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmployerSummary {
    pub employer: Employer,
    pub published_offers: u64,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// "sqlite" or "postgres", for logs and the health page.
    fn backend(&self) -> &'static str;
    /// Applies the embedded migrations not applied yet.
    async fn migrate(&self) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;

    // --- ROME reference ---
    /// Writes a release in one transaction; rows already equal are left alone. Calls
    /// `progress` with the number of rows handled so far. Returns the rows inserted or changed.
    async fn save_rome(
        &self,
        rome: &RomeReference,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, StoreError>;
    async fn rome_counts(&self) -> Result<RomeCounts, StoreError>;
    async fn rome_items(&self, codes: &[OgrCode]) -> Result<Vec<RomeItem>, StoreError>;
    async fn rome_savoir_etre(&self) -> Result<Vec<RomeItem>, StoreError>;
    async fn rome_jobs(&self, codes: &[RomeCode]) -> Result<Vec<RomeJob>, StoreError>;
    async fn rome_appellations(
        &self,
        rome: &[RomeCode],
    ) -> Result<Vec<RomeAppellation>, StoreError>;
    async fn rome_domains(&self) -> Result<Vec<RomeDomain>, StoreError>;

    // --- Employers and offers ---
    /// Writes offers in one transaction, upserting by external id (offers without one are
    /// always created). Employers are matched by name, sites by employer, INSEE code, address
    /// and name.
    async fn save_offers(&self, offers: &[OfferToSave]) -> Result<SaveOutcome, StoreError>;
    async fn offer(&self, id: OfferId) -> Result<Option<Offer>, StoreError>;
    async fn offer_by_code(&self, code: &ShortCode) -> Result<Option<Offer>, StoreError>;
    async fn offer_by_external_id(&self, external_id: &str) -> Result<Option<Offer>, StoreError>;
    /// Published offers matching the filter, newest first.
    async fn list_offers(&self, filter: &OfferFilter) -> Result<OfferPage, StoreError>;
    async fn offer_facets(&self) -> Result<Facets, StoreError>;
    /// Moves an offer along its lifecycle; `Conflict` when the change is not allowed.
    async fn set_offer_status(
        &self,
        id: OfferId,
        status: OfferStatus,
        on: time::Date,
    ) -> Result<(), StoreError>;
    async fn employers(&self) -> Result<Vec<EmployerSummary>, StoreError>;
    async fn employer(&self, id: EmployerId) -> Result<Option<Employer>, StoreError>;
    async fn sites(&self, employer: EmployerId) -> Result<Vec<Site>, StoreError>;

    // --- Interest records ("Ça m'intéresse") ---
    async fn add_interest(&self, interest: &NewInterest, at: i64) -> Result<i64, StoreError>;
    /// Newest first.
    async fn interests(&self, limit: u32) -> Result<Vec<Interest>, StoreError>;
}
