//! The test catalogue, test sessions, registrations and results.

use super::*;
use dklik_domain::PersonId;

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
    people: Vec<(PersonId, String, String)>,
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
    let person = d
        .get("personne")
        .parse::<i64>()
        .map_or(PersonId(0), PersonId);
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
