//! Readers for the files DKLIK imports. They turn bytes into checked records, and list every
//! problem by line (or record) and field in plain French; they never touch storage.
//!
//! - [`rome`]: the official ROME 4.0 CSV export (France Travail).
//! - [`offers`]: DKLIK's offer CSV template and France Travail's offer JSON.

pub mod offers;
pub mod places;
pub mod rome;
pub mod table;

use std::fmt;

/// One problem in an imported file, placed by line or record and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// "ligne 4", "offre n° 2 (id 181XXKL)", or the file name for file-wide problems.
    pub place: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{} : {}", self.place, self.message)
        } else {
            write!(
                f,
                "{}, champ « {} » : {}",
                self.place, self.field, self.message
            )
        }
    }
}

/// Everything wrong with a file; the file is refused whole.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportErrors(pub Vec<ImportProblem>);

impl ImportErrors {
    pub fn push(&mut self, place: &str, field: &str, message: impl Into<String>) {
        self.0.push(ImportProblem {
            place: place.to_string(),
            field: field.to_string(),
            message: message.into(),
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(value)` when no problem was found.
    pub fn or_ok<T>(self, value: T) -> Result<T, ImportErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// A CSV header as column name → index (names trimmed, and lower-cased when asked).
pub(crate) fn header_index(
    headers: &csv::StringRecord,
    lowercase: bool,
) -> std::collections::HashMap<String, usize> {
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = h.trim();
            (
                if lowercase {
                    h.to_lowercase()
                } else {
                    h.to_string()
                },
                i,
            )
        })
        .collect()
}

/// The names of `needed` that the header lacks.
pub(crate) fn missing_columns<'n>(
    cols: &std::collections::HashMap<String, usize>,
    needed: &[&'n str],
) -> Vec<&'n str> {
    needed
        .iter()
        .copied()
        .filter(|c| !cols.contains_key(*c))
        .collect()
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Le fichier est refusé : {} erreur(s). Rien n'a été enregistré.",
            self.0.len()
        )?;
        for p in &self.0 {
            writeln!(f, "- {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

/// The largest file an import accepts, in bytes.
pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;
