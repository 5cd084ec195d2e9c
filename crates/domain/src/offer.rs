//! Job offers described by skills, with their shifts and lifecycle.

use crate::employer::{EmployerId, Site};
use crate::error::ValidationError;
use crate::rome::{ItemKind, OgrCode, RomeCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;

/// An offer's number in the store.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub struct OfferId(pub i64);

/// The letters and digits of short codes: no 0/O, 1/I/L, so that a code read off a bus
/// screen is typed right.
pub const SHORT_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// How many characters a short code has.
pub const SHORT_CODE_LEN: usize = 6;

/// A 6-character code that identifies an offer in a short link (`/o/K7XP3M`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^[A-HJKMNP-Z2-9]{6}$"), description = "Code court de l'offre (QR, lien court)")]
pub struct ShortCode(String);

impl ShortCode {
    /// Reads a code as typed (spaces and lower case accepted); anything else is refused in French.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t: String = s.trim().to_ascii_uppercase();
        if t.len() == SHORT_CODE_LEN && t.bytes().all(|b| SHORT_CODE_ALPHABET.contains(&b)) {
            Ok(Self(t))
        } else {
            Err(format!(
                "« {} » n'est pas un code d'offre : il a 6 lettres ou chiffres, par exemple K7XP3M.",
                s.chars().take(20).collect::<String>()
            ))
        }
    }
    /// A fresh random code. Codes are public, so std's randomly seeded hasher is random enough.
    pub fn random() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        Self::from_number(h.finish())
    }

    /// Builds a code from any 64-bit number (a random one, in practice).
    pub fn from_number(mut n: u64) -> Self {
        let base = SHORT_CODE_ALPHABET.len() as u64;
        let mut s = String::with_capacity(SHORT_CODE_LEN);
        for _ in 0..SHORT_CODE_LEN {
            s.push(SHORT_CODE_ALPHABET[(n % base) as usize] as char);
            n /= base;
        }
        Self(s)
    }
    /// The code, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ShortCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<ShortCode> for String {
    fn from(c: ShortCode) -> String {
        c.0
    }
}
impl fmt::Display for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A skill level, 1 (beginner) to 4 (expert).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "u8", into = "u8")]
#[schemars(extend("minimum" = 1, "maximum" = 4))]
pub struct Level(u8);

impl Level {
    /// Level 2, "with some experience": what a file that gives no level is read as.
    pub const DEFAULT: Level = Level(2);

    /// A level from 1 to 4; anything else is refused.
    pub fn new(n: u8) -> Result<Self, String> {
        if (1..=4).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("Le niveau {n} n'existe pas : il va de 1 à 4."))
        }
    }
    /// Reads a level typed as a digit.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().parse::<u8>() {
            Ok(n) => Self::new(n),
            Err(_) => Err(format!(
                "« {s} » n'est pas un niveau : il faut un chiffre de 1 à 4."
            )),
        }
    }
    /// The level as a number, 1 to 4.
    pub fn get(self) -> u8 {
        self.0
    }
    /// The level in words, for pages.
    pub fn label_fr(self) -> &'static str {
        match self.0 {
            1 => "débutant",
            2 => "avec un peu d'expérience",
            3 => "confirmé",
            _ => "expert",
        }
    }
}

impl TryFrom<u8> for Level {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        Self::new(n)
    }
}
impl From<Level> for u8 {
    fn from(l: Level) -> u8 {
        l.0
    }
}

/// Whether a required item is a must or a plus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Importance {
    /// Without it the post cannot be held.
    Must,
    /// A plus, not a condition.
    Nice,
}

impl Importance {
    /// Reads `must` or `nice`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match crate::text::fold(s).trim() {
            "must" | "obligatoire" | "exige" | "e" | "indispensable" => Ok(Self::Must),
            "nice" | "souhaite" | "s" | "apprecie" | "plus" => Ok(Self::Nice),
            _ => Err(format!(
                "« {s} » : indiquez « obligatoire » ou « souhaité »."
            )),
        }
    }
    /// The stored word (`must`, `nice`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "must",
            Self::Nice => "nice",
        }
    }
}

/// One skill, knowledge or attitude an offer requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequiredItem {
    /// The ROME item.
    pub code: OgrCode,
    /// Know-how, soft skill or knowledge.
    pub kind: ItemKind,
    /// The ROME label, copied when the offer is stored.
    pub label: String,
    /// The level the post needs.
    pub level: Level,
    /// Whether the post can be held without it.
    pub importance: Importance,
}

/// Days of the week as a set (bit 0 = Monday … bit 6 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "u8", into = "u8")]
#[schemars(extend("minimum" = 0, "maximum" = 127), description = "Jours (bit 0 = lundi … bit 6 = dimanche)")]
pub struct Days(u8);

const DAY_NAMES: [&str; 7] = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"];
const DAY_LONG: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

impl Days {
    /// Monday to Friday.
    pub const WEEKDAYS: Days = Days(0b001_1111);
    /// Every day of the week.
    pub const ALL: Days = Days(0b111_1111);

    /// Days from a bit set (bit 0 = Monday); a value over 7 bits is refused.
    pub fn from_bits(b: u8) -> Result<Self, String> {
        if b == 0 || b > 0b111_1111 {
            Err("Indiquez au moins un jour de travail.".into())
        } else {
            Ok(Self(b))
        }
    }
    /// The bit set (bit 0 = Monday).
    pub fn bits(self) -> u8 {
        self.0
    }
    /// Whether the day is included (0 = Monday … 6 = Sunday).
    pub fn contains(self, weekday_index: u8) -> bool {
        weekday_index < 7 && self.0 & (1 << weekday_index) != 0
    }

    fn day_index(s: &str) -> Option<u8> {
        let f = crate::text::fold(s);
        let f = f.trim();
        DAY_NAMES
            .iter()
            .position(|d| f == *d)
            .or_else(|| DAY_LONG.iter().position(|d| f == *d))
            .map(|i| i as u8)
    }

    /// Reads "lun-ven", "lun,mer,ven", "sam-dim", "lun-ven,sam" or "tous".
    pub fn parse(s: &str) -> Result<Self, String> {
        let folded = crate::text::fold(s);
        let t = folded.trim();
        if t == "tous" || t == "7j 7" || t == "tous les jours" {
            return Ok(Self::ALL);
        }
        let bad = || {
            format!("« {s} » : écrivez les jours comme « lun-ven » ou « lun,mer,ven » ou « tous ».")
        };
        let mut bits = 0u8;
        for part in s.split([',', ';', '+']) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if let Some((a, b)) = part.split_once(['-', '/']) {
                let (a, b) = (
                    Self::day_index(a).ok_or_else(bad)?,
                    Self::day_index(b).ok_or_else(bad)?,
                );
                let mut i = a;
                loop {
                    bits |= 1 << i;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            } else {
                bits |= 1 << Self::day_index(part).ok_or_else(bad)?;
            }
        }
        Self::from_bits(bits).map_err(|_| bad())
    }

    /// "du lundi au vendredi", "lundi, mercredi et samedi", "tous les jours".
    pub fn describe_fr(self) -> String {
        if self == Self::ALL {
            return "tous les jours".into();
        }
        let idx: Vec<usize> = (0..7).filter(|i| self.0 & (1 << i) != 0).collect();
        let contiguous = idx.windows(2).all(|w| w[1] == w[0] + 1);
        if idx.len() >= 3 && contiguous {
            return format!(
                "du {} au {}",
                DAY_LONG[idx[0]],
                DAY_LONG[idx[idx.len() - 1]]
            );
        }
        let names: Vec<&str> = idx.iter().map(|&i| DAY_LONG[i]).collect();
        match names.len() {
            1 => format!("le {}", names[0]),
            _ => format!(
                "{} et {}",
                names[..names.len() - 1].join(", "),
                names[names.len() - 1]
            ),
        }
    }

    /// The compact form read back by `parse`.
    pub fn to_code(self) -> String {
        let idx: Vec<usize> = (0..7).filter(|i| self.0 & (1 << i) != 0).collect();
        let contiguous = idx.windows(2).all(|w| w[1] == w[0] + 1);
        if self == Self::ALL {
            "tous".into()
        } else if idx.len() >= 2 && contiguous {
            format!("{}-{}", DAY_NAMES[idx[0]], DAY_NAMES[idx[idx.len() - 1]])
        } else {
            idx.iter()
                .map(|&i| DAY_NAMES[i])
                .collect::<Vec<_>>()
                .join(",")
        }
    }
}

impl TryFrom<u8> for Days {
    type Error = String;
    fn try_from(b: u8) -> Result<Self, String> {
        Self::from_bits(b)
    }
}
impl From<Days> for u8 {
    fn from(d: Days) -> u8 {
        d.0
    }
}

/// A time of day in minutes after midnight (0 to 1439).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "u16", into = "u16")]
#[schemars(extend("minimum" = 0, "maximum" = 1439), description = "Minutes après minuit")]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// A time from minutes after midnight; 24 h or more is refused.
    pub fn new(minutes: u16) -> Result<Self, String> {
        if minutes < 24 * 60 {
            Ok(Self(minutes))
        } else {
            Err(format!(
                "{minutes} minutes : une heure va de 00:00 à 23:59."
            ))
        }
    }
    /// Reads "05:30", "5h30", "5h" or "05:30:00".
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || format!("« {s} » n'est pas une heure : écrivez par exemple 05:30 ou 5h30.");
        let (h, m) = match t.split_once([':', 'h']) {
            Some((h, rest)) => {
                let m = rest.split(':').next().unwrap_or("");
                (h, if m.is_empty() { "0" } else { m })
            }
            None => return Err(bad()),
        };
        let h: u16 = h.trim().parse().map_err(|_| bad())?;
        let m: u16 = m.trim().parse().map_err(|_| bad())?;
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(Self(h * 60 + m))
    }
    /// Minutes after midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
    /// "05:30"
    pub fn hhmm(self) -> String {
        format!("{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
    /// "5 h 30", "14 h"
    pub fn say_fr(self) -> String {
        let (h, m) = (self.0 / 60, self.0 % 60);
        if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m:02}")
        }
    }
}

impl TryFrom<u16> for TimeOfDay {
    type Error = String;
    fn try_from(m: u16) -> Result<Self, String> {
        Self::new(m)
    }
}
impl From<TimeOfDay> for u16 {
    fn from(t: TimeOfDay) -> u16 {
        t.0
    }
}

/// When a shift starts, for the offers-list filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftPeriod {
    /// Starts between 4:00 and 6:59: the person needs an early bus.
    Early,
    /// Starts between 7:00 and 11:59.
    Morning,
    /// Starts between 12:00 and 19:59.
    Afternoon,
    /// Starts between 20:00 and 3:59.
    Night,
}

impl ShiftPeriod {
    /// The four periods, earliest first.
    pub const ALL: [ShiftPeriod; 4] = [Self::Early, Self::Morning, Self::Afternoon, Self::Night];

    /// The period a shift starting at `start` belongs to.
    pub fn of(start: TimeOfDay) -> Self {
        match start.minutes() / 60 {
            4..=6 => Self::Early,
            7..=11 => Self::Morning,
            12..=19 => Self::Afternoon,
            _ => Self::Night,
        }
    }
    /// The period's bit in a person's set of accepted periods.
    pub fn bit(self) -> i64 {
        match self {
            Self::Early => 1,
            Self::Morning => 2,
            Self::Afternoon => 4,
            Self::Night => 8,
        }
    }
    /// The stored word (`tot`, `matin`, `apres_midi`, `nuit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Early => "tot",
            Self::Morning => "matin",
            Self::Afternoon => "apres-midi",
            Self::Night => "nuit",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
    /// The period in words, for filters and pages.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Early => "Tôt le matin (avant 7 h)",
            Self::Morning => "Le matin (7 h à 12 h)",
            Self::Afternoon => "L'après-midi (12 h à 20 h)",
            Self::Night => "La nuit (après 20 h)",
        }
    }
}

/// A working period: days, start and end. An end before the start means the shift ends the
/// next day (a night shift 21:00 → 05:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Shift {
    /// The days the shift is worked.
    pub days: Days,
    /// When it starts.
    pub start: TimeOfDay,
    /// When it ends (earlier than the start when it runs over midnight).
    pub end: TimeOfDay,
}

impl Shift {
    /// A shift; start and end may not be the same time.
    pub fn new(days: Days, start: TimeOfDay, end: TimeOfDay) -> Result<Self, String> {
        if start == end {
            return Err(format!(
                "Le poste commence et finit à {} : indiquez deux heures différentes.",
                start.hhmm()
            ));
        }
        Ok(Self { days, start, end })
    }
    /// Reads "lun-ven 05:00-13:00".
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("« {s} » : écrivez un poste comme « lun-ven 05:00-13:00 ».");
        let s = s.trim();
        let (days, hours) = s.rsplit_once(' ').ok_or_else(bad)?;
        let (a, b) = hours.split_once('-').ok_or_else(bad)?;
        Self::new(
            Days::parse(days)?,
            TimeOfDay::parse(a)?,
            TimeOfDay::parse(b)?,
        )
    }
    /// Whether the shift ends the next day.
    pub fn overnight(&self) -> bool {
        self.end < self.start
    }
    /// Length in minutes, over midnight included.
    pub fn duration_minutes(&self) -> u16 {
        if self.overnight() {
            24 * 60 - self.start.minutes() + self.end.minutes()
        } else {
            self.end.minutes() - self.start.minutes()
        }
    }
    /// "du lundi au vendredi, de 5 h à 13 h"
    pub fn describe_fr(&self) -> String {
        let next = if self.overnight() {
            " le lendemain"
        } else {
            ""
        };
        format!(
            "{}, de {} à {}{}",
            self.days.describe_fr(),
            self.start.say_fr(),
            self.end.say_fr(),
            next
        )
    }
    /// The compact form stored and exchanged (`1111100 06:00-13:00`).
    pub fn to_code(&self) -> String {
        format!(
            "{} {}-{}",
            self.days.to_code(),
            self.start.hhmm(),
            self.end.hhmm()
        )
    }
}

/// The kind of contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractType {
    /// Permanent contract (CDI).
    Cdi,
    /// Fixed-term contract (CDD).
    Cdd,
    /// Temporary work through an agency (intérim).
    Interim,
    /// Apprenticeship contract.
    Apprenticeship,
    /// Professionalisation contract.
    Professionalisation,
    /// Seasonal contract.
    Seasonal,
    /// Any other contract.
    Other,
}

impl ContractType {
    /// Every contract type, in the order of the filter.
    pub const ALL: [ContractType; 7] = [
        Self::Cdi,
        Self::Cdd,
        Self::Interim,
        Self::Apprenticeship,
        Self::Professionalisation,
        Self::Seasonal,
        Self::Other,
    ];
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cdi => "cdi",
            Self::Cdd => "cdd",
            Self::Interim => "interim",
            Self::Apprenticeship => "apprentissage",
            Self::Professionalisation => "professionnalisation",
            Self::Seasonal => "saisonnier",
            Self::Other => "autre",
        }
    }
    /// Reads our own codes and France Travail's `typeContrat` codes (CDI, CDD, MIS, SAI…).
    pub fn parse(s: &str) -> Result<Self, String> {
        let f = crate::text::fold(s);
        match f.trim() {
            "cdi" => Ok(Self::Cdi),
            "cdd" | "ddi" | "ddt" => Ok(Self::Cdd),
            "interim" | "mis" | "tti" | "din" => Ok(Self::Interim),
            "apprentissage" => Ok(Self::Apprenticeship),
            "professionnalisation" => Ok(Self::Professionalisation),
            "saisonnier" | "sai" => Ok(Self::Seasonal),
            "autre" | "lib" | "fra" | "rep" | "cce" => Ok(Self::Other),
            _ => Err(format!(
                "« {s} » n'est pas un type de contrat : cdi, cdd, interim, apprentissage, professionnalisation, saisonnier ou autre."
            )),
        }
    }
    /// The contract in words, for pages and filters.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Cdi => "CDI",
            Self::Cdd => "CDD",
            Self::Interim => "Intérim",
            Self::Apprenticeship => "Apprentissage",
            Self::Professionalisation => "Contrat de professionnalisation",
            Self::Seasonal => "Saisonnier",
            Self::Other => "Autre contrat",
        }
    }
    /// The schema.org `employmentType` value.
    pub fn schema_org(self) -> &'static str {
        match self {
            Self::Cdi => "FULL_TIME",
            Self::Cdd | Self::Seasonal => "TEMPORARY",
            Self::Interim => "CONTRACTOR",
            Self::Apprenticeship | Self::Professionalisation => "INTERN",
            Self::Other => "OTHER",
        }
    }
}

/// Where an offer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Written, not yet shown.
    Draft,
    /// Written by an employer whose offers an advisor reads before they are shown.
    Review,
    /// Shown on the site, the screens and the API.
    Published,
    /// Taken off the site and the screens for a while (the employer did not confirm it is
    /// still open, or asked for a pause); it can be published again.
    Paused,
    /// Every position is filled.
    Filled,
    /// Closed by the employer or an advisor.
    Closed,
    /// Past its end date.
    Expired,
}

impl OfferStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Review => "review",
            Self::Published => "published",
            Self::Paused => "paused",
            Self::Filled => "filled",
            Self::Closed => "closed",
            Self::Expired => "expired",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        match crate::text::fold(s).trim() {
            "draft" | "brouillon" => Ok(Self::Draft),
            "review" | "a relire" | "en attente de relecture" => Ok(Self::Review),
            "published" | "publiee" | "publie" => Ok(Self::Published),
            "paused" | "en pause" | "suspendue" => Ok(Self::Paused),
            "filled" | "pourvue" => Ok(Self::Filled),
            "closed" | "fermee" => Ok(Self::Closed),
            "expired" | "expiree" => Ok(Self::Expired),
            _ => Err(format!(
                "« {s} » n'est pas un état d'offre : brouillon, à relire, publiée, en pause, pourvue, fermée ou expirée."
            )),
        }
    }
    /// The status in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Draft => "Brouillon",
            Self::Review => "En attente de relecture",
            Self::Published => "Publiée",
            Self::Paused => "En pause",
            Self::Filled => "Pourvue",
            Self::Closed => "Fermée",
            Self::Expired => "Expirée",
        }
    }
    /// The lifecycle: draft (→ review) → published ⇄ paused → filled / closed / expired; a
    /// draft or an offer under review may be dropped, and review may send it back to draft.
    pub fn can_become(self, next: OfferStatus) -> bool {
        use OfferStatus::*;
        matches!(
            (self, next),
            (Draft, Published)
                | (Draft, Review)
                | (Draft, Closed)
                | (Review, Published)
                | (Review, Draft)
                | (Review, Closed)
                | (Published, Paused)
                | (Paused, Published)
                | (Published | Paused, Filled | Closed | Expired)
        )
    }
    /// Whether the offer can no longer be shown again (filled, closed, expired).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Filled | Self::Closed | Self::Expired)
    }
}

/// An offer as given by a form or a file, before it is stored. Built by `NewOffer::new`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewOffer {
    /// The id of the offer in the system it came from (France Travail, an employer's file).
    pub external_id: Option<String>,
    /// The job title as the employer writes it.
    pub title: String,
    /// What the job is, in the employer's words.
    pub description: String,
    /// The ROME job sheet.
    pub rome: RomeCode,
    /// The ROME appellation, when known.
    pub appellation: Option<OgrCode>,
    /// The appellation's label (empty when none).
    pub appellation_label: String,
    /// Skills the post needs.
    pub items: Vec<RequiredItem>,
    /// When the post is worked (may be empty: hours to agree).
    pub shifts: Vec<Shift>,
    /// The kind of contract.
    pub contract: ContractType,
    /// Hours per week, when given.
    pub weekly_hours: Option<f32>,
    /// Open positions, at least 1.
    pub positions: u32,
    /// Open to people without a diploma.
    pub no_diploma: bool,
    /// Draft or published: a new offer cannot start filled, closed or expired.
    pub status: OfferStatus,
    /// The day the offer stops being shown, if any.
    pub expires_on: Option<Date>,
}

/// The parts of a new offer, unchecked.
#[derive(Debug, Clone, Default)]
pub struct NewOfferInput {
    /// The id of the offer in the system it came from.
    pub external_id: Option<String>,
    /// The job title as typed.
    pub title: String,
    /// The description as typed.
    pub description: String,
    /// The ROME job sheet, if given.
    pub rome: Option<RomeCode>,
    /// The ROME appellation, if given.
    pub appellation: Option<OgrCode>,
    /// The appellation's label as typed.
    pub appellation_label: String,
    /// Skills the post needs.
    pub items: Vec<RequiredItem>,
    /// When the post is worked.
    pub shifts: Vec<Shift>,
    /// The contract, if given.
    pub contract: Option<ContractType>,
    /// Hours per week, if given.
    pub weekly_hours: Option<f32>,
    /// Open positions as typed (0 is refused).
    pub positions: u32,
    /// Open to people without a diploma.
    pub no_diploma: bool,
    /// The status asked for (published when none).
    pub status: Option<OfferStatus>,
    /// The day the offer stops being shown, if any.
    pub expires_on: Option<Date>,
}

impl NewOffer {
    /// Checks every rule at once and lists every problem.
    pub fn new(i: NewOfferInput) -> Result<Self, ValidationError> {
        let mut err = ValidationError::default();
        let title = i.title.trim().to_string();
        if title.is_empty() {
            err.push("intitule", "L'intitulé du poste est obligatoire.");
        } else if title.chars().count() > 200 {
            err.push(
                "intitule",
                "L'intitulé est trop long (200 caractères au plus).",
            );
        }
        if i.description.chars().count() > 10_000 {
            err.push(
                "description",
                "La description est trop longue (10 000 caractères au plus).",
            );
        }
        if let Some(x) = &i.external_id {
            if x.trim().is_empty() || x.chars().count() > 100 {
                err.push(
                    "id",
                    "L'identifiant externe doit avoir entre 1 et 100 caractères.",
                );
            }
        }
        if i.rome.is_none() {
            err.push("code_rome", "Le code ROME est obligatoire.");
        }
        if i.contract.is_none() {
            err.push("contrat", "Le type de contrat est obligatoire.");
        }
        if let Some(h) = i.weekly_hours {
            if !(1.0..=48.0).contains(&h) {
                err.push(
                    "heures_semaine",
                    format!("{h} heures par semaine : la durée doit être entre 1 et 48 heures."),
                );
            }
        }
        if i.positions == 0 || i.positions > 1000 {
            err.push("postes", "Le nombre de postes doit être entre 1 et 1 000.");
        }
        let mut seen = std::collections::HashSet::new();
        for it in &i.items {
            if !it.kind.requirable() {
                err.push(
                    "competences",
                    format!(
                        "L'élément {} n'est pas un savoir-faire, un savoir ou un savoir-être.",
                        it.code
                    ),
                );
            }
            if !seen.insert(it.code) {
                err.push(
                    "competences",
                    format!("L'élément {} est indiqué deux fois.", it.code),
                );
            }
        }
        let status = i.status.unwrap_or(OfferStatus::Draft);
        if !matches!(status, OfferStatus::Draft | OfferStatus::Published) {
            err.push(
                "etat",
                "Une nouvelle offre est un brouillon ou une offre publiée.",
            );
        }
        err.into_result()?;
        let (Some(rome), Some(contract)) = (i.rome, i.contract) else {
            return Err(ValidationError::single("code_rome", "Code ROME manquant."));
        };
        Ok(Self {
            external_id: i.external_id.map(|s| s.trim().to_string()),
            title,
            description: i.description.trim().to_string(),
            rome,
            appellation: i.appellation,
            appellation_label: i.appellation_label.trim().to_string(),
            items: i.items,
            shifts: i.shifts,
            contract,
            weekly_hours: i.weekly_hours,
            positions: i.positions,
            no_diploma: i.no_diploma,
            status,
            expires_on: i.expires_on,
        })
    }

    /// The periods in which at least one shift starts, as a bit set.
    pub fn shift_periods(&self) -> i64 {
        self.shifts
            .iter()
            .fold(0, |acc, s| acc | ShiftPeriod::of(s.start).bit())
    }

    /// The words an offers-list search looks in.
    pub fn search_text(&self, employer: &str, commune: &str) -> String {
        let labels: Vec<&str> = self.items.iter().map(|i| i.label.as_str()).collect();
        let mut parts = vec![
            self.title.as_str(),
            self.appellation_label.as_str(),
            employer,
            commune,
            self.description.as_str(),
        ];
        parts.extend(labels);
        crate::text::index_text(&parts)
    }
}

/// A stored offer, with its employer's name and its site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Offer {
    /// Its number in the store.
    pub id: OfferId,
    /// The short code of its QR code and short link.
    pub code: ShortCode,
    /// The employer offering it.
    pub employer_id: EmployerId,
    /// The employer's name, for lists.
    pub employer_name: String,
    /// Whether the employer is a demo company.
    pub employer_fictional: bool,
    /// Where the work is.
    pub site: Site,
    /// The id of the offer in the system it came from.
    pub external_id: Option<String>,
    /// The job title.
    pub title: String,
    /// What the job is.
    pub description: String,
    /// The ROME job sheet.
    pub rome: RomeCode,
    /// The job sheet's label.
    pub rome_label: String,
    /// The ROME appellation, when known.
    pub appellation: Option<OgrCode>,
    /// The appellation's label (empty when none).
    pub appellation_label: String,
    /// Skills the post needs.
    pub items: Vec<RequiredItem>,
    /// When the post is worked (empty: hours to agree).
    pub shifts: Vec<Shift>,
    /// The kind of contract.
    pub contract: ContractType,
    /// Hours per week, when given.
    pub weekly_hours: Option<f32>,
    /// Open positions.
    pub positions: u32,
    /// Open to people without a diploma.
    pub no_diploma: bool,
    /// Where it is in its life.
    pub status: OfferStatus,
    /// The day it was entered.
    #[schemars(with = "crate::IsoDate")]
    pub created_on: Date,
    /// The day it was first published.
    #[schemars(with = "Option<crate::IsoDate>")]
    pub published_on: Option<Date>,
    /// The day it was filled, closed or expired.
    #[schemars(with = "Option<crate::IsoDate>")]
    pub ended_on: Option<Date>,
    /// The day it stops being shown, if any.
    #[schemars(with = "Option<crate::IsoDate>")]
    pub expires_on: Option<Date>,
}

impl Offer {
    /// The required items of one kind.
    pub fn items_of(&self, kind: ItemKind) -> impl Iterator<Item = &RequiredItem> {
        self.items.iter().filter(move |i| i.kind == kind)
    }
}

/// The filters of the public offers list. Only published offers are listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferFilter {
    /// Search words, matched as word starts after folding (accents, case, plurals ignored).
    pub terms: Vec<String>,
    /// The commune's INSEE code.
    pub insee: Option<String>,
    /// The ROME family letter.
    pub family: Option<char>,
    /// Only this contract type.
    pub contract: Option<ContractType>,
    /// Only offers with a shift in this period.
    pub period: Option<ShiftPeriod>,
    /// Only offers open without a diploma.
    pub no_diploma: bool,
    /// Only this employer's offers.
    pub employer: Option<EmployerId>,
    /// One job sheet.
    pub rome: Option<crate::RomeCode>,
    /// Offers per page.
    pub limit: u32,
    /// Offers to skip (the page's start).
    pub offset: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_avoid_ambiguous_letters() {
        for n in [0u64, 1, 12345, u64::MAX] {
            let c = ShortCode::from_number(n);
            assert_eq!(c.as_str().len(), 6);
            assert!(!c.as_str().contains(['O', '0', 'I', '1', 'L']));
            assert_eq!(ShortCode::parse(&c.as_str().to_lowercase()), Ok(c));
        }
        assert!(ShortCode::parse("AB0DEF").is_err());
        assert!(ShortCode::parse("ABCDE").is_err());
    }

    #[test]
    fn days_round_trip() {
        let d = Days::parse("lun-ven").unwrap();
        assert_eq!(d, Days::WEEKDAYS);
        assert_eq!(d.describe_fr(), "du lundi au vendredi");
        assert_eq!(Days::parse(&d.to_code()).unwrap(), d);
        let w = Days::parse("sam,dim").unwrap();
        assert_eq!(w.describe_fr(), "samedi et dimanche");
        assert_eq!(Days::parse("ven-lun").unwrap().bits(), 0b111_0001);
        assert!(Days::parse("lundy").is_err());
        assert!(Days::parse("").is_err());
    }

    #[test]
    fn shifts_parse_and_cross_midnight() {
        let s = Shift::parse("lun-ven 21:00-05:00").unwrap();
        assert!(s.overnight());
        assert_eq!(s.duration_minutes(), 8 * 60);
        assert_eq!(ShiftPeriod::of(s.start), ShiftPeriod::Night);
        assert_eq!(
            s.describe_fr(),
            "du lundi au vendredi, de 21 h à 5 h le lendemain"
        );
        assert_eq!(Shift::parse(&s.to_code()).unwrap(), s);
        assert!(Shift::parse("lun-ven 05:00-05:00").is_err());
        assert!(Shift::parse("lun-ven 25:00-05:00").is_err());
        assert_eq!(TimeOfDay::parse("5h30").unwrap().minutes(), 330);
    }

    #[test]
    fn lifecycle() {
        use OfferStatus::*;
        assert!(Draft.can_become(Published));
        assert!(Published.can_become(Filled));
        assert!(!Filled.can_become(Published));
        assert!(!Draft.can_become(Filled));
        assert!(!Expired.can_become(Closed));
    }

    #[test]
    fn new_offer_lists_every_problem() {
        let err = NewOffer::new(NewOfferInput::default()).unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["intitule", "code_rome", "contrat", "postes"] {
            assert!(fields.contains(&f), "{fields:?} lacks {f}");
        }
    }

    #[test]
    fn level_range() {
        assert!(Level::new(0).is_err());
        assert!(Level::new(5).is_err());
        assert_eq!(Level::parse("3").map(Level::get), Ok(3));
    }
}
