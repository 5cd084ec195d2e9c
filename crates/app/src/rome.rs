//! Importing a ROME release.

use crate::store::{Store, StoreError};
use dklik_domain::rome::{RomeCounts, RomeReference};

/// What a ROME import loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RomeImportReport {
    /// Rows inserted or changed by this import: 0 when the same release is imported again.
    pub changed: u64,
    /// Rows loaded.
    pub counts: RomeCounts,
}

/// The number of rows a release writes, for a progress bar.
pub fn row_total(r: &RomeReference) -> u64 {
    (r.domains.len()
        + r.jobs.len()
        + r.appellations.len()
        + r.items.len()
        + r.job_items.len()
        + r.mobility.len()) as u64
}

/// Loads the ROME files of a folder into the store.
pub async fn import_rome(
    store: &dyn Store,
    rome: &RomeReference,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<RomeImportReport, StoreError> {
    let changed = store.save_rome(rome, progress).await?;
    let counts = store.rome_counts().await?;
    Ok(RomeImportReport { changed, counts })
}
