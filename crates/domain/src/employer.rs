//! Employers and their sites.

use crate::error::ValidationError;
use crate::geo::{Coordinates, InseeCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct EmployerId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct SiteId(pub i64);

/// An employer as given by a form or a file, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEmployer {
    pub name: String,
    pub description: String,
    /// Demo and test data are marked so that nobody takes them for a real company.
    pub fictional: bool,
}

impl NewEmployer {
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Employer {
    pub id: EmployerId,
    pub name: String,
    pub description: String,
    pub fictional: bool,
}

/// A place where an employer's people work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSite {
    pub name: String,
    pub address: String,
    pub commune: String,
    pub insee: InseeCode,
    pub coordinates: Coordinates,
}

impl NewSite {
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Site {
    pub id: SiteId,
    pub employer_id: EmployerId,
    pub name: String,
    pub address: String,
    pub commune: String,
    pub insee: InseeCode,
    pub coordinates: Coordinates,
}
