#![recursion_limit = "256"]
//! DKLIK over HTTP: the public site (French, accessible, works without JavaScript), the JSON
//! API under `/api/v1`, and `/healthz`. Handlers are thin: they read the request, call a use
//! case of `dklik_app`, and render a template or JSON.

mod api;
mod error;
mod pages;
mod security;
mod views;

use axum::routing::{get, post};
use axum::Router;
use dklik_app::Store;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use error::AppError;

/// Shared by every request.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub interest_limiter: RateLimiter,
    /// Rendered public pages, kept a few seconds (see `PageCache`).
    pub pages: PageCache,
    /// The public address of the site (for absolute links in JSON-LD), without final slash.
    pub base_url: String,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(store: Arc<dyn Store>, base_url: &str) -> SharedState {
        Arc::new(Self {
            store,
            base_url: base_url.trim_end_matches('/').to_string(),
            interest_limiter: RateLimiter::new(5, Duration::from_secs(600)),
            pages: PageCache::new(Duration::from_secs(5), 2_000),
        })
    }
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
}

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
        let v = hits.entry(ip).or_default();
        v.retain(|t| now.duration_since(*t) < self.window);
        if v.len() >= self.max {
            return false;
        }
        v.push(now);
        true
    }
}

/// The largest request body accepted (forms and JSON).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every route of the server, for the router and for tests that walk them all.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/"),
    ("GET", "/offres"),
    ("GET", "/offres/{code}"),
    ("POST", "/offres/{code}/interet"),
    ("GET", "/offres/{code}/merci"),
    ("GET", "/o"),
    ("GET", "/o/{code}"),
    ("GET", "/static/dklik.css"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/offers"),
    ("GET", "/api/v1/offers/{code}"),
    ("GET", "/api/v1/employers"),
    ("GET", "/api/v1/employers/{id}"),
];

pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/healthz", get(pages::healthz))
        .route("/", get(pages::home))
        .route("/offres", get(pages::offers))
        .route("/offres/{code}", get(pages::offer))
        .route("/offres/{code}/interet", post(pages::interest))
        .route("/offres/{code}/merci", get(pages::thanks))
        .route("/o", get(pages::code_form))
        .route("/o/{code}", get(pages::short_link))
        .route("/static/dklik.css", get(pages::css))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/offers", get(api::offers))
        .route("/api/v1/offers/{code}", get(api::offer))
        .route("/api/v1/employers", get(api::employers))
        .route("/api/v1/employers/{id}", get(api::employer))
        .fallback(pages::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

/// Serves until ctrl-c.
pub async fn serve(
    store: Arc<dyn Store>,
    base_url: &str,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let app = router(AppState::new(store, base_url));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
