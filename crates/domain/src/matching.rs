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

/// A must item weighs this many times a nice-to-have one in the post's needs.
pub const MUST_WEIGHT: f64 = 1.5;
/// Partial credit for a sibling item under the same macro-competence.
pub const SIBLING_CREDIT: f64 = 0.1;
/// The share of a post's needs (weighted) a person must meet, every must included, for the
/// badge "correspond bien".
pub const STRONG_COVERAGE: f64 = 0.4;

/// How much an item tells about a match, from the share of job sheets that list it: the log of
/// its inverse (an item of one sheet in 1,500 weighs about 7.3, one of every sheet 0.1).
pub fn rarity(spread: f64) -> f64 {
    let s = if spread.is_finite() { spread } else { 1.0 };
    (1.0 / s.clamp(1.0 / 2000.0, 1.0)).ln().max(0.1)
}

/// The weight of one of a post's needs: its importance times the square root of its rarity.
pub fn need_weight(importance: Importance, spread: f64) -> f64 {
    let importance = match importance {
        Importance::Must => MUST_WEIGHT,
        Importance::Nice => 1.0,
    };
    importance * rarity(spread).sqrt()
}

/// The weight of one of a person's skills: how it is known times the item's rarity.
pub fn skill_weight(evidence: f64, spread: f64) -> f64 {
    evidence * rarity(spread)
}

/// A post proposed to this many people ranks as if its value were halved.
pub const CROWDING_HALF: f64 = 5.0;

/// What a ranking multiplies a value by when the post (or the person) already has `open`
/// proposals in course (introductions not ended, call-back requests waiting): 1 for none,
/// 1/2 at [`CROWDING_HALF`], 1/3 at twice that. The shown value does not change; the order
/// does, so that one good post is not proposed to everyone.
pub fn crowding(open: u32) -> f64 {
    1.0 / (1.0 + f64::from(open) / CROWDING_HALF)
}

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
        /// The person's level.
        level: Level,
        /// How it is known.
        evidence: Evidence,
        /// Whether someone vouched for it.
        endorsed: bool,
    },
    /// The person has a sibling item under the same macro-competence.
    Sibling {
        /// The item the person has.
        via: OgrCode,
        /// Its label.
        via_label: String,
        /// How it is known.
        evidence: Evidence,
    },
    /// The person does not have it.
    Missing,
}

/// One term of the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// The item required.
    pub item: OgrCode,
    /// Its label.
    pub label: String,
    /// Must or nice.
    pub importance: Importance,
    /// The level the post needs.
    pub required: Level,
    /// The need's weight in the post (importance and rarity).
    pub weight: f64,
    /// How far the person meets it, 0 to 1 (level reached times how it is known).
    pub credit: f64,
    /// What the term adds to the score: the terms add up to [`Score::value`].
    pub points: f64,
    /// How the person meets it.
    pub how: Credit,
}

/// A hard filter that keeps a post out, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker(pub String);

/// How well a person fits a post, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Badge {
    /// Meets the needs.
    Strong,
    /// Meets part of them.
    Partial,
    /// Much to learn.
    ToDevelop,
}

impl Badge {
    /// The badge in words.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Strong => "correspond bien",
            Self::Partial => "correspond en partie",
            Self::ToDevelop => "à développer",
        }
    }
    /// The stored word.
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
    /// 0 to 1: the ranking value, the sum of the terms' points.
    pub value: f64,
    /// Share of the post's needs the person meets, weighted, 0 to 1 (gives the badge).
    pub coverage: f64,
    /// Share of must items met at least in part.
    pub must_coverage: f64,
    /// The badge.
    pub badge: Badge,
    /// One term per required item.
    pub terms: Vec<Term>,
    /// What stops the introduction (a must-item missing, no bus at shift time…).
    pub blockers: Vec<Blocker>,
}

impl Score {
    /// Whether nothing blocks.
    pub fn eligible(&self) -> bool {
        self.blockers.is_empty()
    }

    /// The explanation in plain words, one sentence per term.
    pub fn reasons_fr(&self) -> Vec<String> {
        let mut out: Vec<String> = self.blockers.iter().map(|b| b.0.clone()).collect();
        if self.terms.is_empty() {
            out.push(
                "Les compétences de ce poste ne sont pas encore décrites : le score ne dit rien."
                    .into(),
            );
        }
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
            if t.points > 0.0 {
                if let Some(line) = out.last_mut() {
                    line.push_str(&format!(" – {}", points_fr(t.points)));
                }
            }
        }
        if !self.terms.is_empty() {
            out.push(format!(
                "Total : {} sur 100 (plus le poste utilise ce que la personne sait faire, plus il monte).",
                points_fr(self.value)
            ));
        }
        out
    }
}

/// The norm of a person's skills as the score sees them (0 without skills).
fn person_norm(skills: &[PersonSkill], facts: &dyn ItemFacts) -> f64 {
    skills
        .iter()
        .map(|s| {
            let w = skill_weight(
                evidence_weight(s.evidence, !s.endorsed_by.is_empty()),
                facts.spread(s.item),
            );
            w * w
        })
        .sum::<f64>()
        .sqrt()
}

/// The value from the terms' raw sum and the two norms: a cosine between the post's needs and
/// the person's skills, at most 1.
fn value_of(raw: f64, post_norm: f64, person_norm: f64) -> f64 {
    let norm = post_norm * person_norm;
    if norm > 0.0 {
        (raw / norm).min(1.0)
    } else {
        0.0
    }
}

/// A share of the value as points out of 100, one decimal, with a French decimal comma.
fn points_fr(share: f64) -> String {
    format!("{:.1} points", share * 100.0).replace('.', ",")
}

/// "1 chose", "3 choses".
fn count_fr(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "A", "A et B", "A, B et C"; beyond three, "A, B, C et d'autres".
fn list_fr(labels: &[&str]) -> String {
    match labels {
        [] => String::new(),
        [a] => (*a).to_string(),
        [rest @ .., last] if labels.len() <= 3 => format!("{} et {last}", rest.join(", ")),
        _ => format!("{} et d'autres", labels[..3].join(", ")),
    }
}

impl Score {
    /// Why the post is proposed, in short plain sentences (in the spirit of FALC, "facile à
    /// lire et à comprendre"): what is already known, what is close, what is missing.
    /// `you`: said to the person ("vous"); otherwise said about them ("la personne").
    pub fn plain_fr(&self, you: bool) -> Vec<String> {
        let (who, knows, is_close) = if you {
            ("Vous", "savez", "Vous savez faire")
        } else {
            ("La personne", "sait", "Elle sait faire")
        };
        let mut out = Vec::new();
        let n = self.terms.len();
        if n == 0 {
            out.push("Ce poste ne dit pas encore ce qu'il demande.".to_string());
            return out;
        }
        let met = self
            .terms
            .iter()
            .filter(|t| matches!(t.how, Credit::Matched { .. }))
            .count();
        out.push(match met {
            0 => format!("{who} ne {knows} pas encore faire les choses demandées."),
            m if m == n => format!("{who} {knows} déjà faire toutes les choses demandées ({n})."),
            m => format!("{who} {knows} déjà faire {m} des {n} choses demandées."),
        });
        let close = self
            .terms
            .iter()
            .filter(|t| matches!(t.how, Credit::Sibling { .. }))
            .count();
        if close > 0 {
            out.push(format!(
                "{is_close} des choses proches pour {}.",
                count_fr(close, "autre", "autres")
            ));
        }
        let missing = |importance: Importance| -> Vec<&str> {
            self.terms
                .iter()
                .filter(|t| t.importance == importance && matches!(t.how, Credit::Missing))
                .map(|t| t.label.as_str())
                .collect()
        };
        let must = missing(Importance::Must);
        if !must.is_empty() {
            out.push(format!(
                "Il manque {} : {}.",
                count_fr(must.len(), "chose importante", "choses importantes"),
                list_fr(&must)
            ));
        }
        let nice = missing(Importance::Nice);
        if !nice.is_empty() {
            out.push(format!("À apprendre aussi : {}.", list_fr(&nice)));
        }
        if self.value >= 0.5 {
            out.push(if you {
                "Ce poste ressemble beaucoup à ce que vous savez faire.".to_string()
            } else {
                "Ce poste ressemble beaucoup à ce qu'elle sait faire.".to_string()
            });
        }
        out
    }
}

/// Scores a person's skills against a post's needs. `blockers` are the hard filters the caller
/// found failing (they do not change the value, they make the post ineligible).
///
/// The value is a cosine between the post's needs (importance × √rarity each) and the person's
/// skills (how each is known × rarity): it rewards posts whose needs the person meets *and*
/// posts that use much of what the person knows, and rare items (few job sheets list them)
/// count more than common ones. A need the person lacks earns a little through a skill of the
/// same macro-competence. Each need is one term; the terms' points add up to the value.
pub fn score(
    skills: &[PersonSkill],
    needs: &[RequiredItem],
    facts: &dyn ItemFacts,
    blockers: Vec<Blocker>,
) -> Score {
    let mut terms = Vec::with_capacity(needs.len());
    let (mut sum_w, mut sum_w2, mut covered, mut raw) = (0.0, 0.0, 0.0, 0.0);
    let (mut must, mut must_met) = (0usize, 0usize);
    for r in needs {
        let spread = facts.spread(r.code);
        let weight = need_weight(r.importance, spread);
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
        sum_w2 += weight * weight;
        covered += weight * credit;
        let points = weight * credit * rarity(spread);
        raw += points;
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
            points,
            how,
        });
    }
    let value = value_of(raw, sum_w2.sqrt(), person_norm(skills, facts));
    // Each term's share of the value (scaled down with it when the value is capped at 1).
    let scale = if raw > 0.0 { value / raw } else { 0.0 };
    for t in &mut terms {
        t.points *= scale;
    }
    let coverage = if sum_w > 0.0 { covered / sum_w } else { 0.0 };
    let must_coverage = if must > 0 {
        must_met as f64 / must as f64
    } else {
        1.0
    };
    // Every must met and a good part of the rest: "correspond bien".
    let badge = if coverage >= STRONG_COVERAGE && must_coverage >= 0.999 {
        Badge::Strong
    } else if coverage >= 0.25 || must_coverage >= 0.5 {
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
        coverage,
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
    fn must_items_weigh_more_and_tested_beats_declared() {
        let needs = [need(1, 2, Importance::Must), need(3, 2, Importance::Nice)];
        let a = score(&[has(1, 2, Evidence::Tested)], &needs, &Facts, vec![]);
        let b = score(&[has(3, 2, Evidence::Tested)], &needs, &Facts, vec![]);
        assert!(a.value > b.value, "{} {}", a.value, b.value);
        assert!(a.coverage > 0.55 && b.coverage < 0.45, "{a:?} {b:?}");
        // The same person but for how the needed item is known.
        let tested = [has(1, 2, Evidence::Tested), has(4, 2, Evidence::Declared)];
        let declared = [has(1, 2, Evidence::Declared), has(4, 2, Evidence::Declared)];
        let c = score(&declared, &needs, &Facts, vec![]);
        assert!(score(&tested, &needs, &Facts, vec![]).value > c.value);
        assert_eq!(a.badge, Badge::Strong);
        assert_eq!(b.must_coverage, 0.0);
    }

    #[test]
    fn the_terms_add_up_to_the_value() {
        let needs = [
            need(1, 2, Importance::Must),
            need(2, 3, Importance::Must),
            need(3, 2, Importance::Nice),
            need(9, 1, Importance::Nice),
        ];
        for skills in [
            vec![has(1, 2, Evidence::Tested), has(9, 1, Evidence::Declared)],
            vec![has(2, 1, Evidence::Observed)],
            vec![has(1, 4, Evidence::Tested), has(3, 2, Evidence::Tested)],
            vec![],
        ] {
            let s = score(&skills, &needs, &Facts, vec![]);
            let sum: f64 = s.terms.iter().map(|t| t.points).sum();
            assert!((sum - s.value).abs() < 1e-12, "{sum} vs {}", s.value);
            assert!((0.0..=1.0).contains(&s.value));
        }
        // One need met exactly by the person's only skill: the whole value.
        let one = score(
            &[has(3, 2, Evidence::Tested)],
            &[need(3, 2, Importance::Nice)],
            &Facts,
            vec![],
        );
        assert!((one.value - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_post_that_uses_more_of_the_profile_ranks_higher() {
        // Two people meet the post's only need; the second knows many other things the post
        // does not use, so the post fits the first better.
        let needs = [need(3, 2, Importance::Must)];
        let focused = score(&[has(3, 2, Evidence::Tested)], &needs, &Facts, vec![]);
        let broad: Vec<PersonSkill> = (3..12).map(|i| has(i, 2, Evidence::Tested)).collect();
        let broad = score(&broad, &needs, &Facts, vec![]);
        assert!(
            focused.value > broad.value,
            "{} {}",
            focused.value,
            broad.value
        );
        // Both meet every need: the badge says so for both.
        assert_eq!((focused.badge, broad.badge), (Badge::Strong, Badge::Strong));
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
    fn why_a_post_is_proposed_is_said_in_plain_words() {
        let mut needs: Vec<RequiredItem> = (1..=4).map(|i| need(i, 2, Importance::Must)).collect();
        needs.extend((5..=9).map(|i| need(i, 2, Importance::Nice)));
        // 1, 3, 5, 6, 7, 8, 9 known (7 of 9); 2 only through its sibling 1; 4 missing.
        let skills: Vec<PersonSkill> = [1, 3, 5, 6, 7, 8, 9]
            .into_iter()
            .map(|i| has(i, 2, Evidence::Declared))
            .collect();
        let s = score(&skills, &needs, &Facts, vec![]);
        let said = s.plain_fr(true);
        assert_eq!(said[0], "Vous savez déjà faire 7 des 9 choses demandées.");
        assert_eq!(said[1], "Vous savez faire des choses proches pour 1 autre.");
        assert_eq!(said[2], "Il manque 1 chose importante : item 4.");
        assert!(
            said.iter()
                .any(|x| x == "Ce poste ressemble beaucoup à ce que vous savez faire."),
            "{said:?}"
        );
        let about = s.plain_fr(false);
        assert_eq!(
            about[0],
            "La personne sait déjà faire 7 des 9 choses demandées."
        );
        let none = score(&[], &needs, &Facts, vec![]).plain_fr(true);
        assert_eq!(
            none[0],
            "Vous ne savez pas encore faire les choses demandées."
        );
        assert_eq!(
            none[1],
            "Il manque 4 choses importantes : item 1, item 2, item 3 et d'autres."
        );
        assert!(none[2].starts_with("À apprendre aussi : item 5, item 6, item 7 et d'autres."));
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
    /// Proposed by DKLIK or an advisor.
    Suggested,
    /// Talked over with the person.
    Discussed,
    /// The person agreed.
    Agreed,
    /// Sent to the employer.
    Sent,
    /// Interview set.
    Interview,
    /// Hired.
    Hired,
    /// Not hired.
    NotHired,
    /// Withdrawn.
    Withdrawn,
}

impl IntroStatus {
    /// Every status, in path order.
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
    /// The stored word.
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
    /// Reads a stored word.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| format!("« {s} » n'est pas une étape de mise en relation."))
    }
    /// The status in words.
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
    /// Whether the path allows going from this status to `to`.
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
            Self::Hired | Self::NotHired | Self::Withdrawn => None,
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

/// A post's needs prepared for ranking many people at once (the same value as [`score`]).
pub struct CompiledNeeds {
    /// (item, macro-competence or 0, required level, weight × rarity), by item.
    needs: Vec<(i64, i64, u8, f64)>,
    /// Positions in `needs` of the needs with a macro-competence, by macro-competence.
    by_macro: Vec<u32>,
    /// The norm of the needs' weights.
    norm: f64,
}

impl CompiledNeeds {
    /// The needs of a post prepared for scoring many people.
    pub fn new(needs: &[RequiredItem], facts: &dyn ItemFacts) -> Self {
        let mut norm = 0.0;
        let mut needs: Vec<(i64, i64, u8, f64)> = needs
            .iter()
            .map(|r| {
                let spread = facts.spread(r.code);
                let weight = need_weight(r.importance, spread);
                norm += weight * weight;
                (
                    r.code.0,
                    facts.macro_of(r.code).map(|m| m.0).unwrap_or(0),
                    r.level.get(),
                    weight * rarity(spread),
                )
            })
            .collect();
        needs.sort_by_key(|n| n.0);
        let mut by_macro: Vec<u32> = (0..needs.len() as u32)
            .filter(|i| needs[*i as usize].1 != 0)
            .collect();
        by_macro.sort_by_key(|i| needs[*i as usize].1);
        Self {
            needs,
            by_macro,
            norm: norm.sqrt(),
        }
    }
}

/// The credit of a level against the level required.
fn ratio(level: u8, required: u8) -> f64 {
    (f64::from(level) / f64::from(required)).min(1.0)
}

/// People as item postings, for ranking many at once: who has each item and each
/// macro-competence, with level and evidence weight.
#[derive(Default)]
pub struct PeopleIndex {
    /// item → (person, level, evidence weight)
    by_item: std::collections::HashMap<i64, Vec<(u32, u8, f64)>>,
    /// macro-competence → (person, level, evidence weight)
    by_macro: std::collections::HashMap<i64, Vec<(u32, u8, f64)>>,
    /// Each person's norm.
    norms: Vec<f64>,
    /// People indexed.
    pub len: usize,
}

impl PeopleIndex {
    /// Adds a person (its position is its number in the index).
    pub fn push(&mut self, skills: &[PersonSkill], facts: &dyn ItemFacts) -> u32 {
        let n = self.len as u32;
        for s in skills {
            let e = evidence_weight(s.evidence, !s.endorsed_by.is_empty());
            self.by_item
                .entry(s.item.0)
                .or_default()
                .push((n, s.level.get(), e));
            if let Some(m) = facts.macro_of(s.item) {
                self.by_macro
                    .entry(m.0)
                    .or_default()
                    .push((n, s.level.get(), e));
            }
        }
        self.norms.push(person_norm(skills, facts));
        self.len += 1;
        n
    }

    /// The score value of every person for the post (same value as [`score`]'s).
    pub fn values(&self, post: &CompiledNeeds, out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.len, 0.0);
        if post.norm <= 0.0 {
            return;
        }
        // Per person: the need (numbered from 1) it last matched, and its best sibling credit
        // for the current need; dense arrays, no hashing in the loop.
        let mut matched_for = vec![0u32; self.len];
        let mut best = vec![0.0f64; self.len];
        let mut touched: Vec<u32> = Vec::new();
        for (k, &(item, mac, level, wr)) in post.needs.iter().enumerate() {
            let stamp = k as u32 + 1;
            if let Some(list) = self.by_item.get(&item) {
                for &(p, l, e) in list {
                    out[p as usize] += wr * ratio(l, level) * e;
                    matched_for[p as usize] = stamp;
                }
            }
            if mac != 0 {
                if let Some(list) = self.by_macro.get(&mac) {
                    touched.clear();
                    for &(p, l, e) in list {
                        if matched_for[p as usize] == stamp {
                            continue;
                        }
                        let c = SIBLING_CREDIT * ratio(l, level) * e;
                        let b = &mut best[p as usize];
                        if *b == 0.0 {
                            touched.push(p);
                        }
                        if c > *b {
                            *b = c;
                        }
                    }
                    for &p in &touched {
                        out[p as usize] += wr * best[p as usize];
                        best[p as usize] = 0.0;
                    }
                }
            }
        }
        for (v, n) in out.iter_mut().zip(&self.norms) {
            *v = value_of(*v, post.norm, *n);
        }
    }

    /// The `k` best people (index, value), best first.
    pub fn top(&self, post: &CompiledNeeds, k: usize, scratch: &mut Vec<f64>) -> Vec<(u32, f64)> {
        self.top_where(post, k, scratch, &|_| true)
    }

    /// The `k` best people who pass the hard filters `keep` (days, hours, licences, a bus at
    /// shift time), best first.
    pub fn top_where(
        &self,
        post: &CompiledNeeds,
        k: usize,
        scratch: &mut Vec<f64>,
        keep: &dyn Fn(u32) -> bool,
    ) -> Vec<(u32, f64)> {
        self.values(post, scratch);
        let mut idx: Vec<u32> = (0..self.len as u32).filter(|p| keep(*p)).collect();
        let k = k.min(idx.len());
        if k == 0 {
            return Vec::new();
        }
        idx.select_nth_unstable_by(k - 1, |a, b| {
            scratch[*b as usize]
                .total_cmp(&scratch[*a as usize])
                .then(a.cmp(b))
        });
        let mut top: Vec<(u32, f64)> = idx[..k]
            .iter()
            .map(|i| (*i, scratch[*i as usize]))
            .collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        top
    }
}

/// One person's skills prepared for scoring many posts (the same value as [`score`]'s).
pub struct CompiledPerson {
    /// (item, level, evidence weight), by item.
    items: Vec<(i64, u8, f64)>,
    /// (macro-competence, level, evidence weight), by macro-competence.
    macros: Vec<(i64, u8, f64)>,
    /// The person's norm.
    norm: f64,
}

impl CompiledPerson {
    /// A person's skills prepared for scoring many posts.
    pub fn new(skills: &[PersonSkill], facts: &dyn ItemFacts) -> Self {
        let mut items: Vec<(i64, u8, f64)> = skills
            .iter()
            .map(|s| {
                (
                    s.item.0,
                    s.level.get(),
                    evidence_weight(s.evidence, !s.endorsed_by.is_empty()),
                )
            })
            .collect();
        items.sort_by_key(|x| x.0);
        let mut macros: Vec<(i64, u8, f64)> = skills
            .iter()
            .filter_map(|s| {
                facts.macro_of(s.item).map(|m| {
                    (
                        m.0,
                        s.level.get(),
                        evidence_weight(s.evidence, !s.endorsed_by.is_empty()),
                    )
                })
            })
            .collect();
        macros.sort_by_key(|x| x.0);
        Self {
            items,
            macros,
            norm: person_norm(skills, facts),
        }
    }

    /// The raw sum of the terms for needs sorted by item (`by_macro`: positions of those with
    /// a macro-competence, by macro-competence; `met`: scratch).
    fn raw(&self, needs: &[(i64, i64, u8, f64)], by_macro: &[u32], met: &mut Vec<bool>) -> f64 {
        met.clear();
        met.resize(needs.len(), false);
        let mut sum = 0.0;
        // Both lists are sorted by item: walk them together, noting which needs are met.
        let mut j = 0;
        for (k, &(item, _, level, wr)) in needs.iter().enumerate() {
            while j < self.items.len() && self.items[j].0 < item {
                j += 1;
            }
            if j < self.items.len() && self.items[j].0 == item {
                let (_, l, e) = self.items[j];
                sum += wr * ratio(l, level) * e;
                met[k] = true;
            }
        }
        // Then the needs not met, by macro-competence, against the person's macro-competences.
        let mut m = 0;
        for &k in by_macro {
            let k = k as usize;
            if met[k] {
                continue;
            }
            let (_, mac, level, wr) = needs[k];
            while m < self.macros.len() && self.macros[m].0 < mac {
                m += 1;
            }
            let best = self.macros[m..]
                .iter()
                .take_while(|x| x.0 == mac)
                .map(|&(_, l, e)| SIBLING_CREDIT * ratio(l, level) * e)
                .fold(0.0, f64::max);
            sum += wr * best;
        }
        sum
    }

    /// The score value for a post.
    pub fn value(&self, post: &CompiledNeeds) -> f64 {
        let raw = self.raw(&post.needs, &post.by_macro, &mut Vec::new());
        value_of(raw, post.norm, self.norm)
    }
}

/// Many offers' needs in one contiguous block, for scoring one person against all of them.
#[derive(Default)]
pub struct OfferSet {
    /// (item, macro-competence or 0, required level, weight × rarity), each offer's by item.
    needs: Vec<(i64, i64, u8, f64)>,
    /// Positions in each offer's needs of those with a macro-competence, by macro.
    by_macro: Vec<u32>,
    /// Per offer: needs start, needs end, by_macro start, by_macro end, norm.
    offers: Vec<(u32, u32, u32, u32, f64)>,
}

impl OfferSet {
    /// Adds a post's needs.
    pub fn push(&mut self, c: &CompiledNeeds) {
        let (n0, m0) = (self.needs.len() as u32, self.by_macro.len() as u32);
        self.needs.extend_from_slice(&c.needs);
        self.by_macro.extend_from_slice(&c.by_macro);
        self.offers.push((
            n0,
            self.needs.len() as u32,
            m0,
            self.by_macro.len() as u32,
            c.norm,
        ));
    }

    /// Posts held.
    pub fn len(&self) -> usize {
        self.offers.len()
    }

    /// Whether no post is held.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    /// The person's score value for every offer, in order.
    pub fn values(&self, person: &CompiledPerson, out: &mut Vec<f64>) {
        out.clear();
        out.reserve(self.offers.len());
        let mut met: Vec<bool> = Vec::new();
        for &(n0, n1, m0, m1, norm) in &self.offers {
            if norm <= 0.0 {
                out.push(0.0);
                continue;
            }
            let raw = person.raw(
                &self.needs[n0 as usize..n1 as usize],
                &self.by_macro[m0 as usize..m1 as usize],
                &mut met,
            );
            out.push(value_of(raw, norm, person.norm));
        }
    }
}

#[cfg(test)]
mod fast_tests {
    use super::*;
    use crate::rome::ItemKind;
    use proptest::prelude::*;

    struct Facts;
    impl ItemFacts for Facts {
        fn macro_of(&self, item: OgrCode) -> Option<OgrCode> {
            Some(OgrCode(1000 + item.0 % 4))
        }
        fn spread(&self, item: OgrCode) -> f64 {
            (item.0 % 10) as f64 / 10.0
        }
    }

    fn skills(v: &[(i64, u8, u8)]) -> Vec<PersonSkill> {
        let mut seen = std::collections::HashSet::new();
        v.iter()
            .filter(|(i, _, _)| seen.insert(*i))
            .map(|(i, l, e)| PersonSkill {
                item: OgrCode(*i),
                label: String::new(),
                level: Level::new(*l).unwrap(),
                evidence: Evidence::ALL[*e as usize],
                endorsed_by: vec![],
                pieces: vec![],
            })
            .collect()
    }

    proptest! {
        #[test]
        fn the_fast_ranking_gives_the_same_values_as_the_explained_score(
            needs in prop::collection::vec((1i64..30, 1u8..5, any::<bool>()), 1..10),
            people in prop::collection::vec(prop::collection::vec((1i64..30, 1u8..5, 0u8..5), 0..12), 1..20),
        ) {
            let mut seen = std::collections::HashSet::new();
            let needs: Vec<RequiredItem> = needs
                .into_iter()
                .filter(|(i, _, _)| seen.insert(*i))
                .map(|(i, l, must)| RequiredItem {
                    code: OgrCode(i),
                    kind: ItemKind::SavoirFaire,
                    label: String::new(),
                    level: Level::new(l).unwrap(),
                    importance: if must { Importance::Must } else { Importance::Nice },
                })
                .collect();
            let compiled = CompiledNeeds::new(&needs, &Facts);
            let mut index = PeopleIndex::default();
            let people: Vec<Vec<PersonSkill>> = people.iter().map(|p| skills(p)).collect();
            for p in &people {
                index.push(p, &Facts);
            }
            let mut values = Vec::new();
            index.values(&compiled, &mut values);
            for (p, v) in people.iter().zip(&values) {
                let full = score(p, &needs, &Facts, vec![]).value;
                prop_assert!((full - v).abs() < 1e-9, "{} vs {}", full, v);
            }
            let top = index.top(&compiled, 5, &mut values);
            prop_assert!(top.windows(2).all(|w| w[0].1 >= w[1].1));
            let mut set = OfferSet::default();
            set.push(&compiled);
            set.push(&CompiledNeeds::new(&needs[..needs.len() / 2], &Facts));
            let mut many = Vec::new();
            for p in &people {
                let full = score(p, &needs, &Facts, vec![]).value;
                let person = CompiledPerson::new(p, &Facts);
                let one = person.value(&compiled);
                prop_assert!((full - one).abs() < 1e-9, "{} vs {}", full, one);
                set.values(&person, &mut many);
                let half = score(p, &needs[..needs.len() / 2], &Facts, vec![]).value;
                prop_assert!((many[0] - full).abs() < 1e-9 && (many[1] - half).abs() < 1e-9);
            }
        }
    }
}
