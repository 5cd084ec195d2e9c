#![recursion_limit = "256"]
//! DKLIK over HTTP: the public site (French, accessible, works without JavaScript), the JSON
//! API under `/api/v1`, and `/healthz`. Handlers are thin: they read the request, call a use
//! case of `dklik_app`, and render a template or JSON.

mod access;
mod account;
mod api;
mod backoffice;
mod client;
mod diffusion;
mod error;
mod forms;
mod impact;
mod matching;
mod orientation;
mod pages;
mod questionnaire;
mod screens;
mod security;
mod skills;
mod views;

use axum::routing::{get, post};
use axum::Router;
use dklik_app::Store;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use access::{lookup, Who, ACCESS};
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
    pub transit: dklik_app::matching::Transit,
    /// Text messages (cancellations, a place freed); the server sets it with `with_sms`.
    pub sms: Arc<dyn dklik_app::orientation::SmsSender>,
    /// The server's secret key (a person's codes are kept as HMACs under it).
    pub key: dklik_app::auth::ServerKey,
    /// Reverse proxies whose forwarded addresses are believed (`serve --trusted-proxy`).
    pub trusted_proxies: Vec<Cidr>,
    /// Where to report a vulnerability (an e-mail address), shown on the privacy page and in
    /// `/.well-known/security.txt`.
    pub security_contact: String,
}

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
            map_tiles: None,
            sms: Arc::new(dklik_app::orientation::FolderSms {
                dir: std::env::temp_dir().join("dklik-sms"),
            }),
            key: dklik_app::auth::ServerKey::ephemeral(),
            trusted_proxies: Vec::new(),
            security_contact: "securite@dklik.invalid".into(),
        })
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

    /// The same state with this text-message sender.
    pub fn with_sms(
        state: SharedState,
        sms: Arc<dyn dklik_app::orientation::SmsSender>,
    ) -> SharedState {
        match Arc::try_unwrap(state) {
            Ok(mut s) => {
                s.sms = sms;
                Arc::new(s)
            }
            Err(shared) => shared,
        }
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

/// The largest request body accepted (forms and JSON).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
        .route("/api/v1/whoami", get(backoffice::whoami))
        .route("/confidentialite", get(account::privacy))
        .route("/.well-known/security.txt", get(account::security_txt))
        .route("/connexion", get(account::login_page).post(account::login))
        .route(
            "/connexion/oubli",
            get(account::forgot_page).post(account::forgot),
        )
        .route(
            "/connexion/nouveau-mot-de-passe",
            get(account::reset_page).post(account::reset),
        )
        .route(
            "/deconnexion",
            get(account::logout_page).post(account::logout),
        )
        .route(
            "/mon-espace",
            get(account::person_page).post(account::person_request_code),
        )
        .route("/mon-espace/code", post(account::person_login))
        .route("/mon-espace/donnees", get(account::person_data))
        .route("/mon-espace/export", get(account::person_export))
        .route("/mon-espace/effacer", post(account::person_erase))
        .route(
            "/mon-espace/adresse",
            get(account::new_email_page).post(account::new_email_request),
        )
        .route("/mon-espace/adresse/code", post(account::new_email_confirm))
        .route("/conseil/doublons", get(backoffice::duplicates))
        .route("/conseil/personnes/{id}/fusion", post(backoffice::merge))
        .route("/conseil/demandes", get(backoffice::inbox))
        .route("/conseil/demandes/{id}", get(backoffice::interest))
        .route("/conseil/demandes/{id}/etat", post(backoffice::set_status))
        .route("/conseil/demandes/{id}/attribuer", post(backoffice::assign))
        .route(
            "/conseil/personnes/{id}/export",
            get(backoffice::export_person),
        )
        .route(
            "/conseil/personnes/{id}/effacer",
            post(backoffice::erase_person),
        )
        .route("/pilotage", get(impact::dashboard))
        .route("/pilotage/export/{file}", get(impact::export))
        .route("/pilotage/export-personnes", post(impact::export_people))
        .route("/admin", get(backoffice::admin))
        .route("/admin/journal", get(backoffice::journal))
        .route("/admin/comptes", post(backoffice::create_account))
        .route("/admin/jetons", post(backoffice::create_token))
        .route(
            "/admin/jetons/{id}/revoquer",
            post(backoffice::revoke_token),
        )
        .route("/entreprise", get(backoffice::employer_home))
        .route("/entreprise/offres/{code}", get(backoffice::employer_offer))
        .route("/conseil/personnes", get(skills::people))
        .route(
            "/conseil/personnes/nouvelle",
            get(skills::new_person).post(skills::create_person),
        )
        .route("/conseil/personnes/{id}", get(skills::person))
        .route(
            "/conseil/personnes/{id}/modifier",
            get(skills::edit_person).post(skills::update_person),
        )
        .route(
            "/conseil/personnes/{id}/competences",
            post(skills::add_skill),
        )
        .route(
            "/conseil/personnes/{id}/competences/{eid}/supprimer",
            post(skills::drop_skill),
        )
        .route("/conseil/personnes/{id}/suggestions", post(skills::suggest))
        .route(
            "/conseil/personnes/{id}/attestations",
            post(skills::endorsement_link),
        )
        .route(
            "/conseil/personnes/{id}/activites",
            post(skills::add_activity),
        )
        .route("/conseil/personnes/{id}/tests", post(skills::register_test))
        .route(
            "/conseil/personnes/{id}/emplois",
            get(matching::person_jobs),
        )
        .route(
            "/conseil/personnes/{id}/mises-en-relation",
            post(matching::propose),
        )
        .route(
            "/conseil/mises-en-relation/{id}/etape",
            post(matching::intro_step),
        )
        .route(
            "/entreprise/mises-en-relation",
            get(matching::employer_intros),
        )
        .route(
            "/entreprise/mises-en-relation/{id}",
            get(matching::employer_intro),
        )
        .route(
            "/entreprise/mises-en-relation/{id}/etape",
            post(matching::employer_intro_step),
        )
        .route(
            "/conseil/offres/{code}/candidats",
            get(matching::offer_people),
        )
        .route("/conseil/activites/{id}", get(skills::activity))
        .route(
            "/conseil/activites/{id}/{what}",
            post(skills::activity_change),
        )
        .route(
            "/conseil/tests",
            get(skills::tests).post(skills::create_test),
        )
        .route("/conseil/tests/{id}/sessions", post(skills::create_session))
        .route("/conseil/sessions/{id}", get(skills::session))
        .route(
            "/conseil/sessions/{id}/{what}",
            post(skills::session_change),
        )
        .route(
            "/conseil/offres/{code}/competences",
            get(skills::needs).post(skills::add_need),
        )
        .route(
            "/conseil/offres/{code}/competences/retirer",
            post(skills::remove_need),
        )
        .route(
            "/entreprise/offres/{code}/competences",
            get(skills::needs).post(skills::add_need),
        )
        .route(
            "/entreprise/offres/{code}/competences/retirer",
            post(skills::remove_need),
        )
        .route("/conseil/questionnaire", get(questionnaire::review))
        .route(
            "/attester/{token}",
            get(skills::endorse_form).post(skills::endorse),
        )
        .route(
            "/questionnaire",
            get(questionnaire::start).post(questionnaire::answer),
        )
        .route("/questionnaire/resultat/{token}", get(questionnaire::card))
        .route(
            "/questionnaire/resultat/{token}/envoyer",
            post(questionnaire::send),
        )
        .route("/static/print.css", get(pages::print_css))
        .route("/static/equipe.js", get(pages::outreach_js))
        .route("/orientaklik", get(orientation::catalogue))
        .route("/orientaklik/{id}", get(orientation::service))
        .route("/orientaklik/{id}/inscription", post(orientation::register))
        .route("/agenda", get(orientation::agenda))
        .route("/agenda/{file}", get(orientation::ics))
        .route("/e/{code}", get(orientation::event))
        .route("/e/{code}/inscription", post(orientation::register_event))
        .route("/e/{code}/affiche", get(orientation::poster))
        .route("/conseil/orientaklik", get(orientation::admin))
        .route(
            "/conseil/orientaklik/services",
            post(orientation::create_service),
        )
        .route(
            "/conseil/orientaklik/seances",
            post(orientation::create_session),
        )
        .route(
            "/conseil/orientaklik/seances/{id}",
            get(orientation::session),
        )
        .route(
            "/conseil/orientaklik/seances/{id}/{what}",
            post(orientation::session_change),
        )
        .route(
            "/conseil/orientaklik/bilan",
            get(orientation::survey_report),
        )
        .route(
            "/conseil/agenda",
            get(orientation::agenda_admin).post(orientation::create_event),
        )
        .route(
            "/equipe-mobile",
            get(orientation::outreach).post(orientation::record_outreach),
        )
        .route("/admin/ecrans", get(diffusion::page))
        .route("/admin/ecrans/campagnes", post(diffusion::add_campaign))
        .route("/admin/ecrans/zones", post(diffusion::set_fence))
        .route("/admin/ecrans/ecrans", post(diffusion::add_screen))
        .route("/admin/ecrans/messages", post(diffusion::add_message))
        .route(
            "/admin/ecrans/{kind}/{id}/supprimer",
            post(diffusion::delete),
        )
        .route("/api/v1/impressions", post(screens::player_impressions))
        .route("/ecrans", get(screens::screens_list))
        .route("/ecran/{vehicle}", get(screens::screen_page))
        .route("/ecran/{vehicle}/flux", get(screens::screen_stream))
        .route("/s/{code}", get(screens::scan))
        .route("/qr/{file}", get(screens::offer_qr))
        .route("/static/ecran.css", get(pages::screen_css))
        .route("/static/ecran.js", get(pages::screen_js))
        .route("/api/v1/positions", post(screens::positions))
        .route("/api/v1/positions/gtfs-rt", post(screens::gtfs_rt))
        .route("/api/v1/positions/siri", post(screens::siri))
        .route("/api/v1/positions/counters", get(screens::counters))
        .route("/api/v1/stops/{stop}/offers", get(screens::stop_feed))
        .route("/entreprise/diffusion", get(screens::display_report_html))
        .route(
            "/entreprise/diffusion.csv",
            get(screens::display_report_csv),
        )
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
        .layer(axum::middleware::from_fn(error::french_rejections))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

/// Serves until ctrl-c.
pub async fn serve(state: SharedState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
