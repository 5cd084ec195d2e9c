//! The public soft-skills questionnaire: questions on sport, volunteering, family and daily life,
//! answers mapped to the ROME savoir-être with the reason shown, a skills card and job ideas.
//!
//! The questions and the mapping are data (`data/questionnaire.json`) that advisors review on
//! `/conseil/questionnaire`; nothing here branches on a particular answer.

use crate::skills::SkillsRef;
use crate::skills_store::QuestionnaireResult;
use crate::store::{Store, StoreError};
use dklik_domain::{OfferFilter, OgrCode, RomeCode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A soft skill an answer shows.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SkillLink {
    /// The ROME item.
    pub code: i64,
    /// Shown to the person: "Vous entraînez une équipe".
    pub reason: String,
}

/// One answer of a question.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Answer {
    /// Its id.
    pub id: String,
    /// Its words.
    pub text: String,
    /// The skills it shows.
    pub skills: Vec<SkillLink>,
}

/// One question.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Question {
    /// Its id.
    pub id: String,
    /// Its words.
    pub text: String,
    /// Its answers.
    pub options: Vec<Answer>,
}

/// The soft-skills questionnaire.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Questionnaire {
    /// Its version.
    pub version: String,
    /// The words before the first question.
    pub intro: String,
    /// The questions.
    pub questions: Vec<Question>,
}

/// The questionnaire in use.
pub fn questionnaire() -> &'static Questionnaire {
    static Q: OnceLock<Questionnaire> = OnceLock::new();
    Q.get_or_init(|| {
        serde_json::from_str(include_str!("../data/questionnaire.json")).unwrap_or(Questionnaire {
            version: String::new(),
            intro: String::new(),
            questions: Vec::new(),
        })
    })
}

/// The answers so far, carried from page to page in a hidden field: `question=answer,…`.
/// Unknown questions or answers are refused (a tampered or stale form).
pub fn parse_answers(s: &str) -> Result<Vec<(String, String)>, String> {
    let q = questionnaire();
    let mut out: Vec<(String, String)> = Vec::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let (qid, aid) = part
            .split_once('=')
            .ok_or_else(|| "Réponses illisibles : recommencez le questionnaire.".to_string())?;
        let known = q
            .questions
            .iter()
            .find(|x| x.id == qid)
            .is_some_and(|x| x.options.iter().any(|o| o.id == aid));
        if !known || out.iter().any(|(x, _)| x == qid) {
            return Err("Réponses illisibles : recommencez le questionnaire.".into());
        }
        out.push((qid.to_string(), aid.to_string()));
    }
    Ok(out)
}

/// The answers as stored (question id → answer id, JSON).
pub fn encode_answers(a: &[(String, String)]) -> String {
    a.iter()
        .map(|(q, o)| format!("{q}={o}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A savoir-être found, with every reason behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundSkill {
    /// The ROME item.
    pub code: i64,
    /// Its label.
    pub label: String,
    /// The answers that showed it.
    pub reasons: Vec<String>,
}

/// The skills the answers show, the most supported first.
pub fn score(answers: &[(String, String)], label: impl Fn(OgrCode) -> String) -> Vec<FoundSkill> {
    let q = questionnaire();
    let mut found: Vec<FoundSkill> = Vec::new();
    for (qid, aid) in answers {
        let Some(opt) = q
            .questions
            .iter()
            .find(|x| &x.id == qid)
            .and_then(|x| x.options.iter().find(|o| &o.id == aid))
        else {
            continue;
        };
        for s in &opt.skills {
            match found.iter_mut().find(|f| f.code == s.code) {
                Some(f) => f.reasons.push(s.reason.clone()),
                None => found.push(FoundSkill {
                    code: s.code,
                    label: label(OgrCode(s.code)),
                    reasons: vec![s.reason.clone()],
                }),
            }
        }
    }
    found.sort_by(|a, b| {
        b.reasons
            .len()
            .cmp(&a.reasons.len())
            .then(a.label.cmp(&b.label))
    });
    found
}

/// A job whose savoir-être match the person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobIdea {
    /// The job sheet's code.
    pub rome: String,
    /// Its label.
    pub label: String,
    /// The person's savoir-être this job sheet lists.
    pub shared: Vec<String>,
    /// Offers published now for it.
    pub open_offers: u64,
}

/// Counts published offers per job sheet.
pub async fn open_offers_by_job(store: &dyn Store) -> Result<HashMap<String, u64>, StoreError> {
    let mut out: HashMap<String, u64> = HashMap::new();
    let mut offset = 0;
    loop {
        let page = store
            .list_offers(&OfferFilter {
                limit: 500,
                offset,
                ..Default::default()
            })
            .await?;
        let n = page.offers.len() as u32;
        for o in page.offers {
            *out.entry(o.rome.as_str().to_string()).or_default() += 1;
        }
        if n < 500 {
            return Ok(out);
        }
        offset += n;
    }
}

/// The `n` job sheets sharing the most of these savoir-être (relative to how many each lists),
/// jobs with open offers first among equals.
pub fn job_ideas(
    r: &SkillsRef,
    skills: &[FoundSkill],
    offers: &HashMap<String, u64>,
    n: usize,
) -> Vec<JobIdea> {
    if skills.is_empty() {
        return Vec::new();
    }
    let mut ideas: Vec<(f64, JobIdea)> = r
        .jobs
        .iter()
        .filter_map(|j| {
            let items = r.index.job_items(&j.code);
            let se: Vec<OgrCode> = items
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| {
                    r.index
                        .item(*c)
                        .is_some_and(|i| i.kind == dklik_domain::ItemKind::SavoirEtre)
                })
                .collect();
            let shared: Vec<String> = skills
                .iter()
                .filter(|s| se.contains(&OgrCode(s.code)))
                .map(|s| s.label.clone())
                .collect();
            if shared.is_empty() {
                return None;
            }
            let score = shared.len() as f64 / (se.len() as f64).sqrt();
            Some((
                score,
                JobIdea {
                    rome: j.code.to_string(),
                    label: j.label.clone(),
                    shared,
                    open_offers: offers.get(j.code.as_str()).copied().unwrap_or(0),
                },
            ))
        })
        .collect();
    ideas.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.open_offers.cmp(&a.1.open_offers))
            .then(a.1.label.cmp(&b.1.label))
    });
    ideas.into_iter().take(n).map(|(_, i)| i).collect()
}

/// Records a finished questionnaire once: sending the last page twice keeps the first result.
/// Returns whether it was new.
pub async fn finish(
    store: &dyn Store,
    token: &str,
    answers: &[(String, String)],
    skills: &[FoundSkill],
    now: i64,
) -> Result<bool, StoreError> {
    store
        .save_questionnaire(&QuestionnaireResult {
            token: token.into(),
            answers: encode_answers(answers),
            skills: serde_json::to_string(skills).unwrap_or_else(|_| "[]".into()),
            created_at: now,
            person_id: None,
        })
        .await
}

/// A questionnaire token: 32 hex characters made by the server.
pub fn valid_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A new random token for a questionnaire link.
pub fn new_token() -> Result<String, StoreError> {
    crate::auth::random_token()
        .map(|t| {
            t.chars()
                .filter(|c| c.is_ascii_hexdigit())
                .take(32)
                .collect()
        })
        .map_err(|e| StoreError::Backend(e.to_string()))
}

/// The job sheet code of an idea, for links.
pub fn rome_of(idea: &JobIdea) -> Option<RomeCode> {
    RomeCode::parse(&idea.rome).ok()
}
