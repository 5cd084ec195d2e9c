//! The public OrientaKlik catalogue: activities, their sessions and registration without an account.

use super::*;
use dklik_domain::SessionId;

struct ServiceCard {
    id: i64,
    name: String,
    kind: String,
    duration: String,
    place: String,
    audience: String,
    trades: String,
    next: String,
    fictional: bool,
}

#[derive(Template)]
#[template(path = "orientaklik.html")]
struct CataloguePage {
    kinds: Vec<(&'static str, &'static str)>,
    families: Vec<(char, String)>,
    places: Vec<(&'static str, &'static str)>,
    q_kind: String,
    q_family: String,
    q_place: String,
    services: Vec<ServiceCard>,
}

#[derive(serde::Deserialize, Default)]
pub struct CatalogueQuery {
    #[serde(default, rename = "type")]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) famille: String,
    #[serde(default)]
    pub(super) lieu: String,
}

fn duration_fr(min: u32) -> String {
    match min {
        m if m >= 24 * 60 => format!("{} jour(s)", m / (24 * 60)),
        m if m >= 60 && m % 60 == 0 => format!("{} h", m / 60),
        m if m >= 60 => format!("{} h {:02}", m / 60, m % 60),
        m => format!("{m} min"),
    }
}

pub async fn catalogue(
    State(st): State<SharedState>,
    Query(q): Query<CatalogueQuery>,
) -> Result<Response, AppError> {
    let store = st.store.as_ref();
    let filter = ServiceFilter {
        kind: ServiceKind::parse(&q.kind).ok(),
        family: q
            .famille
            .trim()
            .chars()
            .next()
            .filter(|c| c.is_ascii_uppercase()),
        place_kind: PlaceKind::parse(&q.lieu).ok(),
    };
    let now = dklik_app::unix_now();
    let sessions = store.orientation_sessions(None, now).await?;
    let r = st.skills.get(store).await?;
    let services = store
        .services(&filter)
        .await?
        .into_iter()
        .map(|s| {
            let next = sessions
                .iter()
                .find(|x| x.service_id == s.id && !x.cancelled && x.starts_at > now)
                .map(|x| {
                    if x.places_left() > 0 {
                        format!("Prochaine séance : {}", when_fr(x.starts_at))
                    } else {
                        format!(
                            "Prochaine séance : {} (complète, liste d'attente)",
                            when_fr(x.starts_at)
                        )
                    }
                })
                .unwrap_or_else(|| "Pas de séance prévue pour l'instant.".into());
            ServiceCard {
                id: s.id,
                kind: s.kind.label_fr().into(),
                duration: duration_fr(s.duration_min),
                place: format!("{} ({})", s.place, s.place_kind.label_fr().to_lowercase()),
                audience: s.audience,
                trades: s
                    .trades
                    .iter()
                    .map(|t| r.job_label(t))
                    .collect::<Vec<_>>()
                    .join(", "),
                next,
                fictional: s.fictional,
                name: s.name,
            }
        })
        .collect();
    let families = store
        .rome_domains()
        .await?
        .into_iter()
        .filter(|d| d.code.len() == 1)
        .filter_map(|d| d.code.chars().next().map(|c| (c, d.label)))
        .collect();
    let page = CataloguePage {
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_fr()))
            .collect(),
        families,
        places: PlaceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_fr()))
            .collect(),
        q_kind: q.kind,
        q_family: q.famille,
        q_place: q.lieu,
        services,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "orientaklik_service.html")]
struct ServicePage {
    id: i64,
    name: String,
    description: String,
    facts: Vec<(&'static str, String)>,
    sessions: Vec<(SessionId, String)>,
    notice: String,
    errors: Vec<FieldError>,
    form: RegisterFields,
    consent: &'static str,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct RegisterFields {
    pub(super) seance: String,
    pub(super) prenom: String,
    pub(super) telephone: String,
    pub(super) email: String,
    pub(super) consentement: String,
}

async fn service_page(
    st: &SharedState,
    id: i64,
    notice: &str,
    errors: Vec<FieldError>,
    form: RegisterFields,
) -> Result<Response, AppError> {
    let store = st.store.as_ref();
    let s = store.service(id).await?.ok_or(AppError::NotFound)?;
    let now = dklik_app::unix_now();
    let r = st.skills.get(store).await?;
    let sessions = store
        .orientation_sessions(Some(id), now)
        .await?
        .into_iter()
        .filter(|x| !x.cancelled && x.starts_at > now)
        .map(|x| {
            let left = x.places_left();
            let places = if left > 0 {
                format!("{left} place(s) libre(s)")
            } else {
                format!("complète – liste d'attente ({})", x.waiting)
            };
            (
                x.id,
                format!("{} – {} – {places}", when_fr(x.starts_at), x.place),
            )
        })
        .collect();
    let facts = vec![
        ("Type", s.kind.label_fr().to_string()),
        ("Pour qui", s.audience.clone()),
        ("Durée", duration_fr(s.duration_min)),
        ("Où", format!("{} – {}", s.place_kind.label_fr(), s.place)),
        ("Matériel", s.equipment.clone()),
        ("Places par séance", s.capacity.to_string()),
        ("Proposé par", s.provider.clone()),
        (
            "Métiers",
            s.trades
                .iter()
                .map(|t| r.job_label(t))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    let status = status_of(&errors);
    let page = ServicePage {
        id,
        name: s.name,
        description: s.description,
        facts,
        sessions,
        notice: notice.into(),
        errors,
        form,
        consent: ORIENTATION_CONSENT_TEXT,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct OkQuery {
    #[serde(default)]
    pub(super) ok: String,
    /// "affiche" when the page was reached from a poster's QR code.
    #[serde(default)]
    pub(super) src: String,
}

pub async fn service(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "inscrit" => "C'est noté : vous êtes inscrit(e). Nous vous le rappellerons la veille.",
        "attente" => "La séance est complète : vous êtes sur la liste d'attente. Si une place se libère, elle est pour vous et nous vous prévenons.",
        _ => "",
    };
    service_page(&st, id_of(&id)?, notice, vec![], RegisterFields::default()).await
}

pub async fn register(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    if !st
        .public_writes
        .allow(crate::pages::client_ip(&parts.extensions))
    {
        return Err(AppError::TooManyRequests);
    }
    let d = FormData::parse(&body);
    let form = RegisterFields {
        seance: d.get("seance"),
        prenom: d.get("prenom"),
        telephone: d.get("telephone"),
        email: d.get("email"),
        consentement: d.get("consentement"),
    };
    let session = SessionId(form.seance.parse::<i64>().unwrap_or(0));
    // The session must belong to this service.
    let belongs = st
        .store
        .orientation_session(session)
        .await?
        .is_some_and(|s| s.service_id == id);
    if !belongs {
        let errors = vec![FieldError::new(
            "seance",
            "Choisissez une séance de la liste.",
        )];
        return service_page(&st, id, "", errors, form).await;
    }
    let c = ContactForm {
        prenom: form.prenom.clone(),
        telephone: form.telephone.clone(),
        email: form.email.clone(),
        consentement: form.consentement.clone(),
    };
    match dklik_app::orientation::register_public(
        st.store.as_ref(),
        st.sms.as_ref(),
        session,
        &c,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(RegistrationStatus::Waiting) => {
            Ok(Redirect::to(&format!("/orientaklik/{id}?ok=attente")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/orientaklik/{id}?ok=inscrit")).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            service_page(&st, id, "", errors, form).await
        }
    }
}
