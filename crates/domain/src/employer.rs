//! Employers and their sites.

use crate::error::ValidationError;
use crate::geo::{Coordinates, InseeCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An employer's number in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct EmployerId(pub i64);

/// A site's number in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct SiteId(pub i64);

/// An employer as given by a form or a file, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEmployer {
    /// The company's name.
    pub name: String,
    /// What the company does, in its words.
    pub description: String,
    /// Demo and test data are marked so that nobody takes them for a real company.
    pub fictional: bool,
}

impl NewEmployer {
    /// An employer; an empty name is refused.
    pub fn new(name: &str, description: &str, fictional: bool) -> Result<Self, ValidationError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ValidationError::single(
                "entreprise",
                "Le nom de l'entreprise est obligatoire.",
            ));
        }
        if name.chars().count() > 200 {
            return Err(ValidationError::single(
                "entreprise",
                "Le nom de l'entreprise est trop long (200 caractères au plus).",
            ));
        }
        Ok(Self {
            name: name.to_string(),
            description: description.trim().to_string(),
            fictional,
        })
    }
}

/// A company that offers jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Employer {
    /// Its number in the store.
    pub id: EmployerId,
    /// The company's name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// A demo company (its offers say so).
    pub fictional: bool,
}

/// A place where an employer's people work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSite {
    /// The site's name ("Usine de Loon-Plage").
    pub name: String,
    /// Street address.
    pub address: String,
    /// The commune's name.
    pub commune: String,
    /// The commune's INSEE code.
    pub insee: InseeCode,
    /// Where the site is.
    pub coordinates: Coordinates,
}

impl NewSite {
    /// A site; an empty name or commune is refused.
    pub fn new(
        name: &str,
        address: &str,
        commune: &str,
        insee: InseeCode,
        coordinates: Coordinates,
    ) -> Result<Self, ValidationError> {
        let mut err = ValidationError::default();
        if commune.trim().is_empty() {
            err.push("commune", "Le nom de la commune est obligatoire.");
        }
        if address.chars().count() > 300 {
            err.push(
                "adresse",
                "L'adresse est trop longue (300 caractères au plus).",
            );
        }
        err.into_result()?;
        Ok(Self {
            name: name.trim().to_string(),
            address: address.trim().to_string(),
            commune: commune.trim().to_string(),
            insee,
            coordinates,
        })
    }
}

/// A place where an employer's people work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Site {
    /// Its number in the store.
    pub id: SiteId,
    /// The employer it belongs to.
    pub employer_id: EmployerId,
    /// The site's name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// The commune's name.
    pub commune: String,
    /// The commune's INSEE code.
    pub insee: InseeCode,
    /// Where the site is.
    pub coordinates: Coordinates,
}
