//! Call-back requests from the public site.

use crate::store::{Store, StoreError};
use dklik_domain::interest::InterestForm;
use dklik_domain::{Channel, NewInterest, OfferId, ValidationError};

/// Why a call-back request was refused.
#[derive(Debug, thiserror::Error)]
pub enum InterestError {
    /// A form error, by field.
    #[error("{0}")]
    Invalid(ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An advisor calls back within this many working days.
pub const CALLBACK_WORKING_DAYS: u32 = 2;

/// Where a request came from.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// How the person came.
    pub channel: Channel,
    /// In words ("bus 12, arrêt Gare").
    pub detail: &'a str,
    /// The bus-screen display whose QR code was scanned.
    pub impression: Option<&'a str>,
}

/// The day by which a request made today must be called back.
pub fn callback_due() -> time::Date {
    dklik_domain::calendar::add_working_days(crate::today_paris(), CALLBACK_WORKING_DAYS)
}

/// Checks the form and records the request. `at` is the time in Unix seconds.
pub async fn submit_interest(
    store: &dyn Store,
    form: &InterestForm,
    offer: Option<OfferId>,
    source: Source<'_>,
    at: i64,
) -> Result<i64, InterestError> {
    let mut interest = NewInterest::from_form(form, offer, source.channel, source.detail)
        .map_err(InterestError::Invalid)?;
    interest.impression = source.impression.map(str::to_string);
    let due = callback_due();
    Ok(store.add_interest(&interest, at, due).await?)
}
