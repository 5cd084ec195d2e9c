//! The public soft-skills questionnaire: one question per page, plain forms (no JavaScript),
//! the answers so far carried in a hidden field; the skills card at the end, with job ideas and
//! "send it to an advisor" (with consent).

use crate::error::AppError;
use crate::skills::FormData;
use crate::SharedState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use dklik_app::questionnaire::{self as q, FoundSkill, JobIdea};
use dklik_domain::PersonId;
use dklik_domain::{Channel, FieldError, InterestForm, OgrCode};

#[derive(Template)]
#[template(path = "questionnaire.html")]
struct QuestionPage {
    errors: Vec<FieldError>,
    intro: String,
    token: String,
    answers: String,
    step: usize,
    total: usize,
    question: String,
    options: Vec<(String, String)>,
}

fn question_page(
    token: &str,
    answers: &[(String, String)],
    step: usize,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let qs = q::questionnaire();
    let (question, options) = match step.checked_sub(1).and_then(|i| qs.questions.get(i)) {
        Some(x) => (
            x.text.clone(),
            x.options
                .iter()
                .map(|o| (o.id.clone(), o.text.clone()))
                .collect(),
        ),
        None => (String::new(), Vec::new()),
    };
    let status = crate::forms::status_of(&errors);
    let page = QuestionPage {
        errors,
        intro: qs.intro.clone(),
        token: token.into(),
        answers: q::encode_answers(answers),
        step,
        total: qs.questions.len(),
        question,
        options,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The first page: what it is, and a fresh token for this run.
pub async fn start() -> Result<Response, AppError> {
    let token = q::new_token()?;
    question_page(&token, &[], 0, vec![])
}

/// Each page posts here: the answer to the current question, then the next question, or the
/// card after the last one.
pub async fn answer(
    State(st): State<SharedState>,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let token = d.get("jeton");
    let restart = || -> Result<Response, AppError> {
        Ok(crate::pages::message_page(
            StatusCode::BAD_REQUEST,
            "Le questionnaire a été interrompu",
            &["La page envoyée n'est pas complète. Vous pouvez recommencer : cela prend 3 minutes."],
            false,
            "",
        ))
    };
    if !q::valid_token(&token) {
        return restart();
    }
    let Ok(mut answers) = q::parse_answers(&d.get("reponses")) else {
        return restart();
    };
    let total = q::questionnaire().questions.len();
    let step = d.get("etape").parse::<usize>().unwrap_or(0);
    if step == 0 || step > total || answers.len() + 1 < step {
        return restart();
    }
    // The first page only starts.
    if d.get("commencer") == "1" {
        return question_page(&token, &[], 1, vec![]);
    }
    let question = &q::questionnaire().questions[step - 1];
    let choice = d.get("reponse");
    if !question.options.iter().any(|o| o.id == choice) {
        return question_page(
            &token,
            &answers,
            step,
            vec![FieldError::new(
                format!("r-{}", question.options[0].id),
                "Choisissez une réponse, puis appuyez sur le bouton.",
            )],
        );
    }
    // Going back with the browser and answering again replaces the earlier answer.
    answers.truncate(step - 1);
    answers.push((question.id.clone(), choice));
    if step < total {
        return question_page(&token, &answers, step + 1, vec![]);
    }
    if !st
        .public_writes
        .allow(crate::pages::client_ip(&parts.extensions))
    {
        return Err(AppError::TooManyRequests);
    }
    let r = st.skills.get(st.store.as_ref()).await?;
    let skills = q::score(&answers, |c| r.label(c));
    // A questionnaire sent twice (a double click, the page reloaded) counts once.
    q::finish(
        st.store.as_ref(),
        &token,
        &answers,
        &skills,
        dklik_app::unix_now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/questionnaire/resultat/{token}")).into_response())
}

#[derive(Template)]
#[template(path = "skills_card.html")]
struct CardPage {
    errors: Vec<FieldError>,
    token: String,
    date: String,
    skills: Vec<FoundSkill>,
    ideas: Vec<JobIdea>,
    sent: bool,
    form: InterestForm,
}

async fn card_page(
    st: &SharedState,
    token: &str,
    errors: Vec<FieldError>,
    form: InterestForm,
) -> Result<Response, AppError> {
    if !q::valid_token(token) {
        return Err(AppError::NotFound);
    }
    let res = st
        .store
        .questionnaire(token)
        .await?
        .ok_or(AppError::NotFound)?;
    let skills: Vec<FoundSkill> = serde_json::from_str(&res.skills).unwrap_or_default();
    let r = st.skills.get(st.store.as_ref()).await?;
    let offers = q::open_offers_by_job(st.store.as_ref()).await?;
    let ideas = q::job_ideas(&r, &skills, &offers, 5);
    let date = time::OffsetDateTime::from_unix_timestamp(res.created_at)
        .map(|t| crate::skills::day_fr(t.date()))
        .unwrap_or_default();
    let status = crate::forms::status_of(&errors);
    let page = CardPage {
        errors,
        token: token.into(),
        date,
        skills,
        ideas,
        sent: res.person_id.is_some(),
        form,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn card(
    State(st): State<SharedState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    card_page(
        &st,
        &token,
        vec![],
        InterestForm {
            first_name: String::new(),
            phone: String::new(),
            email: String::new(),
            best_time: String::new(),
            consent: false,
        },
    )
    .await
}

/// "Send it to an advisor": a call-back request, with consent, and the skills as self-assessed.
pub async fn send(
    State(st): State<SharedState>,
    Path(token): Path<String>,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    if !q::valid_token(&token) {
        return Err(AppError::NotFound);
    }
    if !st
        .public_writes
        .allow(crate::pages::client_ip(&parts.extensions))
    {
        return Err(AppError::TooManyRequests);
    }
    let res = st
        .store
        .questionnaire(&token)
        .await?
        .ok_or(AppError::NotFound)?;
    if res.person_id.is_some() {
        return Ok(Redirect::to(&format!("/questionnaire/resultat/{token}")).into_response());
    }
    let d = FormData::parse(&body);
    let form = InterestForm {
        first_name: d.get("prenom"),
        phone: d.get("telephone"),
        email: d.get("email"),
        best_time: d.get("moment"),
        consent: d.get("consentement") == "oui",
    };
    let now = dklik_app::unix_now();
    let interest = match dklik_domain::NewInterest::from_form(
        &form,
        None,
        Channel::Questionnaire,
        "questionnaire des qualités",
    ) {
        Ok(i) => i,
        Err(v) => return card_page(&st, &token, v.errors, form).await,
    };
    let skills: Vec<FoundSkill> = serde_json::from_str(&res.skills).unwrap_or_default();
    let evidence: Vec<dklik_domain::SkillEvidence> = skills
        .iter()
        .filter_map(|s| {
            Some(dklik_domain::SkillEvidence {
                id: 0,
                person_id: PersonId(0),
                item: OgrCode(s.code),
                level: dklik_domain::Level::new(2).ok()?,
                evidence: dklik_domain::Evidence::SelfAssessed,
                source: s.reasons.join(" ; ").chars().take(200).collect(),
                recorded_by: "questionnaire".into(),
                at: now,
            })
        })
        .collect();
    let step = dklik_domain::JourneyEvent {
        id: 0,
        person_id: PersonId(0),
        at: now,
        kind: "questionnaire".into(),
        channel: "questionnaire".into(),
        summary: format!("Questionnaire des qualités : {} qualité(s)", skills.len()),
        reference: format!("questionnaire:{}", &token[..8]),
        actor: "la personne elle-même".into(),
        stage: String::new(),
        offer_id: None,
        impression: None,
    };
    let due = dklik_app::interests::callback_due();
    match st
        .store
        .send_questionnaire(&token, &interest, now, due, &evidence, &step)
        .await
    {
        // Sent twice at the same time: the first one won, nothing of the second is kept.
        Ok(_) | Err(dklik_app::StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/questionnaire/resultat/{token}")).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct Empty {}

/// For advisors: the questions and the mapping, to review.
pub async fn review(
    State(st): State<SharedState>,
    Query(_): Query<Empty>,
) -> Result<Response, AppError> {
    let r = st.skills.get(st.store.as_ref()).await?;
    let qs = q::questionnaire();
    let mut rows = Vec::new();
    for x in &qs.questions {
        for o in &x.options {
            let mapped = if o.skills.is_empty() {
                "–".to_string()
            } else {
                o.skills
                    .iter()
                    .map(|s| format!("{} → {}", s.reason, r.label(OgrCode(s.code))))
                    .collect::<Vec<_>>()
                    .join(" ; ")
            };
            rows.push(vec![x.text.clone(), o.text.clone(), mapped]);
        }
    }
    crate::account::TablePage {
        title: "Questionnaire des qualités : ce que chaque réponse montre".into(),
        intro: vec![
            format!("Version {} ; {} questions. La correspondance est une donnée (questionnaire.json) : signalez à l'équipe ce qui vous semble faux.", qs.version, qs.questions.len()),
        ],
        links: vec![("/questionnaire".into(), "Voir le questionnaire".into())],
        headers: vec!["Question", "Réponse", "Qualité (ROME) et raison affichée"],
        rows,
        empty: "",
        forms: vec![],
        csrf: String::new(),
    }
    .respond()
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, STAFF};
    use crate::routes::{get, post};
    vec![
        get("/conseil/questionnaire", Who::Roles(STAFF), review),
        get("/questionnaire", Who::Anyone, start),
        post("/questionnaire", Who::Anyone, answer),
        get("/questionnaire/resultat/{token}", Who::Anyone, card),
        post("/questionnaire/resultat/{token}/envoyer", Who::Anyone, send),
    ]
}
