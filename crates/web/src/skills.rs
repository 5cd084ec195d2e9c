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
use dklik_domain::{
    Evidence, FieldError, Mobility, OfferId, OgrCode, PersonForm, ShiftPeriod, User,
};
use std::collections::HashMap;
use std::sync::Arc;

/// A posted form: every value of every name, repeated names kept (checkboxes).
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
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
    rows: Vec<(i64, String, String, String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn people(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let query: String = q.q.chars().take(100).collect();
    let rows = st
        .store
        .search_people(&query, 200)
        .await?
        .into_iter()
        .map(|r| {
            let last = r
                .profile
                .as_ref()
                .map(|p| p.last_name.clone())
                .unwrap_or_default();
            (
                r.person.id,
                format!("{} {last}", r.person.first_name.clone().unwrap_or_default())
                    .trim()
                    .to_string(),
                r.profile
                    .as_ref()
                    .map(|p| p.commune.clone())
                    .unwrap_or_default(),
                match r.profile.as_ref().map(|p| p.qpv) {
                    Some(true) => "oui".into(),
                    Some(false) => "non".into(),
                    None => "?".into(),
                },
                format_time(r.person.last_activity_at),
            )
        })
        .collect();
    Ok(Html(
        PeoplePage {
            me: actor_label(u),
            q: query,
            rows,
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
    let id = id_of(&id)?;
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
    let id = id_of(&id)?;
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

// --- A person's page -----------------------------------------------------------------------

struct SkillRow {
    code: i64,
    label: String,
    level: String,
    evidence: String,
    endorsed: String,
    /// The evidence id, when the skill is only a suggestion (it can be turned down).
    suggestion: Option<i64>,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    me: String,
    id: i64,
    name: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    record: Vec<(String, String)>,
    skills: Vec<SkillRow>,
    text: String,
    suggestions: Vec<(i64, String, String)>,
    search: String,
    found: Vec<(i64, String)>,
    activities: Vec<(i64, String)>,
    tests: Vec<String>,
    sessions: Vec<(i64, String)>,
    journey: Vec<(String, String, String)>,
    intros: Vec<IntroView>,
    reasons: [&'static str; 6],
}

struct IntroView {
    id: i64,
    code: String,
    title: String,
    status: String,
    steps: Vec<String>,
    next: Vec<(&'static str, &'static str)>,
}

/// What the person's page shows beside the record.
#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) notice: String,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) text: String,
    pub(crate) suggestions: Vec<(i64, String, String)>,
    pub(crate) search: String,
    pub(crate) found: Vec<(i64, String)>,
}

/// The person's page again, with the form's errors.
pub(crate) async fn person_errors(
    st: &SharedState,
    ident: &Identity,
    id: i64,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    person_page(
        st,
        ident,
        id,
        Extras {
            errors,
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn person_page(
    st: &SharedState,
    ident: &Identity,
    id: i64,
    x: Extras,
) -> Result<Response, AppError> {
    let u = me(ident)?;
    let store = st.store.as_ref();
    let p = store.person(id).await?.ok_or(AppError::NotFound)?;
    if p.anonymised_at.is_some() {
        return Err(AppError::NotFound);
    }
    let r = reference(st).await?;
    let prof = store.person_profile(id).await?;
    let hoods = store.neighbourhoods().await?;
    let name = format!(
        "{} {}",
        p.first_name.clone().unwrap_or_default(),
        prof.as_ref()
            .map(|x| x.last_name.clone())
            .unwrap_or_default()
    )
    .trim()
    .to_string();
    let mut record = vec![
        (
            "Téléphone".to_string(),
            p.phone.clone().unwrap_or_else(|| "–".into()),
        ),
        (
            "E-mail".to_string(),
            p.email.clone().unwrap_or_else(|| "–".into()),
        ),
    ];
    if let Some(x) = &prof {
        let hood = x
            .neighbourhood_id
            .and_then(|n| hoods.iter().find(|h| h.id == n))
            .map(|h| h.name.clone())
            .unwrap_or_else(|| "–".into());
        record.extend([
            ("Commune".into(), x.commune.clone()),
            ("Quartier".into(), hood),
            (
                "Quartier prioritaire".into(),
                if x.qpv { "oui" } else { "non" }.into(),
            ),
            ("Se déplace avec".into(), x.mobility.describe_fr()),
            ("Jours possibles".into(), x.days.describe_fr()),
            (
                "Horaires possibles".into(),
                dklik_domain::skills::periods_from_bits(x.periods)
                    .iter()
                    .map(|p| p.label_fr())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("Contraintes".into(), x.constraints.clone()),
            ("Notes".into(), x.notes.clone()),
        ]);
    }
    for c in store.consents(id).await? {
        record.push((
            "Accord donné".into(),
            format!(
                "{} – le {} (texte {}){}",
                c.purpose,
                format_time(c.given_at),
                c.wording_version,
                c.withdrawn_at
                    .map(|w| format!(", retiré le {}", format_time(w)))
                    .unwrap_or_default()
            ),
        ));
    }
    let endorsements = store.endorsements(id).await?;
    let done: Vec<(OgrCode, String, String)> = endorsements
        .iter()
        .filter(|e| e.used_at.is_some())
        .map(|e| {
            (
                e.item,
                e.endorser_name.clone().unwrap_or_default(),
                e.endorser_role.clone().unwrap_or_default(),
            )
        })
        .collect();
    let summary =
        dklik_domain::skills::summarise(store.skill_evidence(id).await?, &done, |c| r.label(c));
    let skills = summary
        .iter()
        .map(|s| SkillRow {
            code: s.item.0,
            label: s.label.clone(),
            level: format!("{} – {}", s.level.get(), s.level.label_fr()),
            evidence: s.evidence.label_fr().into(),
            endorsed: s
                .endorsed_by
                .iter()
                .map(|(n, r)| format!("{n} ({r})"))
                .collect::<Vec<_>>()
                .join(", "),
            suggestion: (s.evidence == Evidence::Suggested)
                .then(|| s.pieces.first().map(|p| p.id))
                .flatten(),
        })
        .collect();
    let activities = store
        .activities(id)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.id,
                format!(
                    "{} – {} ({} au {})",
                    a.kind.label_fr(),
                    a.title,
                    day_fr(a.starts_on),
                    day_fr(a.ends_on)
                ),
            )
        })
        .collect();
    let all_sessions = store.test_sessions(None).await?;
    let results = store.test_results(id).await?;
    let mut tests: Vec<String> = Vec::new();
    for s in &all_sessions {
        let mine: Vec<&dklik_app::skills_store::TestResult> =
            results.iter().filter(|x| x.session_id == s.id).collect();
        if !mine.is_empty() {
            tests.push(format!(
                "{} ({}) : {}",
                s.test_name,
                format_time(s.starts_at),
                mine.iter()
                    .map(|m| format!("{} niveau {}", m.target.as_key(), m.level.get()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let now = dklik_app::unix_now();
    let sessions = all_sessions
        .iter()
        .filter(|s| s.starts_at > now - 86_400 && s.registered < s.capacity)
        .map(|s| {
            (
                s.id,
                format!(
                    "{} – {} – {} ({} place(s) libre(s))",
                    s.test_name,
                    format_time(s.starts_at),
                    s.place,
                    s.capacity - s.registered
                ),
            )
        })
        .collect();
    let mut intros = Vec::new();
    for i in store.person_introductions(id).await? {
        let steps = store
            .introduction_steps(i.id)
            .await?
            .into_iter()
            .map(|s| {
                format!(
                    "{} – {} ({}){}",
                    format_time(s.at),
                    s.to.label_fr(),
                    s.actor,
                    if s.note.is_empty() {
                        String::new()
                    } else {
                        format!(" : {}", s.note)
                    }
                )
            })
            .collect();
        intros.push(IntroView {
            id: i.id,
            code: i.offer_code,
            title: i.offer_title,
            status: i.status.label_fr().into(),
            steps,
            next: i
                .status
                .next()
                .iter()
                .map(|s| (s.as_str(), s.label_fr()))
                .collect(),
        });
    }
    let journey = store
        .journey(id)
        .await?
        .into_iter()
        .rev()
        .map(|e| (format_time(e.at), e.summary, e.actor))
        .collect();
    store
        .add_audit(
            Some(u.id),
            &actor_label(u),
            "read",
            &format!("person:{id}"),
            "dossier consulté",
            now,
        )
        .await?;
    let status = crate::forms::status_of(&x.errors);
    let page = PersonPage {
        me: actor_label(u),
        id,
        name: if name.is_empty() {
            format!("Personne n° {id}")
        } else {
            name
        },
        notice: x.notice,
        errors: x.errors,
        csrf: ident.csrf().to_string(),
        record,
        skills,
        text: x.text,
        suggestions: x.suggestions,
        search: x.search,
        found: x.found,
        activities,
        tests,
        sessions,
        journey,
        intros,
        reasons: dklik_domain::matching::NOT_HIRED_REASONS,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub fn day_fr(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

#[derive(serde::Deserialize, Default)]
pub struct PersonQuery {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    chercher: String,
}

pub async fn person(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Query(q): Query<PersonQuery>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let notice = match q.ok.as_str() {
        "cree" => "Le dossier est créé.",
        "modifie" => "Le dossier est modifié.",
        "competence" => "La compétence est ajoutée.",
        "ecartee" => "La suggestion est écartée.",
        "activite" => "L'activité est ajoutée.",
        "inscrit" => "La personne est inscrite à la session.",
        "propose" => "La mise en relation est proposée : parlez-en avec la personne.",
        "etape" => "L'étape est enregistrée.",
        _ => "",
    };
    let search: String = q.chercher.chars().take(100).collect();
    let found = if search.trim().is_empty() {
        vec![]
    } else {
        let r = reference(&st).await?;
        r.index
            .search(&search, &[], 30)
            .into_iter()
            .map(|(c, _)| (c.0, r.label(c)))
            .collect()
    };
    person_page(
        &st,
        &ident,
        id,
        Extras {
            notice: notice.into(),
            search,
            found,
            ..Default::default()
        },
    )
    .await
}

pub async fn add_skill(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = id_of(&id)?;
    st.store.person(id).await?.ok_or(AppError::NotFound)?;
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    let evidence = match d.get("preuve").as_str() {
        "suggested" => Evidence::Suggested,
        _ => Evidence::Declared,
    };
    match dklik_app::skills::declare_skill(
        st.store.as_ref(),
        &r,
        id,
        (&d.get("element"), &d.get("niveau")),
        (evidence, &d.get("source")),
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=competence")).into_response())
        }
        Err(e) => person_errors(&st, &ident, id, errors_of(e)?).await,
    }
}

pub async fn drop_skill(
    State(st): State<SharedState>,
    Extension(_ident): Extension<Identity>,
    Path((id, eid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (id, eid) = (id_of(&id)?, id_of(&eid)?);
    st.store.delete_skill_evidence(id, eid).await?;
    Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=ecartee")).into_response())
}

pub async fn suggest(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    let text = d.get("texte");
    let r = reference(&st).await?;
    let x = match dklik_app::skills::suggest(&r, &text, 8) {
        Ok(list) => Extras {
            notice: if list.is_empty() {
                "Aucune compétence trouvée : essayez avec d'autres mots.".into()
            } else {
                String::new()
            },
            suggestions: list
                .into_iter()
                .map(|s| (s.code.0, s.label, s.reason))
                .collect(),
            text: text.chars().take(dklik_app::skills::MAX_TEXT).collect(),
            ..Default::default()
        },
        Err(e) => Extras {
            errors: errors_of(e)?,
            text: text.chars().take(dklik_app::skills::MAX_TEXT).collect(),
            ..Default::default()
        },
    };
    person_page(&st, &ident, id, x).await
}

pub async fn endorsement_link(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    match dklik_app::skills::endorsement_link(
        st.store.as_ref(),
        &r,
        id,
        &d.get("element"),
        &d.get("contexte"),
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(token) => Ok(crate::pages::message_page(
            StatusCode::OK,
            "Lien d'attestation créé",
            &[
                "Envoyez ce lien à la personne qui atteste (entraîneur, président du club…). Il sert une fois, pendant 30 jours, et ne sera plus affiché :",
                &format!("{}/attester/{token}", st.base_url),
                &format!("Retour au dossier : {}/conseil/personnes/{id}", st.base_url),
            ],
            false,
            "",
        )),
        Err(e) => {
            person_errors(&st, &ident, id, errors_of(e)?).await
        }
    }
}

pub async fn add_activity(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    let f = dklik_app::skills::ActivityForm {
        type_activite: d.get("type_activite"),
        titre: d.get("titre"),
        lieu: d.get("lieu"),
        tuteur: d.get("tuteur"),
        debut: d.get("debut"),
        fin: d.get("fin"),
    };
    match dklik_app::skills::create_activity(
        st.store.as_ref(),
        id,
        &f,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(aid) => Ok(Redirect::to(&format!("/conseil/activites/{aid}")).into_response()),
        Err(e) => person_errors(&st, &ident, id, errors_of(e)?).await,
    }
}

pub async fn register_test(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    let session = d.get("session").parse::<i64>().unwrap_or(0);
    match dklik_app::skills::register_for_test(
        st.store.as_ref(),
        session,
        id,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=inscrit")).into_response()),
        Err(SkillsError::Store(StoreError::NotFound)) => {
            let e = FieldError::new("session", "Choisissez une session de la liste.");
            person_errors(&st, &ident, id, vec![e]).await
        }
        Err(e) => person_errors(&st, &ident, id, errors_of(e)?).await,
    }
}

// --- Activities ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    id: i64,
    person: i64,
    title: String,
    kind: String,
    place: String,
    tutor: String,
    dates: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    days: Vec<(String, String, String)>,
    observations: Vec<String>,
    candidates: Vec<(i64, String)>,
    review: Option<String>,
}

async fn activity_page(
    st: &SharedState,
    ident: &Identity,
    id: i64,
    notice: &str,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let a = st.store.activity(id).await?.ok_or(AppError::NotFound)?;
    let r = reference(st).await?;
    let mut days = Vec::new();
    let mut d = a.starts_on;
    while d <= a.ends_on {
        let state = match a.days.iter().find(|(x, _)| *x == d) {
            Some((_, true)) => "présent",
            Some((_, false)) => "absent",
            None => "non noté",
        };
        days.push((
            format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            day_fr(d),
            state.to_string(),
        ));
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    // What the tutor may observe: the savoir-être, then what the person already has.
    let mut candidates: Vec<(i64, String)> = Vec::new();
    for s in st.store.rome_savoir_etre().await? {
        candidates.push((s.code.0, s.label));
    }
    for e in st.store.skill_evidence(a.person_id).await? {
        if !candidates.iter().any(|(c, _)| *c == e.item.0) {
            candidates.push((e.item.0, r.label(e.item)));
        }
    }
    let observations = a
        .observations
        .iter()
        .map(|o| {
            format!(
                "{} – niveau {} – {} ({}, {})",
                r.label(o.item),
                o.level.get(),
                o.comment,
                o.observer,
                format_time(o.at)
            )
        })
        .collect();
    let status = crate::forms::status_of(&errors);
    let page = ActivityPage {
        id,
        person: a.person_id,
        title: a.title.clone(),
        kind: a.kind.label_fr().into(),
        place: a.place.clone(),
        tutor: a.tutor.clone(),
        dates: format!("du {} au {}", day_fr(a.starts_on), day_fr(a.ends_on)),
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        days,
        observations,
        candidates,
        review: a.review,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    ok: String,
}

pub async fn activity(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "jour" => "La présence est notée.",
        "observation" => "L'observation est enregistrée.",
        "bilan" => "Le bilan est enregistré.",
        _ => "",
    };
    activity_page(&st, &ident, id_of(&id)?, notice, vec![]).await
}

/// `POST /conseil/activites/{id}/{what}`: jour, observation, bilan.
pub async fn activity_change(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path((id, what)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    let now = dklik_app::unix_now();
    let store = st.store.as_ref();
    let r = reference(&st).await?;
    let outcome = match what.as_str() {
        "jour" => {
            dklik_app::skills::set_activity_day(
                store,
                id,
                &d.get("jour"),
                d.get("present") == "oui",
            )
            .await
        }
        "observation" => {
            dklik_app::skills::observe(
                store,
                &r,
                id,
                (&d.get("element"), &d.get("niveau")),
                &d.get("commentaire"),
                &d.get("observateur"),
                now,
            )
            .await
        }
        "bilan" => {
            dklik_app::skills::review_activity(store, id, &d.get("bilan"), &actor_label(u), now)
                .await
        }
        _ => return Err(AppError::NotFound),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/activites/{id}?ok={what}")).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            activity_page(&st, &ident, id, "", errors).await
        }
    }
}

// --- Tests and sessions --------------------------------------------------------------------

struct TestView {
    id: i64,
    name: String,
    description: String,
    modality: String,
    duration: String,
    capacity: u32,
    employers: String,
    items: Vec<(String, String, String, String, String)>,
    sessions: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "tests.html")]
struct TestsPage {
    me: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    tests: Vec<TestView>,
    f: dklik_app::skills::TestForm,
    modalities: Vec<(&'static str, &'static str)>,
    employers: Vec<(i64, String)>,
    habiletes: Vec<(u8, String, String)>,
}

async fn tests_page(
    st: &SharedState,
    ident: &Identity,
    notice: &str,
    errors: Vec<FieldError>,
    f: dklik_app::skills::TestForm,
) -> Result<Response, AppError> {
    let u = me(ident)?;
    let store = st.store.as_ref();
    let r = reference(st).await?;
    let employers: Vec<(i64, String)> = store
        .employers()
        .await?
        .into_iter()
        .map(|e| (e.employer.id.0, e.employer.name))
        .collect();
    let sessions = store.test_sessions(None).await?;
    let tests = store
        .tests()
        .await?
        .into_iter()
        .map(|t| TestView {
            id: t.id,
            name: t.name,
            description: t.description,
            modality: t.modality.label_fr().into(),
            duration: format!("{} min", t.duration_min),
            capacity: t.capacity,
            employers: t
                .employers
                .iter()
                .filter_map(|e| {
                    employers
                        .iter()
                        .find(|(i, _)| i == e)
                        .map(|(_, n)| n.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
            items: t
                .items
                .iter()
                .map(|i| {
                    let [a, b, c, d] = i.rubric.clone();
                    (i.label.clone(), a, b, c, d)
                })
                .collect(),
            sessions: sessions
                .iter()
                .filter(|s| s.test_id == t.id)
                .map(|s| {
                    (
                        s.id,
                        format!(
                            "{} – {} ({}/{})",
                            format_time(s.starts_at),
                            s.place,
                            s.registered,
                            s.capacity
                        ),
                    )
                })
                .collect(),
        })
        .collect();
    let habiletes = dklik_domain::skills::habiletes()
        .iter()
        .map(|h| {
            (
                h.number,
                h.label.clone(),
                h.rome_items
                    .iter()
                    .map(|c| r.label(*c))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
        .collect();
    let status = crate::forms::status_of(&errors);
    let page = TestsPage {
        me: actor_label(u),
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        tests,
        f,
        modalities: dklik_domain::Modality::ALL
            .iter()
            .map(|m| (m.as_str(), m.label_fr()))
            .collect(),
        employers,
        habiletes,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn tests(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "test" => "Le test est créé.",
        "session" => "La session est programmée.",
        _ => "",
    };
    let f = dklik_app::skills::TestForm {
        duree: "60".into(),
        capacite: "8".into(),
        ..Default::default()
    };
    tests_page(&st, &ident, notice, vec![], f).await
}

pub async fn create_test(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let f = dklik_app::skills::TestForm {
        nom: d.get("nom"),
        description: d.get("description"),
        modalite: d.get("modalite"),
        duree: d.get("duree"),
        capacite: d.get("capacite"),
        elements: d.get("elements"),
        entreprises: d.all("entreprises"),
    };
    let r = reference(&st).await?;
    match dklik_app::skills::create_test(st.store.as_ref(), &r, &f, dklik_app::unix_now()).await {
        Ok(_) => Ok(Redirect::to("/conseil/tests?ok=test").into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            tests_page(&st, &ident, "", errors, f).await
        }
    }
}

pub async fn create_session(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    match dklik_app::skills::create_session(
        st.store.as_ref(),
        id,
        &d.get("jour"),
        &d.get("heure"),
        &d.get("lieu"),
        &d.get("capacite_session"),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/conseil/tests?ok=session").into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            tests_page(&st, &ident, "", errors, Default::default()).await
        }
    }
}

#[derive(Template)]
#[template(path = "session.html")]
struct SessionPage {
    id: i64,
    title: String,
    when: String,
    place: String,
    taken: u32,
    capacity: u32,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    me: String,
    people: Vec<(i64, String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    items: Vec<(String, String, String, String, String, String)>,
    day: String,
}

async fn session_page(
    st: &SharedState,
    ident: &Identity,
    id: i64,
    notice: &str,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let u = me(ident)?;
    let store = st.store.as_ref();
    let s = store
        .test_sessions(None)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)?;
    let t = store
        .tests()
        .await?
        .into_iter()
        .find(|t| t.id == s.test_id)
        .ok_or(AppError::NotFound)?;
    let people = store
        .session_people(id)
        .await?
        .into_iter()
        .map(|p| (p.person_id, p.name, p.status.label_fr().to_string()))
        .collect();
    let items = t
        .items
        .iter()
        .map(|i| {
            let [a, b, c, d] = i.rubric.clone();
            (i.target.as_key(), i.label.clone(), a, b, c, d)
        })
        .collect();
    let today = dklik_app::today_paris();
    let status = crate::forms::status_of(&errors);
    let page = SessionPage {
        id,
        title: format!("Session : {}", t.name),
        when: format_time(s.starts_at),
        place: s.place,
        taken: s.registered,
        capacity: s.capacity,
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        me: u.display_name.clone(),
        people,
        statuses: vec![("present", "Présent"), ("absent", "Absent")],
        items,
        day: format!(
            "{}-{:02}-{:02}",
            today.year(),
            u8::from(today.month()),
            today.day()
        ),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn session(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "presence" => "La présence est notée.",
        "resultats" => "Les résultats sont enregistrés : ils deviennent des compétences testées.",
        _ => "",
    };
    session_page(&st, &ident, id_of(&id)?, notice, vec![]).await
}

/// `POST /conseil/sessions/{id}/{what}`: presence, resultats.
pub async fn session_change(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path((id, what)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    let person = d.get("personne").parse::<i64>().unwrap_or(0);
    let now = dklik_app::unix_now();
    let outcome = match what.as_str() {
        "presence" => {
            dklik_app::skills::set_attendance(
                st.store.as_ref(),
                id,
                person,
                &d.get("presence"),
                &actor_label(u),
                now,
            )
            .await
        }
        "resultats" => {
            let r = reference(&st).await?;
            let input = dklik_app::skills::ResultsInput {
                levels: d.prefixed("niveau:"),
                evaluator: d.get("evaluateur"),
                day: d.get("jour_resultat"),
                notes: d.get("notes"),
            };
            dklik_app::skills::enter_results(st.store.as_ref(), &r, id, person, &input, now)
                .await
                .map(|_| ())
        }
        _ => return Err(AppError::NotFound),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/sessions/{id}?ok={what}")).into_response()),
        Err(SkillsError::Store(StoreError::NotFound)) => {
            session_page(
                &st,
                &ident,
                id,
                "",
                vec![FieldError::new(
                    "personne",
                    "Cette personne n'est pas inscrite à cette session.",
                )],
            )
            .await
        }
        Err(e) => {
            let errors = errors_of(e)?;
            session_page(&st, &ident, id, "", errors).await
        }
    }
}

// --- An offer's needs (advisors, and the employer for its own offers) -----------------------

#[derive(Template)]
#[template(path = "offer_needs.html")]
struct NeedsPage {
    title: String,
    code: String,
    rome: String,
    back: String,
    base: String,
    csrf: String,
    errors: Vec<FieldError>,
    items: Vec<(i64, String, String, String)>,
    search: String,
    candidates: Vec<(i64, String, bool)>,
}

/// The offer behind the address, if this identity may change its needs.
async fn offer_for(
    st: &SharedState,
    ident: &Identity,
    code: &str,
) -> Result<(dklik_domain::Offer, String, String), AppError> {
    let code = dklik_domain::ShortCode::parse(code).map_err(|_| AppError::NotFound)?;
    let o = st
        .store
        .offer_by_code(&code)
        .await?
        .ok_or(AppError::NotFound)?;
    match ident.user() {
        Some(u) if u.role == dklik_domain::Role::Employer => {
            if u.employer_id != Some(o.employer_id) {
                return Err(AppError::NotFound);
            }
            let base = format!("/entreprise/offres/{code}/competences");
            Ok((o, base, format!("/entreprise/offres/{code}")))
        }
        Some(_) => {
            let base = format!("/conseil/offres/{code}/competences");
            Ok((o, base, format!("/offres/{code}")))
        }
        None => Err(AppError::NotFound),
    }
}

async fn needs_page(
    st: &SharedState,
    ident: &Identity,
    code: &str,
    search: String,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let (o, base, back) = offer_for(st, ident, code).await?;
    let r = reference(st).await?;
    let candidates = dklik_app::skills::need_candidates(&r, &o, &search, 40)
        .into_iter()
        .map(|(c, l, core)| (c.0, l, core))
        .collect();
    let items = o
        .items
        .iter()
        .map(|i| {
            (
                i.code.0,
                i.label.clone(),
                format!("{} – {}", i.level.get(), i.level.label_fr()),
                match i.importance {
                    dklik_domain::Importance::Must => "obligatoire".to_string(),
                    dklik_domain::Importance::Nice => "souhaitée".to_string(),
                },
            )
        })
        .collect();
    let status = crate::forms::status_of(&errors);
    let page = NeedsPage {
        title: o.title.clone(),
        code: o.code.to_string(),
        rome: o.rome.to_string(),
        back,
        base,
        csrf: ident.csrf().to_string(),
        errors,
        items,
        search,
        candidates,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct NeedsQuery {
    #[serde(default)]
    chercher: String,
}

pub async fn needs(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    Query(q): Query<NeedsQuery>,
) -> Result<Response, AppError> {
    needs_page(
        &st,
        &ident,
        &code,
        q.chercher.chars().take(100).collect(),
        vec![],
    )
    .await
}

pub async fn add_need(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (o, base, _) = offer_for(&st, &ident, &code).await?;
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    match dklik_app::skills::set_offer_need(
        st.store.as_ref(),
        &r,
        o.id,
        &d.get("element"),
        &d.get("niveau"),
        &d.get("importance"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&base).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            needs_page(&st, &ident, &code, String::new(), errors).await
        }
    }
}

pub async fn remove_need(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (o, base, _) = offer_for(&st, &ident, &code).await?;
    let d = FormData::parse(&body);
    let item = OgrCode::parse(&d.get("element")).map_err(|_| AppError::NotFound)?;
    match dklik_app::skills::remove_offer_need(st.store.as_ref(), OfferId(o.id.0), item).await {
        Ok(()) => Ok(Redirect::to(&base).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            needs_page(&st, &ident, &code, String::new(), errors).await
        }
    }
}

// --- Endorsement (public, by link) ---------------------------------------------------------

#[derive(Template)]
#[template(path = "endorse.html")]
struct EndorsePage {
    errors: Vec<FieldError>,
    open: bool,
    message: String,
    token: String,
    first_name: String,
    skill: String,
    context: String,
    name: String,
    role: String,
    comment: String,
}

fn endorse_closed(message: &str, status: StatusCode) -> Result<Response, AppError> {
    let page = EndorsePage {
        errors: vec![],
        open: false,
        message: message.into(),
        token: String::new(),
        first_name: String::new(),
        skill: String::new(),
        context: String::new(),
        name: String::new(),
        role: String::new(),
        comment: String::new(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn endorse_page(
    st: &SharedState,
    token: &str,
    errors: Vec<FieldError>,
    d: Option<&FormData>,
) -> Result<Response, AppError> {
    use dklik_app::skills::LinkState;
    let state =
        dklik_app::skills::endorsement_state(st.store.as_ref(), token, dklik_app::unix_now())
            .await?;
    let e = match state {
        LinkState::Unknown => {
            return endorse_closed(
                "Ce lien n'existe pas. Vérifiez qu'il est complet.",
                StatusCode::NOT_FOUND,
            )
        }
        LinkState::Used => {
            return endorse_closed(
                "Ce lien a déjà servi : l'attestation est enregistrée. Merci !",
                StatusCode::GONE,
            )
        }
        LinkState::Expired => {
            return endorse_closed(
                "Ce lien a expiré. Demandez-en un nouveau au conseiller.",
                StatusCode::GONE,
            )
        }
        LinkState::Open(e) => e,
    };
    let r = reference(st).await?;
    let first_name = st
        .store
        .person(e.person_id)
        .await?
        .and_then(|p| p.first_name)
        .unwrap_or_else(|| "La personne".into());
    let status = crate::forms::status_of(&errors);
    let page = EndorsePage {
        errors,
        open: true,
        message: String::new(),
        token: token.into(),
        first_name,
        skill: r.label(e.item),
        context: e.context,
        name: d.map(|d| d.get("nom")).unwrap_or_default(),
        role: d.map(|d| d.get("role")).unwrap_or_default(),
        comment: d.map(|d| d.get("commentaire")).unwrap_or_default(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn valid_link_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn endorse_form(
    State(st): State<SharedState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if !valid_link_token(&token) {
        return endorse_closed(
            "Ce lien n'existe pas. Vérifiez qu'il est complet.",
            StatusCode::NOT_FOUND,
        );
    }
    endorse_page(&st, &token, vec![], None).await
}

pub async fn endorse(
    State(st): State<SharedState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    if !valid_link_token(&token) {
        return endorse_closed(
            "Ce lien n'existe pas. Vérifiez qu'il est complet.",
            StatusCode::NOT_FOUND,
        );
    }
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    match dklik_app::skills::endorse(
        st.store.as_ref(),
        &r,
        &token,
        &d.get("nom"),
        &d.get("role"),
        &d.get("commentaire"),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => endorse_closed(
            "Merci ! Votre attestation est enregistrée dans le dossier de la personne.",
            StatusCode::OK,
        ),
        Err(e) => {
            let errors = errors_of(e)?;
            if errors.iter().any(|e| e.field == "lien") {
                return endorse_closed(
                    "Ce lien n'est plus valable : il a déjà servi ou il a expiré.",
                    StatusCode::GONE,
                );
            }
            endorse_page(&st, &token, errors, Some(&d)).await
        }
    }
}
