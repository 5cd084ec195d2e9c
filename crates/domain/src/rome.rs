//! ROME 4.0 identifiers and reference records (France Travail's job and skills reference).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A ROME job-sheet code: one capital letter and four digits, such as `H2913`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^[A-N][0-9]{4}$"))]
pub struct RomeCode(String);

impl RomeCode {
    /// Reads a code (one letter and four digits).
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        if b.len() == 5 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit) {
            Ok(Self(t))
        } else {
            Err(format!(
                "« {s} » n'est pas un code ROME : il faut une lettre et 4 chiffres, par exemple H2913."
            ))
        }
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The "grand domaine" letter, the trade family (H = industry, N = transport and logistics…).
    pub fn family(&self) -> char {
        self.0.chars().next().unwrap_or('?')
    }
}

impl TryFrom<String> for RomeCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<RomeCode> for String {
    fn from(c: RomeCode) -> String {
        c.0
    }
}
impl fmt::Display for RomeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A ROME item identifier (`code_ogr`): a positive number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct OgrCode(pub i64);

impl OgrCode {
    /// Reads an OGR code (digits).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().parse::<i64>() {
            Ok(n) if n > 0 => Ok(Self(n)),
            _ => Err(format!(
                "« {s} » n'est pas un code OGR : il faut un nombre entier positif."
            )),
        }
    }
}

impl fmt::Display for OgrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a ROME item is. A job offer may require the first three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Savoir-faire (know-how).
    SavoirFaire,
    /// Savoir-être professionnel (soft skill).
    SavoirEtre,
    /// Savoir (knowledge).
    Savoir,
    /// A macro-competence (a group of savoir-faire).
    MacroCompetence,
    /// A work context (shift work, outdoor work…).
    Context,
}

impl ItemKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SavoirFaire => "savoir_faire",
            Self::SavoirEtre => "savoir_etre",
            Self::Savoir => "savoir",
            Self::MacroCompetence => "macro_competence",
            Self::Context => "context",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "savoir_faire" => Ok(Self::SavoirFaire),
            "savoir_etre" => Ok(Self::SavoirEtre),
            "savoir" => Ok(Self::Savoir),
            "macro_competence" => Ok(Self::MacroCompetence),
            "context" => Ok(Self::Context),
            other => Err(format!(
                "« {other} » n'est pas un type d'élément : savoir_faire, savoir_etre ou savoir."
            )),
        }
    }
    /// Whether an offer may list an item of this kind as a requirement.
    pub fn requirable(self) -> bool {
        matches!(self, Self::SavoirFaire | Self::SavoirEtre | Self::Savoir)
    }
    /// The kind in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::SavoirFaire => "Savoir-faire",
            Self::SavoirEtre => "Savoir-être",
            Self::Savoir => "Savoir",
            Self::MacroCompetence => "Compétence",
            Self::Context => "Contexte de travail",
        }
    }
}

/// The 16 ROME savoir-être professionnels.
pub const SAVOIR_ETRE_CODES: [i64; 16] = [
    300412, 300416, 300460, 300461, 300465, 300467, 300473, 300478, 300479, 300483, 300485, 300489,
    300490, 300493, 300497, 399999,
];

/// A job sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomeJob {
    /// The job sheet's code.
    pub code: RomeCode,
    /// Its label.
    pub label: String,
    /// Its parent sheet, if any.
    pub parent: Option<RomeCode>,
}

/// A job title people use, tied to a job sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomeAppellation {
    /// The appellation's OGR code.
    pub code: OgrCode,
    /// Its label.
    pub label: String,
    /// Its short label.
    pub short_label: String,
    /// Its job sheet.
    pub rome: RomeCode,
}

/// A skill, knowledge or context item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomeItem {
    /// The item's OGR code.
    pub code: OgrCode,
    /// Its kind.
    pub kind: ItemKind,
    /// Its label.
    pub label: String,
    /// The macro-competence a savoir-faire belongs to, if any.
    pub macro_code: Option<OgrCode>,
    /// A finer category (technique, transverse, "Normes et procédés"…).
    pub category: String,
    /// What the item means, when ROME says (the savoir-être and macro-competences have one).
    #[serde(default)]
    pub definition: String,
}

/// An item listed by a job sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomeJobItem {
    /// The job sheet.
    pub rome: RomeCode,
    /// An item of it.
    pub item: OgrCode,
    /// Whether the item is at the core of the trade (`coeur_metier` set).
    pub core: bool,
}

/// A neighbouring job sheet (career move), ordered by `rank`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomeMobility {
    /// From this job sheet.
    pub from: RomeCode,
    /// To this one.
    pub to: RomeCode,
    /// How close (1 = closest).
    pub rank: i32,
}

/// A node of the classification tree above job sheets (grand domaine or domaine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomeDomain {
    /// The domain's code.
    pub code: String,
    /// Its label.
    pub label: String,
}

/// A whole ROME release, as read from its files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomeReference {
    /// Professional domains.
    pub domains: Vec<RomeDomain>,
    /// Job sheets.
    pub jobs: Vec<RomeJob>,
    /// Appellations.
    pub appellations: Vec<RomeAppellation>,
    /// Skills and knowledge items.
    pub items: Vec<RomeItem>,
    /// Items of each job sheet.
    pub job_items: Vec<RomeJobItem>,
    /// Mobility links between sheets.
    pub mobility: Vec<RomeMobility>,
}

/// Row counts of a stored ROME reference, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomeCounts {
    /// Job sheets.
    pub jobs: u64,
    /// Appellations.
    pub appellations: u64,
    /// Savoir-faire, macro-competences and savoir-être.
    pub competences: u64,
    /// Savoir-être items.
    pub savoir_etre: u64,
    /// Savoir items.
    pub savoirs: u64,
    /// Work contexts.
    pub contexts: u64,
    /// Item–sheet links.
    pub job_items: u64,
    /// Mobility links.
    pub mobility: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rome_code_shape() {
        assert_eq!(RomeCode::parse(" h2913 ").map(|c| c.family()), Ok('H'));
        assert!(RomeCode::parse("H291").is_err());
        assert!(RomeCode::parse("12913").is_err());
        assert!(RomeCode::parse("H29A3").is_err());
    }

    #[test]
    fn ogr_code_positive() {
        assert_eq!(OgrCode::parse("300412"), Ok(OgrCode(300412)));
        assert!(OgrCode::parse("-3").is_err());
        assert!(OgrCode::parse("abc").is_err());
    }
}
