//! The skills score, the same for ranking jobs for a person and people for a post, with every
//! term of it explained. Pure code: the caller brings the person's skills, the post's needs,
//! what it knows of the items (macro-competence, how many job sheets list them) and the hard
//! filters it checked (bus at shift time, availability, licences).

use crate::offer::{Importance, Level, RequiredItem};
use crate::rome::OgrCode;
use crate::skills::{Evidence, PersonSkill};
use serde::Serialize;

/// What a piece of evidence is worth, 0 to 1: tested > observed > endorsed > self-assessed >
/// declared > suggested from text.
pub fn evidence_weight(e: Evidence, endorsed: bool) -> f64 {
    let w: f64 = match e {
        Evidence::Tested => 1.0,
        Evidence::Observed => 0.9,
        Evidence::SelfAssessed => 0.6,
        Evidence::Declared => 0.5,
        Evidence::Suggested => 0.3,
    };
    if endorsed {
        w.max(0.8)
    } else {
        w
    }
}

/// A must item weighs this many times a nice-to-have one.
pub const MUST_WEIGHT: f64 = 4.0;
/// Partial credit for a sibling item under the same macro-competence.
pub const SIBLING_CREDIT: f64 = 0.35;

/// What the scorer needs to know of an item.
pub trait ItemFacts {
    /// The macro-competence the item belongs to, if any.
    fn macro_of(&self, item: OgrCode) -> Option<OgrCode>;
    /// Share of job sheets that list the item (0 to 1): near 1, it says little about a match.
    fn spread(&self, item: OgrCode) -> f64;
}

/// How one required item was met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Credit {
    /// The person has the item.
    Matched {
        level: Level,
        evidence: Evidence,
        endorsed: bool,
    },
    /// The person has a sibling item under the same macro-competence.
    Sibling {
        via: OgrCode,
        via_label: String,
        evidence: Evidence,
    },
    Missing,
}

/// One term of the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    pub item: OgrCode,
    pub label: String,
    pub importance: Importance,
    pub required: Level,
    pub weight: f64,
    /// 0 to 1.
    pub credit: f64,
    pub how: Credit,
}

/// A hard filter that keeps a post out, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Badge {
    Strong,
    Partial,
    ToDevelop,
}

impl Badge {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Strong => "correspond bien",
            Self::Partial => "correspond en partie",
            Self::ToDevelop => "à développer",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strong => "fort",
            Self::Partial => "partiel",
            Self::ToDevelop => "a_developper",
        }
    }
}

/// The score of a person for a post, with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// 0 to 1.
    pub value: f64,
    /// Share of must items met at least in part.
    pub must_coverage: f64,
    pub badge: Badge,
    pub terms: Vec<Term>,
    pub blockers: Vec<Blocker>,
}

impl Score {
    pub fn eligible(&self) -> bool {
        self.blockers.is_empty()
    }

    /// The explanation in plain words, one sentence per term.
    pub fn reasons_fr(&self) -> Vec<String> {
        let mut out: Vec<String> = self.blockers.iter().map(|b| b.0.clone()).collect();
        for t in &self.terms {
            let need = match t.importance {
                Importance::Must => "demandé",
                Importance::Nice => "apprécié",
            };
            out.push(match &t.how {
                Credit::Matched {
                    level,
                    evidence,
                    endorsed,
                } => format!(
                    "{} ({need}, niveau {}) : niveau {} {}{}",
                    t.label,
                    t.required.get(),
                    level.get(),
                    evidence.label_fr(),
                    if *endorsed { ", attestée" } else { "" }
                ),
                Credit::Sibling {
                    via_label,
                    evidence,
                    ..
                } => format!(
                    "{} ({need}) : pas encore, mais une compétence voisine « {via_label} » ({})",
                    t.label,
                    evidence.label_fr()
                ),
                Credit::Missing => format!("{} ({need}) : manque", t.label),
            });
        }
        out
    }
}

/// Scores a person's skills against a post's needs. `blockers` are the hard filters the caller
/// found failing (they do not change the value, they make the post ineligible).
pub fn score(
    skills: &[PersonSkill],
    needs: &[RequiredItem],
    facts: &dyn ItemFacts,
    blockers: Vec<Blocker>,
) -> Score {
    let mut terms = Vec::with_capacity(needs.len());
    let (mut sum_w, mut sum, mut must, mut must_met) = (0.0, 0.0, 0usize, 0usize);
    for r in needs {
        let importance = match r.importance {
            Importance::Must => MUST_WEIGHT,
            Importance::Nice => 1.0,
        };
        // Items nearly every job sheet lists (a common soft skill) weigh less.
        let weight = importance * (1.0 - 0.6 * facts.spread(r.code).clamp(0.0, 1.0));
        let level_ratio = |l: Level| (f64::from(l.get()) / f64::from(r.level.get())).min(1.0);
        let (credit, how) = match skills.iter().find(|s| s.item == r.code) {
            Some(s) => {
                let endorsed = !s.endorsed_by.is_empty();
                (
                    level_ratio(s.level) * evidence_weight(s.evidence, endorsed),
                    Credit::Matched {
                        level: s.level,
                        evidence: s.evidence,
                        endorsed,
                    },
                )
            }
            None => {
                let mac = facts.macro_of(r.code);
                let sibling = mac.and_then(|m| {
                    skills
                        .iter()
                        .filter(|s| facts.macro_of(s.item) == Some(m))
                        .map(|s| {
                            let c = SIBLING_CREDIT
                                * level_ratio(s.level)
                                * evidence_weight(s.evidence, !s.endorsed_by.is_empty());
                            (c, s)
                        })
                        .max_by(|a, b| a.0.total_cmp(&b.0))
                });
                match sibling {
                    Some((c, s)) => (
                        c,
                        Credit::Sibling {
                            via: s.item,
                            via_label: s.label.clone(),
                            evidence: s.evidence,
                        },
                    ),
                    None => (0.0, Credit::Missing),
                }
            }
        };
        sum_w += weight;
        sum += weight * credit;
        if r.importance == Importance::Must {
            must += 1;
            if credit >= 0.25 {
                must_met += 1;
            }
        }
        terms.push(Term {
            item: r.code,
            label: r.label.clone(),
            importance: r.importance,
            required: r.level,
            weight,
            credit,
            how,
        });
    }
    let value = if sum_w > 0.0 { sum / sum_w } else { 0.0 };
    let must_coverage = if must > 0 {
        must_met as f64 / must as f64
    } else {
        1.0
    };
    let badge = if value >= 0.55 && must_coverage >= 0.999 {
        Badge::Strong
    } else if value >= 0.25 {
        Badge::Partial
    } else {
        Badge::ToDevelop
    };
    // Must items first, then what is met before what is missing.
    terms.sort_by(|a, b| {
        (a.importance != Importance::Must)
            .cmp(&(b.importance != Importance::Must))
            .then(b.credit.total_cmp(&a.credit))
            .then(a.label.cmp(&b.label))
    });
    Score {
        value,
        must_coverage,
        badge,
        terms,
        blockers,
    }
}

/// Licences and certificates a post requires (CACES, driving licence, electrical clearance…),
/// read from its required knowledge items: they are hard filters.
pub fn required_certificates(needs: &[RequiredItem]) -> Vec<&RequiredItem> {
    needs
        .iter()
        .filter(|r| r.importance == Importance::Must)
        .filter(|r| {
            let l = crate::text::fold(&r.label);
            [
                "caces",
                "permis",
                "habilitation",
                "certificat",
                "qualification soudage",
            ]
            .iter()
            .any(|k| l.contains(k))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rome::ItemKind;

    struct Facts;
    impl ItemFacts for Facts {
        fn macro_of(&self, item: OgrCode) -> Option<OgrCode> {
            match item.0 {
                1 | 2 => Some(OgrCode(100)),
                _ => None,
            }
        }
        fn spread(&self, item: OgrCode) -> f64 {
            if item.0 == 9 {
                0.95
            } else {
                0.05
            }
        }
    }

    fn need(code: i64, level: u8, importance: Importance) -> RequiredItem {
        RequiredItem {
            code: OgrCode(code),
            kind: ItemKind::SavoirFaire,
            label: format!("item {code}"),
            level: Level::new(level).unwrap(),
            importance,
        }
    }

    fn has(code: i64, level: u8, evidence: Evidence) -> PersonSkill {
        PersonSkill {
            item: OgrCode(code),
            label: format!("item {code}"),
            level: Level::new(level).unwrap(),
            evidence,
            endorsed_by: vec![],
            pieces: vec![],
        }
    }

    #[test]
    fn evidence_ranks_as_the_rules_say() {
        let order = [
            evidence_weight(Evidence::Tested, false),
            evidence_weight(Evidence::Observed, false),
            evidence_weight(Evidence::Declared, true),
            evidence_weight(Evidence::SelfAssessed, false),
            evidence_weight(Evidence::Declared, false),
            evidence_weight(Evidence::Suggested, false),
        ];
        assert!(order.windows(2).all(|w| w[0] > w[1]), "{order:?}");
    }

    #[test]
    fn must_items_weigh_far_more_and_tested_beats_declared() {
        let needs = [need(1, 2, Importance::Must), need(3, 2, Importance::Nice)];
        let a = score(&[has(1, 2, Evidence::Tested)], &needs, &Facts, vec![]);
        let b = score(&[has(3, 2, Evidence::Tested)], &needs, &Facts, vec![]);
        assert!(a.value > 0.75 && b.value < 0.25, "{} {}", a.value, b.value);
        let c = score(&[has(1, 2, Evidence::Declared)], &needs, &Facts, vec![]);
        assert!(a.value > c.value);
        assert_eq!(a.badge, Badge::Strong);
        assert_eq!(b.must_coverage, 0.0);
    }

    #[test]
    fn a_sibling_gives_partial_credit_and_common_items_weigh_less() {
        let needs = [need(1, 2, Importance::Must)];
        let s = score(&[has(2, 2, Evidence::Tested)], &needs, &Facts, vec![]);
        assert!(s.value > 0.0 && s.value < 0.5, "{}", s.value);
        assert!(matches!(s.terms[0].how, Credit::Sibling { .. }));
        assert!(s.reasons_fr()[0].contains("voisine"));
        let common = score(&[], &[need(9, 2, Importance::Must)], &Facts, vec![]);
        let specific = score(&[], &[need(3, 2, Importance::Must)], &Facts, vec![]);
        assert!(common.terms[0].weight < specific.terms[0].weight / 2.0);
        let low = score(
            &[has(1, 1, Evidence::Tested)],
            &[need(1, 4, Importance::Must)],
            &Facts,
            vec![],
        );
        assert!((low.value - 0.25).abs() < 1e-9, "level 1 of 4: a quarter");
    }

    #[test]
    fn blockers_make_a_post_ineligible_and_are_said_first() {
        let s = score(
            &[has(1, 2, Evidence::Tested)],
            &[need(1, 2, Importance::Must)],
            &Facts,
            vec![Blocker("Pas de bus avant 5h00".into())],
        );
        assert!(!s.eligible());
        assert_eq!(s.reasons_fr()[0], "Pas de bus avant 5h00");
    }

    #[test]
    fn certificates_are_found_in_the_needs() {
        let mut caces = need(7, 2, Importance::Must);
        caces.label = "CACES R489 catégorie 3".into();
        let needs = [caces, need(1, 2, Importance::Must)];
        assert_eq!(required_certificates(&needs).len(), 1);
    }
}

/// Where an introduction (mise en relation) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum IntroStatus {
    Suggested,
    Discussed,
    Agreed,
    Sent,
    Interview,
    Hired,
    NotHired,
    Withdrawn,
}

impl IntroStatus {
    pub const ALL: [IntroStatus; 8] = [
        Self::Suggested,
        Self::Discussed,
        Self::Agreed,
        Self::Sent,
        Self::Interview,
        Self::Hired,
        Self::NotHired,
        Self::Withdrawn,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suggested => "suggested",
            Self::Discussed => "discussed",
            Self::Agreed => "agreed",
            Self::Sent => "sent",
            Self::Interview => "interview",
            Self::Hired => "hired",
            Self::NotHired => "not_hired",
            Self::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| format!("« {s} » n'est pas une étape de mise en relation."))
    }
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Suggested => "proposée",
            Self::Discussed => "discutée avec la personne",
            Self::Agreed => "la personne est d'accord",
            Self::Sent => "envoyée à l'entreprise",
            Self::Interview => "entretien fixé",
            Self::Hired => "embauche",
            Self::NotHired => "pas d'embauche",
            Self::Withdrawn => "abandonnée",
        }
    }
    /// The steps that may follow this one.
    pub fn next(self) -> &'static [IntroStatus] {
        use IntroStatus::*;
        match self {
            Suggested => &[Discussed, Withdrawn],
            Discussed => &[Agreed, Withdrawn],
            Agreed => &[Sent, Withdrawn],
            Sent => &[Interview, NotHired, Withdrawn],
            Interview => &[Hired, NotHired, Withdrawn],
            Hired | NotHired | Withdrawn => &[],
        }
    }
    pub fn can_become(self, to: IntroStatus) -> bool {
        self.next().contains(&to)
    }
    /// Days allowed in this step before a reminder; twice that and it expires.
    pub fn deadline_days(self) -> Option<i64> {
        match self {
            Self::Suggested | Self::Discussed => Some(7),
            Self::Agreed => Some(3),
            Self::Sent => Some(10),
            Self::Interview => Some(14),
            _ => None,
        }
    }
    /// From this step on, the employer sees the person (who agreed).
    pub fn employer_sees(self) -> bool {
        matches!(
            self,
            Self::Sent | Self::Interview | Self::Hired | Self::NotHired
        )
    }
}

/// Why a person was not hired (chosen from a list).
pub const NOT_HIRED_REASONS: [&str; 6] = [
    "Compétences insuffisantes pour le poste",
    "Absence à l'entretien",
    "Poste pourvu par quelqu'un d'autre",
    "La personne a refusé",
    "Horaires ou trajet impossibles",
    "Autre",
];

#[cfg(test)]
mod intro_tests {
    use super::IntroStatus::*;

    #[test]
    fn the_workflow_goes_forward_only() {
        assert!(Suggested.can_become(Discussed));
        assert!(
            !Suggested.can_become(Sent),
            "not sent before the person agrees"
        );
        assert!(Interview.can_become(Hired));
        assert!(Hired.next().is_empty());
        assert!(!Agreed.employer_sees() && Sent.employer_sees());
        for s in super::IntroStatus::ALL {
            assert_eq!(super::IntroStatus::parse(s.as_str()), Ok(s));
        }
    }
}
