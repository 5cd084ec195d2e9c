//! Helpers shared by the in-process HTTP tests.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use dklik_app::{ScreenStore as _, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

pub struct App {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub screens: Arc<dklik_app::screens::ScreenHub>,
    /// The in-memory offer index; not built until a test refreshes it (searches go to SQL).
    pub search: Arc<dklik_app::search::OfferIndex>,
    /// The staff's list of people in memory; not built until a test refreshes it (SQL).
    pub people: Arc<dklik_app::directory::PeopleDirectory>,
    /// The staff's list of employers in memory; not built until a test refreshes it (SQL).
    pub employers: Arc<dklik_app::directory::EmployerDirectory>,
    /// Call-back requests kept while the database cannot take them (in the test's folder).
    pub callbacks: Arc<dklik_app::callbacks::CallbackQueue>,
    /// The database's URL.
    pub db_url: String,
    _dir: tempfile::TempDir,
}

pub async fn app() -> App {
    app_with_proxies(vec![]).await
}

/// The test app's peer (every request comes from it).
pub const PEER: [u8; 4] = [192, 0, 2, 7];

/// The app, believing the forwarded addresses sent by these proxies.
pub async fn app_with_proxies(proxies: Vec<dklik_web::Cidr>) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    app_on(&url, dir, proxies).await
}

/// The app with its state changed before the router is built (a geocoder, …).
pub async fn app_tuned(tune: impl FnOnce(dklik_web::SharedState) -> dklik_web::SharedState) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    app_on_tuned(&url, dir, vec![], tune).await
}

/// The app on the database at `url` (migrated and loaded with the demo offers, the ROME
/// fixture and the GTFS feed), its files in `dir`.
pub async fn app_on(url: &str, dir: tempfile::TempDir, proxies: Vec<dklik_web::Cidr>) -> App {
    app_on_tuned(url, dir, proxies, |s| s).await
}

async fn app_on_tuned(
    url: &str,
    dir: tempfile::TempDir,
    proxies: Vec<dklik_web::Cidr>,
    tune: impl FnOnce(dklik_web::SharedState) -> dklik_web::SharedState,
) -> App {
    let store = dklik_store_sql::SqlStore::connect(url).await.expect("open");
    store.migrate().await.expect("migrate");
    store
        .save_rome(&dklik_store_tests::rome_fixture(), &|_| {})
        .await
        .expect("rome");
    let csv = std::fs::read(dklik_store_tests::fixtures_dir().join("offers/demo-offres.csv"))
        .expect("csv");
    let raw = dklik_imports::offers::read("demo.csv", &csv).expect("reads");
    dklik_app::offers::import_offers(&store, raw, true)
        .await
        .expect("import");
    let feed =
        dklik_transit::gtfs::read(&dklik_store_tests::fixtures_dir().join("gtfs/dunkerque-demo"))
            .expect("feed");
    store.save_gtfs(&feed, &|_| {}).await.expect("gtfs");
    let store: Arc<dyn Store> = Arc::new(store);
    let screens = Arc::new(
        dklik_app::screens::ScreenHub::load(
            store.as_ref(),
            dklik_screens::EngineConfig::default(),
            10,
        )
        .await
        .expect("screens"),
    );
    let state =
        dklik_web::AppState::new(store.clone(), "https://dklik.example", 24, screens.clone());
    let state =
        dklik_web::AppState::with_security(state, dklik_app::auth::ServerKey::ephemeral(), proxies);
    let callbacks = Arc::new(dklik_app::callbacks::CallbackQueue::new(
        dir.path().join("rappels-en-attente.jsonl"),
    ));
    let state = dklik_web::AppState::with_callback_queue(state, callbacks.clone());
    let state = tune(state);
    let search = state.search.clone();
    let people = state.people.clone();
    let employers = state.employers.clone();
    let router = dklik_web::router(state).layer(MockConnectInfo(SocketAddr::from((PEER, 4000))));
    App {
        router,
        store,
        screens,
        search,
        people,
        employers,
        callbacks,
        db_url: url.to_string(),
        _dir: dir,
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

pub async fn send(app: &App, req: Request<Body>) -> Answer {
    let res = app.router.clone().oneshot(req).await.expect("answer");
    let status = res.status();
    let headers = res.headers().clone();
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .expect("body");
    Answer {
        status,
        location,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(app: &App, uri: &str) -> Answer {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

pub async fn post_form(app: &App, uri: &str, form: &str) -> Answer {
    send(
        app,
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .expect("request"),
    )
    .await
}

/// A request with a session cookie (and, for forms, the session's CSRF token).
/// A form posted by `client` (an address in `X-Forwarded-For`, believed when the app trusts
/// the test's peer as a proxy: `app_with_proxies`).
pub async fn post_from(app: &App, uri: &str, form: &str, client: &str) -> Answer {
    let mut req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .expect("request");
    req.headers_mut()
        .insert("x-forwarded-for", client.parse().expect("header value"));
    send(app, req).await
}

pub async fn get_as(app: &App, uri: &str, cookie: &str) -> Answer {
    send(
        app,
        Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

pub async fn post_as(app: &App, uri: &str, cookie: &str, form: &str) -> Answer {
    send(
        app,
        Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .expect("request"),
    )
    .await
}

/// Signs in through the login form; returns the cookie header value and the session's CSRF
/// token (read from the logout form).
pub async fn sign_in(app: &App, email: &str, password: &str) -> (String, String) {
    let r = post_form(
        app,
        "/connexion",
        &format!("email={email}&mot_de_passe={password}"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "login of {email}: {}",
        r.body
    );
    let set = r
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("session cookie");
    let cookie = set.split(';').next().expect("cookie").to_string();
    let csrf = csrf_of(app, &cookie).await;
    (cookie, csrf)
}

pub async fn csrf_of(app: &App, cookie: &str) -> String {
    let page = get_as(app, "/deconnexion", cookie).await;
    page.body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf in the logout form")
        .to_string()
}

pub const PASSWORD: &str = "une phrase de passe";

/// Creates a password account of each staff role (and an employer user for `employer`).
pub async fn staff_accounts(app: &App, employer: dklik_domain::EmployerId) {
    use dklik_domain::Role;
    for (email, role, emp) in [
        ("admin@t.fr", Role::Admin, None),
        ("conseil@t.fr", Role::Advisor, None),
        ("mobile@t.fr", Role::MobileTeam, None),
        ("rh@t.fr", Role::Employer, Some(employer)),
    ] {
        dklik_app::auth::create_user(app.store.as_ref(), email, email, PASSWORD, role, emp, 1)
            .await
            .expect("account");
    }
}

/// A value written into a form body.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The staff accounts of [`staff_accounts`], the employer user being the first demo offer's;
/// returns that offer.
pub async fn demo_staff(app: &App) -> dklik_domain::Offer {
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer");
    staff_accounts(app, offer.employer_id).await;
    offer
}

/// What the server's background task does every 30 seconds.
pub async fn refresh_screens(app: &App) {
    app.screens
        .refresh_offers(app.store.as_ref())
        .await
        .expect("refresh");
}

/// The neighbourhood "Europe" (Grande-Synthe, a priority one, near the demo network), saved
/// once; returns its id.
pub async fn europe(app: &App) -> i64 {
    let find = || async {
        app.store
            .neighbourhoods()
            .await
            .expect("hoods")
            .into_iter()
            .find(|h| h.name == "Europe")
            .map(|h| h.id)
    };
    if let Some(id) = find().await {
        return id;
    }
    app.store
        .save_neighbourhoods(&[dklik_domain::Neighbourhood {
            id: 0,
            name: "Europe".into(),
            commune: "Grande-Synthe".into(),
            insee: "59271".into(),
            qpv: true,
            lat: 51.0117,
            lon: 2.2920,
            fictional: true,
        }])
        .await
        .expect("hood");
    find().await.expect("saved")
}

/// The last code mailed to this address.
pub async fn code_for(app: &App, email: &str) -> String {
    let mail = app
        .store
        .outbox(50)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.to == email)
        .expect("a mail to this address");
    mail.body
        .split(" : ")
        .find_map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            (digits.len() == 6).then_some(digits)
        })
        .expect("a 6-digit code")
}
