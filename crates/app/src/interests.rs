//! Call-back requests from the public site.

use crate::store::{Store, StoreError};
use dklik_domain::interest::InterestForm;
use dklik_domain::{Channel, NewInterest, OfferId, ValidationError};

#[derive(Debug, thiserror::Error)]
pub enum InterestError {
    #[error("{0}")]
    Invalid(ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An advisor calls back within this many working days.
pub const CALLBACK_WORKING_DAYS: u32 = 2;

/// Checks the form and records the request. `at` is the time in Unix seconds.
pub async fn submit_interest(
    store: &dyn Store,
    form: &InterestForm,
    offer: Option<OfferId>,
    channel: Channel,
    channel_detail: &str,
    at: i64,
) -> Result<i64, InterestError> {
    let interest = NewInterest::from_form(form, offer, channel, channel_detail)
        .map_err(InterestError::Invalid)?;
    let due = dklik_domain::calendar::add_working_days(crate::today_paris(), CALLBACK_WORKING_DAYS);
    Ok(store.add_interest(&interest, at, due).await?)
}
