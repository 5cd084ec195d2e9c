//! Matching and introductions pages: the offers ranked for a person, the people ranked for a
//! post, introductions from proposal to hire (advisors), and the employer's view of the people
//! proposed to it.

use crate::access::Identity;
use crate::error::AppError;
use crate::skills::{id_of, me, person_errors, reference, FormData};
use crate::SharedState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use dklik_app::inbox::actor_label;
use dklik_app::StoreError;
use dklik_domain::FieldError;
use dklik_domain::PersonId;

// --- Matching ------------------------------------------------------------------------------

struct JobRow {
    eligible: bool,
    code: String,
    title: String,
    employer: String,
    badge: String,
    badge_key: String,
    percent: u32,
    there: String,
    back: String,
    reasons: Vec<String>,
    /// Why, in plain words.
    plain: Vec<String>,
    /// Said when the ranking set the offer lower for its proposals in course.
    crowded: String,
}

/// What the crowding rule did, in words; empty when nothing is in course.
fn crowded_fr(n: u32, about: &str) -> String {
    match n {
        0 => String::new(),
        1 => format!("Déjà 1 proposition en cours {about} : placé un peu plus bas, pour que les propositions se répartissent."),
        n => format!("Déjà {n} propositions en cours {about} : placé plus bas, pour que les propositions se répartissent."),
    }
}

#[derive(Template)]
#[template(path = "person_jobs.html")]
struct PersonJobsPage {
    id: PersonId,
    csrf: String,
    name: String,
    notice: String,
    openings: Vec<(String, usize, String)>,
    rows: Vec<JobRow>,
    /// "64 offres publiées comparées ; …"
    scope: String,
}

/// Open offers ranked for a person, with the bus journey and the reasons.
pub async fn person_jobs(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = PersonId(id_of(&id)?);
    let store = st.store.as_ref();
    let r = reference(&st).await?;
    let p = dklik_app::matching::person_view(store, &r, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = dklik_app::today_paris();
    let found = dklik_app::matching::offers_for_person(store, &r, &st.transit, &p, today).await?;
    let ranked = &found.ranked;
    let services = store.services(&Default::default()).await?;
    let tests = store.tests().await?;
    let openings = found
        .openings
        .into_iter()
        .map(|o| {
            let romes: Vec<&dklik_domain::RomeCode> = ranked
                .iter()
                .filter(|x| {
                    x.score
                        .terms
                        .iter()
                        .any(|t| t.item == o.item && t.credit < 0.25)
                })
                .map(|x| &x.offer.rome)
                .collect();
            let mut ways: Vec<String> = services
                .iter()
                .filter(|s| s.trades.iter().any(|t| romes.contains(&t)))
                .take(2)
                .map(|s| format!("« {} » (OrientaKlik)", s.name))
                .collect();
            ways.extend(
                tests
                    .iter()
                    .filter(|t| {
                        t.items
                            .iter()
                            .any(|i| i.target.rome_items().contains(&o.item))
                    })
                    .take(2)
                    .map(|t| format!("le test « {} »", t.name)),
            );
            (o.label, o.offers, ways.join(", "))
        })
        .collect();
    let rows = ranked
        .iter()
        .map(|x| JobRow {
            eligible: x.score.eligible(),
            code: x.offer.code.to_string(),
            title: x.offer.title.clone(),
            employer: x.offer.employer_name.clone(),
            badge: if x.score.eligible() {
                x.score.badge.label_fr().into()
            } else {
                "hors d'atteinte".into()
            },
            badge_key: x.score.badge.as_str().into(),
            percent: (x.score.value * 100.0).round() as u32,
            there: x.there.clone().unwrap_or_default(),
            back: x.back.clone().unwrap_or_default(),
            reasons: x.score.reasons_fr(),
            plain: x.score.plain_fr(false),
            crowded: crowded_fr(x.proposed, "pour cette offre"),
        })
        .collect();
    let shown = found.ranked.len();
    let scope = if shown < found.scored {
        format!(
            "{} offres publiées comparées ; voici les {shown} meilleures, vérifiées une à une (horaires, permis, bus).",
            found.scored
        )
    } else {
        format!("{} offres publiées comparées.", found.scored)
    };
    let notice = if p.home.is_none() {
        "Le quartier de la personne n'est pas renseigné : les trajets en bus ne sont pas vérifiés. Complétez son dossier."
    } else {
        ""
    };
    store
        .add_audit(
            Some(u.id),
            &actor_label(u),
            "read",
            &format!("person:{id}"),
            "offres classées",
            dklik_app::unix_now(),
        )
        .await?;
    Ok(Html(
        PersonJobsPage {
            id,
            csrf: ident.csrf().to_string(),
            name: p.name,
            notice: notice.into(),
            openings,
            scope,
            rows,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "offer_people.html")]
struct OfferPeoplePage {
    code: String,
    title: String,
    employer: String,
    place: String,
    needs: usize,
    rows: Vec<PersonRow>,
}

/// A person ranked for a post, as shown.
struct PersonRow {
    id: PersonId,
    name: String,
    badge: String,
    percent: u32,
    there: String,
    reasons: Vec<String>,
    plain: Vec<String>,
    crowded: String,
}

/// The people advisors follow, ranked for one post.
pub async fn offer_people(
    State(st): State<SharedState>,
    Extension(_ident): Extension<Identity>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let code = dklik_domain::ShortCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let store = st.store.as_ref();
    let o = store
        .offer_by_code(&code)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = reference(&st).await?;
    let ranked =
        dklik_app::matching::people_for_offer(store, &r, &st.transit, &o, dklik_app::today_paris())
            .await?;
    let rows = ranked
        .into_iter()
        .map(|p| PersonRow {
            id: p.person_id,
            name: p.name,
            badge: if p.score.eligible() {
                p.score.badge.label_fr().to_string()
            } else {
                "hors d'atteinte".into()
            },
            percent: (p.score.value * 100.0).round() as u32,
            there: p.there.unwrap_or_default(),
            reasons: p.score.reasons_fr(),
            plain: p.score.plain_fr(false),
            crowded: crowded_fr(p.proposed, "pour cette personne"),
        })
        .collect();
    Ok(Html(
        OfferPeoplePage {
            code: o.code.to_string(),
            title: o.title.clone(),
            employer: o.employer_name.clone(),
            place: o.site.commune.clone(),
            needs: o.items.len(),
            rows,
        }
        .render()?,
    )
    .into_response())
}

// --- Introductions -------------------------------------------------------------------------

fn intro_errors(e: dklik_app::introductions::IntroError) -> Result<Vec<FieldError>, AppError> {
    match e {
        dklik_app::introductions::IntroError::Invalid(v) => Ok(v.errors),
        dklik_app::introductions::IntroError::Store(StoreError::NotFound) => {
            Err(AppError::NotFound)
        }
        dklik_app::introductions::IntroError::Store(s) => Err(s.into()),
    }
}

/// `POST /conseil/personnes/{id}/mises-en-relation`: proposes the person for a post.
pub async fn propose(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = PersonId(id_of(&id)?);
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    match dklik_app::introductions::propose(
        st.store.as_ref(),
        &r,
        &st.transit,
        id,
        &d.get("offre"),
        (u.id, &actor_label(u)),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=propose")).into_response()),
        Err(e) => person_errors(&st, &ident, id, intro_errors(e)?).await,
    }
}

fn step_input(d: &FormData) -> dklik_app::introductions::StepInput {
    dklik_app::introductions::StepInput {
        to: d.get("vers"),
        note: d.get("note"),
        reason: d.get("raison"),
        feedback: d.get("retour"),
    }
}

/// `POST /conseil/mises-en-relation/{id}/etape` (advisors).
pub async fn intro_step(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(iid): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let iid = id_of(&iid)?;
    let d = FormData::parse(&body);
    let person = st
        .store
        .introduction(iid)
        .await?
        .ok_or(AppError::NotFound)?
        .person_id;
    match dklik_app::introductions::advance(
        st.store.as_ref(),
        iid,
        dklik_app::introductions::Mover::Advisor(u.id),
        &step_input(&d),
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(i) => {
            if i.status == dklik_domain::matching::IntroStatus::Hired {
                // A filled post leaves the screens now.
                st.screens.refresh_offers(st.store.as_ref()).await?;
            }
            Ok(Redirect::to(&format!("/conseil/personnes/{person}?ok=etape")).into_response())
        }
        Err(e) => person_errors(&st, &ident, person, intro_errors(e)?).await,
    }
}

#[derive(Template)]
#[template(path = "employer_intros.html")]
struct EmployerIntrosPage {
    /// (introduction, post, first name, step, skills)
    rows: Vec<(i64, String, String, String, String)>,
}

/// `GET /entreprise/mises-en-relation`: the people proposed for the employer's posts, once
/// they agreed and were sent.
pub async fn employer_intros(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let employer = u.employer_id.ok_or(AppError::NotFound)?;
    let store = st.store.as_ref();
    let r = reference(&st).await?;
    let mut rows = Vec::new();
    for i in store.employer_introductions(Some(employer.0)).await? {
        if !i.status.employer_sees() {
            continue;
        }
        let skills = dklik_app::matching::person_view(store, &r, i.person_id)
            .await?
            .map(|p| {
                p.skills
                    .iter()
                    .take(8)
                    .map(|s| {
                        format!(
                            "{} ({}, niveau {})",
                            s.label,
                            s.evidence.label_fr(),
                            s.level.get()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ; ")
            })
            .unwrap_or_default();
        let first_name = i
            .person_name
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        rows.push((
            i.id,
            i.offer_title.clone(),
            first_name,
            i.status.label_fr().to_string(),
            skills,
        ));
    }
    Ok(Html(EmployerIntrosPage { rows }.render()?).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct VersQuery {
    #[serde(default)]
    vers: String,
}

/// `POST /entreprise/mises-en-relation/{id}/etape` (the employer, its own posts only).
pub async fn employer_intro_step(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(iid): Path<String>,
    Query(q): Query<VersQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let employer = u.employer_id.ok_or(AppError::NotFound)?;
    let iid = id_of(&iid)?;
    let d = FormData::parse(&body);
    let mut input = step_input(&d);
    if input.to.is_empty() {
        input.to = q.vers;
    }
    match dklik_app::introductions::advance(
        st.store.as_ref(),
        iid,
        dklik_app::introductions::Mover::Employer(employer),
        &input,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(i) => {
            if i.status == dklik_domain::matching::IntroStatus::Hired {
                st.screens.refresh_offers(st.store.as_ref()).await?;
            }
            Ok(Redirect::to(&format!("/entreprise/mises-en-relation/{iid}")).into_response())
        }
        Err(e) => {
            let errors = intro_errors(e)?;
            let msgs: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            Ok(crate::pages::message_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Étape refusée",
                &msgs,
                false,
                "",
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "employer_intro.html")]
struct EmployerIntroPage {
    id: i64,
    title: String,
    first_name: String,
    status: String,
    status_key: String,
    skills: Vec<String>,
    reasons: [&'static str; 6],
    csrf: String,
}

/// `GET /entreprise/mises-en-relation/{id}`: one proposed person, and the "not hired" form
/// with its reason and feedback per skill.
pub async fn employer_intro(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(iid): Path<String>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let employer = u.employer_id.ok_or(AppError::NotFound)?;
    let i = st
        .store
        .introduction(id_of(&iid)?)
        .await?
        .filter(|i| i.employer_id == employer && i.status.employer_sees())
        .ok_or(AppError::NotFound)?;
    let r = reference(&st).await?;
    let skills = dklik_app::matching::person_view(st.store.as_ref(), &r, i.person_id)
        .await?
        .map(|p| {
            p.skills
                .iter()
                .map(|s| {
                    format!(
                        "{} : niveau {} ({})",
                        s.label,
                        s.level.get(),
                        s.evidence.label_fr()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Html(
        EmployerIntroPage {
            id: i.id,
            title: i.offer_title.clone(),
            first_name: i
                .person_name
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string(),
            status: i.status.label_fr().into(),
            status_key: i.status.as_str().into(),
            skills,
            reasons: dklik_domain::matching::NOT_HIRED_REASONS,
            csrf: ident.csrf().to_string(),
        }
        .render()?,
    )
    .into_response())
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADVISORS, EMPLOYER, STAFF};
    use crate::routes::{get, post};
    vec![
        get(
            "/conseil/personnes/{id}/emplois",
            Who::Roles(STAFF),
            person_jobs,
        ),
        post(
            "/conseil/personnes/{id}/mises-en-relation",
            Who::Roles(ADVISORS),
            propose,
        ),
        post(
            "/conseil/mises-en-relation/{id}/etape",
            Who::Roles(ADVISORS),
            intro_step,
        ),
        get(
            "/entreprise/mises-en-relation",
            Who::Roles(EMPLOYER),
            employer_intros,
        ),
        get(
            "/entreprise/mises-en-relation/{id}",
            Who::Roles(EMPLOYER),
            employer_intro,
        ),
        post(
            "/entreprise/mises-en-relation/{id}/etape",
            Who::Roles(EMPLOYER),
            employer_intro_step,
        ),
        get(
            "/conseil/offres/{code}/candidats",
            Who::Roles(ADVISORS),
            offer_people,
        ),
    ]
}
