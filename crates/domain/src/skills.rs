//! Skills and the evidence behind them: what an advisor records of a person, the tests and
//! observed activities that prove skills, and the MRS habiletés with their crosswalk to ROME.

use crate::offer::OfferId;
use crate::offer::{Days, Level, ShiftPeriod};
use crate::privacy::PersonId;
use crate::rome::OgrCode;
use crate::ValidationError;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// How a skill is known, weakest first. An endorsement by a third party is recorded beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Suggested from a sentence, not confirmed yet.
    Suggested,
    /// Said by the person to an advisor.
    Declared,
    /// From the person's own assessment (the soft-skills questionnaire).
    #[serde(rename = "self")]
    SelfAssessed,
    /// Seen by a tutor (Job Labo, immersion).
    Observed,
    /// Measured by a test.
    Tested,
}

impl Evidence {
    /// Every kind of evidence, strongest last.
    pub const ALL: [Evidence; 5] = [
        Self::Suggested,
        Self::Declared,
        Self::SelfAssessed,
        Self::Observed,
        Self::Tested,
    ];
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suggested => "suggested",
            Self::Declared => "declared",
            Self::SelfAssessed => "self",
            Self::Observed => "observed",
            Self::Tested => "tested",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim())
            .ok_or_else(|| format!("« {s} » n'est pas une source de compétence connue."))
    }
    /// The evidence in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Suggested => "suggérée (à confirmer)",
            Self::Declared => "déclarée",
            Self::SelfAssessed => "auto-évaluée",
            Self::Observed => "observée",
            Self::Tested => "testée",
        }
    }
}

/// How a person gets to work. Stored as a comma list of [`Mobility::WORDS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mobility {
    /// Holds a driving licence.
    pub licence: bool,
    /// Has a car.
    pub car: bool,
    /// Has a bicycle or a motorbike.
    pub two_wheels: bool,
    /// Takes the bus.
    pub bus: bool,
}

impl Mobility {
    /// The stored words and their labels.
    pub const WORDS: [(&'static str, &'static str); 4] = [
        ("permis", "Permis B"),
        ("voiture", "Voiture à disposition"),
        ("deux_roues", "Vélo, scooter ou moto"),
        ("bus", "Bus et transports en commun"),
    ];
    /// Reads stored words separated by commas.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut m = Self::default();
        for w in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match w {
                "permis" => m.licence = true,
                "voiture" => m.car = true,
                "deux_roues" => m.two_wheels = true,
                "bus" => m.bus = true,
                _ => return Err(format!("« {w} » n'est pas un moyen de déplacement connu.")),
            }
        }
        Ok(m)
    }
    /// The stored words, comma-separated.
    pub fn to_words(self) -> String {
        let flags = [self.licence, self.car, self.two_wheels, self.bus];
        Self::WORDS
            .iter()
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|((w, _), _)| *w)
            .collect::<Vec<_>>()
            .join(",")
    }
    /// Whether a stored word is included.
    pub fn has(self, word: &str) -> bool {
        self.to_words().split(',').any(|w| w == word)
    }
    /// "Bus et transports en commun, Permis B", or "Non renseigné".
    pub fn describe_fr(self) -> String {
        let words = self.to_words();
        let labels: Vec<&str> = Self::WORDS
            .iter()
            .filter(|(w, _)| words.split(',').any(|x| x == *w))
            .map(|(_, l)| *l)
            .collect();
        if labels.is_empty() {
            "Non renseigné".into()
        } else {
            labels.join(", ")
        }
    }
}

/// Shift periods as a set of [`ShiftPeriod::bit`]s.
pub fn periods_from_bits(bits: i64) -> Vec<ShiftPeriod> {
    ShiftPeriod::ALL
        .into_iter()
        .filter(|p| bits & p.bit() != 0)
        .collect()
}

/// What an advisor records of a person beyond the contact fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonProfile {
    /// Whose profile.
    pub person_id: PersonId,
    /// Last name.
    pub last_name: String,
    /// The commune lived in.
    pub commune: String,
    /// The neighbourhood lived in, if known.
    pub neighbourhood_id: Option<i64>,
    /// Lives in a priority neighbourhood (QPV).
    pub qpv: bool,
    /// How the person gets around.
    pub mobility: Mobility,
    /// Days the person can work.
    pub days: Days,
    /// Shift periods the person can work (bits of [`ShiftPeriod`]).
    pub periods: i64,
    /// Childcare, health, housing… in the advisor's words.
    pub constraints: String,
    /// The advisor's notes.
    pub notes: String,
    /// Last change, Unix seconds.
    pub updated_at: i64,
    /// Age band and gender, only when the person agreed to give them for the figures.
    pub age_band: Option<String>,
    /// Gender, if the person agreed to give it.
    pub gender: Option<String>,
}

/// A person's record as an advisor types it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonInput {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Phone, normalised.
    pub phone: Option<String>,
    /// E-mail, lower case.
    pub email: Option<String>,
    /// The commune lived in.
    pub commune: String,
    /// The neighbourhood, if chosen.
    pub neighbourhood_id: Option<i64>,
    /// Lives in a QPV.
    pub qpv: bool,
    /// How the person gets around.
    pub mobility: Mobility,
    /// Days the person can work.
    pub days: Days,
    /// Shift periods the person accepts (bits of `ShiftPeriod::bit`).
    pub periods: i64,
    /// Constraints in the person's words.
    pub constraints: String,
    /// The advisor's notes.
    pub notes: String,
    /// How the person first heard of the programme (a channel code of `impact::ORIGINS`).
    pub origin: String,
    /// Only with the person's agreement to give them for the figures.
    pub age_band: Option<String>,
    /// Gender, if the person agreed to give it.
    pub gender: Option<String>,
}

/// The version of the sentence read to a person before noting their age band and gender.
pub const STATS_CONSENT_VERSION: &str = "statistiques-2026-11";
/// The consent to give age band and gender.
pub const STATS_CONSENT_TEXT: &str = "La personne accepte de donner sa tranche d'âge et son genre pour les statistiques du programme (jamais publiés pour moins de 5 personnes).";
/// The person form as posted (French field names).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    /// First name.
    pub prenom: String,
    /// Last name.
    pub nom: String,
    /// Phone.
    pub telephone: String,
    /// E-mail.
    pub email: String,
    /// Commune.
    pub commune: String,
    /// Neighbourhood's number.
    pub quartier: String,
    /// "oui" when in a QPV.
    pub qpv: String,
    /// Mobility words ticked.
    pub mobilite: Vec<String>,
    /// Day numbers ticked.
    pub jours: Vec<String>,
    /// Shift periods ticked.
    pub horaires: Vec<String>,
    /// Constraints.
    pub contraintes: String,
    /// Notes.
    pub notes: String,
    /// "oui" when the person agreed to be followed (asked when the record is created).
    pub consentement: String,
    /// How the person first heard of the programme; empty means an advisor's welcome.
    pub origine: String,
    /// Age band chosen.
    pub tranche_age: String,
    /// Gender chosen.
    pub genre: String,
    /// "oui" when the person agreed to give age band and gender for the figures.
    pub accord_stats: String,
}

fn short_text(errs: &mut ValidationError, field: &str, v: &str, max: usize, what: &str) -> String {
    let t = v.trim();
    if t.chars().count() > max {
        errs.push(field, format!("{what} : {max} caractères au plus."));
    }
    t.to_string()
}

impl PersonForm {
    /// Checks the fields; `qpv_of` tells whether a known neighbourhood is a priority one.
    pub fn validate(
        &self,
        qpv_of: impl Fn(i64) -> Option<bool>,
    ) -> Result<PersonInput, ValidationError> {
        let mut errs = ValidationError::default();
        let first_name = short_text(&mut errs, "prenom", &self.prenom, 80, "Prénom");
        if first_name.is_empty() {
            errs.push("prenom", "Indiquez le prénom.");
        }
        let last_name = short_text(&mut errs, "nom", &self.nom, 80, "Nom");
        let phone = match self.telephone.trim() {
            "" => None,
            p => errs.check("telephone", crate::interest::normalize_phone(p)),
        };
        let email = match self.email.trim() {
            "" => None,
            e => errs.check("email", crate::interest::normalize_email(e)),
        };
        let commune = short_text(&mut errs, "commune", &self.commune, 80, "Commune");
        let neighbourhood_id = match self.quartier.trim() {
            "" => None,
            q => match q.parse::<i64>().ok().filter(|id| qpv_of(*id).is_some()) {
                Some(id) => Some(id),
                None => {
                    errs.push("quartier", "Choisissez un quartier de la liste, ou aucun.");
                    None
                }
            },
        };
        let qpv = match neighbourhood_id.and_then(&qpv_of) {
            Some(q) => q,
            None => matches!(self.qpv.as_str(), "oui" | "on" | "1"),
        };
        let mobility = errs
            .check("mobilite", Mobility::parse(&self.mobilite.join(",")))
            .unwrap_or_default();
        let mut day_bits = 0u8;
        for d in &self.jours {
            match d.parse::<u8>() {
                Ok(i) if i < 7 => day_bits |= 1 << i,
                _ => errs.push("jours", format!("« {d} » n'est pas un jour.")),
            }
        }
        let days = if day_bits == 0 {
            Days::ALL
        } else {
            Days::from_bits(day_bits).unwrap_or(Days::ALL)
        };
        let mut periods = 0i64;
        for h in &self.horaires {
            match ShiftPeriod::parse(h) {
                Some(p) => periods |= p.bit(),
                None => errs.push("horaires", format!("« {h} » n'est pas un horaire connu.")),
            }
        }
        let constraints = short_text(
            &mut errs,
            "contraintes",
            &self.contraintes,
            1000,
            "Contraintes",
        );
        let notes = short_text(&mut errs, "notes", &self.notes, 2000, "Notes");
        let origin = match self.origine.trim() {
            "" => "conseiller".to_string(),
            o if crate::impact::ORIGINS.contains(&o) => o.to_string(),
            _ => {
                errs.push(
                    "origine",
                    "Choisissez dans la liste comment la personne nous a connus.",
                );
                String::new()
            }
        };
        let pick =
            |errs: &mut ValidationError, field: &str, v: &str, table: &[(&str, &str)]| match v
                .trim()
            {
                "" => None,
                v if table.iter().any(|(c, _)| *c == v) => Some(v.to_string()),
                _ => {
                    errs.push(field, "Choisissez dans la liste, ou laissez vide.");
                    None
                }
            };
        let age_band = pick(
            &mut errs,
            "tranche_age",
            &self.tranche_age,
            &crate::impact::AGE_BANDS,
        );
        let gender = pick(&mut errs, "genre", &self.genre, &crate::impact::GENDERS);
        let stats_ok = matches!(self.accord_stats.as_str(), "oui" | "on" | "1");
        if (age_band.is_some() || gender.is_some()) && !stats_ok {
            errs.push(
                "accord_stats",
                "L'âge et le genre ne se notent qu'avec l'accord de la personne : cochez la case, ou laissez-les vides.",
            );
        }
        errs.into_result()?;
        Ok(PersonInput {
            first_name,
            last_name,
            phone,
            email,
            commune,
            neighbourhood_id,
            qpv,
            mobility,
            days,
            periods,
            constraints,
            notes,
            origin,
            age_band,
            gender,
        })
    }
}

/// A neighbourhood people live in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbourhood {
    /// Its number.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its commune.
    pub commune: String,
    /// The commune's INSEE code.
    pub insee: String,
    /// A priority neighbourhood (QPV).
    pub qpv: bool,
    /// Latitude of its representative point.
    pub lat: f64,
    /// Longitude of its representative point.
    pub lon: f64,
    /// A demo neighbourhood.
    pub fictional: bool,
}

/// One step of a person's path, shown in their timeline and counted in the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyEvent {
    /// Its number.
    pub id: i64,
    /// Whose path.
    pub person_id: PersonId,
    /// When, Unix seconds.
    pub at: i64,
    /// interest, test, immersion, job_labo, questionnaire, endorsement, skill, record…
    pub kind: String,
    /// Where it came from (site, ecran, conseiller, questionnaire…).
    pub channel: String,
    /// What happened, in words.
    pub summary: String,
    /// What it refers to ("test_session:3").
    pub reference: String,
    /// Who recorded it, in words.
    pub actor: String,
    /// The funnel stage this step counts as (`impact::Stage::as_str`), or "".
    pub stage: String,
    /// The offer it is about, if any.
    pub offer_id: Option<OfferId>,
    /// The bus-screen display it came from (an impression code), if any.
    pub impression: Option<String>,
}

/// One piece of evidence of a skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillEvidence {
    /// Its number.
    pub id: i64,
    /// Whose skill.
    pub person_id: PersonId,
    /// The item.
    pub item: OgrCode,
    /// The level shown.
    pub level: Level,
    /// How it is known.
    pub evidence: Evidence,
    /// What it came from, in words ("Test « Soudure TIG », 12/03/2027").
    pub source: String,
    /// Who recorded it, in words.
    pub recorded_by: String,
    /// When, Unix seconds.
    pub at: i64,
}

/// A person's skill: the strongest evidence, every piece of it, and endorsements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSkill {
    /// The item.
    pub item: OgrCode,
    /// Its label.
    pub label: String,
    /// The strongest level shown.
    pub level: Level,
    /// The strongest evidence.
    pub evidence: Evidence,
    /// (name, role) of whoever endorsed it.
    pub endorsed_by: Vec<(String, String)>,
    /// Every piece of evidence.
    pub pieces: Vec<SkillEvidence>,
}

/// Groups evidence by item: the strongest evidence (then the latest) gives level and kind.
pub fn summarise(
    pieces: Vec<SkillEvidence>,
    endorsements: &[(OgrCode, String, String)],
    label_of: impl Fn(OgrCode) -> String,
) -> Vec<PersonSkill> {
    let mut by_item: std::collections::BTreeMap<i64, Vec<SkillEvidence>> = Default::default();
    for p in pieces {
        by_item.entry(p.item.0).or_default().push(p);
    }
    let mut out: Vec<PersonSkill> = by_item
        .into_iter()
        .filter_map(|(code, mut v)| {
            v.sort_by_key(|p| std::cmp::Reverse((p.evidence, p.at)));
            let best = v.first()?.clone();
            Some(PersonSkill {
                item: OgrCode(code),
                label: label_of(OgrCode(code)),
                level: best.level,
                evidence: best.evidence,
                endorsed_by: endorsements
                    .iter()
                    .filter(|(i, _, _)| i.0 == code)
                    .map(|(_, n, r)| (n.clone(), r.clone()))
                    .collect(),
                pieces: v,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (b.evidence, b.level)
            .cmp(&(a.evidence, a.level))
            .then(a.label.cmp(&b.label))
    });
    out
}

/// One of the 17 MRS habiletés, with the ROME savoir-être it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Habilete {
    /// Its number (1 to 14).
    pub number: u8,
    /// Its label.
    pub label: String,
    /// ROME items it stands for.
    pub rome_items: Vec<OgrCode>,
}

/// The habiletés and their crosswalk, read from `data/habiletes.csv` (reviewable data).
pub fn habiletes() -> &'static [Habilete] {
    static LIST: OnceLock<Vec<Habilete>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/habiletes.csv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("numero") && !l.trim().is_empty())
            .filter_map(|l| {
                let mut f = l.split(';');
                let number = f.next()?.trim().parse().ok()?;
                let label = f.next()?.trim().to_string();
                let rome_items = f
                    .next()?
                    .split_whitespace()
                    .filter_map(|c| OgrCode::parse(c).ok())
                    .collect();
                Some(Habilete {
                    number,
                    label,
                    rome_items,
                })
            })
            .collect()
    })
}

/// What a test assesses: a ROME item, or an MRS habileté.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TestTarget {
    /// A ROME item.
    Rome(OgrCode),
    /// One of the 14 habiletés (by number).
    Habilete(u8),
}

impl TestTarget {
    /// "ogr:100023" or "mrs:7".
    pub fn as_key(self) -> String {
        match self {
            Self::Rome(c) => format!("ogr:{}", c.0),
            Self::Habilete(n) => format!("mrs:{n}"),
        }
    }
    /// Reads a key (`rome:123`, `habilete:4`).
    pub fn parse_key(s: &str) -> Result<Self, String> {
        let bad = || format!("« {s} » : il faut ogr:CODE ou mrs:NUMÉRO (1 à 17).");
        match s.trim().split_once(':') {
            Some(("ogr", c)) => OgrCode::parse(c).map(Self::Rome).map_err(|_| bad()),
            Some(("mrs", n)) => match n.parse::<u8>() {
                Ok(n) if habiletes().iter().any(|h| h.number == n) => Ok(Self::Habilete(n)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
    /// The ROME items a result on this target is evidence of.
    pub fn rome_items(self) -> Vec<OgrCode> {
        match self {
            Self::Rome(c) => vec![c],
            Self::Habilete(n) => habiletes()
                .iter()
                .find(|h| h.number == n)
                .map(|h| h.rome_items.clone())
                .unwrap_or_default(),
        }
    }
}

/// How a test is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Done with real tools.
    Practical,
    /// Done on a simulator or in VR.
    Simulation,
    /// Questions.
    Quiz,
}

impl Modality {
    /// Every modality.
    pub const ALL: [Modality; 3] = [Self::Practical, Self::Simulation, Self::Quiz];
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Practical => "practical",
            Self::Simulation => "simulation",
            Self::Quiz => "quiz",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                "Choisissez : mise en situation pratique, simulation ou questionnaire.".into()
            })
    }
    /// The modality in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Practical => "mise en situation pratique",
            Self::Simulation => "simulation",
            Self::Quiz => "questionnaire",
        }
    }
}

/// One assessed item of a test, with what levels 1 to 4 look like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestItem {
    /// What is assessed.
    pub target: TestTarget,
    /// Its label.
    pub label: String,
    /// What each level looks like (1 to 4).
    pub rubric: [String; 4],
}

/// A test of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillTest {
    /// Its number.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// How it is done.
    pub modality: Modality,
    /// Length in minutes.
    pub duration_min: u32,
    /// Places per session.
    pub capacity: u32,
    /// What it assesses.
    pub items: Vec<TestItem>,
    /// The employers who use it.
    pub employers: Vec<i64>,
}

/// A person's observed activity: a Job Labo session or the week of immersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A Job Labo workshop.
    JobLabo,
    /// A week's immersion at a training worksite.
    Immersion,
}

impl ActivityKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JobLabo => "job_labo",
            Self::Immersion => "immersion",
        }
    }
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "job_labo" => Ok(Self::JobLabo),
            "immersion" => Ok(Self::Immersion),
            _ => Err("Choisissez Job Labo ou immersion.".into()),
        }
    }
    /// The kind in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::JobLabo => "Job Labo",
            Self::Immersion => "Immersion au chantier-école",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_ordered_weakest_first() {
        assert!(Evidence::Tested > Evidence::Observed);
        assert!(Evidence::Observed > Evidence::SelfAssessed);
        assert!(Evidence::SelfAssessed > Evidence::Declared);
        assert!(Evidence::Declared > Evidence::Suggested);
        for e in Evidence::ALL {
            assert_eq!(Evidence::parse(e.as_str()), Ok(e));
        }
        assert!(Evidence::parse("rumeur").is_err());
    }

    #[test]
    fn seventeen_habiletes_each_with_rome_items() {
        let h = habiletes();
        assert_eq!(h.len(), 17);
        assert!(h.iter().all(|x| !x.rome_items.is_empty()));
        assert_eq!(h[6].label, "Travailler en équipe");
        assert_eq!(TestTarget::parse_key("mrs:7"), Ok(TestTarget::Habilete(7)));
        assert_eq!(TestTarget::Habilete(7).rome_items(), vec![OgrCode(300465)]);
        assert!(TestTarget::parse_key("mrs:18").is_err());
        assert_eq!(
            TestTarget::parse_key("ogr:100023"),
            Ok(TestTarget::Rome(OgrCode(100023)))
        );
        assert!(TestTarget::parse_key("100023").is_err());
    }

    #[test]
    fn mobility_round_trips() {
        let m = Mobility::parse("bus,permis").unwrap();
        assert!(m.bus && m.licence && !m.car);
        assert_eq!(m.to_words(), "permis,bus");
        assert!(Mobility::parse("fusée").is_err());
        assert_eq!(Mobility::default().describe_fr(), "Non renseigné");
    }

    #[test]
    fn strongest_evidence_wins() {
        let piece = |id, ev, level, at| SkillEvidence {
            id,
            person_id: PersonId(1),
            item: OgrCode(300465),
            level: Level::new(level).unwrap(),
            evidence: ev,
            source: String::new(),
            recorded_by: String::new(),
            at,
        };
        let s = summarise(
            vec![
                piece(1, Evidence::Declared, 4, 30),
                piece(2, Evidence::Observed, 2, 10),
                piece(3, Evidence::Observed, 3, 20),
            ],
            &[(OgrCode(300465), "Karim".into(), "coach".into())],
            |_| "Avoir l'esprit d'équipe".into(),
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].evidence, Evidence::Observed);
        assert_eq!(s[0].level.get(), 3, "the latest of the strongest");
        assert_eq!(s[0].endorsed_by.len(), 1);
        assert_eq!(s[0].pieces.len(), 3);
    }

    #[test]
    fn the_record_form_is_checked() {
        let f = PersonForm {
            prenom: "Inès".into(),
            telephone: "06 12 34 56 78".into(),
            quartier: "3".into(),
            mobilite: vec!["bus".into()],
            jours: vec!["0".into(), "1".into()],
            horaires: vec!["tot".into()],
            ..Default::default()
        };
        let p = f.validate(|id| (id == 3).then_some(true)).unwrap();
        assert!(p.qpv, "from the neighbourhood");
        assert_eq!(p.days.bits(), 0b11);
        assert_eq!(p.periods, ShiftPeriod::Early.bit());
        let bad = PersonForm {
            quartier: "99".into(),
            email: "pas-un-mail".into(),
            jours: vec!["9".into()],
            ..Default::default()
        };
        let e = bad.validate(|_| None).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["prenom", "email", "quartier", "jours"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }
}
