//! OrientaKlik pages. Public: the catalogue and registration, the agenda with its iCalendar
//! feeds, each event's page and poster. Staff: sessions, attendance and the survey, events, and
//! the mobile team's contact form.

use crate::access::Identity;
use crate::account::format_time;
use crate::error::AppError;
use crate::forms::status_of;
use crate::skills::FormData;
use crate::SharedState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use dklik_app::inbox::actor_label;
use dklik_app::orientation::{ContactForm, OrientationError, ORIENTATION_CONSENT_TEXT};
use dklik_app::orientation_store::ServiceFilter;
use dklik_app::StoreError;
use dklik_domain::orientation::{
    EventKind, Need, NextStep, OutreachChannel, OutreachPlace, PlaceKind, RegistrationStatus,
    ServiceKind,
};
use dklik_domain::FieldError;

fn errors_of(e: OrientationError) -> Result<Vec<FieldError>, AppError> {
    match e {
        OrientationError::Invalid(v) => Ok(v.errors),
        OrientationError::Store(StoreError::NotFound) => Err(AppError::NotFound),
        OrientationError::Store(s) => Err(s.into()),
    }
}

fn id_of(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

/// "mardi 3 décembre 2026 à 9h30", Europe/Paris.
pub fn when_fr(t: i64) -> String {
    const DAYS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let d = time::OffsetDateTime::from_unix_timestamp(t)
        .map(|x| x.to_offset(dklik_app::now_paris().offset()))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{} {} {} {} à {}h{:02}",
        DAYS[d.weekday().number_days_from_monday() as usize],
        d.day(),
        MONTHS[usize::from(u8::from(d.month())) - 1],
        d.year(),
        d.hour(),
        d.minute()
    )
}

// --- The public catalogue ------------------------------------------------------------------

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
    kind: String,
    #[serde(default)]
    famille: String,
    #[serde(default)]
    lieu: String,
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
    sessions: Vec<(i64, String)>,
    notice: String,
    errors: Vec<FieldError>,
    form: RegisterFields,
    consent: &'static str,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct RegisterFields {
    seance: String,
    prenom: String,
    telephone: String,
    email: String,
    consentement: String,
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
    ok: String,
    /// "affiche" when the page was reached from a poster's QR code.
    #[serde(default)]
    src: String,
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
    body: Bytes,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    let form = RegisterFields {
        seance: d.get("seance"),
        prenom: d.get("prenom"),
        telephone: d.get("telephone"),
        email: d.get("email"),
        consentement: d.get("consentement"),
    };
    let session = form.seance.parse::<i64>().unwrap_or(0);
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

// --- The agenda ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "agenda.html")]
struct AgendaPage {
    kinds: Vec<(&'static str, &'static str)>,
    events: Vec<(String, String, String, String, String, bool)>,
    map: String,
}

/// A plain SVG plan of points (no map tiles: nothing is fetched from elsewhere).
fn plan_svg(points: &[(f64, f64, String)], background: &[(f64, f64)]) -> String {
    let all: Vec<(f64, f64)> = points
        .iter()
        .map(|(a, b, _)| (*a, *b))
        .chain(background.iter().copied())
        .collect();
    if points.is_empty() {
        return String::new();
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (la, lo) in &all {
        lat0 = lat0.min(*la);
        lat1 = lat1.max(*la);
        lon0 = lon0.min(*lo);
        lon1 = lon1.max(*lo);
    }
    let k = (lat0.to_radians()).cos();
    let (w, h) = (600.0, 300.0);
    let sx = w / ((lon1 - lon0) * k).max(1e-6);
    let sy = h / (lat1 - lat0).max(1e-6);
    let s = sx.min(sy) * 0.9;
    let xy = |la: f64, lo: f64| (20.0 + (lo - lon0) * k * s, 20.0 + (lat1 - la) * s);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" aria-labelledby=\"plan-titre\"><title id=\"plan-titre\">Plan des lieux des événements</title>",
        w + 40.0,
        h + 40.0
    );
    for (la, lo) in background {
        let (x, y) = xy(*la, *lo);
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2\" fill=\"#767676\"/>"
        ));
    }
    for (i, (la, lo, label)) in points.iter().enumerate() {
        let (x, y) = xy(*la, *lo);
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"#0b5394\"><title>{}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" fill=\"#111111\">{}</text>",
            askama_escape(label),
            x + 9.0,
            y + 5.0,
            i + 1
        ));
    }
    out.push_str("</svg>");
    out
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A map of points over tiles (Web Mercator), as SVG `<image>` elements: the browser fetches
/// the tiles from the configured source; no script.
fn tiled_svg(points: &[(f64, f64, String)], template: &str) -> String {
    if points.is_empty() {
        return String::new();
    }
    let merc = |lat: f64, lon: f64, z: u32| {
        let n = f64::from(1u32 << z) * 256.0;
        let x = (lon + 180.0) / 360.0 * n;
        let l = lat.to_radians();
        let y = (1.0 - (l.tan() + 1.0 / l.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
        (x, y)
    };
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (la, lo, _) in points {
        lat0 = lat0.min(*la);
        lat1 = lat1.max(*la);
        lon0 = lon0.min(*lo);
        lon1 = lon1.max(*lo);
    }
    // The largest zoom where the points fit in 600 × 300 pixels.
    let mut z = 16;
    while z > 3 {
        let (x0, y1) = merc(lat0, lon0, z);
        let (x1, y0) = merc(lat1, lon1, z);
        if x1 - x0 <= 560.0 && y1 - y0 <= 260.0 {
            break;
        }
        z -= 1;
    }
    let (x0, y1) = merc(lat0, lon0, z);
    let (x1, y0) = merc(lat1, lon1, z);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (vx, vy, w, h) = (cx - 300.0, cy - 150.0, 600.0, 300.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{vx:.0} {vy:.0} {w} {h}\" role=\"img\" aria-labelledby=\"plan-titre\"><title id=\"plan-titre\">Carte des lieux des événements</title>"
    );
    let (tx0, ty0) = ((vx / 256.0).floor() as i64, (vy / 256.0).floor() as i64);
    let (tx1, ty1) = (
        ((vx + w) / 256.0).floor() as i64,
        ((vy + h) / 256.0).floor() as i64,
    );
    for tx in tx0..=tx1 {
        for ty in ty0..=ty1 {
            let url = template
                .replace("{z}", &z.to_string())
                .replace("{x}", &tx.to_string())
                .replace("{y}", &ty.to_string());
            out.push_str(&format!(
                "<image href=\"{}\" x=\"{}\" y=\"{}\" width=\"256\" height=\"256\"/>",
                askama_escape(&url),
                tx * 256,
                ty * 256
            ));
        }
    }
    for (i, (la, lo, label)) in points.iter().enumerate() {
        let (x, y) = merc(*la, *lo, z);
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"#0b5394\"><title>{}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" fill=\"#111111\">{}</text>",
            askama_escape(label),
            x + 9.0,
            y + 5.0,
            i + 1
        ));
    }
    out.push_str("</svg>");
    out
}

/// The origin (scheme and host) of a URL template, for the page's security policy.
fn origin_of(template: &str) -> String {
    let rest = template.split("://").nth(1).unwrap_or("");
    let host = rest.split('/').next().unwrap_or("");
    format!(
        "{}://{host}",
        template.split("://").next().unwrap_or("https")
    )
}

pub async fn agenda(
    State(st): State<SharedState>,
    Query(q): Query<CatalogueQuery>,
) -> Result<Response, AppError> {
    let kind = EventKind::parse(&q.kind).ok();
    let now = dklik_app::unix_now();
    let events = st.store.events(kind, now).await?;
    let stops: Vec<(f64, f64)> = st
        .screens
        .stops()
        .into_iter()
        .map(|s| (s.lat, s.lon))
        .collect();
    let points: Vec<(f64, f64, String)> = events
        .iter()
        .filter_map(|e| Some((e.lat?, e.lon?, format!("{} – {}", e.title, e.place))))
        .collect();
    let page = AgendaPage {
        kinds: EventKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_fr()))
            .collect(),
        map: match &st.map_tiles {
            Some(t) => tiled_svg(&points, t),
            None => plan_svg(&points, &stops),
        },
        events: events
            .iter()
            .map(|e| {
                (
                    e.code.clone(),
                    e.title.clone(),
                    e.kind.label_fr().to_string(),
                    when_fr(e.starts_at),
                    e.place.clone(),
                    e.cancelled,
                )
            })
            .collect(),
    };
    let mut res = Html(page.render()?).into_response();
    if let Some(t) = &st.map_tiles {
        if let Ok(v) =
            axum::http::HeaderValue::from_str(&crate::security::csp_with_images_from(&origin_of(t)))
        {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(res)
}

/// `/agenda/{kind}.ics`: the iCalendar feed of one kind of event.
pub async fn ics(
    State(st): State<SharedState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let Some(kind) = file
        .strip_suffix(".ics")
        .and_then(|k| EventKind::parse(k).ok())
    else {
        return Ok(crate::pages::message_page(
            StatusCode::NOT_FOUND,
            "Cet agenda n'existe pas",
            &["Les agendas sont : cafe_emploi.ics, bus_emploi.ics et tournee.ics."],
            false,
            "",
        ));
    };
    let now = dklik_app::unix_now();
    // Events of the last month too, so that calendars keep what just happened.
    let events = st.store.events(Some(kind), now - 31 * 86_400).await?;
    let text = dklik_domain::orientation::to_icalendar(
        &events,
        &format!("DKLIK – {}", kind.label_fr()),
        &st.base_url,
        now,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        text,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    code: String,
    title: String,
    kind: String,
    kind_key: String,
    when: String,
    place: String,
    description: String,
    employers: Vec<String>,
    offers: Vec<(String, String)>,
    cancelled: bool,
    registrable: bool,
    short: String,
    notice: String,
    errors: Vec<FieldError>,
    form: RegisterFields,
    consent: &'static str,
}

async fn event_page(
    st: &SharedState,
    code: &str,
    notice: &str,
    errors: Vec<FieldError>,
    form: RegisterFields,
) -> Result<Response, AppError> {
    let code = dklik_domain::ShortCode::parse(code).map_err(|_| AppError::NotFound)?;
    let e = st
        .store
        .event_by_code(code.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let now = dklik_app::unix_now();
    let status = status_of(&errors);
    let page = EventPage {
        short: format!("{}/e/{}", st.base_url, e.code),
        code: e.code,
        title: e.title,
        kind: e.kind.label_fr().into(),
        kind_key: e.kind.as_str().into(),
        when: format!(
            "{} – fin à {}",
            when_fr(e.starts_at),
            when_fr(e.ends_at).rsplit(" à ").next().unwrap_or("")
        ),
        place: e.place,
        description: e.description,
        employers: e.employers,
        offers: e.offers,
        registrable: !e.cancelled && e.ends_at > now && e.kind == EventKind::CafeEmploi,
        cancelled: e.cancelled,
        notice: notice.into(),
        errors,
        form,
        consent: ORIENTATION_CONSENT_TEXT,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn event(
    State(st): State<SharedState>,
    Path(code): Path<String>,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    if q.src == "affiche" && code.len() <= 40 {
        st.store
            .add_link_visit(
                dklik_app::unix_now(),
                "affiche",
                None,
                &format!("evenement:{code}"),
            )
            .await?;
    }
    let notice = if q.ok == "inscrit" {
        "C'est noté : à bientôt !"
    } else {
        ""
    };
    event_page(&st, &code, notice, vec![], RegisterFields::default()).await
}

pub async fn register_event(
    State(st): State<SharedState>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let form = RegisterFields {
        seance: String::new(),
        prenom: d.get("prenom"),
        telephone: d.get("telephone"),
        email: d.get("email"),
        consentement: d.get("consentement"),
    };
    let c = ContactForm {
        prenom: form.prenom.clone(),
        telephone: form.telephone.clone(),
        email: form.email.clone(),
        consentement: form.consentement.clone(),
    };
    let code = code.to_ascii_uppercase();
    match dklik_app::orientation::register_event(
        st.store.as_ref(),
        &code,
        &c,
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/e/{code}?ok=inscrit")).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            event_page(&st, &code, "", errors, form).await
        }
    }
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage {
    title: String,
    when: String,
    place: String,
    qr: String,
    short: String,
    short_text: String,
}

/// A poster to print, with the event's QR code.
pub async fn poster(
    State(st): State<SharedState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let code = dklik_domain::ShortCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let e = st
        .store
        .event_by_code(code.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let short = format!("{}/e/{}", st.base_url, e.code);
    let page = PosterPage {
        title: e.title,
        when: when_fr(e.starts_at),
        place: e.place,
        qr: crate::screens::qr_svg(&format!("{short}?src=affiche")),
        short_text: short.split("://").nth(1).unwrap_or(&short).to_string(),
        short,
    };
    Ok(Html(page.render()?).into_response())
}

// --- Staff: catalogue, sessions, survey report -----------------------------------------------

#[derive(Template)]
#[template(path = "orientaklik_admin.html")]
struct AdminPage {
    me: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    sessions: Vec<(i64, String, String, u32)>,
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
    id: i64,
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
    regs: Vec<(i64, i64, String, String, bool, bool)>,
    questions: [&'static str; 3],
}

async fn session_page(
    st: &SharedState,
    ident: &Identity,
    id: i64,
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
    session_page(&st, &ident, id_of(&id)?, notice, vec![]).await
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
    let id = id_of(&id)?;
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
            let person = d.get("personne").parse::<i64>().unwrap_or(0);
            dklik_app::orientation::register_by_advisor(store, id, person, &actor, now)
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

// --- Staff: events ---------------------------------------------------------------------------

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

// --- The mobile team's form ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "outreach.html")]
struct OutreachPage {
    me: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    submission: String,
    places: Vec<(&'static str, &'static str)>,
    known_places: Vec<String>,
    channels: Vec<(&'static str, &'static str)>,
    needs: Vec<(&'static str, &'static str, bool)>,
    steps: Vec<(&'static str, &'static str)>,
    recent: Vec<String>,
    consent: &'static str,
    f: dklik_app::orientation::OutreachForm,
}

fn contact_line(c: &dklik_app::orientation_store::OutreachContact) -> String {
    let needs: Vec<&str> = c
        .needs
        .split(',')
        .filter_map(|n| Need::parse(n).ok())
        .map(|n| n.label_fr())
        .collect();
    format!(
        "{} – {} – {} personne(s){} – {} – suite : {}",
        format_time(c.at),
        c.place_label,
        c.people_count,
        if c.person_id.is_some() {
            ", recontact accepté"
        } else {
            ""
        },
        if needs.is_empty() {
            "besoin non dit".to_string()
        } else {
            needs.join(", ")
        },
        NextStep::parse(&c.next_step)
            .map(|s| s.label_fr())
            .unwrap_or("")
    )
}

async fn outreach_page(
    st: &SharedState,
    ident: &Identity,
    notice: &str,
    errors: Vec<FieldError>,
    mut f: dklik_app::orientation::OutreachForm,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let store = st.store.as_ref();
    let recent_contacts = store.outreach_contacts(20).await?;
    let mut known_places: Vec<String> = store
        .neighbourhoods()
        .await?
        .into_iter()
        .map(|h| h.name)
        .collect();
    known_places.extend(
        store
            .events(None, dklik_app::unix_now() - 86_400)
            .await?
            .into_iter()
            .map(|e| e.title),
    );
    known_places.extend(st.screens.stops().into_iter().map(|s| s.name));
    // A fresh submission id unless the same form comes back to be corrected.
    let submission = if errors.is_empty() || f.envoi.len() != 32 {
        dklik_app::questionnaire::new_token()?
    } else {
        f.envoi.clone()
    };
    if f.lieu_type.is_empty() {
        f.lieu_type = OutreachPlace::Neighbourhood.as_str().into();
    }
    let needs = Need::ALL
        .iter()
        .map(|n| {
            (
                n.as_str(),
                n.label_fr(),
                f.besoins.iter().any(|b| b == n.as_str()),
            )
        })
        .collect();
    let status = status_of(&errors);
    let page = OutreachPage {
        me: actor_label(u),
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        submission,
        places: OutreachPlace::ALL
            .iter()
            .map(|p| (p.as_str(), p.label_fr()))
            .collect(),
        known_places,
        channels: OutreachChannel::ALL
            .iter()
            .map(|p| (p.as_str(), p.label_fr()))
            .collect(),
        needs,
        steps: NextStep::ALL
            .iter()
            .map(|p| (p.as_str(), p.label_fr()))
            .collect(),
        recent: recent_contacts.iter().map(contact_line).collect(),
        consent: ORIENTATION_CONSENT_TEXT,
        f,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn outreach(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "1" => "Rencontre enregistrée.",
        "deja" => "Cette rencontre était déjà enregistrée : elle n'est pas comptée deux fois.",
        _ => "",
    };
    outreach_page(&st, &ident, notice, vec![], Default::default()).await
}

/// The form as a plain post (redirects) or from its script (`Accept: application/json`).
pub async fn record_outreach(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let d = FormData::parse(&body);
    let f = dklik_app::orientation::OutreachForm {
        envoi: d.get("envoi"),
        lieu_type: d.get("lieu_type"),
        lieu: d.get("lieu"),
        canal: d.get("canal"),
        nombre: d.get("nombre"),
        besoins: d.all("besoins"),
        suite: d.get("suite"),
        notes: d.get("notes"),
        prenom: d.get("prenom"),
        telephone: d.get("telephone"),
        email: d.get("email"),
        consentement: d.get("consentement"),
    };
    let store = st.store.as_ref();
    match dklik_app::orientation::record_outreach(
        store,
        &f,
        u.id,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok((id, new)) => {
            if json {
                let recent = store
                    .outreach_contacts(50)
                    .await?
                    .into_iter()
                    .find(|c| c.id == id)
                    .map(|c| contact_line(&c))
                    .unwrap_or_default();
                return Ok(Json(serde_json::json!({"ok": true, "new": new, "id": id, "recent": if new { recent } else { String::new() }})).into_response());
            }
            Ok(Redirect::to(if new {
                "/equipe-mobile?ok=1"
            } else {
                "/equipe-mobile?ok=deja"
            })
            .into_response())
        }
        Err(e) => {
            let errors = errors_of(e)?;
            if json {
                let list: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(serde_json::json!({"errors": list})),
                )
                    .into_response());
            }
            outreach_page(&st, &ident, "", errors, f).await
        }
    }
}
