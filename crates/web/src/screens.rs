//! Bus screen pages with live updates, QR scans, vehicle-position intake, and the per-stop
//! feed for other signage systems.

use crate::error::{ApiError, AppError};
use crate::openapi::ErrorBody;
use crate::pages::message_page;
use crate::SharedState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use dklik_app::screens::IngestSummary;
use dklik_app::screens::{IngestError, ScreenState};
use dklik_screens::{Position, Slide};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::convert::Infallible;

/// A vehicle or screen id: letters, digits, '-', '_' and '.', 64 at most.
pub fn valid_vehicle(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The QR code of a URL, as an SVG element (no XML prologue), black on white.
pub fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(240, 240)
                .dark_color(qrcode::render::svg::Color("#000000"))
                .light_color(qrcode::render::svg::Color("#ffffff"))
                .quiet_zone(true)
                .build();
            match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            }
        }
        Err(_) => String::new(),
    }
}

struct SlideView {
    /// What the screen reports when it shows the slide: the impression's code, "message"
    /// or "general".
    impression: String,
    kicker: String,
    headline: String,
    sub: String,
    qr_svg: String,
    url: String,
    url_short: String,
    code: String,
    /// The programme's number for texts, when set: the code is then shown as "Envoyez CODE au …".
    sms_number: String,
}

#[derive(Template)]
#[template(path = "screen_slides.html")]
struct SlidesFragment {
    slides: Vec<SlideView>,
}

#[derive(Template)]
#[template(path = "screen.html")]
struct ScreenPage<'a> {
    vehicle: &'a str,
    seconds: i64,
    slides_html: String,
    /// The admins' preview: no rotation, no server push, no heartbeat.
    preview: bool,
    /// Seconds since the slides were chosen, and how long offer slides may stay.
    age_s: i64,
    ttl_s: i64,
    /// The general card, shown when the offers are too old (it needs no server).
    general_html: String,
    /// The service message shown over the slides, if one runs for this screen.
    takeover_html: String,
}

/// A screen that may use only part of its page: the slides in a frame over that part, the
/// rest of the page left transparent for the operator's own information.
#[derive(Template)]
#[template(path = "screen_frame.html")]
struct ScreenFrame<'a> {
    page: &'a str,
    region: &'static str,
}

/// A service message as the screens show it.
#[derive(Template)]
#[template(path = "screen_takeover.html")]
struct TakeoverView<'a> {
    text: &'a str,
    left_s: i64,
}

/// The HTML of the service message this screen shows at `now` (empty when none).
fn takeover_html(
    st: &SharedState,
    screen: &str,
    vehicle: &str,
    line: Option<&str>,
    now: i64,
) -> String {
    let list = st.screens.takeovers();
    dklik_app::takeovers::for_screen(&list, screen, vehicle, line, now)
        .and_then(|t| {
            TakeoverView {
                text: &t.text,
                left_s: t.until - now,
            }
            .render()
            .ok()
        })
        .unwrap_or_default()
}

/// The "takeover" event of a service message's HTML; an empty one (the message ended) is sent
/// as a comment, since EventSource drops events without data.
fn takeover_event(html: String) -> Event {
    let data = if html.is_empty() {
        "<!-- aucun message -->".to_string()
    } else {
        html
    };
    Event::default().event("takeover").data(data)
}

/// The screen behind a page address: a registered screen (its vehicle and line) or a vehicle.
async fn screen_of(
    st: &SharedState,
    page: &str,
) -> Result<(String, Option<dklik_app::store::ScreenRecord>), AppError> {
    Ok(match st.store.screen(page).await? {
        Some(s) => (s.vehicle.clone(), Some(s)),
        None => (page.to_string(), None),
    })
}

fn short(url: &str) -> String {
    url.split("://").nth(1).unwrap_or(url).to_string()
}

fn slides_html(
    state: Option<&ScreenState>,
    base_url: &str,
    sms_number: Option<&str>,
) -> Result<String, AppError> {
    let mut slides = Vec::new();
    if let Some(st) = state {
        for s in &st.slides {
            match &s.slide {
                Slide::Offer {
                    code,
                    title,
                    employer,
                    distance_m,
                    ..
                } => {
                    let url = format!("{base_url}/s/{}", s.impression);
                    let near = if st.stop_name.is_empty() {
                        format!("{employer}, à {distance_m} m")
                    } else {
                        format!("{employer}, à {distance_m} m de l'arrêt {}", st.stop_name)
                    };
                    slides.push(SlideView {
                        impression: s.impression.clone(),
                        kicker: "On recrute près d'ici".into(),
                        headline: title.clone(),
                        sub: near,
                        qr_svg: qr_svg(&url),
                        url_short: short(&url),
                        url,
                        code: code.clone(),
                        sms_number: sms_number.unwrap_or_default().to_string(),
                    });
                }
                Slide::Fallback { text } => slides.push(SlideView {
                    impression: "message".into(),
                    kicker: String::new(),
                    headline: text.clone(),
                    sub: String::new(),
                    qr_svg: String::new(),
                    url: String::new(),
                    url_short: String::new(),
                    code: String::new(),
                    sms_number: String::new(),
                }),
            }
        }
    }
    if slides.is_empty() {
        slides.push(general_card(base_url));
    }
    Ok(SlidesFragment { slides }.render()?)
}

/// The card a screen shows with no offer near, or when its offers are too old.
fn general_card(base_url: &str) -> SlideView {
    let url = format!("{base_url}/offres");
    SlideView {
        impression: "general".into(),
        kicker: "DKLIK".into(),
        headline: "Des entreprises recrutent près de chez vous".into(),
        sub: "Scannez pour voir les offres".into(),
        qr_svg: qr_svg(&url),
        url_short: short(&url),
        url,
        code: String::new(),
        sms_number: String::new(),
    }
}

/// What a screen page may ask for.
#[derive(Deserialize, Default)]
pub struct ScreenQuery {
    /// "plein": the slides themselves, inside a region's frame.
    #[serde(default)]
    zone: String,
}

pub async fn screen_page(
    State(st): State<SharedState>,
    Path(page): Path<String>,
    Query(q): Query<ScreenQuery>,
) -> Result<Response, AppError> {
    if !valid_vehicle(&page) {
        return Ok(message_page(
            StatusCode::NOT_FOUND,
            "Cet écran n'existe pas",
            &["L'identifiant de l'écran n'est pas valide : lettres, chiffres, tiret, point ou souligné, 64 au plus."],
            false,
            "",
        ));
    }
    // A registered physical screen shows what its vehicle shows.
    let (vehicle, screen) = screen_of(&st, &page).await?;
    if let Some(region) = screen
        .as_ref()
        .and_then(|s| dklik_app::screen_health::Region::parse(&s.region))
        .filter(|r| *r != dklik_app::screen_health::Region::Whole && q.zone != "plein")
    {
        let frame = ScreenFrame {
            page: &page,
            region: region.name(),
        };
        return Ok(Html(frame.render()?).into_response());
    }
    let now = dklik_app::unix_now();
    let current = st.screens.current(&vehicle);
    let line = screen.as_ref().and_then(|s| s.line.as_deref());
    let html = ScreenPage {
        vehicle: &page,
        seconds: st.screens.slide_seconds,
        slides_html: slides_html(current.as_deref(), &st.base_url, st.sms_number.as_deref())?,
        preview: false,
        age_s: current.as_ref().map_or(0, |c| (now - c.at).max(0)),
        ttl_s: st.screens.offer_ttl_s,
        general_html: SlidesFragment {
            slides: vec![general_card(&st.base_url)],
        }
        .render()?,
        takeover_html: takeover_html(&st, &page, &vehicle, line, now),
    };
    Ok(Html(html.render()?).into_response())
}

/// What the preview shows beside the published offers.
#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    /// Job titles to try, one per line (60 at most, 200 characters each).
    #[serde(default)]
    titres: String,
    /// The employer line of those tries.
    #[serde(default)]
    employeur: String,
}

/// `/admin/ecrans/apercu`: every published offer as a slide (and the titles typed in `titres`),
/// as a screen of the window's size shows them; `dklikScreen.show(n)` steps through them. For
/// admins checking how offers look on screens of every shape, and for the layout test.
pub async fn preview(
    State(st): State<SharedState>,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let page = st
        .store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 200,
            ..Default::default()
        })
        .await?;
    let base = &st.base_url;
    let mut slides: Vec<SlideView> = page
        .offers
        .iter()
        .map(|o| {
            let url = format!("{base}/o/{}", o.code);
            SlideView {
                impression: "general".into(),
                kicker: "On recrute près d'ici".into(),
                headline: o.title.clone(),
                sub: format!("{}, à 450 m de l'arrêt {}", o.employer_name, o.site.commune),
                qr_svg: qr_svg(&url),
                url_short: short(&url),
                url,
                code: o.code.to_string(),
                sms_number: st.sms_number.clone().unwrap_or_default(),
            }
        })
        .collect();
    let employer: String = match q.employeur.trim() {
        "" => "Entreprise de la zone industrielle".to_string(),
        e => e.chars().take(200).collect(),
    };
    for title in q
        .titres
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .take(60)
    {
        let url = format!("{base}/offres");
        slides.push(SlideView {
            impression: "general".into(),
            kicker: "On recrute près d'ici".into(),
            headline: title.chars().take(200).collect(),
            sub: format!("{employer}, à 450 m de l'arrêt Gare de Dunkerque"),
            qr_svg: qr_svg(&url),
            url_short: short(&url),
            url,
            code: "ABC234".into(),
            sms_number: st.sms_number.clone().unwrap_or_default(),
        });
    }
    let html = if slides.is_empty() {
        slides_html(None, base, None)?
    } else {
        SlidesFragment { slides }.render()?
    };
    let page = ScreenPage {
        vehicle: "aperçu",
        seconds: st.screens.slide_seconds,
        slides_html: html,
        preview: true,
        age_s: 0,
        ttl_s: st.screens.offer_ttl_s,
        general_html: String::new(),
        takeover_html: String::new(),
    };
    Ok(Html(page.render()?).into_response())
}

/// The vehicles whose screens show something now, with a link to each screen page.
#[derive(askama::Template)]
#[template(path = "screens_list.html")]
struct ScreensList {
    /// (vehicle, next stop, offers shown, since)
    rows: Vec<(String, String, usize, String)>,
}

pub async fn screens_list(State(st): State<SharedState>) -> Result<Response, AppError> {
    let rows = st
        .screens
        .vehicles()
        .iter()
        .take(300)
        .map(|s| {
            let offers = s
                .slides
                .iter()
                .filter(|x| matches!(x.slide, Slide::Offer { .. }))
                .count();
            (
                s.vehicle.clone(),
                s.stop_name.clone(),
                offers,
                crate::account::format_time(s.at),
            )
        })
        .collect();
    Ok(axum::response::Html(askama::Template::render(&ScreensList { rows })?).into_response())
}

/// The slides' HTML of a state, rendered once however many screen pages wait for it (drawing
/// the QR codes for each of 1,000 connected pages would take seconds).
async fn rendered(
    st: &SharedState,
    state: &dklik_app::screens::ScreenState,
) -> std::sync::Arc<String> {
    let key = (state.vehicle.clone(), state.at);
    let cell = {
        let Ok(mut cache) = st.slides_cache.lock() else {
            return std::sync::Arc::new(
                slides_html(Some(state), &st.base_url, st.sms_number.as_deref())
                    .unwrap_or_default(),
            );
        };
        if cache.len() > 512 {
            cache.clear();
        }
        cache.entry(key).or_default().clone()
    };
    cell.get_or_init(|| async {
        std::sync::Arc::new(
            slides_html(Some(state), &st.base_url, st.sms_number.as_deref()).unwrap_or_default(),
        )
    })
    .await
    .clone()
}

/// Server-sent events: each change of the vehicle's slides, as the HTML of the slides
/// ("slides"), and each change of the service message shown on this screen ("takeover", its
/// HTML, empty when it ends).
pub async fn screen_stream(State(st): State<SharedState>, Path(page): Path<String>) -> Response {
    if !valid_vehicle(&page) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let (vehicle, screen) = match screen_of(&st, &page).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let line = screen.and_then(|s| s.line);
    let rx = st.screens.subscribe();
    let mut watch = st.screens.watch_takeovers();
    watch.mark_unchanged();
    struct Ctx {
        rx: tokio::sync::broadcast::Receiver<std::sync::Arc<ScreenState>>,
        watch: tokio::sync::watch::Receiver<std::sync::Arc<Vec<dklik_app::store::Takeover>>>,
        st: SharedState,
        page: String,
        vehicle: String,
        line: Option<String>,
        shown: String,
    }
    let ctx = Ctx {
        shown: takeover_html(&st, &page, &vehicle, line.as_deref(), dklik_app::unix_now()),
        rx,
        watch,
        st,
        page,
        vehicle,
        line,
    };
    let stream = futures_util::stream::unfold(ctx, |mut c| async move {
        loop {
            // The next start or end of a message: the page is told then, without waiting.
            let now = dklik_app::unix_now();
            let next = c
                .watch
                .borrow()
                .iter()
                .flat_map(|t| [t.from, t.until])
                .filter(|&at| at > now)
                .min()
                .map_or(60, |at| (at - now).clamp(1, 60));
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(next as u64)) => {
                    let html = takeover_html(&c.st, &c.page, &c.vehicle, c.line.as_deref(), dklik_app::unix_now());
                    if html == c.shown {
                        continue;
                    }
                    c.shown = html.clone();
                    let ev = takeover_event(html);
                    return Some((Ok(ev), c));
                }
                got = c.rx.recv() => match got {
                    Ok(state) if state.vehicle == c.vehicle => {
                        let html = rendered(&c.st, &state).await;
                        let ev = Event::default().event("slides").data(html.as_str());
                        return Some((Ok::<Event, Infallible>(ev), c));
                    }
                    Ok(_) => continue,
                    // A slow page missed updates: the next one will do.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
                changed = c.watch.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                    let html = takeover_html(&c.st, &c.page, &c.vehicle, c.line.as_deref(), dklik_app::unix_now());
                    if html == c.shown {
                        continue;
                    }
                    c.shown = html.clone();
                    let ev = takeover_event(html);
                    return Some((Ok(ev), c));
                }
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `/s/CODE`: a QR scan. Counts it on its impression, then opens the offer page.
pub async fn scan(
    State(st): State<SharedState>,
    Path(code): Path<String>,
    parts: axum::http::request::Parts,
) -> Result<Response, AppError> {
    let code: String = code
        .chars()
        .take(16)
        .collect::<String>()
        .to_ascii_uppercase();
    let Some(imp) = st.store.impression(&code).await? else {
        return Ok(message_page(
            StatusCode::NOT_FOUND,
            "Ce lien n'est pas reconnu",
            &[
                "Le lien scanné est incomplet ou trop ancien.",
                "Vous pouvez taper le code de l'offre écrit sur l'écran.",
            ],
            true,
            "",
        ));
    };
    // A scan counts once per address, impression and half hour, like poster visits: a
    // reload or a script is not a second scan.
    if st.visits.first(
        crate::pages::client_ip(&parts.extensions),
        &format!("scan:{code}"),
    ) {
        st.store.record_scan(&code, dklik_app::unix_now()).await?;
    }
    let to = match imp.offer_id {
        Some(id) => match st.store.offer(id).await? {
            Some(o) => format!("/offres/{}?src=ecran&imp={code}", o.code),
            None => "/offres".into(),
        },
        None => "/offres".into(),
    };
    Ok(Redirect::to(&to).into_response())
}

/// What became of a decoded feed's positions, and what could not be read.
#[derive(Serialize, JsonSchema)]
pub struct FeedAnswer {
    /// Accepted and refused positions.
    #[serde(flatten)]
    pub positions: IngestSummary,
    /// Entities that could not be read (how many).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_count: Option<usize>,
    /// Entities that could not be read, said in French (the first 100).
    pub skipped: Vec<String>,
    /// What the feed carried beside positions (trip updates, alerts…), by kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<std::collections::BTreeMap<&'static str, u64>>,
}

/// What became of a batch of impressions.
#[derive(Serialize, JsonSchema)]
pub struct ImpressionsAnswer {
    /// Impressions in the batch.
    pub received: u64,
    /// Recorded now.
    pub recorded: u64,
    /// Already recorded by an earlier batch (same screen, slide and instant).
    pub already: u64,
    /// Refused ones: their position in the batch, and why.
    pub refused: Vec<Refused>,
}

/// An impression refused.
#[derive(Serialize, JsonSchema)]
pub struct Refused {
    /// Its position in the batch, from 0.
    pub index: usize,
    /// Why.
    pub error: String,
}

/// Positions accepted and refused since the server started.
#[derive(Serialize, JsonSchema)]
pub struct Counters {
    /// Accepted.
    pub accepted: u64,
    /// Refused, by reason.
    pub rejected: HashMap<String, u64>,
}

/// A stop and the offers within walking distance.
#[derive(Serialize, JsonSchema)]
pub struct StopOffers {
    /// The stop.
    pub stop: StopInfo,
    /// Offers near it, nearest first.
    pub offers: Vec<StopOffer>,
}

/// A GTFS stop.
#[derive(Serialize, JsonSchema)]
pub struct StopInfo {
    /// Its GTFS id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// An offer near a stop, with what a screen needs to show it.
#[derive(Serialize, JsonSchema)]
pub struct StopOffer {
    /// The offer's short code.
    pub offer_code: String,
    /// Its title.
    pub title: String,
    /// The employer's name.
    pub employer: String,
    /// Metres from the stop to the site, as the crow flies.
    pub distance_m: u32,
    /// The offer's short link.
    pub short_url: String,
    /// Its QR code (SVG).
    pub qr_svg_url: String,
}

/// POST of vehicle positions as JSON (one object or an array), by a feed sender's token.
pub async fn positions(
    State(st): State<SharedState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let positions = match dklik_app::screens::read_positions_json(&body) {
        Ok(p) => p,
        Err(e) => {
            let status = match e {
                dklik_app::screens::PositionsRefused::Unreadable(_) => StatusCode::BAD_REQUEST,
                dklik_app::screens::PositionsRefused::Invalid(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            };
            return Ok((
                status,
                Json(ErrorBody {
                    error: e.to_string(),
                }),
            )
                .into_response());
        }
    };
    Ok(Json(ingest_all(&st, &positions).await?).into_response())
}

/// POST of impressions shown by another signage player (JSON array), by a screen token.
/// Idempotent: an impression sent again (same screen, slide id and time) is counted once.
pub async fn player_impressions(
    State(st): State<SharedState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let items: Vec<dklik_app::screens::PlayerImpression> = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Ok((
                StatusCode::BAD_REQUEST,
                Json(ErrorBody {
                    error: format!("JSON illisible (un tableau d'impressions est attendu) : {e}"),
                }),
            )
                .into_response())
        }
    };
    if items.len() > dklik_app::screens::MAX_BATCH {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(ErrorBody {
                error: "5 000 impressions au plus par envoi".into(),
            }),
        )
            .into_response());
    }
    let bad: Vec<String> = items
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            m.schema_problem()
                .map(|p| format!("impression n° {} : {p}", i + 1))
        })
        .take(10)
        .collect();
    if !bad.is_empty() {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(ErrorBody {
                error: bad.join(" ; "),
            }),
        )
            .into_response());
    }
    let out = dklik_app::screens::record_player_impressions(
        st.store.as_ref(),
        &st.screens,
        &items,
        dklik_app::unix_now(),
    )
    .await?;
    let refused = out
        .refused
        .iter()
        .map(|(i, m)| Refused {
            index: *i,
            error: m.clone(),
        })
        .collect();
    Ok(Json(ImpressionsAnswer {
        received: out.received,
        recorded: out.recorded,
        already: out.already,
        refused,
    })
    .into_response())
}

fn to_positions(reports: Vec<dklik_transit::realtime::VehicleReport>) -> Vec<Position> {
    dklik_app::screens::positions_of(reports, dklik_app::unix_now())
}

fn decode_refused(e: dklik_transit::realtime::DecodeError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(ErrorBody {
            error: e.to_string(),
        }),
    )
        .into_response()
}

/// POST of a GTFS-realtime FeedMessage (protobuf) of vehicle positions.
pub async fn gtfs_rt(
    State(st): State<SharedState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    match dklik_transit::realtime::gtfs_rt::decode(&body) {
        Ok(d) => {
            let positions = ingest_all(&st, &to_positions(d.reports)).await?;
            // A national feed can skip thousands: the first 100 are named, all are counted.
            let skipped_count = d.skipped.len();
            let mut skipped = d.skipped;
            skipped.truncate(100);
            Ok(Json(FeedAnswer {
                positions,
                skipped_count: Some(skipped_count),
                skipped,
                ignored: Some(d.ignored),
            })
            .into_response())
        }
        Err(e) => Ok(decode_refused(e)),
    }
}

/// POST of a SIRI Vehicle Monitoring delivery (XML, or SIRI Lite JSON).
pub async fn siri(
    State(st): State<SharedState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    match dklik_transit::realtime::siri::decode_any(&body) {
        Ok(d) => {
            let positions = ingest_all(&st, &to_positions(d.reports)).await?;
            Ok(Json(FeedAnswer {
                positions,
                skipped_count: None,
                skipped: d.skipped,
                ignored: None,
            })
            .into_response())
        }
        Err(e) => Ok(decode_refused(e)),
    }
}

/// Feeds positions to the hub; the answer counts what was accepted and refused.
pub async fn ingest_all(
    st: &SharedState,
    positions: &[Position],
) -> Result<IngestSummary, ApiError> {
    match st
        .screens
        .ingest_many(st.store.as_ref(), positions, dklik_app::unix_now())
        .await
    {
        Ok(sum) => Ok(sum),
        Err(IngestError::Store(e)) => Err(e.into()),
        Err(_) => Err(ApiError(AppError::Internal("moteur indisponible".into()))),
    }
}

/// How the offers near a stop are sent.
#[derive(Deserialize, Default, JsonSchema)]
pub struct FeedQuery {
    /// json (the default) or rss.
    #[serde(default)]
    #[schemars(extend("enum" = ["", "json", "rss"]))]
    format: String,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The offers near a stop, for other signage systems: JSON, or RSS 2.0 with `?format=rss`.
pub async fn stop_feed(
    State(st): State<SharedState>,
    Path(stop): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Result<Response, ApiError> {
    if !matches!(q.format.as_str(), "" | "json" | "rss") {
        return Ok((
            StatusCode::BAD_REQUEST,
            Json(ErrorBody {
                error: "format : json ou rss".into(),
            }),
        )
            .into_response());
    }
    let Some((stop, offers)) = st.screens.stop_with_offers(&stop) else {
        return Err(ApiError(AppError::NotFound));
    };
    let base = &st.base_url;
    if q.format == "rss" {
        let mut items = String::new();
        for (o, d) in &offers {
            items.push_str(&format!(
                "<item><title>{}</title><link>{base}/o/{}</link><guid isPermaLink=\"false\">dklik-offre-{}</guid><description>{} – à {d} m de l'arrêt {}</description><enclosure url=\"{base}/qr/{}.svg\" type=\"image/svg+xml\" length=\"0\"/></item>",
                xml_escape(&o.title), o.code, o.offer_id, xml_escape(&o.employer), xml_escape(&stop.name), o.code
            ));
        }
        let rss = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Offres près de l'arrêt {}</title><link>{base}/offres</link><description>Offres d'emploi à distance de marche de l'arrêt {}</description><language>fr</language>{items}</channel></rss>",
            xml_escape(&stop.name), xml_escape(&stop.name)
        );
        return Ok((
            [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
            rss,
        )
            .into_response());
    }
    let offers = offers
        .iter()
        .map(|(o, d)| StopOffer {
            offer_code: o.code.to_string(),
            title: o.title.clone(),
            employer: o.employer.clone(),
            distance_m: *d,
            short_url: format!("{base}/o/{}", o.code),
            qr_svg_url: format!("{base}/qr/{}.svg", o.code),
        })
        .collect();
    Ok(Json(StopOffers {
        stop: StopInfo {
            id: stop.id.clone(),
            name: stop.name.clone(),
            lat: stop.lat,
            lon: stop.lon,
        },
        offers,
    })
    .into_response())
}

/// The QR code of an offer's short link, as an SVG image.
pub async fn offer_qr(State(st): State<SharedState>, Path(file): Path<String>) -> Response {
    let code = file.strip_suffix(".svg").unwrap_or("");
    match dklik_domain::ShortCode::parse(code) {
        Ok(c) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{}",
                qr_svg(&format!("{}/o/{c}", st.base_url))
            ),
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// What the engine has accepted and refused since the server started (for operators).
pub async fn counters(State(st): State<SharedState>) -> Json<Counters> {
    let (accepted, rejected) = st.screens.counters();
    let rejected: HashMap<String, u64> = rejected
        .into_iter()
        .map(|(k, v)| {
            (
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                v,
            )
        })
        .collect();
    Json(Counters { accepted, rejected })
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADMIN, FEED, SCREEN};
    use crate::openapi::Op;
    use crate::routes::{get, post};
    vec![
        post(
            "/api/v1/impressions",
            Who::Roles(SCREEN),
            player_impressions,
        )
        .feed()
        .doc(
            Op::new("postImpressions", "Preuve de diffusion envoyée par un autre lecteur d'affichage, par un jeton de rôle screen")
                .describe("Une impression renvoyée (même écran, même slide_id, même instant) compte une fois. 5 000 impressions au plus par envoi (sinon 422).")
                .json_body::<Vec<dklik_app::screens::PlayerImpression>>()
                .answer::<ImpressionsAnswer>(200, "Reçues, enregistrées, déjà connues, refusées (position et raison)"),
        ),
        get("/ecrans", Who::Anyone, screens_list),
        get("/admin/ecrans/apercu", Who::Roles(ADMIN), preview),
        get("/ecran/{vehicle}", Who::Anyone, screen_page),
        get("/ecran/{vehicle}/flux", Who::Anyone, screen_stream),
        get("/s/{code}", Who::Anyone, scan),
        get("/qr/{file}", Who::Anyone, offer_qr),
        post("/api/v1/positions", Who::Roles(FEED), positions)
            .feed()
            .doc(
                Op::new("postPositions", "Positions de véhicules (flux JSON simple), par un jeton de rôle feed")
                    .json_body::<dklik_app::screens::PositionsIn>()
                    .answer::<IngestSummary>(200, "Ce qui a été accepté ou refusé, par raison"),
            ),
        post("/api/v1/positions/gtfs-rt", Who::Roles(FEED), gtfs_rt)
            .feed()
            .doc(
                Op::new("postGtfsRt", "Positions en GTFS-realtime (FeedMessage, protobuf), par un jeton feed")
                    .describe("Les mises à jour de course et les alertes d'un même flux sont comptées dans `ignored`.")
                    .body_media("application/x-protobuf")
                    .answer::<FeedAnswer>(200, "Acceptées, refusées par raison, entités ignorées"),
            ),
        post("/api/v1/positions/siri", Who::Roles(FEED), siri)
            .feed()
            .doc(
                Op::new("postSiri", "Positions en SIRI Vehicle Monitoring (XML, 1.x ou 2.0), par un jeton feed")
                    .describe("Une livraison SIRI Lite en JSON (objet « Siri ») est lue aussi.")
                    .body_media("application/xml")
                    .answer::<FeedAnswer>(200, "Acceptées, refusées par raison, activités illisibles"),
            ),
        get("/api/v1/positions/counters", Who::Roles(ADMIN), counters).doc(
            Op::new("positionCounters", "Positions acceptées et refusées depuis le démarrage (administrateurs)")
                .answer::<Counters>(200, "Compteurs"),
        ),
        get("/api/v1/stops/{stop}/offers", Who::Anyone, stop_feed).doc(
            Op::new("stopOffers", "Les offres à distance de marche d'un arrêt, pour d'autres systèmes d'affichage (JSON, ou RSS avec format=rss)")
                .path::<String>("stop", "L'identifiant GTFS de l'arrêt")
                .query::<FeedQuery>()
                .answer::<StopOffers>(200, "L'arrêt et ses offres, avec lien court et QR")
                .or_media("application/rss+xml"),
        ),
    ]
}
