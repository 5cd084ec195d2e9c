//! The storage contract of the impact figures. Part of [`crate::Store`]; implemented once for
//! both databases by `dklik_store_sql::impl_impact_store!`. It hands over facts; the counting
//! is `dklik_domain::impact`.

use crate::store::StoreError;
use async_trait::async_trait;
use dklik_domain::impact::{
    DisplayCount, OfferFacts, OrientationFact, OutreachCount, PathEvent, Period, PersonFacts,
    VisitCount,
};

/// Visits, displays and the paths the figures are made from.
#[async_trait]
pub trait ImpactStore: Send + Sync {
    /// A visit through a poster's QR code or a short link (`channel` "affiche" or "lien"),
    /// to an offer (by its code) or something else (`target`, like "event:CAFE1").
    async fn add_link_visit(
        &self,
        at: i64,
        channel: &str,
        offer_code: Option<&str>,
        target: &str,
    ) -> Result<(), StoreError>;
    /// Every step of every path before `to`, with the bus line and stop of the display it
    /// came from when there is one, oldest first.
    async fn impact_events(&self, to: i64) -> Result<Vec<PathEvent>, StoreError>;
    /// Neighbourhood, QPV flag, age band and gender of everyone.
    async fn impact_people(&self) -> Result<Vec<PersonFacts>, StoreError>;
    /// Employer and ROME code of every offer.
    async fn impact_offers(&self) -> Result<Vec<OfferFacts>, StoreError>;
    /// Bus-screen displays and their scans in the period, by offer, line and stop.
    async fn impact_displays(&self, p: Period) -> Result<Vec<DisplayCount>, StoreError>;
    /// Poster and short-link visits in the period, by channel and offer.
    async fn impact_visits(&self, p: Period) -> Result<Vec<VisitCount>, StoreError>;
    /// Registrations to OrientaKlik sessions that start in the period, with their surveys.
    async fn impact_orientation(&self, p: Period) -> Result<Vec<OrientationFact>, StoreError>;
    /// Anonymous mobile-team counts in the period (contacts without a person), summed per
    /// month (Europe/Paris) and place.
    async fn impact_outreach(&self, p: Period) -> Result<Vec<OutreachCount>, StoreError>;
}
