//! Staff pages of the agenda: publishing events.

use super::*;

#[derive(Template)]
#[template(path = "agenda_admin.html")]
struct AgendaAdminPage {
    me: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    kinds: Vec<(&'static str, &'static str)>,
    employers: Vec<(i64, String)>,
    events: Vec<(String, String, String, u32)>,
    f: dklik_app::orientation::EventForm,
}

async fn agenda_admin_page(
    st: &SharedState,
    ident: &Identity,
    notice: &str,
    errors: Vec<FieldError>,
    f: dklik_app::orientation::EventForm,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let store = st.store.as_ref();
    let events = store
        .events(None, dklik_app::unix_now())
        .await?
        .into_iter()
        .map(|e| (e.code, e.title, when_fr(e.starts_at), e.registrations))
        .collect();
    let status = status_of(&errors);
    let page = AgendaAdminPage {
        me: actor_label(u),
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        kinds: EventKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_fr()))
            .collect(),
        employers: store
            .employers()
            .await?
            .into_iter()
            .map(|e| (e.employer.id.0, e.employer.name))
            .collect(),
        events,
        f,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn agenda_admin(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    let notice = if q.ok.is_empty() {
        String::new()
    } else {
        format!("L'événement est publié : {}/e/{}", st.base_url, q.ok)
    };
    agenda_admin_page(&st, &ident, &notice, vec![], Default::default()).await
}

pub async fn create_event(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let f = dklik_app::orientation::EventForm {
        type_evenement: d.get("type_evenement"),
        titre: d.get("titre"),
        description: d.get("description"),
        jour: d.get("jour"),
        debut: d.get("debut"),
        fin: d.get("fin"),
        lieu: d.get("lieu"),
        latitude: d.get("latitude"),
        longitude: d.get("longitude"),
        offres: d.get("offres"),
        entreprises: d.all("entreprises"),
    };
    match dklik_app::orientation::create_event(st.store.as_ref(), &f, dklik_app::unix_now()).await {
        Ok((_, code)) => Ok(Redirect::to(&format!("/conseil/agenda?ok={code}")).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            agenda_admin_page(&st, &ident, "", errors, f).await
        }
    }
}
