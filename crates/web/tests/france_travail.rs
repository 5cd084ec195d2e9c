//! The France Travail synchronisation against a loopback server that speaks the same token and
//! search endpoints: paging with `Content-Range`, a token that ends early (401), a 429 with
//! `Retry-After`, a 500, an empty commune (204), a malformed offer and one of an unknown job
//! sheet (named, the rest saved); offers gone from a complete answer are closed, and an
//! incomplete answer closes nothing.

mod common;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use dklik_app::france_travail::{sync, FtConfig, ACTOR};
use dklik_domain::OfferStatus;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Fake {
    tokens: u32,
    searches: u32,
    /// 160 offers in round 1; 150 in round 2 (the last ten gone); round 3 always fails.
    round: u32,
    second_page_tries: u32,
    seen_queries: Vec<HashMap<String, String>>,
}

type Shared = Arc<Mutex<Fake>>;

fn offer(i: u32) -> serde_json::Value {
    let mut o = serde_json::json!({
        "id": format!("FT{i:04}"),
        "intitule": format!("Soudeur / Soudeuse n° {i}"),
        "description": "Soudure de tuyauteries.",
        "romeCode": "H2913",
        "appellationlibelle": "Soudeur / Soudeuse",
        "lieuTravail": {"libelle": "59 - DUNKERQUE", "latitude": 51.03, "longitude": 2.37, "commune": "59183"},
        "entreprise": {"nom": format!("Entreprise {}", i % 7)},
        "typeContrat": "CDI",
        "dureeTravailLibelle": "35H Horaires normaux",
        "nombrePostes": 1
    });
    if i == 7 {
        o.as_object_mut().expect("object").remove("typeContrat");
    }
    if i == 9 {
        o["romeCode"] = "Z9999".into();
    }
    o
}

async fn token(State(f): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("client_id").map(String::as_str) != Some("dklik-test")
        || form.get("client_secret").map(String::as_str) != Some("s3cret")
        || !form
            .get("scope")
            .is_some_and(|s| s.contains("api_offresdemploiv2"))
    {
        return (StatusCode::UNAUTHORIZED, "{\"error\":\"invalid_client\"}").into_response();
    }
    let mut f = f.lock().expect("lock");
    f.tokens += 1;
    axum::Json(serde_json::json!({
        "access_token": format!("tok-{}", f.tokens),
        "scope": "api_offresdemploiv2 o2dsoffre",
        "token_type": "Bearer",
        "expires_in": 1499
    }))
    .into_response()
}

async fn search(
    State(f): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut f = f.lock().expect("lock");
    f.searches += 1;
    f.seen_queries.push(q.clone());
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The first token "ends early": its first search is refused.
    if auth == "Bearer tok-1" || !auth.starts_with("Bearer tok-") {
        return (StatusCode::UNAUTHORIZED, "").into_response();
    }
    if q.get("commune").map(String::as_str) == Some("59271") {
        return StatusCode::NO_CONTENT.into_response();
    }
    if f.round == 3 {
        return (StatusCode::INTERNAL_SERVER_ERROR, "panne").into_response();
    }
    let total: u32 = if f.round == 1 { 160 } else { 150 };
    let (start, end) = q
        .get("range")
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .expect("a range");
    assert!(end - start < 150, "at most 150 a page");
    if start >= 150 {
        f.second_page_tries += 1;
        match f.second_page_tries {
            1 => {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("Retry-After", "1")],
                    "{\"message\":\"Limite de requêtes atteinte\"}",
                )
                    .into_response()
            }
            2 => return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response(),
            _ => {}
        }
    }
    let last = end.min(total - 1);
    let resultats: Vec<_> = (start..=last).map(offer).collect();
    let status = if last + 1 < total {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    (
        status,
        [("Content-Range", format!("offres {start}-{last}/{total}"))],
        axum::Json(serde_json::json!({ "resultats": resultats, "filtresPossibles": [] })),
    )
        .into_response()
}

async fn fake_france_travail() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake {
        round: 1,
        ..Default::default()
    }));
    let app = Router::new()
        .route("/connexion/oauth2/access_token", post(token))
        .route("/partenaire/offresdemploi/v2/offres/search", get(search))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), shared)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn france_travail_offers_arrive_and_leave_by_themselves() {
    let app = common::app().await;
    let (base, fake) = fake_france_travail().await;
    let mut cfg = FtConfig::new("dklik-test", "s3cret", vec!["59183".into(), "59271".into()]);
    cfg.token_url = format!("{base}/connexion/oauth2/access_token?realm=%2Fpartenaire");
    cfg.api_url = format!("{base}/partenaire/offresdemploi/v2");
    cfg.timeout = Duration::from_secs(5);
    cfg.retries = 3;
    cfg.backoff = Duration::from_millis(20);
    let store = app.store.as_ref();
    let t1 = dklik_app::unix_now();
    let r = sync(store, &cfg, t1).await.expect("first sync");
    assert_eq!(r.fetched, 160, "{r:?}");
    assert!(r.complete, "{r:?}");
    assert_eq!(r.saved, 158, "all but the two bad ones: {r:?}");
    assert!(
        r.rejected
            .iter()
            .any(|w| w.contains("FT0007") && w.contains("typeContrat")),
        "{r:?}"
    );
    assert!(
        r.rejected
            .iter()
            .any(|w| w.contains("FT0009") && w.contains("Z9999")),
        "{r:?}"
    );
    assert_eq!(r.closed, 0);
    {
        let f = fake.lock().expect("lock");
        assert_eq!(f.tokens, 2, "the token that ended early was renewed once");
        assert_eq!(f.second_page_tries, 3, "a 429 and a 500 were retried");
        assert!(f
            .seen_queries
            .iter()
            .all(|q| q.get("distance").map(String::as_str) == Some("10")));
    }
    let first = store
        .offer_by_external_id("FT0000")
        .await
        .expect("q")
        .expect("saved");
    assert_eq!(first.status, OfferStatus::Published);
    assert_eq!(first.rome.as_str(), "H2913");
    assert!(store
        .offer_by_external_id("FT0159")
        .await
        .expect("q")
        .is_some());
    assert!(store
        .offer_by_external_id("FT0007")
        .await
        .expect("q")
        .is_none());

    // The last ten are no longer listed: closed, by the synchronisation.
    fake.lock().expect("lock").round = 2;
    let r = sync(store, &cfg, t1 + 3600).await.expect("second sync");
    assert!(r.complete, "{r:?}");
    assert_eq!(r.closed, 10, "{r:?}");
    let gone = store
        .offer_by_external_id("FT0155")
        .await
        .expect("q")
        .expect("kept");
    assert_eq!(gone.status, OfferStatus::Closed);
    let history = store.offer_status_changes(gone.id).await.expect("history");
    assert_eq!(history.last().map(|h| h.actor.as_str()), Some(ACTOR));
    assert_eq!(
        store
            .offer_by_external_id("FT0000")
            .await
            .expect("q")
            .expect("kept")
            .status,
        OfferStatus::Published
    );
    let page = common::get(&app, &format!("/offres/{}", gone.code)).await;
    assert_eq!(page.status, StatusCode::GONE);

    // France Travail down: the answer is incomplete, nothing is closed.
    fake.lock().expect("lock").round = 3;
    let r = sync(store, &cfg, t1 + 7200).await.expect("third sync");
    assert!(!r.complete);
    assert!(
        r.incomplete_because
            .iter()
            .any(|w| w.contains("59183") && w.contains("500")),
        "{r:?}"
    );
    assert_eq!(r.closed, 0);
    assert_eq!(
        store
            .offer_by_external_id("FT0000")
            .await
            .expect("q")
            .expect("kept")
            .status,
        OfferStatus::Published
    );
}

/// Wrong credentials: said plainly, nothing fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_france_travail_credentials_are_said() {
    let app = common::app().await;
    let (base, _fake) = fake_france_travail().await;
    let mut cfg = FtConfig::new("dklik-test", "faux", vec!["59183".into()]);
    cfg.token_url = format!("{base}/connexion/oauth2/access_token?realm=%2Fpartenaire");
    cfg.api_url = format!("{base}/partenaire/offresdemploi/v2");
    cfg.retries = 1;
    cfg.backoff = Duration::from_millis(10);
    let r = sync(app.store.as_ref(), &cfg, dklik_app::unix_now())
        .await
        .expect("a report");
    assert!(!r.complete);
    assert_eq!(r.fetched, 0);
    assert!(
        r.incomplete_because
            .iter()
            .any(|w| w.contains("jeton d'accès est refusé")),
        "{r:?}"
    );
}
