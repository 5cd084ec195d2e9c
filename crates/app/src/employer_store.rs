//! The storage contract of employers, their sites and the life of their offers as advisors
//! manage them in the browser.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::employer::{EmployerInput, NewSite};
use dklik_domain::{Employer, EmployerId, Offer, OfferId, OfferStatus, SiteId};
use serde::Serialize;

/// An employer with the details entered in the browser (empty for employers from files).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmployerCard {
    /// The employer.
    pub employer: Employer,
    /// Its SIRET, 14 digits.
    pub siret: Option<String>,
    /// Its APE/NAF code.
    pub naf: Option<String>,
    /// The contact's name.
    pub contact_name: String,
    /// The contact's e-mail address.
    pub contact_email: Option<String>,
    /// The contact's phone number.
    pub contact_phone: Option<String>,
}

/// One change of an offer's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    /// The state before.
    pub from: OfferStatus,
    /// The state after.
    pub to: OfferStatus,
    /// Who, in words ("Camille (conseiller)").
    pub actor: String,
    /// When, Unix seconds.
    pub at: i64,
}

/// Employers, sites and offers' states.
#[async_trait]
pub trait EmployerStore: Send + Sync {
    /// Adds an employer; `Conflict` when the name or the SIRET is already known.
    async fn create_employer(&self, e: &EmployerInput, at: i64) -> Result<EmployerId, StoreError>;
    /// Changes an employer's details; `Conflict` when the name or the SIRET is another's.
    async fn update_employer(
        &self,
        id: EmployerId,
        e: &EmployerInput,
        at: i64,
    ) -> Result<(), StoreError>;
    /// An employer with its details.
    async fn employer_card(&self, id: EmployerId) -> Result<Option<EmployerCard>, StoreError>;
    /// Adds a site to an employer; `Conflict` when the same site exists.
    async fn add_site(&self, employer: EmployerId, s: &NewSite) -> Result<SiteId, StoreError>;
    /// Every offer of an employer whatever its state, newest first.
    async fn employer_offers(&self, employer: EmployerId) -> Result<Vec<Offer>, StoreError>;
    /// Moves an offer along its life and records who did it; `Conflict` when the change is not
    /// allowed from its state now.
    async fn change_offer_status(
        &self,
        id: OfferId,
        to: OfferStatus,
        on: time::Date,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    /// An offer's changes of state, oldest first.
    async fn offer_status_changes(&self, id: OfferId) -> Result<Vec<StatusChange>, StoreError>;
}
