//! The public pages.

use crate::error::AppError;
use crate::views::{job_posting_json_ld, OfferCard, OfferView};
use crate::SharedState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use dklik_app::interests::InterestError;
use dklik_app::offers::{search_offers, OfferQuery, PAGE_SIZE};
use dklik_domain::interest::{InterestForm, INTEREST_CONSENT_TEXT};
use dklik_domain::{BestTime, Channel, ContractType, FieldError, ShiftPeriod, ShortCode};
use std::net::IpAddr;
use std::sync::Arc;

fn render(t: &impl Template) -> Result<Response, AppError> {
    Ok(Html(t.render()?).into_response())
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    paragraphs: Vec<&'a str>,
    show_code_form: bool,
    code: &'a str,
    links: Vec<(&'a str, &'a str)>,
}

/// A short page with a title, a few sentences and the ways on; used for errors too.
pub fn message_page(
    status: StatusCode,
    title: &str,
    paragraphs: &[&str],
    show_code_form: bool,
    code: &str,
) -> Response {
    let page = MessagePage {
        title,
        paragraphs: paragraphs.to_vec(),
        show_code_form,
        code,
        links: vec![
            ("/offres", "Voir toutes les offres"),
            ("/", "Revenir à l'accueil"),
        ],
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, title.to_string()).into_response(),
    }
}

/// Health of each part: the database, the journal of call-back requests waiting for it, the
/// in-memory search. 503 while the database cannot be reached (the rest keeps serving).
pub async fn healthz(State(st): State<SharedState>) -> Response {
    let db = st.store.ping().await;
    if let Err(e) = &db {
        tracing::warn!("healthz : {e}");
    }
    let waiting = st.callbacks.pending().await.map(|q| q.len());
    let body = serde_json::json!({
        "status": if db.is_ok() { "ok" } else { "degraded" },
        "db": st.store.backend(),
        "parts": {
            "database": if db.is_ok() { "ok" } else { "indisponible" },
            "callback_queue": match &waiting {
                Ok(n) => serde_json::json!({"status": "ok", "waiting": n}),
                Err(_) => serde_json::json!({"status": "illisible"}),
            },
            "search_index": if st.search.ready() { "ok" } else { "non construit" },
        },
    });
    let status = if db.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/dklik.css"),
    )
        .into_response()
}

pub async fn print_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/print.css"),
    )
        .into_response()
}

pub async fn outreach_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/equipe.js"),
    )
        .into_response()
}

pub async fn screen_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/ecran.css"),
    )
        .into_response()
}

pub async fn screen_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/ecran.js"),
    )
        .into_response()
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    total: u64,
    code: &'static str,
    families: Vec<(char, String, u64)>,
}

pub async fn home(State(st): State<SharedState>) -> Result<Response, AppError> {
    let facets = st.store.offer_facets().await?;
    let total = facets.communes.iter().map(|c| c.2).sum();
    render(&HomePage {
        total,
        code: "",
        families: facets.families.into_iter().map(family_label).collect(),
    })
}

fn family_label((c, label, n): (char, String, u64)) -> (char, String, u64) {
    let label = if label.is_empty() {
        format!("Métiers {c}")
    } else {
        label
    };
    (c, label, n)
}

#[derive(Template)]
#[template(path = "offers.html")]
struct OffersPage {
    query: OfferQuery,
    /// The neighbourhoods of the "accessible en bus depuis" filter: (key, name).
    reach_places: Vec<(String, String)>,
    /// The key of the one chosen, if any.
    reach_key: String,
    /// Said when the place asked is not known.
    reach_error: String,
    no_diploma: bool,
    communes: Vec<(String, String, u64)>,
    families: Vec<(char, String, u64)>,
    contracts: Vec<(&'static str, &'static str)>,
    periods: Vec<(&'static str, &'static str)>,
    offers: Vec<OfferCard>,
    total: u64,
    page: u32,
    pages: u32,
    prev_link: String,
    next_link: String,
}

fn page_link(q: &OfferQuery, page: u32) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("q", &q.q),
        ("commune", &q.commune),
        ("famille", &q.famille),
        ("contrat", &q.contrat),
        ("horaire", &q.horaire),
        ("sans_diplome", &q.sans_diplome),
        ("metier", &q.metier),
        ("depuis", &q.depuis),
    ] {
        if !v.is_empty() {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    parts.push(format!("page={page}"));
    format!("/offres?{}", parts.join("&"))
}

/// Percent-encoding for a query value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn cached_html(html: Arc<String>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html.as_str().to_owned(),
    )
        .into_response()
}

pub async fn offers(
    State(st): State<SharedState>,
    Query(q): Query<OfferQuery>,
) -> Result<Response, AppError> {
    let key = page_link(&q, q.page());
    if let Some(html) = st.pages.get(&key) {
        return Ok(cached_html(html));
    }
    let reach = reach_filter(&st, &q.depuis).await?;
    let only = reach
        .set
        .as_ref()
        .map(|set| (reach.key.as_str(), set.as_ref()));
    let (page, facets) = match st.search.search_within(&q.to_filter(), &q.q, only) {
        Some(found) => found,
        None => (
            search_offers(st.store.as_ref(), &q).await?,
            st.store.offer_facets().await?,
        ),
    };
    let pages = (page.total as u32).div_ceil(PAGE_SIZE).max(1);
    let current = q.page().min(pages);
    let html = Arc::new(
        OffersPage {
            no_diploma: q.to_filter().no_diploma,
            prev_link: page_link(&q, current.saturating_sub(1).max(1)),
            next_link: page_link(&q, current + 1),
            query: q,
            reach_places: reach.places,
            reach_key: reach.key,
            reach_error: reach.error,
            communes: facets.communes,
            families: facets.families.into_iter().map(family_label).collect(),
            contracts: ContractType::ALL
                .iter()
                .map(|c| (c.as_str(), c.label_fr()))
                .collect(),
            periods: ShiftPeriod::ALL
                .iter()
                .map(|p| (p.as_str(), p.label_fr()))
                .collect(),
            offers: page.offers.iter().map(OfferCard::from).collect(),
            total: page.total,
            page: current,
            pages,
        }
        .render()?,
    );
    st.pages.put(key, html.clone());
    Ok(cached_html(html))
}

/// The list's "accessible en bus depuis …" filter: the neighbourhoods offered, the one asked,
/// and the offers it reaches.
pub(crate) struct ReachFilter {
    pub(crate) places: Vec<(String, String)>,
    pub(crate) key: String,
    pub(crate) set: Option<Arc<std::collections::HashSet<dklik_domain::OfferId>>>,
    pub(crate) error: String,
}

/// Reads the filter: a neighbourhood's key or name; the table is built first if it never was.
pub(crate) async fn reach_filter(st: &SharedState, asked: &str) -> Result<ReachFilter, AppError> {
    let store = st.store.as_ref();
    // During a database outage the list is still served, without this filter.
    let down = |e: &dklik_app::StoreError| e.is_unavailable();
    let table = if asked.trim().is_empty() {
        st.reach.current()
    } else {
        match st.reach.get(store, &st.transit).await {
            Ok(t) => Some(t),
            Err(e) if down(&e) => None,
            Err(e) => return Err(e.into()),
        }
    };
    let places: Vec<(String, String)> = match &table {
        Some(t) => t.places.clone(),
        None => match store.neighbourhoods().await {
            Ok(v) => v
                .into_iter()
                .map(|h| (format!("q{}", h.id), h.name))
                .collect(),
            Err(e) if down(&e) => Vec::new(),
            Err(e) => return Err(e.into()),
        },
    };
    let mut f = ReachFilter {
        places,
        key: String::new(),
        set: None,
        error: String::new(),
    };
    if asked.trim().is_empty() {
        return Ok(f);
    }
    if table.is_none() {
        f.error = "Le filtre par bus est indisponible pour quelques instants : toutes les offres sont montrées.".into();
        return Ok(f);
    }
    let as_places: Vec<dklik_app::journeys::Place> = f
        .places
        .iter()
        .map(|(k, n)| dklik_app::journeys::Place {
            key: k.clone(),
            name: n.clone(),
            detail: String::new(),
            lat: 0.0,
            lon: 0.0,
        })
        .collect();
    match dklik_app::journeys::find_place(&as_places, asked) {
        Ok(p) => {
            f.key = p.key.clone();
            f.set = table.and_then(|t| t.reachable(&p.key));
        }
        Err(m) => f.error = m,
    }
    Ok(f)
}

/// What the interest form holds, to show it again with its errors.
#[derive(Default)]
pub struct FormState {
    pub prenom: String,
    pub telephone: String,
    pub email: String,
    pub moment: String,
    pub consentement: bool,
    pub errors: Vec<FieldError>,
}

impl FormState {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    pub fn has_error(&self, field: &str) -> bool {
        self.error(field).is_some()
    }
}

#[derive(Template)]
#[template(path = "offer.html")]
struct OfferPage {
    o: OfferView,
    bus: BusSection,
    json_ld: String,
    src: String,
    imp: String,
    form: FormState,
    errors: Vec<FieldError>,
    best_times: Vec<(&'static str, &'static str)>,
    consent_text: &'static str,
}

/// The offer page's bus part: the stops near the site, the places one may start from, and the
/// answer for the place asked (typed, picked or remembered on this device).
#[derive(Default)]
struct BusSection {
    stops: Vec<dklik_app::journeys::NearStop>,
    places: Vec<dklik_app::journeys::Place>,
    typed: String,
    error: String,
    answer: Option<dklik_app::journeys::OfferJourneys>,
    /// The place is kept in this device's cookie.
    remembered: bool,
    /// The timetables cannot be read now (the database is unavailable): said, the page served.
    unavailable: bool,
}

/// The cookie that keeps a person's place, only when they tick "Retenir ce lieu".
const PLACE_COOKIE: &str = "dklik_depuis";

/// The bus part of an offer page; during a database outage it says the timetables are
/// unavailable rather than failing the page.
async fn bus_section(
    st: &SharedState,
    o: &dklik_domain::Offer,
    asked: &str,
    remembered: bool,
) -> Result<BusSection, AppError> {
    match bus_section_of(st, o, asked, remembered).await {
        Err(AppError::Unavailable(_)) => Ok(BusSection {
            typed: asked.chars().take(dklik_app::journeys::MAX_TYPED).collect(),
            unavailable: true,
            ..Default::default()
        }),
        other => other,
    }
}

async fn bus_section_of(
    st: &SharedState,
    o: &dklik_domain::Offer,
    asked: &str,
    remembered: bool,
) -> Result<BusSection, AppError> {
    let store = st.store.as_ref();
    let paris = dklik_app::now_paris();
    let (today, now) = (
        paris.date(),
        time::PrimitiveDateTime::new(paris.date(), paris.time()),
    );
    let places = dklik_app::journeys::places(store, &st.transit).await?;
    let mut bus = BusSection {
        stops: dklik_app::journeys::offer_stops(store, &st.transit, o, today).await?,
        typed: asked.chars().take(dklik_app::journeys::MAX_TYPED).collect(),
        remembered,
        ..Default::default()
    };
    if !asked.trim().is_empty() {
        match dklik_app::journeys::find_place(&places, asked) {
            Ok(p) => {
                bus.typed = p.name.clone();
                bus.answer =
                    Some(dklik_app::journeys::offer_journeys(store, &st.transit, o, p, now).await?);
            }
            Err(m) => {
                bus.error = m;
                bus.remembered = false;
            }
        }
    }
    bus.places = places;
    Ok(bus)
}

/// The place kept in the request's cookie, if any.
fn remembered_place(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == PLACE_COOKIE)
        .map(|(_, v)| {
            form_urlencoded::parse(format!("v={v}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

fn place_cookie(value: &str, secure: bool) -> String {
    let v: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let age = if value.is_empty() { 0 } else { 180 * 24 * 3600 };
    format!(
        "{PLACE_COOKIE}={v}; Path=/; Max-Age={age}; SameSite=Lax; HttpOnly{}",
        if secure { "; Secure" } else { "" }
    )
}

#[derive(serde::Deserialize, Default)]
pub struct SourceQuery {
    /// "Depuis chez moi": a place's key or name.
    #[serde(default)]
    depuis: String,
    /// "oui": keep the place in a cookie on this device.
    #[serde(default)]
    retenir: String,
    /// "oui": forget the place kept.
    #[serde(default)]
    oublier: String,
    #[serde(default)]
    src: String,
    /// The impression a bus-screen QR scan came from.
    #[serde(default)]
    imp: String,
}

/// An impression code as found in a link: 8 characters of the short-code alphabet.
fn clean_impression(s: &str) -> String {
    let t: String = s.trim().to_ascii_uppercase();
    if t.len() == 8
        && t.bytes()
            .all(|b| dklik_domain::offer::SHORT_CODE_ALPHABET.contains(&b))
    {
        t
    } else {
        String::new()
    }
}

async fn published_offer(
    st: &SharedState,
    code: &str,
) -> Result<Option<dklik_domain::Offer>, AppError> {
    Ok(published_offer_or_memory(st, code).await?.0)
}

/// The published offer, and whether it came from memory because the database is unavailable
/// (then the rest of the request does not wait for the database again).
async fn published_offer_or_memory(
    st: &SharedState,
    code: &str,
) -> Result<(Option<dklik_domain::Offer>, bool), AppError> {
    let Ok(code) = ShortCode::parse(code) else {
        return Ok((None, false));
    };
    match st.store.offer_by_code(&code).await {
        Ok(o) => Ok((
            o.filter(|o| o.status == dklik_domain::OfferStatus::Published),
            false,
        )),
        // During an outage the offer as last indexed keeps its page and form working.
        Err(e) if e.is_unavailable() => match st.search.by_code(&code) {
            Some(o) => Ok((Some(o), true)),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

fn unknown_code_page(code: &str) -> Response {
    let shown: String = code.chars().take(12).collect();
    message_page(
        StatusCode::NOT_FOUND,
        "Nous ne trouvons pas cette offre",
        &[
            "Le code ne correspond à aucune offre ouverte. L'offre est peut-être déjà pourvue.",
            "Vérifiez le code : il a 6 lettres ou chiffres. Il n'y a jamais de O, de 0, de I, de 1 ni de L.",
        ],
        true,
        &shown,
    )
}

fn offer_page(
    o: &dklik_domain::Offer,
    bus: BusSection,
    base_url: &str,
    src: &str,
    imp: &str,
    form: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = OfferPage {
        o: OfferView::from(o),
        bus,
        json_ld: job_posting_json_ld(o, base_url),
        src: Channel::parse_lenient(src).as_str().to_string(),
        imp: clean_impression(imp),
        errors: form.errors.clone(),
        form,
        best_times: BestTime::ALL
            .iter()
            .map(|b| (b.as_str(), b.label_fr()))
            .collect(),
        consent_text: INTEREST_CONSENT_TEXT,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn offer(
    State(st): State<SharedState>,
    Path(code): Path<String>,
    Query(src): Query<SourceQuery>,
    parts: axum::http::request::Parts,
) -> Result<Response, AppError> {
    // A page reached from a screen's QR carries its impression: it is not cached.
    let imp = clean_impression(&src.imp);
    let channel = Channel::parse_lenient(&src.src);
    let ip = client_ip(&parts.extensions);
    if matches!(channel, Channel::Poster | Channel::ShortLink)
        && code.len() <= 20
        && st.visits.first(ip, &format!("{}:{code}", channel.as_str()))
    {
        // Counted for the figures: when and which offer, nothing about the visitor.
        st.store
            .add_link_visit(
                dklik_app::unix_now(),
                channel.as_str(),
                Some(&code),
                "offre",
            )
            .await?;
    }
    // A place asked for (or kept on this device) makes the page the person's own: not cached.
    let kept = remembered_place(&parts.headers);
    let forget = src.oublier == "oui";
    let asked = if forget {
        String::new()
    } else if !src.depuis.trim().is_empty() {
        src.depuis.clone()
    } else {
        kept.clone().unwrap_or_default()
    };
    let key = format!("offre:{code}:{}", Channel::parse_lenient(&src.src).as_str());
    let personal = !imp.is_empty() || !asked.is_empty() || forget;
    if !personal {
        if let Some(html) = st.pages.get(&key) {
            return Ok(cached_html(html));
        }
    }
    let Some(o) = published_offer(&st, &code).await? else {
        return gone_or_unknown(&st, &code).await;
    };
    let secure = st.base_url.starts_with("https://");
    let bus = if personal {
        let keep = src.retenir == "oui" || (kept.is_some() && src.depuis.trim().is_empty());
        bus_section(&st, &o, &asked, keep && !forget).await?
    } else {
        bus_section(&st, &o, "", false).await?
    };
    let cookie = match (&bus.answer, forget) {
        (_, true) => Some(place_cookie("", secure)),
        (Some(a), false) if src.retenir == "oui" => Some(place_cookie(&a.from.key, secure)),
        _ => None,
    };
    let mut res = offer_page(
        &o,
        bus,
        &st.base_url,
        &src.src,
        &imp,
        FormState {
            moment: BestTime::Any.as_str().into(),
            ..Default::default()
        },
        StatusCode::OK,
    )?;
    if personal {
        if let Some(c) = cookie.and_then(|c| axum::http::HeaderValue::from_str(&c).ok()) {
            res.headers_mut().append(axum::http::header::SET_COOKIE, c);
        }
        return Ok(res);
    }
    let bytes = axum::body::to_bytes(res.into_body(), 4 << 20)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let html = Arc::new(String::from_utf8_lossy(&bytes).into_owned());
    st.pages.put(key, html.clone());
    Ok(cached_html(html))
}

#[derive(Template)]
#[template(path = "offer_gone.html")]
struct GonePage {
    title: String,
    employer: String,
    reason: &'static str,
    /// (code, title, employer and commune)
    others: Vec<(String, String, String)>,
}

/// An offer that was open and is no more: 410 (404 while it is paused, as it may come back),
/// not indexed, with up to 5 open offers of the same trade nearest its site. Any other code:
/// the "unknown code" page.
async fn gone_or_unknown(st: &SharedState, code: &str) -> Result<Response, AppError> {
    let Ok(short) = ShortCode::parse(code) else {
        return Ok(unknown_code_page(code));
    };
    let o = match st.store.offer_by_code(&short).await? {
        Some(o) if o.status.is_final() || o.status == dklik_domain::OfferStatus::Paused => o,
        _ => return Ok(unknown_code_page(code)),
    };
    let reason = match o.status {
        dklik_domain::OfferStatus::Filled => "le poste est pourvu.",
        dklik_domain::OfferStatus::Expired => "sa date de fin est passée.",
        dklik_domain::OfferStatus::Paused => {
            "elle est en pause : l'entreprise doit confirmer que le poste est toujours à pourvoir."
        }
        _ => "l'entreprise l'a fermée.",
    };
    let status = if o.status == dklik_domain::OfferStatus::Paused {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::GONE
    };
    let filter = dklik_domain::OfferFilter {
        rome: Some(o.rome.clone()),
        limit: 200,
        ..Default::default()
    };
    let mut same = match st.search.search(&filter) {
        Some((page, _)) => page.offers,
        None => st.store.list_offers(&filter).await?.offers,
    };
    let here = o.site.coordinates;
    same.sort_by(|a, b| {
        here.distance_m(&a.site.coordinates)
            .total_cmp(&here.distance_m(&b.site.coordinates))
    });
    let others = same
        .into_iter()
        .filter(|x| x.id != o.id)
        .take(5)
        .map(|x| {
            (
                x.code.to_string(),
                x.title,
                format!("{}, {}", x.employer_name, x.site.commune),
            )
        })
        .collect();
    let page = GonePage {
        title: o.title,
        employer: o.employer_name,
        reason,
        others,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct InterestFields {
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    telephone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    moment: String,
    #[serde(default)]
    consentement: String,
    #[serde(default)]
    src: String,
    #[serde(default)]
    imp: String,
    /// The honeypot: people never see it; robots fill it.
    #[serde(default)]
    site_web: String,
}

/// How long a call-back request waits for the database before it goes to the journal on disk
/// (`dklik_app::callbacks`): a person is never kept waiting by an import or an outage.
pub const CALLBACK_BUDGET: std::time::Duration = std::time::Duration::from_millis(250);

/// The caller's address as the client middleware worked it out (see `crate::client`).
pub(crate) fn client_ip(ext: &axum::http::Extensions) -> IpAddr {
    ext.get::<crate::client::ClientAddr>()
        .map(|c| c.0)
        .unwrap_or_else(|| crate::client::peer_of(ext))
}

pub async fn interest(
    State(st): State<SharedState>,
    Path(code): Path<String>,
    req_parts: axum::http::request::Parts,
    Form(f): Form<InterestFields>,
) -> Result<Response, AppError> {
    let (found, db_down) = published_offer_or_memory(&st, &code).await?;
    let Some(o) = found else {
        return Ok(unknown_code_page(&code));
    };
    let thanks = Redirect::to(&format!("/offres/{}/merci", o.code)).into_response();
    if !f.site_web.trim().is_empty() {
        // A robot: answer as if it worked, keep nothing.
        return Ok(thanks);
    }
    let ip = client_ip(&req_parts.extensions);
    if !st.interest_limiter.allow(ip) {
        return Err(AppError::TooManyRequests);
    }
    let form = InterestForm {
        first_name: f.prenom.clone(),
        phone: f.telephone.clone(),
        email: f.email.clone(),
        best_time: f.moment.clone(),
        consent: f.consentement == "oui",
    };
    let mut channel = Channel::parse_lenient(&f.src);
    // A scan of a bus screen's QR: the request says which bus and which stop.
    let imp = clean_impression(&f.imp);
    let mut detail = String::new();
    // Looked up when the database is back if it cannot be read now.
    let mut unresolved = None;
    if !imp.is_empty() && db_down {
        unresolved = Some(imp.clone());
    } else if !imp.is_empty() {
        match st.store.impression(&imp).await {
            Ok(Some(i)) => {
                channel = Channel::BusScreen;
                detail = i.detail();
            }
            Ok(None) => {}
            Err(e) if e.is_unavailable() => unresolved = Some(imp.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let checked = dklik_domain::NewInterest::from_form(&form, Some(o.id), channel, &detail)
        .map(|mut i| {
            i.impression = (channel == Channel::BusScreen).then(|| imp.clone());
            i
        })
        .map_err(InterestError::Invalid);
    let recorded = match checked {
        Ok(i) => dklik_app::callbacks::record_or_queue(
            st.store.as_ref(),
            &st.callbacks,
            i,
            unresolved,
            now,
            // The offer could not be read just now: straight to the journal, no second wait.
            if db_down {
                std::time::Duration::ZERO
            } else {
                CALLBACK_BUDGET
            },
        )
        .await
        .map_err(InterestError::Store),
        Err(e) => Err(e),
    };
    match recorded {
        Ok(_) => Ok(thanks),
        Err(InterestError::Invalid(v)) => {
            let state = FormState {
                prenom: f.prenom.chars().take(60).collect(),
                telephone: f.telephone.chars().take(20).collect(),
                email: f.email.chars().take(254).collect(),
                moment: f.moment,
                consentement: form.consent,
                errors: v.errors,
            };
            let bus = bus_section(&st, &o, "", false).await?;
            offer_page(
                &o,
                bus,
                &st.base_url,
                &f.src,
                &f.imp,
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(InterestError::Store(e)) => Err(e.into()),
    }
}

/// `/offres/{code}/affiche`: a published offer as a poster to print (employers' doors, job
/// clubs, bus shelters), its QR code counted as the poster channel, and "Envoyez CODE au …"
/// when the programme has a number for texts.
pub async fn offer_poster(
    State(st): State<SharedState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let Some(o) = published_offer(&st, &code).await? else {
        return Ok(unknown_code_page(&code));
    };
    let short = format!("{}/o/{}", st.base_url, o.code);
    let when = match o.shifts.first() {
        Some(s) => format!("{}, {}", o.contract.label_fr(), s.describe_fr()),
        None => o.contract.label_fr().to_string(),
    };
    let page = crate::orientation::PosterPage {
        title: o.title.clone(),
        when,
        place: format!("{} – {}", o.employer_name, o.site.commune),
        qr: crate::screens::qr_svg(&format!("{short}?src=affiche")),
        short_text: short.split("://").nth(1).unwrap_or(&short).to_string(),
        short,
        texting: st
            .sms_number
            .as_deref()
            .map(|n| format!("Envoyez {} au {n}", o.code))
            .unwrap_or_default(),
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn thanks(
    State(st): State<SharedState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let title = match published_offer(&st, &code).await? {
        Some(o) => o.title,
        None => String::new(),
    };
    let line = if title.is_empty() {
        "Nous avons bien reçu votre demande.".to_string()
    } else {
        format!("Nous avons bien reçu votre demande pour l'offre « {title} ».")
    };
    Ok(message_page(
        StatusCode::OK,
        "Merci, c'est envoyé",
        &[
            &line,
            "Un conseiller vous appelle dans les 2 jours ouvrés, au moment que vous avez choisi.",
            "Gardez votre téléphone près de vous.",
        ],
        false,
        "",
    ))
}

#[derive(serde::Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// `/o?code=…`: the form where a person types the code read off a screen or poster.
pub async fn code_form(Query(q): Query<CodeQuery>) -> Response {
    let typed: String = q
        .code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if typed.is_empty() {
        return message_page(
            StatusCode::OK,
            "Voir une offre avec son code",
            &["Le code est écrit à côté de l'offre, sur l'écran du bus ou sur l'affiche."],
            true,
            "",
        );
    }
    match ShortCode::parse(&typed) {
        Ok(c) => Redirect::to(&format!("/o/{c}")).into_response(),
        Err(_) => unknown_code_page(&typed),
    }
}

/// `/o/CODE`: the short link printed beside each offer.
pub async fn short_link(
    State(st): State<SharedState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    match published_offer(&st, &code).await? {
        Some(o) => Ok(Redirect::to(&format!("/offres/{}?src=lien", o.code)).into_response()),
        None => Ok(unknown_code_page(&code)),
    }
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::Who;
    use crate::routes::{get, post};
    vec![
        get("/healthz", Who::Anyone, healthz),
        get("/", Who::Anyone, home),
        get("/offres", Who::Anyone, offers),
        get("/offres/{code}", Who::Anyone, offer),
        post("/offres/{code}/interet", Who::Anyone, interest),
        get("/offres/{code}/merci", Who::Anyone, thanks),
        get("/offres/{code}/affiche", Who::Anyone, offer_poster),
        get("/o", Who::Anyone, code_form),
        get("/o/{code}", Who::Anyone, short_link),
        get("/static/dklik.css", Who::Anyone, css),
        get("/static/print.css", Who::Anyone, print_css),
        get("/static/equipe.js", Who::Anyone, outreach_js),
        get("/static/ecran.css", Who::Anyone, screen_css),
        get("/static/ecran.js", Who::Anyone, screen_js),
    ]
}
