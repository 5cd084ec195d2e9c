//! Staff pages of OrientaKlik: activities, sessions, registrations, attendance, surveys and their report.

use super::*;
use dklik_domain::PersonId;
use dklik_domain::SessionId;

#[derive(Template)]
#[template(path = "orientaklik_admin.html")]
struct AdminPage {
    me: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    sessions: Vec<(SessionId, String, String, u32)>,
    services: Vec<(i64, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    places: Vec<(&'static str, &'static str)>,
    f: dklik_app::orientation::ServiceForm,
}

async fn admin_page(
    st: &SharedState,
    ident: &Identity,
    notice: &str,
    errors: Vec<FieldError>,
    f: dklik_app::orientation::ServiceForm,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let store = st.store.as_ref();
    let now = dklik_app::unix_now();
    let sessions = store
        .orientation_sessions(None, now)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.id,
                format!(
                    "{} – {} – {}{}",
                    s.service_name,
                    when_fr(s.starts_at),
                    s.place,
                    if s.cancelled { " (annulée)" } else { "" }
                ),
                format!("{}/{}", s.registered, s.capacity),
                s.waiting,
            )
        })
        .collect();
    let services = store
        .services(&ServiceFilter::default())
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let status = status_of(&errors);
    let page = AdminPage {
        me: actor_label(u),
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        sessions,
        services,
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_fr()))
            .collect(),
        places: PlaceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_fr()))
            .collect(),
        f,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn admin(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "service" => "L'activité est ajoutée au catalogue.",
        "seance" => "La séance est programmée.",
        _ => "",
    };
    let f = dklik_app::orientation::ServiceForm {
        duree: "60".into(),
        capacite: "10".into(),
        ..Default::default()
    };
    admin_page(&st, &ident, notice, vec![], f).await
}

pub async fn create_service(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let f = dklik_app::orientation::ServiceForm {
        nom: d.get("nom"),
        type_service: d.get("type_service"),
        public: d.get("public"),
        description: d.get("description"),
        duree: d.get("duree"),
        type_lieu: d.get("type_lieu"),
        lieu: d.get("lieu"),
        materiel: d.get("materiel"),
        capacite: d.get("capacite"),
        porteur: d.get("porteur"),
        metiers: d.get("metiers"),
    };
    match dklik_app::orientation::create_service(st.store.as_ref(), &f, dklik_app::unix_now()).await
    {
        Ok(_) => Ok(Redirect::to("/conseil/orientaklik?ok=service").into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            admin_page(&st, &ident, "", errors, f).await
        }
    }
}

pub async fn create_session(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let service = d.get("service").parse::<i64>().unwrap_or(0);
    match dklik_app::orientation::create_session(
        st.store.as_ref(),
        service,
        &d.get("jour"),
        &d.get("heure"),
        &d.get("lieu"),
        &d.get("places"),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/conseil/orientaklik?ok=seance").into_response()),
        Err(OrientationError::Store(StoreError::NotFound)) => {
            let errors = vec![FieldError::new(
                "service",
                "Choisissez une activité de la liste.",
            )];
            admin_page(&st, &ident, "", errors, Default::default()).await
        }
        Err(e) => {
            let errors = errors_of(e)?;
            admin_page(&st, &ident, "", errors, Default::default()).await
        }
    }
}

#[derive(Template)]
#[template(path = "orientaklik_session.html")]
struct SessionPage {
    id: SessionId,
    title: String,
    when: String,
    place: String,
    taken: u32,
    capacity: u32,
    waiting: u32,
    cancelled: bool,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    /// (registration, person, name, state, holds a place, may be cancelled)
    regs: Vec<(i64, PersonId, String, String, bool, bool)>,
    questions: [&'static str; 3],
}

async fn session_page(
    st: &SharedState,
    ident: &Identity,
    id: SessionId,
    notice: &str,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let store = st.store.as_ref();
    let s = store
        .orientation_session(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let regs = store
        .registrations(id)
        .await?
        .into_iter()
        .map(|r| {
            let holds = matches!(
                r.status,
                RegistrationStatus::Registered
                    | RegistrationStatus::Present
                    | RegistrationStatus::Absent
            );
            let cancellable = matches!(
                r.status,
                RegistrationStatus::Registered | RegistrationStatus::Waiting
            );
            (
                r.id,
                r.person_id,
                if r.first_name.is_empty() {
                    format!("Personne n° {}", r.person_id)
                } else {
                    r.first_name
                },
                r.status.label_fr().to_string(),
                holds,
                cancellable,
            )
        })
        .collect();
    let status = status_of(&errors);
    let page = SessionPage {
        id,
        title: s.service_name.clone(),
        when: when_fr(s.starts_at),
        place: s.place,
        taken: s.registered,
        capacity: s.capacity,
        waiting: s.waiting,
        cancelled: s.cancelled,
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        regs,
        questions: dklik_domain::orientation::SURVEY_QUESTIONS,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn session(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "inscrire" => "La personne est inscrite (ou sur la liste d'attente si la séance est complète).",
        "presence" => "La présence est notée.",
        "annuler-inscription" => "L'inscription est annulée ; la première personne en attente a la place et est prévenue.",
        "questionnaire" => "Les réponses sont enregistrées.",
        "annuler" => "La séance est annulée ; les personnes inscrites sont prévenues.",
        _ => "",
    };
    session_page(&st, &ident, SessionId(id_of(&id)?), notice, vec![]).await
}

/// `POST /conseil/orientaklik/seances/{id}/{what}`.
pub async fn session_change(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path((id, what)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let actor = actor_label(u);
    let id = SessionId(id_of(&id)?);
    let d = FormData::parse(&body);
    let store = st.store.as_ref();
    let now = dklik_app::unix_now();
    let reg = d.get("inscription").parse::<i64>().unwrap_or(0);
    // A registration named in the form must be of this session.
    if !reg.to_string().is_empty() && reg != 0 {
        let ok = store
            .registration(reg)
            .await?
            .is_some_and(|r| r.session_id == id);
        if !ok {
            return Err(AppError::NotFound);
        }
    }
    let outcome = match what.as_str() {
        "inscrire" => {
            let person = d
                .get("personne")
                .parse::<i64>()
                .map_or(PersonId(0), PersonId);
            dklik_app::orientation::register_by_advisor(
                store,
                st.sms.as_ref(),
                id,
                person,
                &actor,
                now,
            )
            .await
            .map(|_| ())
        }
        "presence" => {
            dklik_app::orientation::set_attendance(
                store,
                reg,
                d.get("present") == "oui",
                &actor,
                now,
            )
            .await
        }
        "annuler-inscription" => {
            dklik_app::orientation::cancel_registration(store, st.sms.as_ref(), reg, &actor, now)
                .await
                .map(|_| ())
        }
        "questionnaire" => {
            let answers = vec![d.get("q1"), d.get("q2"), d.get("q3")];
            dklik_app::orientation::save_survey(
                store,
                reg,
                d.get("moment") == "apres",
                &answers,
                now,
            )
            .await
        }
        "annuler" => {
            dklik_app::orientation::cancel_session(store, st.sms.as_ref(), id, &actor, now)
                .await
                .map(|_| ())
        }
        _ => return Err(AppError::NotFound),
    };
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("/conseil/orientaklik/seances/{id}?ok={what}")).into_response(),
        ),
        Err(e) => {
            let errors = errors_of(e)?;
            session_page(&st, &ident, id, "", errors).await
        }
    }
}

/// How people see the trades before and after, per service.
pub async fn survey_report(State(st): State<SharedState>) -> Result<Response, AppError> {
    let q = dklik_domain::orientation::SURVEY_QUESTIONS;
    let rows = dklik_app::orientation::survey_changes(st.store.as_ref())
        .await?
        .into_iter()
        .map(|c| {
            let mut row = vec![c.service, c.pairs.to_string()];
            for i in 0..3 {
                row.push(format!(
                    "{:.1} → {:.1} ({:+.1})",
                    c.before[i],
                    c.after[i],
                    c.after[i] - c.before[i]
                ));
            }
            row
        })
        .collect();
    crate::account::TablePage {
        title: "OrientaKlik : comment les participants voient le métier, avant et après".into(),
        intro: vec![format!(
            "Moyennes de 1 à 5, pour les personnes qui ont répondu avant et après. Questions : 1. {} 2. {} 3. {}",
            q[0], q[1], q[2]
        )],
        links: vec![("/conseil/orientaklik".into(), "OrientaKlik".into())],
        headers: vec!["Activité", "Personnes", "Question 1", "Question 2", "Question 3"],
        rows,
        empty: "Aucune réponse avant et après pour l'instant.",
        forms: vec![],
        csrf: String::new(),
    }
    .respond()
}
