//! Skills pages. For advisors: people's records with their skills, evidence and timeline, the
//! test catalogue and sessions, Job Labo and immersion activities, an offer's needs. For an
//! employer: its own offers' needs. For everyone: the endorsement link and the soft-skills
//! questionnaire with its skills card.

use crate::access::Identity;
use crate::account::format_time;
use crate::error::AppError;
use crate::SharedState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use dklik_app::inbox::actor_label;
use dklik_app::skills::{SkillsError, SkillsRef};
use dklik_app::StoreError;
use dklik_domain::PersonId;
use dklik_domain::{
    Evidence, FieldError, Mobility, OfferId, OgrCode, PersonForm, ShiftPeriod, User,
};
use std::collections::HashMap;
use std::sync::Arc;

// One file per page group; this one holds the shared helpers, the list of people and the
// record form.
mod activities;
mod catalogue;
mod endorse;
mod needs;
mod person;
pub use activities::*;
pub use catalogue::*;
pub use endorse::*;
pub use needs::*;
pub use person::*;

/// A posted form: every value of every name, repeated names kept (checkboxes).
#[derive(Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    /// Every (name, value) posted, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// Values whose name starts with `prefix`, by the rest of the name.
    pub fn prefixed(&self, prefix: &str) -> HashMap<String, String> {
        self.0
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|r| (r.to_string(), v.clone())))
            .collect()
    }
}

pub(crate) fn me(ident: &Identity) -> Result<&User, AppError> {
    ident.user().ok_or(AppError::NotFound)
}

pub(crate) async fn reference(st: &SharedState) -> Result<Arc<SkillsRef>, AppError> {
    Ok(st.skills.get(st.store.as_ref()).await?)
}

pub(crate) fn id_of(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

/// A failed use case: its form errors for the page, or the error as a response.
fn errors_of(e: SkillsError) -> Result<Vec<FieldError>, AppError> {
    match e {
        SkillsError::Invalid(v) => Ok(v.errors),
        SkillsError::Store(StoreError::NotFound) => Err(AppError::NotFound),
        SkillsError::Store(s) => Err(s.into()),
    }
}

fn person_form_of(d: &FormData) -> PersonForm {
    PersonForm {
        prenom: d.get("prenom"),
        nom: d.get("nom"),
        telephone: d.get("telephone"),
        email: d.get("email"),
        commune: d.get("commune"),
        quartier: d.get("quartier"),
        qpv: d.get("qpv"),
        mobilite: d.all("mobilite"),
        jours: d.all("jours"),
        horaires: d.all("horaires"),
        contraintes: d.get("contraintes"),
        notes: d.get("notes"),
        consentement: d.get("consentement"),
        origine: d.get("origine"),
        tranche_age: d.get("tranche_age"),
        genre: d.get("genre"),
        accord_stats: d.get("accord_stats"),
    }
}

// --- The list of people -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    me: String,
    q: String,
    rows: Vec<(PersonId, String, String, String, String)>,
    /// "12 345 personnes", or the like.
    caption: String,
    page: usize,
    pages: usize,
    prev_link: String,
    next_link: String,
}

#[derive(serde::Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// Read leniently: anything but a page number is the first page.
    #[serde(default)]
    page: String,
}

/// People per page of the staff's list.
const PEOPLE_PER_PAGE: usize = 100;

pub async fn people(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let query: String = q.q.chars().take(100).collect();
    let asked = q.page.trim().parse::<usize>().unwrap_or(1).max(1);
    let qpv = |v: Option<bool>| match v {
        Some(true) => "oui",
        Some(false) => "non",
        None => "?",
    };
    // From memory (`dklik_app::directory`); until it is built, from the database (the first
    // page only, as before the list was kept in memory).
    let find = |page: usize| {
        st.people
            .find(&query, (page - 1) * PEOPLE_PER_PAGE, PEOPLE_PER_PAGE)
    };
    let mut found = find(asked.min(100_000));
    // Past the last page: the last page.
    if let Some(last) = found
        .as_ref()
        .map(|f| f.total.div_ceil(PEOPLE_PER_PAGE).max(1))
        .filter(|&last| last < asked)
    {
        found = find(last);
    }
    let (rows, total): (Vec<_>, usize) = match found {
        Some(found) => (
            found
                .rows
                .into_iter()
                .map(|p| {
                    (
                        p.id,
                        format!("{} {}", p.first_name, p.last_name)
                            .trim()
                            .to_string(),
                        p.commune,
                        qpv(p.qpv).to_string(),
                        format_time(p.last_activity_at),
                    )
                })
                .collect(),
            found.total,
        ),
        None => {
            let rows: Vec<_> = st
                .store
                .search_people(&query, PEOPLE_PER_PAGE as u32)
                .await?
                .into_iter()
                .map(|r| {
                    let (last, commune) = r
                        .profile
                        .as_ref()
                        .map(|p| (p.last_name.clone(), p.commune.clone()))
                        .unwrap_or_default();
                    (
                        r.person.id,
                        format!("{} {last}", r.person.first_name.clone().unwrap_or_default())
                            .trim()
                            .to_string(),
                        commune,
                        qpv(r.profile.as_ref().map(|p| p.qpv)).to_string(),
                        format_time(r.person.last_activity_at),
                    )
                })
                .collect();
            let n = rows.len();
            (rows, n)
        }
    };
    let pages = total.div_ceil(PEOPLE_PER_PAGE).max(1);
    let page = asked.min(pages);
    let link = |p: usize| {
        let mut url = String::from("/conseil/personnes?");
        if !query.is_empty() {
            url.push_str(&format!("q={}&", crate::pages::encode(&query)));
        }
        format!("{url}page={p}")
    };
    let caption = match total {
        0 => "Aucune personne".to_string(),
        1 => "1 personne".to_string(),
        n => format!("{n} personnes"),
    };
    Ok(Html(
        PeoplePage {
            me: actor_label(u),
            q: query.clone(),
            rows,
            caption,
            page,
            pages,
            prev_link: link(page.saturating_sub(1).max(1)),
            next_link: link(page + 1),
        }
        .render()?,
    )
    .into_response())
}

// --- Creating and editing a record ---------------------------------------------------------

#[derive(Template)]
#[template(path = "person_form.html")]
struct PersonFormPage {
    title: String,
    action: String,
    csrf: String,
    errors: Vec<FieldError>,
    f: PersonForm,
    hoods: Vec<(i64, String)>,
    mobility: Vec<(&'static str, &'static str, bool)>,
    days: Vec<(u8, &'static str, bool)>,
    periods: Vec<(&'static str, &'static str, bool)>,
    /// The consent sentence, on a new record only.
    consent_text: &'static str,
    /// How the person heard of us: asked on a new record only.
    origins: Vec<(&'static str, &'static str)>,
    ages: &'static [(&'static str, &'static str)],
    genders: &'static [(&'static str, &'static str)],
    stats_text: &'static str,
}

async fn person_form_page(
    st: &SharedState,
    ident: &Identity,
    title: String,
    action: String,
    f: PersonForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let is_new = action.ends_with("/nouvelle");
    let hoods = st
        .store
        .neighbourhoods()
        .await?
        .into_iter()
        .map(|h| {
            let qpv = if h.qpv {
                " – quartier prioritaire"
            } else {
                ""
            };
            (h.id, format!("{} ({}){qpv}", h.name, h.commune))
        })
        .collect();
    let mobility = Mobility::WORDS
        .iter()
        .map(|(w, l)| (*w, *l, f.mobilite.iter().any(|m| m == w)))
        .collect();
    const DAYS: [&str; 7] = [
        "Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche",
    ];
    let days = DAYS
        .iter()
        .enumerate()
        .map(|(i, d)| (i as u8, *d, f.jours.iter().any(|x| x == &i.to_string())))
        .collect();
    let periods = ShiftPeriod::ALL
        .iter()
        .map(|p| {
            (
                p.as_str(),
                p.label_fr(),
                f.horaires.iter().any(|x| x == p.as_str()),
            )
        })
        .collect();
    let status = crate::forms::status_of(&errors);
    let page = PersonFormPage {
        title,
        action,
        csrf: ident.csrf().to_string(),
        errors,
        f,
        hoods,
        mobility,
        days,
        periods,
        consent_text: if is_new {
            dklik_domain::privacy::SUPPORT_CONSENT_TEXT
        } else {
            ""
        },
        origins: if is_new {
            dklik_domain::impact::ORIGINS
                .iter()
                .map(|o| (*o, dklik_domain::impact::channel_label(o)))
                .collect()
        } else {
            vec![]
        },
        ages: &dklik_domain::impact::AGE_BANDS,
        genders: &dklik_domain::impact::GENDERS,
        stats_text: dklik_domain::skills::STATS_CONSENT_TEXT,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_person(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
) -> Result<Response, AppError> {
    person_form_page(
        &st,
        &ident,
        "Nouvelle personne".into(),
        "/conseil/personnes/nouvelle".into(),
        PersonForm {
            mobilite: vec!["bus".into()],
            ..Default::default()
        },
        vec![],
    )
    .await
}

pub async fn create_person(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let f = person_form_of(&FormData::parse(&body));
    let now = dklik_app::unix_now();
    match dklik_app::skills::create_person(st.store.as_ref(), &f, u.id, &actor_label(u), now).await
    {
        Ok(id) => Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=cree")).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            person_form_page(
                &st,
                &ident,
                "Nouvelle personne".into(),
                "/conseil/personnes/nouvelle".into(),
                f,
                errors,
            )
            .await
        }
    }
}

pub async fn edit_person(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = PersonId(id_of(&id)?);
    let p = st.store.person(id).await?.ok_or(AppError::NotFound)?;
    if p.anonymised_at.is_some() {
        return Err(AppError::NotFound);
    }
    let prof = st.store.person_profile(id).await?;
    let f = PersonForm {
        prenom: p.first_name.unwrap_or_default(),
        telephone: p.phone.unwrap_or_default(),
        email: p.email.unwrap_or_default(),
        nom: prof
            .as_ref()
            .map(|x| x.last_name.clone())
            .unwrap_or_default(),
        commune: prof.as_ref().map(|x| x.commune.clone()).unwrap_or_default(),
        quartier: prof
            .as_ref()
            .and_then(|x| x.neighbourhood_id)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        qpv: if prof.as_ref().is_some_and(|x| x.qpv) {
            "oui".into()
        } else {
            String::new()
        },
        mobilite: prof
            .as_ref()
            .map(|x| {
                x.mobility
                    .to_words()
                    .split(',')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        jours: prof
            .as_ref()
            .map(|x| {
                (0u8..7)
                    .filter(|d| x.days.contains(*d) && x.days.bits() != 0b111_1111)
                    .map(|d| d.to_string())
                    .collect()
            })
            .unwrap_or_default(),
        horaires: prof
            .as_ref()
            .map(|x| {
                dklik_domain::skills::periods_from_bits(x.periods)
                    .iter()
                    .map(|p| p.as_str().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        contraintes: prof
            .as_ref()
            .map(|x| x.constraints.clone())
            .unwrap_or_default(),
        tranche_age: prof
            .as_ref()
            .and_then(|x| x.age_band.clone())
            .unwrap_or_default(),
        genre: prof
            .as_ref()
            .and_then(|x| x.gender.clone())
            .unwrap_or_default(),
        accord_stats: if prof
            .as_ref()
            .is_some_and(|x| x.age_band.is_some() || x.gender.is_some())
        {
            "oui".into()
        } else {
            String::new()
        },
        notes: prof.map(|x| x.notes).unwrap_or_default(),
        consentement: String::new(),
        origine: String::new(),
    };
    person_form_page(
        &st,
        &ident,
        "Modifier le dossier".into(),
        format!("/conseil/personnes/{id}/modifier"),
        f,
        vec![],
    )
    .await
}

pub async fn update_person(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = PersonId(id_of(&id)?);
    let f = person_form_of(&FormData::parse(&body));
    let now = dklik_app::unix_now();
    match dklik_app::skills::update_person(st.store.as_ref(), id, &f, u.id, &actor_label(u), now)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=modifie")).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            person_form_page(
                &st,
                &ident,
                "Modifier le dossier".into(),
                format!("/conseil/personnes/{id}/modifier"),
                f,
                errors,
            )
            .await
        }
    }
}

/// `?ok=…` after a change: which notice to show.
#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    ok: String,
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADVISORS, EMPLOYER, STAFF};
    use crate::routes::{get, post};
    vec![
        get("/conseil/personnes", Who::Roles(STAFF), people),
        get("/conseil/personnes/nouvelle", Who::Roles(STAFF), new_person),
        post(
            "/conseil/personnes/nouvelle",
            Who::Roles(STAFF),
            create_person,
        ),
        get("/conseil/personnes/{id}", Who::Roles(STAFF), person),
        get(
            "/conseil/personnes/{id}/modifier",
            Who::Roles(STAFF),
            edit_person,
        ),
        post(
            "/conseil/personnes/{id}/modifier",
            Who::Roles(STAFF),
            update_person,
        ),
        post(
            "/conseil/personnes/{id}/competences",
            Who::Roles(STAFF),
            add_skill,
        ),
        post(
            "/conseil/personnes/{id}/competences/{eid}/supprimer",
            Who::Roles(STAFF),
            drop_skill,
        ),
        post(
            "/conseil/personnes/{id}/suggestions",
            Who::Roles(STAFF),
            suggest,
        ),
        post(
            "/conseil/personnes/{id}/attestations",
            Who::Roles(ADVISORS),
            endorsement_link,
        ),
        post(
            "/conseil/personnes/{id}/activites",
            Who::Roles(ADVISORS),
            add_activity,
        ),
        post(
            "/conseil/personnes/{id}/tests",
            Who::Roles(ADVISORS),
            register_test,
        ),
        get("/conseil/activites/{id}", Who::Roles(ADVISORS), activity),
        post(
            "/conseil/activites/{id}/{what}",
            Who::Roles(ADVISORS),
            activity_change,
        ),
        get("/conseil/tests", Who::Roles(ADVISORS), tests),
        post("/conseil/tests", Who::Roles(ADVISORS), create_test),
        post(
            "/conseil/tests/{id}/sessions",
            Who::Roles(ADVISORS),
            create_session,
        ),
        get("/conseil/sessions/{id}", Who::Roles(ADVISORS), session),
        post(
            "/conseil/sessions/{id}/{what}",
            Who::Roles(ADVISORS),
            session_change,
        ),
        get(
            "/conseil/offres/{code}/competences",
            Who::Roles(ADVISORS),
            needs,
        ),
        post(
            "/conseil/offres/{code}/competences",
            Who::Roles(ADVISORS),
            add_need,
        ),
        post(
            "/conseil/offres/{code}/competences/retirer",
            Who::Roles(ADVISORS),
            remove_need,
        ),
        get(
            "/entreprise/offres/{code}/competences",
            Who::Roles(EMPLOYER),
            needs,
        ),
        post(
            "/entreprise/offres/{code}/competences",
            Who::Roles(EMPLOYER),
            add_need,
        ),
        post(
            "/entreprise/offres/{code}/competences/retirer",
            Who::Roles(EMPLOYER),
            remove_need,
        ),
        get("/attester/{token}", Who::Anyone, endorse_form),
        post("/attester/{token}", Who::Anyone, endorse),
    ]
}
