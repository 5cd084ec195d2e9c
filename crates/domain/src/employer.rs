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

impl From<&Site> for NewSite {
    /// The stored site as an import or a form writes it again (same place, same words).
    fn from(s: &Site) -> Self {
        Self {
            name: s.name.clone(),
            address: s.address.clone(),
            commune: s.commune.clone(),
            insee: s.insee.clone(),
            coordinates: s.coordinates,
        }
    }
}

/// A SIRET number: the 9-digit SIREN of the company and the 5-digit NIC of the establishment,
/// whose digits pass the Luhn check (La Poste's establishments, SIREN 356 000 000, may follow
/// their own rule instead: the digits add up to a multiple of 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

impl Siret {
    /// Reads a SIRET typed with or without spaces; anything else is refused in French.
    pub fn parse(s: &str) -> Result<Self, String> {
        let digits: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Le SIRET a 14 chiffres (le SIREN de 9 chiffres, puis 5 chiffres).".into());
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let ok = luhn(&values)
            || (digits.starts_with("356000000") && values.iter().sum::<u32>().is_multiple_of(5));
        if !ok {
            return Err(
                "Ce SIRET n'existe pas : un chiffre est sans doute mal recopié (la clé ne correspond pas)."
                    .into(),
            );
        }
        Ok(Self(digits))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The company's SIREN (the first 9 digits).
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}

/// The Luhn check: from the right, every second digit doubled (9 taken off above 9), the sum
/// a multiple of 10.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl TryFrom<String> for Siret {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Siret> for String {
    fn from(s: Siret) -> String {
        s.0
    }
}

impl std::fmt::Display for Siret {
    /// Grouped as people read it: `552 081 317 00012`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.0;
        write!(f, "{} {} {} {}", &d[..3], &d[3..6], &d[6..9], &d[9..])
    }
}

/// Reads an APE/NAF code (`25.62B`, typed with or without the dot), written back with it.
pub fn parse_naf(s: &str) -> Result<String, String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| *c != '.' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let b = t.as_bytes();
    if b.len() == 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4].is_ascii_uppercase() {
        Ok(format!("{}.{}", &t[..2], &t[2..]))
    } else {
        Err("Le code NAF s'écrit comme 25.62B : 4 chiffres et une lettre.".into())
    }
}

/// An employer's details as an advisor enters them in the browser, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmployerInput {
    /// The company's name.
    pub name: String,
    /// What the company does.
    pub description: String,
    /// Its SIRET (the establishment the programme deals with).
    pub siret: Siret,
    /// Its APE/NAF code, if given.
    pub naf: Option<String>,
    /// The contact's name.
    pub contact_name: String,
    /// The contact's e-mail address, lower case, if given.
    pub contact_email: Option<String>,
    /// The contact's phone number, if given.
    pub contact_phone: Option<String>,
    /// The employer's own new offers wait for an advisor's review before they are shown.
    pub review_offers: bool,
}

/// The employer form as posted (French field names), unchecked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EmployerForm {
    /// Name.
    #[serde(default)]
    pub nom: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// SIRET.
    #[serde(default)]
    pub siret: String,
    /// NAF code.
    #[serde(default)]
    pub naf: String,
    /// Contact's name.
    #[serde(default)]
    pub contact: String,
    /// Contact's e-mail.
    #[serde(default)]
    pub email: String,
    /// Contact's phone.
    #[serde(default)]
    pub telephone: String,
    /// "oui": the employer's own offers wait for an advisor's review.
    #[serde(default)]
    pub relecture: String,
}

impl EmployerInput {
    /// Checks the form; every error is said, by field, in French.
    pub fn from_form(f: &EmployerForm) -> Result<Self, ValidationError> {
        let mut errs = ValidationError::default();
        let name = f.nom.trim();
        if name.is_empty() {
            errs.push("nom", "Le nom de l'entreprise est obligatoire.");
        } else if name.chars().count() > 200 {
            errs.push("nom", "Le nom est trop long (200 caractères au plus).");
        }
        let siret = Siret::parse(&f.siret)
            .map_err(|m| errs.push("siret", m))
            .ok();
        let naf = if f.naf.trim().is_empty() {
            None
        } else {
            parse_naf(&f.naf).map_err(|m| errs.push("naf", m)).ok()
        };
        let contact_email = if f.email.trim().is_empty() {
            None
        } else {
            crate::interest::normalize_email(&f.email)
                .map_err(|m| errs.push("email", m))
                .ok()
        };
        let contact_phone = if f.telephone.trim().is_empty() {
            None
        } else {
            crate::interest::normalize_phone(&f.telephone)
                .map_err(|m| errs.push("telephone", m))
                .ok()
        };
        if f.description.chars().count() > 2_000 {
            errs.push(
                "description",
                "La description est trop longue (2 000 caractères au plus).",
            );
        }
        if f.contact.chars().count() > 120 {
            errs.push(
                "contact",
                "Le nom du contact est trop long (120 caractères au plus).",
            );
        }
        errs.clone().into_result()?;
        match siret {
            Some(siret) => Ok(Self {
                name: name.to_string(),
                description: f.description.trim().to_string(),
                siret,
                naf,
                contact_name: f.contact.trim().to_string(),
                contact_email,
                contact_phone,
                review_offers: f.relecture == "oui",
            }),
            None => Err(errs),
        }
    }
}

#[cfg(test)]
mod siret_tests {
    use super::*;

    #[test]
    fn siret_keys_are_checked() {
        // Keys that hold (the last two: La Poste's head office, and one of its establishments
        // under its own rule).
        for ok in [
            "55208131766522",
            "732 829 320 00074",
            "35600000000048",
            "35600000012346",
        ] {
            assert!(Siret::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "55208131766523",
            "55208131700012",
            "5520813176652",
            "5520813176652A",
            "35600000000049",
        ] {
            assert!(Siret::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Siret::parse("55208131766522").expect("ok").to_string(),
            "552 081 317 66522"
        );
        assert_eq!(parse_naf("2562b").expect("naf"), "25.62B");
        assert!(parse_naf("25.62").is_err());
    }
}
