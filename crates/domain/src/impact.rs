//! Impact figures: what each channel produces, computed from one event model.
//!
//! Every step of a person's path is a [`PathEvent`] with its funnel [`Stage`] and its channel.
//! A person is attributed to their **first contact** (their earliest event, whatever it was):
//! its channel, and for a bus screen its line and stop. A person counts at a stage in a
//! period when they have an event of that stage inside the period; each person counts once
//! per stage and per row. Displays and scans are not people: they come from the screens'
//! proof of display and from poster visits.
//!
//! Everything here is pure: the store hands the facts over, these functions count.

use crate::offer::OfferId;
use crate::privacy::PersonId;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

/// A step that the figures count. Steps that are not counted (a skill added, a note) have no
/// stage but still count as a first contact when they come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Stage {
    /// Met the programme without asking for anything yet (a record opened, a mobile-team
    /// contact, a registration to a Café de l'emploi).
    Contact,
    /// Said "ça m'intéresse" or asked to be called back.
    Interest,
    /// An advisor reached the person about their request.
    Contacted,
    /// Sent to an employer (mise en relation).
    Introduction,
    /// A job interview.
    Interview,
    /// Hired.
    Hire,
    /// Registered to an OrientaKlik session.
    Orientation,
    /// Was present at an OrientaKlik session.
    OrientationPresent,
    /// Took a skills test.
    Test,
    /// A week of immersion or a Job Labo session.
    Immersion,
}

impl Stage {
    /// Every stage, in funnel order.
    pub const ALL: [Stage; 10] = [
        Self::Contact,
        Self::Interest,
        Self::Contacted,
        Self::Introduction,
        Self::Interview,
        Self::Hire,
        Self::Orientation,
        Self::OrientationPresent,
        Self::Test,
        Self::Immersion,
    ];
    /// The people stages of the funnel, in order.
    pub const FUNNEL: [Stage; 5] = [
        Self::Interest,
        Self::Contacted,
        Self::Introduction,
        Self::Interview,
        Self::Hire,
    ];
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Interest => "interest",
            Self::Contacted => "contacted",
            Self::Introduction => "introduction",
            Self::Interview => "interview",
            Self::Hire => "hire",
            Self::Orientation => "orientation",
            Self::OrientationPresent => "orientation_present",
            Self::Test => "test",
            Self::Immersion => "immersion",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Option<Stage> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The stage in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Contact => "Premier contact",
            Self::Interest => "Intérêt",
            Self::Contacted => "Contactés",
            Self::Introduction => "Mises en relation",
            Self::Interview => "Entretiens",
            Self::Hire => "Embauches",
            Self::Orientation => "Inscrits OrientaKlik",
            Self::OrientationPresent => "Présents OrientaKlik",
            Self::Test => "Tests",
            Self::Immersion => "Immersions et Job Labo",
        }
    }
}

/// The channels a step can come through, with their labels. Codes not listed read "Autre".
pub const CHANNELS: [(&str, &str); 16] = [
    ("ecran", "Écran de bus"),
    ("affiche", "Affiche (QR code)"),
    ("lien", "Lien court"),
    ("site", "Site internet"),
    ("questionnaire", "Questionnaire des qualités"),
    ("cafe_emploi", "Café de l'emploi"),
    ("bus_emploi", "Bus de l'emploi"),
    ("tournee", "Tournée de quartier"),
    ("equipe_mobile", "Équipe mobile"),
    ("partenaire", "Orientation par un partenaire"),
    ("orientaklik", "Séance OrientaKlik"),
    ("conseiller", "Accueil par un conseiller"),
    ("bouche_a_oreille", "Bouche-à-oreille"),
    ("entreprise", "Entreprise"),
    ("liste_attente", "Liste d'attente"),
    ("sms", "SMS au numéro du programme"),
];

/// A channel's code in words ("ecran" → "Écran de bus").
pub fn channel_label(code: &str) -> &'static str {
    CHANNELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("Autre")
}

/// Where a person can have first heard of the programme, as an advisor records it.
pub const ORIGINS: [&str; 9] = [
    "conseiller",
    "partenaire",
    "cafe_emploi",
    "bus_emploi",
    "tournee",
    "equipe_mobile",
    "affiche",
    "site",
    "bouche_a_oreille",
];

/// A priority-neighbourhood flag as an export writes it: "oui", "non" or empty when unknown.
pub fn qpv_text(qpv: Option<bool>) -> &'static str {
    match qpv {
        Some(true) => "oui",
        Some(false) => "non",
        None => "",
    }
}

/// The ROME's fourteen professional domains (the letter that starts a ROME code).
pub fn trade_family(rome: &str) -> (&'static str, &'static str) {
    match rome.chars().next().unwrap_or(' ') {
        'A' => ("A", "Agriculture, pêche, espaces verts, animaux"),
        'B' => ("B", "Arts et façonnage d'ouvrages d'art"),
        'C' => ("C", "Banque, assurance, immobilier"),
        'D' => ("D", "Commerce, vente, grande distribution"),
        'E' => ("E", "Communication, média, multimédia"),
        'F' => ("F", "Construction, bâtiment, travaux publics"),
        'G' => ("G", "Hôtellerie-restauration, tourisme, loisirs"),
        'H' => ("H", "Industrie"),
        'I' => ("I", "Installation et maintenance"),
        'J' => ("J", "Santé"),
        'K' => ("K", "Services à la personne et à la collectivité"),
        'L' => ("L", "Spectacle"),
        'M' => ("M", "Support à l'entreprise"),
        'N' => ("N", "Transport et logistique"),
        _ => ("", "Sans métier"),
    }
}

/// Age bands, recorded only with the person's agreement.
pub const AGE_BANDS: [(&str, &str); 4] = [
    ("16-25", "16 à 25 ans"),
    ("26-44", "26 à 44 ans"),
    ("45-54", "45 à 54 ans"),
    ("55+", "55 ans et plus"),
];
/// Genders, recorded only with the person's agreement.
pub const GENDERS: [(&str, &str); 3] = [("f", "Femme"), ("h", "Homme"), ("x", "Autre")];

/// One step of one person's path, as the store hands it over.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathEvent {
    /// The step's number.
    pub id: i64,
    /// Whose path it is.
    pub person_id: PersonId,
    /// When, Unix seconds.
    pub at: i64,
    /// The funnel stage it counts as, if any.
    pub stage: Option<Stage>,
    /// Where the step came from (ecran, site, conseiller…).
    pub channel: String,
    /// The offer it is about, if any.
    pub offer_id: Option<OfferId>,
    /// For a bus screen: the vehicle, the line's short name and the stop's name.
    pub vehicle: Option<String>,
    /// For a bus screen: the line's short name.
    pub line: Option<String>,
    /// For a bus screen: the stop's name.
    pub stop: Option<String>,
}

/// What the figures may know of a person.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonFacts {
    /// The person.
    pub id: PersonId,
    /// Their neighbourhood's name, if known.
    pub neighbourhood: Option<String>,
    /// Whether they live in a priority neighbourhood (QPV), if known.
    pub qpv: Option<bool>,
    /// Their age band, if they agreed to give it.
    pub age_band: Option<String>,
    /// Their gender, if they agreed to give it.
    pub gender: Option<String>,
}

/// What the figures know of an offer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OfferFacts {
    /// The offer's number.
    pub id: OfferId,
    /// The employer's name.
    pub employer: String,
    /// The ROME job sheet's code.
    pub rome: String,
}

/// Displays on bus screens in the period, grouped by offer, line and stop.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DisplayCount {
    /// The offer shown, if any.
    pub offer_id: Option<OfferId>,
    /// The line's short name.
    pub line: String,
    /// The stop's name.
    pub stop: String,
    /// Displays counted.
    pub impressions: u64,
    /// Scans of the screen's QR code.
    pub scans: u64,
}

/// Visits through a poster's QR code or a short link in the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VisitCount {
    /// The channel of the visit (affiche, lien).
    pub channel: String,
    /// The offer visited, if any.
    pub offer_id: Option<OfferId>,
    /// Visits counted.
    pub visits: u64,
}

/// One registration to an OrientaKlik session, with the person's before/after answers
/// (the mean of the three questions, 1 to 5).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrientationFact {
    /// The service's number.
    pub service_id: i64,
    /// The service's name.
    pub service: String,
    /// When the session started, Unix seconds.
    pub session_at: i64,
    /// Who registered.
    pub person_id: PersonId,
    /// Registration status (registered, present, absent, waiting, cancelled).
    pub status: String,
    /// Mean answer before the session, 1 to 5.
    pub before: Option<f64>,
    /// Mean answer after the session, 1 to 5.
    pub after: Option<f64>,
}

/// People the mobile teams met without opening a record (counted, anonymous), per month and
/// place.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OutreachCount {
    /// "2026-11"
    pub month: String,
    /// neighbourhood, event, stop or other.
    pub place_kind: String,
    /// Where the mobile team met people.
    pub place: String,
    /// People met there.
    pub people: u64,
}

/// Everything the figures are computed from.
#[derive(Debug, Clone, Default)]
pub struct ImpactData {
    /// Every event before the end of the period (first contacts may precede the period).
    pub events: Vec<PathEvent>,
    /// What is known of each person on a path.
    pub people: HashMap<PersonId, PersonFacts>,
    /// What is known of each offer.
    pub offers: HashMap<OfferId, OfferFacts>,
    /// Bus-screen displays.
    pub displays: Vec<DisplayCount>,
    /// Visits through posters and short links.
    pub visits: Vec<VisitCount>,
    /// OrientaKlik registrations with their answers.
    pub orientation: Vec<OrientationFact>,
    /// Outreach meetings by place.
    pub outreach: Vec<OutreachCount>,
}

/// A half-open period `[from, to)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Start, Unix seconds (included).
    pub from: i64,
    /// End, Unix seconds (excluded).
    pub to: i64,
}

impl Period {
    /// Whether an instant is in the period.
    pub fn contains(&self, at: i64) -> bool {
        at >= self.from && at < self.to
    }
}

/// How a funnel is broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Dimension {
    /// By first channel.
    Channel,
    /// By bus line.
    Line,
    /// By stop.
    Stop,
    /// By employer.
    Employer,
    /// By ROME family.
    TradeFamily,
    /// By neighbourhood.
    Neighbourhood,
    /// Living in a QPV or not.
    Qpv,
    /// By age band.
    AgeBand,
    /// By gender.
    Gender,
}

impl Dimension {
    /// Every dimension, in the order of the page.
    pub const ALL: [Dimension; 9] = [
        Self::Channel,
        Self::Line,
        Self::Stop,
        Self::Employer,
        Self::TradeFamily,
        Self::Neighbourhood,
        Self::Qpv,
        Self::AgeBand,
        Self::Gender,
    ];
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "canal",
            Self::Line => "ligne",
            Self::Stop => "arret",
            Self::Employer => "entreprise",
            Self::TradeFamily => "famille",
            Self::Neighbourhood => "quartier",
            Self::Qpv => "qpv",
            Self::AgeBand => "age",
            Self::Gender => "genre",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Option<Dimension> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
    /// The dimension in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Channel => "Canal du premier contact",
            Self::Line => "Ligne de bus",
            Self::Stop => "Arrêt",
            Self::Employer => "Entreprise",
            Self::TradeFamily => "Famille de métiers",
            Self::Neighbourhood => "Quartier",
            Self::Qpv => "Quartier prioritaire",
            Self::AgeBand => "Tranche d'âge",
            Self::Gender => "Genre",
        }
    }
    /// Whether displays and scans can be split along this dimension.
    pub fn splits_displays(self) -> bool {
        matches!(
            self,
            Self::Channel | Self::Line | Self::Stop | Self::Employer | Self::TradeFamily
        )
    }
    /// Whether each person falls in exactly one row (so rows add up to the total).
    pub fn partitions_people(self) -> bool {
        !matches!(self, Self::Employer | Self::TradeFamily)
    }
}

/// The funnel's columns: displays, scans, then the people stages.
pub const FUNNEL_COLUMNS: [&str; 7] = [
    "Affichages",
    "Scans",
    "Intérêt",
    "Contactés",
    "Mises en relation",
    "Entretiens",
    "Embauches",
];
/// The first column that counts people.
pub const FIRST_PEOPLE_COLUMN: usize = 2;

/// One line of the funnel: a value of the dimension and its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelRow {
    /// The value's code.
    pub key: String,
    /// The value in words.
    pub label: String,
    /// `None` where the column cannot be split along the dimension (displays by neighbourhood).
    pub counts: [Option<u64>; 7],
}

impl FunnelRow {
    /// Conversion from each column to the next, as a share (None when not computable).
    pub fn rates(&self) -> [Option<f64>; 6] {
        let mut r = [None; 6];
        for (i, slot) in r.iter_mut().enumerate() {
            if let (Some(a), Some(b)) = (self.counts[i], self.counts[i + 1]) {
                if a > 0 {
                    *slot = Some(b as f64 / a as f64);
                }
            }
        }
        r
    }
}

/// The funnel by one dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelTable {
    /// The dimension.
    pub dimension: Dimension,
    /// One row per value.
    pub rows: Vec<FunnelRow>,
    /// All values together.
    pub total: FunnelRow,
}

/// Each person's first event (the earliest; ties broken by event id), as its position in
/// `events`. Worked out once per report and handed to [`funnel_with`] and [`reach_with`].
pub fn first_contacts(events: &[PathEvent]) -> HashMap<PersonId, usize> {
    let mut first: HashMap<PersonId, usize> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        first
            .entry(e.person_id)
            .and_modify(|f| {
                let g = &events[*f];
                if (e.at, e.id) < (g.at, g.id) {
                    *f = i;
                }
            })
            .or_insert(i);
    }
    first
}

const UNKNOWN: &str = "Non renseigné";

fn person_key(dim: Dimension, p: Option<&PersonFacts>) -> (String, String) {
    let p = p.cloned().unwrap_or_default();
    let opt = |v: Option<String>, table: &[(&str, &str)]| match v {
        Some(k) => {
            let label = table
                .iter()
                .find(|(c, _)| *c == k)
                .map(|(_, l)| l.to_string())
                .unwrap_or_else(|| k.clone());
            (k, label)
        }
        None => (String::new(), UNKNOWN.to_string()),
    };
    match dim {
        Dimension::Neighbourhood => match p.neighbourhood {
            Some(n) => (n.clone(), n),
            None => (String::new(), UNKNOWN.into()),
        },
        Dimension::Qpv => match p.qpv {
            Some(true) => ("oui".into(), "Quartier prioritaire (QPV)".into()),
            Some(false) => ("non".into(), "Hors quartier prioritaire".into()),
            None => (String::new(), UNKNOWN.into()),
        },
        Dimension::AgeBand => opt(p.age_band, &AGE_BANDS),
        Dimension::Gender => opt(p.gender, &GENDERS),
        // Not a person's: the first contact's or the offer's (see `first_key`, `offer_key`).
        Dimension::Channel
        | Dimension::Line
        | Dimension::Stop
        | Dimension::Employer
        | Dimension::TradeFamily => (String::new(), UNKNOWN.into()),
    }
}

fn offer_key(dim: Dimension, offer: Option<&OfferFacts>) -> (String, String) {
    match (dim, offer) {
        (Dimension::Employer, Some(o)) => (o.employer.clone(), o.employer.clone()),
        (Dimension::TradeFamily, Some(o)) => {
            let (k, l) = trade_family(&o.rome);
            (k.into(), l.into())
        }
        _ => (String::new(), "Sans offre".into()),
    }
}

fn first_key(dim: Dimension, f: &PathEvent) -> (String, String) {
    match dim {
        Dimension::Channel => (f.channel.clone(), channel_label(&f.channel).into()),
        Dimension::Line => match &f.line {
            Some(l) => (l.clone(), format!("Ligne {l}")),
            None => (String::new(), "Hors bus".into()),
        },
        Dimension::Stop => match &f.stop {
            Some(s) => (s.clone(), s.clone()),
            None => (String::new(), "Hors bus".into()),
        },
        // Not the first contact's: the person's or the offer's.
        Dimension::Employer
        | Dimension::TradeFamily
        | Dimension::Neighbourhood
        | Dimension::Qpv
        | Dimension::AgeBand
        | Dimension::Gender => (String::new(), UNKNOWN.into()),
    }
}

/// The funnel for a period, optionally for one first-contact channel, broken down by `dim`.
pub fn funnel(
    data: &ImpactData,
    period: Period,
    channel: Option<&str>,
    dim: Dimension,
) -> FunnelTable {
    funnel_with(data, &first_contacts(&data.events), period, channel, dim)
}

/// [`funnel`] with the first contacts already worked out.
pub fn funnel_with(
    data: &ImpactData,
    firsts: &HashMap<PersonId, usize>,
    period: Period,
    channel: Option<&str>,
    dim: Dimension,
) -> FunnelTable {
    // (key) -> label; people counted through (key, column, person) hits, deduplicated once.
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let mut flows: HashMap<(String, usize), u64> = HashMap::new();
    let mut total_flows = [0u64; 2];
    // Keys are interned: a person's (or an offer's) key is worked out once, not per step.
    let mut key_ids: HashMap<String, u32> = HashMap::new();
    let mut key_names: Vec<String> = Vec::new();
    let mut by_person: HashMap<PersonId, u32> = HashMap::new();
    let mut by_offer: HashMap<Option<OfferId>, u32> = HashMap::new();
    let mut hits: Vec<(u32, u8, PersonId)> = Vec::new();
    for e in &data.events {
        let Some(stage) = e.stage else { continue };
        let Some(col) = Stage::FUNNEL.iter().position(|s| *s == stage) else {
            continue;
        };
        if !period.contains(e.at) {
            continue;
        }
        let Some(first) = firsts.get(&e.person_id).map(|i| &data.events[*i]) else {
            continue;
        };
        if channel.is_some_and(|c| c != first.channel) {
            continue;
        }
        let col = (col + FIRST_PEOPLE_COLUMN) as u8;
        let mut intern = |(key, label): (String, String)| -> u32 {
            if let Some(id) = key_ids.get(&key) {
                return *id;
            }
            let id = key_names.len() as u32;
            labels.entry(key.clone()).or_insert(label);
            key_ids.insert(key.clone(), id);
            key_names.push(key);
            id
        };
        let kid = match dim {
            Dimension::Employer | Dimension::TradeFamily => match by_offer.get(&e.offer_id) {
                Some(id) => *id,
                None => {
                    let id = intern(offer_key(dim, e.offer_id.and_then(|o| data.offers.get(&o))));
                    by_offer.insert(e.offer_id, id);
                    id
                }
            },
            Dimension::Channel
            | Dimension::Line
            | Dimension::Stop
            | Dimension::Neighbourhood
            | Dimension::Qpv
            | Dimension::AgeBand
            | Dimension::Gender => match by_person.get(&e.person_id) {
                Some(id) => *id,
                None => {
                    let key = match dim {
                        Dimension::Channel | Dimension::Line | Dimension::Stop => {
                            first_key(dim, first)
                        }
                        Dimension::Employer
                        | Dimension::TradeFamily
                        | Dimension::Neighbourhood
                        | Dimension::Qpv
                        | Dimension::AgeBand
                        | Dimension::Gender => person_key(dim, data.people.get(&e.person_id)),
                    };
                    let id = intern(key);
                    by_person.insert(e.person_id, id);
                    id
                }
            },
        };
        hits.push((kid, col, e.person_id));
    }
    hits.sort_unstable();
    hits.dedup();
    let mut per_key: HashMap<(u32, u8), u64> = HashMap::new();
    for (kid, col, _) in &hits {
        *per_key.entry((*kid, *col)).or_default() += 1;
    }
    let people: HashMap<(String, usize), u64> = per_key
        .into_iter()
        .map(|((kid, col), n)| ((key_names[kid as usize].clone(), usize::from(col)), n))
        .collect();
    let mut totals: Vec<(u8, PersonId)> = hits.iter().map(|(_, c, p)| (*c, *p)).collect();
    totals.sort_unstable();
    totals.dedup();
    let mut total_people: HashMap<usize, u64> = HashMap::new();
    for (col, _) in totals {
        *total_people.entry(usize::from(col)).or_default() += 1;
    }
    let wants = |c: &str| channel.is_none_or(|w| w == c);
    let mut flow = |key: (String, String), col: usize, n: u64| {
        if n == 0 {
            return;
        }
        if dim.splits_displays() {
            labels.entry(key.0.clone()).or_insert(key.1);
            *flows.entry((key.0, col)).or_default() += n;
        }
        total_flows[col] += n;
    };
    if wants("ecran") {
        for d in &data.displays {
            let key = match dim {
                Dimension::Channel => ("ecran".to_string(), channel_label("ecran").to_string()),
                Dimension::Line => (d.line.clone(), format!("Ligne {}", d.line)),
                Dimension::Stop => (d.stop.clone(), d.stop.clone()),
                Dimension::Employer | Dimension::TradeFamily => {
                    offer_key(dim, d.offer_id.and_then(|o| data.offers.get(&o)))
                }
                // Displays reach no one in particular: no person's breakdown.
                Dimension::Neighbourhood
                | Dimension::Qpv
                | Dimension::AgeBand
                | Dimension::Gender => (String::new(), String::new()),
            };
            flow(key.clone(), 0, d.impressions);
            flow(key, 1, d.scans);
        }
    }
    for v in data.visits.iter().filter(|v| wants(&v.channel)) {
        let key = match dim {
            Dimension::Channel => (v.channel.clone(), channel_label(&v.channel).to_string()),
            Dimension::Line | Dimension::Stop => (String::new(), "Hors bus".into()),
            Dimension::Employer | Dimension::TradeFamily => {
                offer_key(dim, v.offer_id.and_then(|o| data.offers.get(&o)))
            }
            // Visits are anonymous: no person's breakdown.
            Dimension::Neighbourhood | Dimension::Qpv | Dimension::AgeBand | Dimension::Gender => {
                (String::new(), String::new())
            }
        };
        flow(key, 1, v.visits);
    }
    let count_row = |key: &str, label: &str| {
        let mut counts = [None; 7];
        for (col, c) in counts.iter_mut().enumerate() {
            *c = if col < FIRST_PEOPLE_COLUMN {
                dim.splits_displays()
                    .then(|| flows.get(&(key.to_string(), col)).copied().unwrap_or(0))
            } else {
                Some(people.get(&(key.to_string(), col)).copied().unwrap_or(0))
            };
        }
        FunnelRow {
            key: key.into(),
            label: label.into(),
            counts,
        }
    };
    let mut rows: Vec<FunnelRow> = labels.iter().map(|(k, l)| count_row(k, l)).collect();
    // Biggest first, by the first column that has people, then by displays.
    rows.sort_by(|a, b| {
        let k = |r: &FunnelRow| {
            (
                std::cmp::Reverse(r.counts[FIRST_PEOPLE_COLUMN..].to_vec()),
                std::cmp::Reverse(r.counts[0]),
                r.label.clone(),
            )
        };
        k(a).cmp(&k(b))
    });
    let mut total = [None; 7];
    for (col, c) in total.iter_mut().enumerate() {
        *c = Some(if col < FIRST_PEOPLE_COLUMN {
            total_flows[col]
        } else {
            total_people.get(&col).copied().unwrap_or(0)
        });
    }
    FunnelTable {
        dimension: dim,
        rows,
        total: FunnelRow {
            key: "total".into(),
            label: "Total".into(),
            counts: total,
        },
    }
}

/// First contacts of people new to the programme, per month, neighbourhood and channel.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ReachRow {
    /// "2026-11"
    pub month: String,
    /// The neighbourhood's name.
    pub neighbourhood: String,
    /// Whether it is a QPV, if known.
    pub qpv: Option<bool>,
    /// The first channel.
    pub channel: String,
    /// People reached.
    pub people: u64,
}

/// The month ("YYYY-MM") of a Unix time, in Europe/Paris.
pub fn month_of(at: i64) -> String {
    let utc =
        time::OffsetDateTime::from_unix_timestamp(at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let offset = if crate::calendar::is_paris_summer_time(utc) {
        2
    } else {
        1
    };
    let d = (utc + time::Duration::hours(offset)).date();
    format!("{:04}-{:02}", d.year(), d.month() as u8)
}

/// People reached in the period, by neighbourhood and first channel.
pub fn reach(data: &ImpactData, period: Period, channel: Option<&str>) -> Vec<ReachRow> {
    reach_with(data, &first_contacts(&data.events), period, channel)
}

/// [`reach`] with the first contacts already worked out.
pub fn reach_with(
    data: &ImpactData,
    firsts: &HashMap<PersonId, usize>,
    period: Period,
    channel: Option<&str>,
) -> Vec<ReachRow> {
    let mut counts: BTreeMap<(String, String, Option<bool>, String), u64> = BTreeMap::new();
    for f in firsts.values().map(|i| &data.events[*i]) {
        if !period.contains(f.at) || channel.is_some_and(|c| c != f.channel) {
            continue;
        }
        let p = data.people.get(&f.person_id);
        let hood = p
            .and_then(|p| p.neighbourhood.clone())
            .unwrap_or_else(|| UNKNOWN.into());
        let qpv = p.and_then(|p| p.qpv);
        *counts
            .entry((month_of(f.at), hood, qpv, f.channel.clone()))
            .or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((month, neighbourhood, qpv, channel), people)| ReachRow {
            month,
            neighbourhood,
            qpv,
            channel,
            people,
        })
        .collect()
}

/// New people per month (the sum of the reach rows), months without anyone included.
pub fn reach_by_month(rows: &[ReachRow], period: Period) -> Vec<(String, u64)> {
    let mut by: BTreeMap<String, u64> = BTreeMap::new();
    let mut at = period.from;
    while at < period.to {
        by.entry(month_of(at)).or_default();
        at += 86_400 * 28;
    }
    if period.to > period.from {
        by.entry(month_of(period.to - 1)).or_default();
    }
    for r in rows {
        *by.entry(r.month.clone()).or_default() += r.people;
    }
    by.into_iter().collect()
}

/// OrientaKlik figures per service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrientationRow {
    /// The service's number.
    pub service_id: i64,
    /// The service's name.
    pub service: String,
    /// Sessions held in the period.
    pub sessions: u64,
    /// Registered (not on the waiting list, not cancelled).
    pub registered: u64,
    /// Registrations marked present.
    pub present: u64,
    /// Registrations marked absent.
    pub absent: u64,
    /// People who answered both surveys, and their mean answers (1 to 5).
    pub surveyed: u64,
    /// Mean answer before, over those who answered.
    pub before: Option<f64>,
    /// Mean answer after, over those who answered.
    pub after: Option<f64>,
    /// Present people who later took a test, an immersion or an introduction.
    pub went_on: u64,
}

impl OrientationRow {
    /// Present over present and absent.
    pub fn attendance(&self) -> Option<f64> {
        let seen = self.present + self.absent;
        (seen > 0).then(|| self.present as f64 / seen as f64)
    }
    /// Mean change from before to after.
    pub fn change(&self) -> Option<f64> {
        Some(self.after? - self.before?)
    }
    /// Share of those present who went on to another step.
    pub fn went_on_share(&self) -> Option<f64> {
        (self.present > 0).then(|| self.went_on as f64 / self.present as f64)
    }
}

/// OrientaKlik figures by service over the period.
pub fn orientation(data: &ImpactData, period: Period) -> Vec<OrientationRow> {
    let mut later: HashMap<PersonId, Vec<i64>> = HashMap::new();
    for e in &data.events {
        if matches!(
            e.stage,
            Some(Stage::Test | Stage::Immersion | Stage::Introduction)
        ) {
            later.entry(e.person_id).or_default().push(e.at);
        }
    }
    let mut by: BTreeMap<(String, i64), OrientationRow> = BTreeMap::new();
    let mut sessions: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    let mut went: HashMap<i64, BTreeSet<PersonId>> = HashMap::new();
    let mut sums: HashMap<i64, (f64, f64)> = HashMap::new();
    for f in data
        .orientation
        .iter()
        .filter(|f| period.contains(f.session_at))
    {
        let row = by
            .entry((f.service.clone(), f.service_id))
            .or_insert_with(|| OrientationRow {
                service_id: f.service_id,
                service: f.service.clone(),
                sessions: 0,
                registered: 0,
                present: 0,
                absent: 0,
                surveyed: 0,
                before: None,
                after: None,
                went_on: 0,
            });
        sessions
            .entry(f.service_id)
            .or_default()
            .insert(f.session_at);
        match f.status.as_str() {
            "registered" => row.registered += 1,
            "present" => {
                row.registered += 1;
                row.present += 1;
                if later
                    .get(&f.person_id)
                    .is_some_and(|ts| ts.iter().any(|t| *t > f.session_at))
                {
                    went.entry(f.service_id).or_default().insert(f.person_id);
                }
            }
            "absent" => {
                row.registered += 1;
                row.absent += 1;
            }
            _ => {}
        }
        if let (Some(b), Some(a)) = (f.before, f.after) {
            row.surveyed += 1;
            let s = sums.entry(f.service_id).or_default();
            s.0 += b;
            s.1 += a;
        }
    }
    by.into_values()
        .map(|mut r| {
            r.sessions = sessions.get(&r.service_id).map_or(0, |s| s.len() as u64);
            r.went_on = went.get(&r.service_id).map_or(0, |s| s.len() as u64);
            if r.surveyed > 0 {
                let (b, a) = sums[&r.service_id];
                r.before = Some(b / r.surveyed as f64);
                r.after = Some(a / r.surveyed as f64);
            }
            r
        })
        .collect()
}

/// The smallest number of people an exported cell may show; smaller non-zero counts are
/// hidden so that no one can be singled out.
pub const MIN_CELL: u64 = 5;

/// An exported count: shown, or hidden because it counts too few people (or because it
/// would let a hidden one be worked out from the total).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cell {
    /// A count shown.
    Shown(u64),
    /// A count too small to show (it could identify someone).
    Hidden,
}

impl Cell {
    /// A count shown only when it is large enough.
    pub fn primary(n: u64) -> Cell {
        if n > 0 && n < MIN_CELL {
            Cell::Hidden
        } else {
            Cell::Shown(n)
        }
    }
    /// The count, when shown.
    pub fn value(self) -> Option<u64> {
        match self {
            Cell::Shown(n) => Some(n),
            Cell::Hidden => None,
        }
    }
    /// The count, or the mark of a hidden one.
    pub fn text(self) -> String {
        match self {
            Cell::Shown(n) => n.to_string(),
            Cell::Hidden => format!("<{MIN_CELL}"),
        }
    }
}

/// Hides people counts from 1 to 4, column by column. Where the rows add up to a shown
/// total and only one cell of a column is hidden, the next smallest non-zero cell is hidden
/// too, so the hidden one cannot be recovered by subtraction.
pub fn suppress_column(values: &[u64], rows_add_up: bool) -> Vec<Cell> {
    let mut cells: Vec<Cell> = values.iter().map(|n| Cell::primary(*n)).collect();
    let hidden = cells.iter().filter(|c| **c == Cell::Hidden).count();
    if rows_add_up && hidden == 1 {
        let next = values
            .iter()
            .enumerate()
            .filter(|(i, n)| cells[*i] != Cell::Hidden && **n > 0)
            .min_by_key(|(_, n)| **n)
            .map(|(i, _)| i);
        if let Some(i) = next {
            cells[i] = Cell::Hidden;
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, person: i64, at: i64, stage: Option<Stage>, channel: &str) -> PathEvent {
        PathEvent {
            id,
            person_id: PersonId(person),
            at,
            stage,
            channel: channel.into(),
            ..Default::default()
        }
    }

    #[test]
    fn people_are_attributed_to_their_first_contact_and_counted_once_per_stage() {
        let p = Period { from: 100, to: 200 };
        let data = ImpactData {
            events: vec![
                // Person 1: first met on a bus screen before the period, then in the period.
                ev(1, 1, 50, Some(Stage::Interest), "ecran"),
                ev(2, 1, 120, Some(Stage::Interest), "site"),
                ev(3, 1, 130, Some(Stage::Contacted), "conseiller"),
                ev(4, 1, 131, Some(Stage::Contacted), "conseiller"),
                // Person 2: from the website, hired after the period.
                ev(5, 2, 110, Some(Stage::Interest), "site"),
                ev(6, 2, 250, Some(Stage::Hire), "entreprise"),
            ],
            ..Default::default()
        };
        let t = funnel(&data, p, None, Dimension::Channel);
        assert_eq!(t.rows.len(), 2);
        let ecran = t.rows.iter().find(|r| r.key == "ecran").unwrap();
        assert_eq!(
            ecran.counts[2..],
            [Some(1), Some(1), Some(0), Some(0), Some(0)]
        );
        let site = t.rows.iter().find(|r| r.key == "site").unwrap();
        assert_eq!(
            site.counts[2..],
            [Some(1), Some(0), Some(0), Some(0), Some(0)]
        );
        assert_eq!(t.total.counts[2], Some(2));
        assert_eq!(t.total.counts[6], Some(0));
        assert_eq!(ecran.rates()[2], Some(1.0));
        // Only the bus screen's people when filtering on it.
        let only = funnel(&data, p, Some("ecran"), Dimension::Channel);
        assert_eq!(only.total.counts[2], Some(1));
    }

    #[test]
    fn suppression_hides_small_counts_and_one_more_when_rows_add_up() {
        assert_eq!(
            suppress_column(&[0, 3, 12, 40], true),
            [Cell::Shown(0), Cell::Hidden, Cell::Hidden, Cell::Shown(40)]
        );
        assert_eq!(
            suppress_column(&[2, 3, 12], true),
            [Cell::Hidden, Cell::Hidden, Cell::Shown(12)]
        );
        assert_eq!(
            suppress_column(&[4, 12], false),
            [Cell::Hidden, Cell::Shown(12)]
        );
        assert_eq!(
            suppress_column(&[5, 7], true),
            [Cell::Shown(5), Cell::Shown(7)]
        );
        assert_eq!(Cell::Hidden.text(), "<5");
    }

    #[test]
    fn months_are_those_of_paris() {
        // 2026-03-31 23:30 UTC is already April in Paris (summer time, UTC+2).
        assert_eq!(
            month_of(1_775_000_000 - 1_775_000_000 % 86_400 + 84_600),
            "2026-04"
        );
        // 2026-01-31 22:59 UTC is still January (UTC+1); 23:00 is February.
        assert_eq!(month_of(1_769_900_340), "2026-01");
        assert_eq!(month_of(1_769_900_400), "2026-02");
    }

    #[test]
    fn trade_families_follow_the_rome_letter() {
        assert_eq!(trade_family("H2913").1, "Industrie");
        assert_eq!(trade_family("N1103").0, "N");
        assert_eq!(trade_family("").1, "Sans métier");
    }
}
