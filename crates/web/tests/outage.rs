//! The database unavailable: held by a long import (SQLite's one writer), or stopped
//! (PostgreSQL behind a proxy the test cuts). A person's call-back request is never lost nor
//! kept waiting: it goes to the journal on disk and is written once when the database is
//! back; pages say the service is briefly unavailable (503, `Retry-After`) and give back what
//! was typed; `/healthz` says which part is down.

mod common;

use axum::http::StatusCode;
use common::{get, post_form, post_from, App};
use sqlx::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn code_of(app: &App) -> String {
    app.store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("query")
        .expect("offer")
        .code
        .to_string()
}

/// The requests recorded for a phone number (stored as "06 11 22 33 99").
async fn requests_of(app: &App, phone: &str) -> usize {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    app.store
        .interests(1_000)
        .await
        .expect("interests")
        .iter()
        .filter(|i| {
            i.phone
                .as_deref()
                .is_some_and(|p| p.replace(' ', "") == digits)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_back_never_waits_for_an_import_and_is_written_once() {
    let app = common::app().await;
    let code = code_of(&app).await;
    // An import holds SQLite's write lock (a long transaction on another connection).
    let mut import = sqlx::SqliteConnection::connect(&app.db_url)
        .await
        .expect("raw");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut import)
        .await
        .expect("lock");
    sqlx::query("UPDATE offers SET title = title")
        .execute(&mut import)
        .await
        .expect("write");
    let r = post_form(
        &app,
        &format!("/offres/{code}/interet"),
        "prenom=Nadia&telephone=0611223399&email=&moment=matin&consentement=oui&src=site",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.expect("thanks").ends_with("/merci"));
    let waiting = app.callbacks.pending().await.expect("journal");
    assert_eq!(waiting.len(), 1, "kept on disk while the import writes");
    assert_eq!(waiting[0].interest.first_name, "Nadia");
    assert!(waiting[0].interest.submission.is_some());
    // While the lock is held the journal cannot be written out; nothing is lost. A replay
    // waiting for the database does not hold the journal: another person's request, sent
    // meanwhile, is thanked before that replay gives up.
    let replay_over = AtomicBool::new(false);
    let (replayed, second) = tokio::join!(
        async {
            let n = app.callbacks.replay(app.store.as_ref()).await;
            replay_over.store(true, Ordering::SeqCst);
            n
        },
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let r = post_form(
                &app,
                &format!("/offres/{code}/interet"),
                "prenom=Yanis&telephone=0611223388&email=&moment=soir&consentement=oui&src=site",
            )
            .await;
            (r.status, replay_over.load(Ordering::SeqCst))
        }
    );
    assert_eq!(replayed.expect("replay"), 0);
    assert_eq!(second, (StatusCode::SEE_OTHER, false));
    assert_eq!(app.callbacks.pending().await.expect("journal").len(), 2);
    sqlx::query("COMMIT")
        .execute(&mut import)
        .await
        .expect("end of import");
    assert_eq!(
        app.callbacks
            .replay(app.store.as_ref())
            .await
            .expect("replay"),
        2
    );
    assert!(app.callbacks.pending().await.expect("journal").is_empty());
    assert_eq!(requests_of(&app, "0611223399").await, 1);
    assert_eq!(requests_of(&app, "0611223388").await, 1);
    // A server stopped between writing the request and clearing its journal writes it again:
    // the store knows its key, one request stays.
    app.callbacks.push(&waiting[0]).await.expect("again");
    assert_eq!(
        app.callbacks
            .replay(app.store.as_ref())
            .await
            .expect("replay"),
        1
    );
    assert_eq!(requests_of(&app, "0611223399").await, 1);
    let journey = app
        .store
        .interests(1_000)
        .await
        .expect("interests")
        .into_iter()
        .find(|i| i.phone.as_deref() == Some("06 11 22 33 99"))
        .expect("the request");
    assert_eq!(journey.first_name, "Nadia");
}

/// A real import of thousands of offers beside people's requests (SQLite, one writer): the
/// import writes in short steps and lets them go first, so every request is answered at once,
/// none fails, and the offers are seen all together when the import ends. (Before, one long
/// transaction held the lock: a code request waited its 2 s and got 503.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_answered_while_a_large_import_writes() {
    // Each person from an address of their own (the test's peer is a trusted proxy).
    let app =
        common::app_with_proxies(vec![dklik_web::Cidr::parse("192.0.2.7").expect("cidr")]).await;
    let code = code_of(&app).await;
    for k in 0..10 {
        let r = post_from(
            &app,
            &format!("/offres/{code}/interet"),
            &format!("prenom=P{k}&email=p{k}%40t.fr&moment=matin&consentement=oui&src=site"),
            &format!("198.51.100.{k}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let seen = |app: &App| {
        let store = app.store.clone();
        async move {
            store
                .listed_offers(0, 1_000_000)
                .await
                .expect("offers")
                .len()
        }
    };
    let before = seen(&app).await;
    // The demo file a hundred times under new references: 6,400 offers (in one transaction,
    // longer than the 2 s a writer waits for the lock).
    let demo =
        std::fs::read_to_string(dklik_store_tests::fixtures_dir().join("offers/demo-offres.csv"))
            .expect("demo offers");
    let (head, body) = demo.split_once('\n').expect("header");
    let copies: String = (0..100)
        .map(|k| body.replace("DEMO-", &format!("LONG{k}-")))
        .collect();
    let raw = dklik_imports::offers::read("long.csv", format!("{head}\n{copies}").as_bytes())
        .expect("reads");
    let store = app.store.clone();
    let import = tokio::spawn(async move {
        let started = Instant::now();
        let out = dklik_app::offers::import_offers(store.as_ref(), raw, true).await;
        (out, started.elapsed())
    });
    let (mut during, mut slowest, mut phones) = (0, Duration::ZERO, Vec::new());
    let mut k = 0;
    while !import.is_finished() && k < 500 {
        let asked = Instant::now();
        let r = if k % 2 == 0 {
            let phone = format!("0611{k:06}");
            phones.push(phone.clone());
            post_from(
                &app,
                &format!("/offres/{code}/interet"),
                &format!("prenom=Sam&telephone={phone}&moment=matin&consentement=oui&src=site"),
                &format!("203.0.{}.{}", k / 200, k % 200),
            )
            .await
        } else {
            let contact = format!("contact=p{}%40t.fr", k / 2 % 10);
            post_from(
                &app,
                "/mon-espace",
                &contact,
                &format!("203.0.{}.{}", k / 200, k % 200),
            )
            .await
        };
        let took = asked.elapsed();
        assert!(
            r.status == StatusCode::SEE_OTHER || r.status == StatusCode::OK,
            "request {k} during the import: {} {}",
            r.status,
            r.body
        );
        if !import.is_finished() {
            during += 1;
            slowest = slowest.max(took);
        }
        let n = seen(&app).await;
        assert!(
            n == before || n == before + 6_400,
            "only none or all of the import is seen: {n}"
        );
        k += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (out, took) = import.await.expect("import task");
    let out = out.expect("the import");
    assert_eq!(out.created, 6_400);
    eprintln!(
        "import of 6,400 offers: {took:?}; {during} requests answered while it wrote, \
         the slowest in {slowest:?}"
    );
    assert!(
        during >= 4,
        "requests were made while the import wrote ({during})"
    );
    assert_eq!(seen(&app).await, before + 6_400);
    // Every call-back written once (at once, or by the journal's replay).
    app.callbacks
        .replay(app.store.as_ref())
        .await
        .expect("replay");
    for phone in &phones {
        assert_eq!(requests_of(&app, phone).await, 1, "{phone}");
    }
}

/// A loopback TCP proxy to PostgreSQL that the test can cut (as if the server stopped: its
/// port refuses connections, open ones are closed) and restore, without touching the server
/// other tests use.
struct Proxy {
    port: u16,
    upstream: String,
    accepting: Mutex<Option<tokio::task::JoinHandle<()>>>,
    links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

/// Listens on a loopback port (0: any free one).
fn listen(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(128)
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = listen(0).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let proxy = Proxy {
            port,
            upstream,
            accepting: Mutex::new(None),
            links: Arc::default(),
        };
        proxy.accept(listener);
        proxy
    }

    fn accept(&self, listener: tokio::net::TcpListener) {
        let (upstream, links) = (self.upstream.clone(), self.links.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links.lock().expect("links").push(task);
            }
        });
        *self.accepting.lock().expect("accepting") = Some(task);
    }

    async fn cut(&self) {
        let accepting = self.accepting.lock().expect("accepting").take();
        if let Some(task) = accepting {
            task.abort();
            let _ = task.await; // the listener is closed: the port refuses connections
        }
        for t in self.links.lock().expect("links").drain(..) {
            t.abort();
        }
    }

    async fn restore(&self) {
        for _ in 0..100 {
            if let Ok(listener) = listen(self.port) {
                self.accept(listener);
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("port {} could not be listened on again", self.port);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_fast_and_loses_no_call_back() {
    // A fresh database on the test server, reached through the proxy.
    let db = dklik_store_tests::fresh_postgres().await;
    let (head, tail) = db.url.split_once('@').expect("user@host");
    let (hostport, name) = tail.split_once('/').expect("host/db");
    let proxy = Proxy::start(hostport.to_string()).await;
    let url = format!("{head}@127.0.0.1:{}/{name}", proxy.port);
    let app = common::app_on(&url, tempfile::tempdir().expect("tmp"), vec![]).await;
    assert!(app
        .search
        .refresh(app.store.as_ref(), true)
        .await
        .expect("index"));
    let code = code_of(&app).await;
    assert_eq!(get(&app, "/healthz").await.status, StatusCode::OK);

    proxy.cut().await;
    // The call-back form: thanked at once, the request kept on disk.
    let started = Instant::now();
    let r = post_form(
        &app,
        &format!("/offres/{code}/interet"),
        "prenom=Karim&telephone=0622334455&email=karim%40exemple.fr&moment=soir&consentement=oui&src=ecran&imp=ABCDEFGH",
    )
    .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The pool used to wait 10 s for a connection; a person now waits at most the call-back
    // budget (a generous bound here: machines are shared).
    assert!(took < Duration::from_secs(5), "{took:?}");
    let thanks = get(&app, &format!("/offres/{code}/merci")).await;
    assert_eq!(thanks.status, StatusCode::OK, "{}", thanks.body);
    let waiting = app.callbacks.pending().await.expect("journal");
    assert_eq!(waiting.len(), 1);
    // The screen's display is looked up when the database is back.
    assert_eq!(
        waiting[0].unresolved_impression.as_deref(),
        Some("ABCDEFGH")
    );
    // The offer's page and the list are served from memory.
    assert_eq!(
        get(&app, &format!("/offres/{code}")).await.status,
        StatusCode::OK
    );
    assert_eq!(get(&app, "/offres").await.status, StatusCode::OK);
    // /healthz says which part is down.
    let h = get(&app, "/healthz").await;
    assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = serde_json::from_str(&h.body).expect("json");
    assert_eq!(v["parts"]["database"], "indisponible");
    assert_eq!(v["parts"]["callback_queue"]["waiting"], 1);
    assert_eq!(v["parts"]["search_index"], "ok");
    // The outage is known now: one request after another, each is told at once (the pool's
    // whole wait, 1.5 s, for each of ten would be 15 s; a generous bound, machines are shared).
    let started = Instant::now();
    for _ in 0..10 {
        let r = get(&app, "/api/v1/employers").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    }
    let took = started.elapsed();
    assert!(took < Duration::from_millis(7_500), "{took:?}");
    // The API: JSON, 503, Retry-After.
    let api = get(&app, "/api/v1/employers").await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE, "{}", api.body);
    assert!(api.headers.contains_key("retry-after"));
    let v: serde_json::Value = serde_json::from_str(&api.body).expect("json error");
    assert!(v["error"].as_str().expect("error").contains("indisponible"));
    // A form that needs the database comes back with what was typed (never a password).
    let login = post_form(
        &app,
        "/connexion",
        "email=camille%40dklik.example&mot_de_passe=SecretTresLong42&suite=%2Fconseil",
    )
    .await;
    assert_eq!(login.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(login.headers.contains_key("retry-after"));
    assert!(login.body.contains("momentanément indisponible"));
    assert!(login.body.contains("value=\"camille@dklik.example\""));
    assert!(login.body.contains("Envoyer de nouveau"));
    assert!(!login.body.contains("SecretTresLong42"));

    proxy.restore().await;
    // Back to normal at the next request; the journal is written once.
    assert_eq!(get(&app, "/healthz").await.status, StatusCode::OK);
    assert_eq!(
        app.callbacks
            .replay(app.store.as_ref())
            .await
            .expect("replay"),
        1
    );
    assert_eq!(
        app.callbacks
            .replay(app.store.as_ref())
            .await
            .expect("replay"),
        0
    );
    assert_eq!(requests_of(&app, "0622334455").await, 1);
}
