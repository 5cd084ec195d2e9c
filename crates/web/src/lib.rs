#![recursion_limit = "256"]
//! DKLIK over HTTP: the public site (French, accessible, works without JavaScript), the JSON
//! API under `/api/v1`, and `/healthz`. Handlers are thin: they read the request, call a use
//! case of `dklik_app`, and render a template or JSON.

mod access;
mod account;
mod api;
mod backoffice;
mod client;
mod display_report;
mod employers;
mod error;
mod forms;
mod impact;
mod links;
mod log;
mod matching;
mod message_choice;
mod openapi;
mod orientation;
mod pages;
mod places;
mod plan;
mod questionnaire;
pub mod routes;
mod screen_health;
mod screen_settings;
mod screens;
mod security;
pub mod server;
mod skills;
mod sms;
mod views;

use axum::Router;
use dklik_app::Store;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use access::{lookup, table as access_table, Who};
pub use client::Cidr;
pub use error::AppError;

/// Shared by every request.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub interest_limiter: RateLimiter,
    /// Every other anonymous write (questionnaire sent, OrientaKlik and event registrations,
    /// endorsements, questionnaire answers): per address.
    pub public_writes: RateLimiter,
    /// Poster and short-link visits counted once per address, target and half hour.
    pub visits: VisitOnce,
    /// Logins, password resets and a person's codes: 20 per 10 minutes per address.
    pub login_limiter: RateLimiter,
    /// People inactive this many months are anonymised (shown on the privacy page).
    pub retention_months: u32,
    /// Rendered public pages, kept a few seconds (see `PageCache`).
    pub pages: PageCache,
    /// The bus screens: engine, current slides, live updates.
    pub screens: Arc<dklik_app::screens::ScreenHub>,
    /// The slides' HTML per (vehicle, time), rendered once for all the pages listening.
    pub slides_cache: SlidesCache,
    /// The public address of the site (for absolute links in JSON-LD), without final slash.
    pub base_url: String,
    /// The ROME reference in memory, for item search and suggestions.
    pub skills: dklik_app::skills::SkillsCache,
    /// Map tiles for the agenda's map, as a URL template with {z}, {x} and {y}; none: a plain
    /// plan drawn by the server.
    pub map_tiles: Option<String>,
    /// Bus timetables per day, for journeys at shift time.
    pub transit: Arc<dklik_app::matching::Transit>,
    /// Which offers each neighbourhood reaches by bus (the list's "accessible en bus" filter).
    pub reach: Arc<dklik_app::journeys::Reach>,
    /// Text messages (cancellations, a place freed); the server sets it with `with_sms`.
    pub sms: Arc<dyn dklik_app::orientation::SmsSender>,
    /// The shared secret the SMS providers' receipts carry (`serve --sms-receipts-secret`);
    /// none: receipts are not taken.
    pub sms_receipts_secret: Option<String>,
    /// The programme's number people text offer codes to, as shown ("06 39 98 00 12"); bus
    /// slides and posters say "Pas de smartphone ? Envoyez CODE au …" when it is set.
    pub sms_number: Option<String>,
    /// The server's secret key (a person's codes are kept as HMACs under it).
    pub key: dklik_app::auth::ServerKey,
    /// Reverse proxies whose forwarded addresses are believed (`serve --trusted-proxy`).
    pub trusted_proxies: Vec<Cidr>,
    /// The largest body of an operator's feed (positions, impressions): 16 MiB by default
    /// (`serve --max-feed-bytes`).
    pub max_feed_bytes: usize,
    /// Where to report a vulnerability (an e-mail address), shown on the privacy page and in
    /// `/.well-known/security.txt`.
    pub security_contact: String,
    /// The published offers in memory, for the public search (`dklik_app::search`); until it
    /// is built (or where nothing keeps it fresh, as in some tests), searches go to SQL.
    pub search: Arc<dklik_app::search::OfferIndex>,
    /// The staff's list of people in memory (`dklik_app::directory`); SQL until built.
    pub people: Arc<dklik_app::directory::PeopleDirectory>,
    /// The inbox's count of likely duplicate records, with the people version and the instant
    /// it was counted at (counting compares every recent record with the others: at 100,000
    /// people it costs a tenth of a second, so it is counted again only when people changed or
    /// after ten minutes).
    /// One request counts while the others wait for its count (an async lock).
    pub inbox_duplicates: tokio::sync::Mutex<Option<CountedDuplicates>>,
    /// The staff's list of employers in memory (`dklik_app::directory`); SQL until built.
    pub employers: Arc<dklik_app::directory::EmployerDirectory>,
    /// The advisors' offers to handle (under review, paused), kept with the employers list's
    /// version and the instant they were read: read again when an offer or an employer
    /// changed, and at least every 2 seconds.
    pub offers_to_handle: std::sync::Mutex<Option<employers::KeptToHandle>>,
    /// The inbox's queue counts, each kept 2 seconds (by queue, advisor and day).
    pub inbox_counts:
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, u64)>>,
    /// Call-back requests the database could not take in time, kept on disk until it can
    /// (`dklik_app::callbacks`; `serve --callback-queue`).
    pub callbacks: Arc<dklik_app::callbacks::CallbackQueue>,
    /// An addok-compatible geocoder for employers' sites (`serve --geocoder`); none: sites
    /// are placed by typing their coordinates.
    pub geocoder: Option<String>,
}

/// A count of likely duplicates: the people version it was counted at, when, and the count.
pub type CountedDuplicates = ((i64, i64), std::time::Instant, usize);

/// Where call-back requests wait during an outage, unless `serve --callback-queue` says.
pub const DEFAULT_CALLBACK_QUEUE: &str = "data/rappels-en-attente.jsonl";

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        base_url: &str,
        retention_months: u32,
        screens: Arc<dklik_app::screens::ScreenHub>,
    ) -> SharedState {
        Arc::new(Self {
            store,
            screens,
            slides_cache: Mutex::new(HashMap::new()),
            base_url: base_url.trim_end_matches('/').to_string(),
            interest_limiter: RateLimiter::new(5, Duration::from_secs(600)),
            public_writes: RateLimiter::new(20, Duration::from_secs(600)),
            visits: VisitOnce::new(Duration::from_secs(1800)),
            login_limiter: RateLimiter::new(20, Duration::from_secs(600)),
            retention_months,
            pages: PageCache::new(Duration::from_secs(5), 2_000),
            skills: Default::default(),
            transit: Default::default(),
            reach: Default::default(),
            map_tiles: None,
            sms: Arc::new(dklik_app::orientation::FolderSms {
                dir: std::env::temp_dir().join("dklik-sms"),
            }),
            key: dklik_app::auth::ServerKey::ephemeral(),
            sms_receipts_secret: None,
            sms_number: None,
            trusted_proxies: Vec::new(),
            security_contact: "securite@dklik.invalid".into(),
            max_feed_bytes: DEFAULT_MAX_FEED_BYTES,
            search: Default::default(),
            people: Default::default(),
            employers: Default::default(),
            inbox_duplicates: Default::default(),
            offers_to_handle: Default::default(),
            inbox_counts: Default::default(),
            callbacks: Arc::new(dklik_app::callbacks::CallbackQueue::new(
                DEFAULT_CALLBACK_QUEUE,
            )),
            geocoder: None,
        })
    }

    /// The same state with a geocoder (`http://…`, the base of its `/search/`).
    pub fn with_geocoder(state: SharedState, url: Option<String>) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.geocoder = url.filter(|u| u.starts_with("http://") || u.starts_with("https://"));
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }

    /// The same state with call-back requests kept in this journal during outages.
    pub fn with_callback_queue(
        state: SharedState,
        queue: Arc<dklik_app::callbacks::CallbackQueue>,
    ) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.callbacks = queue;
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }

    /// The same state with the server's key and the trusted reverse proxies.
    pub fn with_security(
        state: SharedState,
        key: dklik_app::auth::ServerKey,
        trusted_proxies: Vec<Cidr>,
    ) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.key = key;
                s.trusted_proxies = trusted_proxies;
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }

    /// The same state with rendered list pages kept `ttl` (zero: not kept).
    pub fn with_page_cache(state: SharedState, ttl: Duration) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.pages = PageCache::new(ttl, 2_000);
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }

    /// The same state with another limit for operators' feeds.
    pub fn with_max_feed_bytes(state: SharedState, bytes: usize) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.max_feed_bytes = bytes.max(MAX_BODY_BYTES);
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }

    /// The same state with the address where vulnerabilities are reported.
    pub fn with_security_contact(state: SharedState, email: &str) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                if email.contains('@') && !email.contains(['\r', '\n']) {
                    s.security_contact = email.trim().to_string();
                }
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }

    /// The same state with a map tile source for the agenda (`https://…/{z}/{x}/{y}.png`).
    pub fn with_map_tiles(state: SharedState, template: Option<String>) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.map_tiles = template.filter(|t| {
                    (t.starts_with("https://") || t.starts_with("http://"))
                        && t.contains("{z}")
                        && t.contains("{x}")
                        && t.contains("{y}")
                });
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }

    /// The same state with the programme's number for texts (checked by
    /// `dklik_domain::sms::display_number`), shown on slides and posters.
    pub fn with_sms_number(state: SharedState, number: Option<String>) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.sms_number = number.filter(|n| !n.is_empty());
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }

    /// The same state with this text-message sender.
    pub fn with_sms(
        state: SharedState,
        sms: Arc<dyn dklik_app::orientation::SmsSender>,
        receipts_secret: Option<String>,
    ) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.sms = sms;
                s.sms_receipts_secret = receipts_secret.filter(|k| !k.is_empty());
                Arc::new(s)
            }
            Err(shared) => shared,
        }
    }
}

/// Work a server does once at start so that the first pages do not wait for it.
pub async fn warm_up(st: &SharedState) {
    backoffice::warm_duplicates(st).await;
}

/// Public pages (offers list, offer pages) rendered in the last few seconds, by address.
/// Under load most requests are then answered from memory; a change (an offer closed) shows
/// within the time to live.
pub struct PageCache {
    ttl: Duration,
    max: usize,
    entries: Mutex<HashMap<String, (Instant, Arc<String>)>>,
}

impl PageCache {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            entries: Mutex::new(HashMap::new()),
        }
    }
    pub fn get(&self, key: &str) -> Option<Arc<String>> {
        let e = self.entries.lock().ok()?;
        e.get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, html)| html.clone())
    }
    pub fn put(&self, key: String, html: Arc<String>) {
        if let Ok(mut e) = self.entries.lock() {
            if e.len() >= self.max {
                let ttl = self.ttl;
                e.retain(|_, (at, _)| at.elapsed() < ttl);
                if e.len() >= self.max {
                    e.clear();
                }
            }
            e.insert(key, (Instant::now(), html));
        }
    }
    /// Forgets every page (an offer changed here: this server shows it at once).
    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
    }
}

pub type SlidesCache = Mutex<HashMap<(String, i64), Arc<tokio::sync::OnceCell<Arc<String>>>>>;

/// A per-address sliding-window limit (the interest form: 5 requests per 10 minutes).
pub struct RateLimiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

impl RateLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }
    /// Records a hit; false when the address is over its limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let Ok(mut hits) = self.hits.lock() else {
            return true;
        };
        if hits.len() > 10_000 {
            hits.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
        }
        let v = hits.entry(client::limit_key(ip)).or_default();
        v.retain(|t| now.duration_since(*t) < self.window);
        if v.len() >= self.max {
            return false;
        }
        v.push(now);
        true
    }
}

/// Counts a poster or short-link visit once per address and target in a window: a reload is
/// not a second scan. Nothing of it is stored; the memory forgets after the window.
pub struct VisitOnce {
    window: Duration,
    seen: Mutex<HashMap<(IpAddr, String), Instant>>,
}

impl VisitOnce {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }
    /// True the first time this address visits this target within the window.
    pub fn first(&self, ip: IpAddr, target: &str) -> bool {
        let now = Instant::now();
        let Ok(mut seen) = self.seen.lock() else {
            return true;
        };
        if seen.len() > 50_000 {
            seen.retain(|_, t| now.duration_since(*t) < self.window);
        }
        let ip = client::limit_key(ip);
        match seen.get(&(ip, target.to_string())) {
            Some(t) if now.duration_since(*t) < self.window => false,
            _ => {
                seen.insert((ip, target.to_string()), now);
                true
            }
        }
    }
}

/// The largest request body accepted (forms and JSON), except operators' feeds.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest operator's feed by default: national SIRI-VM deliveries weigh a few MB.
pub const DEFAULT_MAX_FEED_BYTES: usize = 16 * 1024 * 1024;

/// The whole site: every module's routes (see `routes`), behind the access guard, then the
/// layers every answer goes through.
pub fn router(state: SharedState) -> Router {
    // Routes of one path share one method router.
    let mut by_path: Vec<(&'static str, axum::routing::MethodRouter<SharedState>)> = Vec::new();
    for r in routes::all() {
        let handler = if r.feed {
            r.handler
                .layer(axum::extract::DefaultBodyLimit::max(state.max_feed_bytes))
        } else {
            r.handler
        };
        match by_path.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, mr)) => *mr = std::mem::take(mr).merge(handler),
            None => by_path.push((r.path, handler)),
        }
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, mr)| router.route(path, mr))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard,
        ))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client::resolve,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(error::keep_typed))
        .layer(axum::middleware::from_fn(error::french_rejections))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn(log::requests))
        .with_state(state)
}

/// Serves until ctrl-c, with the default limits for slow clients ([`server::Limits`]).
pub async fn serve(state: SharedState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let limits = server::Limits {
        exempt: state.trusted_proxies.clone(),
        ..Default::default()
    };
    serve_with(state, listener, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Serves with these limits until `shutdown` completes.
pub async fn serve_with(
    state: SharedState,
    listener: tokio::net::TcpListener,
    limits: server::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let body_timeout = limits.body_timeout;
    let app = router(state).layer(axum::middleware::from_fn(move |req, next| {
        server::body_deadline(body_timeout, req, next)
    }));
    server::run(listener, app, limits, shutdown).await
}
