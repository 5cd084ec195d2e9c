//! The public agenda: Cafés de l'emploi, the job bus's stops and rounds, as a list, a map, calendars and posters.

use super::*;

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
    let (w, h) = (640.0, 340.0);
    let Some(plan) = crate::plan::Plan::around(&all, w, h, 20.0) else {
        return String::new();
    };
    let xy = |la: f64, lo: f64| plan.xy(la, lo);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"plan-titre\"><title id=\"plan-titre\">Plan des lieux des événements</title>"
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
    parts: axum::http::request::Parts,
) -> Result<Response, AppError> {
    let ip = crate::pages::client_ip(&parts.extensions);
    if q.src == "affiche" && code.len() <= 40 && st.visits.first(ip, &format!("evenement:{code}")) {
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
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    if !st
        .public_writes
        .allow(crate::pages::client_ip(&parts.extensions))
    {
        return Err(AppError::TooManyRequests);
    }
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

/// A poster to print: a title, when and where, the QR code and the short link; for an offer,
/// the way to ask by text when the programme has a number.
#[derive(Template)]
#[template(path = "poster.html")]
pub(crate) struct PosterPage {
    pub title: String,
    pub when: String,
    pub place: String,
    pub qr: String,
    pub short: String,
    pub short_text: String,
    /// "Envoyez CODE au …", or empty.
    pub texting: String,
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
        texting: String::new(),
    };
    Ok(Html(page.render()?).into_response())
}
