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
    Ok(store.add_interest(&interest, at).await?)
}
