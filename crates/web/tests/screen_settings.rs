//! The programme team's screen settings (campaigns, fences, physical screens, messages) change
//! what buses show; other players report their impressions once.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{app, demo_staff, get, get_as, post_as, send, sign_in, App, PASSWORD};

const MARDYCK: (f64, f64) = (51.0301, 2.2691);

async fn post_json(app: &App, uri: &str, token: &str, json: &str) -> common::Answer {
    send(
        app,
        Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .expect("request"),
    )
    .await
}

async fn token(app: &App, role: dklik_domain::Role) -> String {
    dklik_app::auth::create_api_token(app.store.as_ref(), "appareil", role, 1)
        .await
        .expect("token")
        .1
}

/// Two positions of a vehicle ending near the Mardyck Usine stop.
async fn drive_to_mardyck(app: &App, feed: &str, vehicle: &str) {
    let t = dklik_app::unix_now();
    let r = post_json(app, "/api/v1/positions", feed, &format!(
        r#"[{{"vehicle":"{vehicle}","lat":51.0250,"lon":2.2585,"timestamp":{}}},{{"vehicle":"{vehicle}","lat":{},"lon":{},"timestamp":{t}}}]"#,
        t - 60, MARDYCK.0, MARDYCK.1
    )).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Today in Paris, as the engine counts days (between 23:00 and 24:00 UTC, UTC is a day behind).
fn today() -> String {
    let d = dklik_app::today_paris();
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[tokio::test]
async fn the_team_steers_the_screens_from_one_page() {
    let app = app().await;
    let offer = demo_staff(&app).await;
    let (admin, csrf) = sign_in(&app, "admin@t.fr", PASSWORD).await;
    let (advisor, _) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    assert_eq!(
        get_as(&app, "/admin/ecrans", &advisor).await.status,
        StatusCode::FORBIDDEN
    );
    let page = get_as(&app, "/admin/ecrans", &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Aucune campagne"));

    // Bad input: every problem said in French, nothing written.
    let bad = post_as(
        &app,
        "/admin/ecrans/campagnes",
        &admin,
        &format!("csrf={csrf}&nom=&offres=ZZZZZZ&du=hier&au=2026-01-01&de=25h&a=&poids=50"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "Donnez un nom",
        "Aucune offre n&#39;a le code ZZZZZZ",
        "n&#39;est pas une date",
        "n&#39;est pas une heure",
        "de 0,1 à 10",
    ] {
        assert!(bad.body.contains(m), "{m} missing in {}", bad.body);
    }
    assert!(app.store.campaigns().await.expect("c").is_empty());

    // A campaign that ended holds back every offer near Mardyck: the bus shows the fallback.
    let (stop, near) = {
        let feed = app.store.load_gtfs().await.expect("feed");
        let stop = feed
            .stops
            .into_iter()
            .find(|s| s.name == "Mardyck Usine")
            .expect("stop");
        let near = app.screens.stop_with_offers(&stop.id).expect("stop").1;
        (stop, near)
    };
    assert!(!near.is_empty(), "offers near {}", stop.name);
    let codes: Vec<String> = near.iter().map(|(o, _)| o.code.clone()).collect();
    let r = post_as(
        &app,
        "/admin/ecrans/campagnes",
        &admin,
        &format!(
            "csrf={csrf}&nom=Janvier+2020&offres={}&du=2020-01-01&au=2020-01-31&de=06%3A00&a=09%3A00&lignes=&poids=2",
            codes.join("+")
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A message for today replaces the general one.
    let r = post_as(
        &app,
        "/admin/ecrans/messages",
        &admin,
        &format!(
            "csrf={csrf}&texte=Caf%C3%A9+de+l%27emploi+jeudi+9+h+%C3%A0+Grande-Synthe&du={}&au={}",
            today(),
            today()
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A physical screen of bus-40.
    let r = post_as(
        &app,
        "/admin/ecrans/ecrans",
        &admin,
        &format!("csrf={csrf}&ecran=bus-40-avant&vehicule=bus-40&libelle=Avant"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let again = post_as(
        &app,
        "/admin/ecrans/ecrans",
        &admin,
        &format!("csrf={csrf}&ecran=bus-40-avant&vehicule=bus-40&libelle=Avant"),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("existe déjà"));

    let feed = token(&app, dklik_domain::Role::Feed).await;
    drive_to_mardyck(&app, &feed, "bus-40").await;
    let screen = get(&app, "/ecran/bus-40-avant").await;
    assert!(
        screen.body.contains("Café de l&#39;emploi jeudi 9 h"),
        "{}",
        screen.body
    );
    for c in &codes {
        assert!(
            !screen.body.contains(c.as_str()),
            "{c} held back by its campaign"
        );
    }

    // Without the campaign the offers come back (on another bus: no caps in the way).
    let id = app.store.campaigns().await.expect("c")[0].id;
    let r = post_as(
        &app,
        &format!("/admin/ecrans/campagnes/{id}/supprimer"),
        &admin,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    drive_to_mardyck(&app, &feed, "bus-41").await;
    let screen = get(&app, "/ecran/bus-41").await;
    assert!(
        codes.iter().any(|c| screen.body.contains(c.as_str())),
        "{}",
        screen.body
    );

    // Fences: a bad radius is refused; a good one is listed.
    let r = post_as(
        &app,
        "/admin/ecrans/zones",
        &admin,
        &format!("csrf={csrf}&site={}&rayon=10", offer.site.id.0),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("de 50 à 3 000"));
    let r = post_as(
        &app,
        "/admin/ecrans/zones",
        &admin,
        &format!("csrf={csrf}&site={}&rayon=350", offer.site.id.0),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = get_as(&app, "/admin/ecrans?ok=zone", &admin).await;
    assert!(page.body.contains("350 m") && page.body.contains("La zone est enregistrée"));
    let audit = app.store.audit_log(None, 50).await.expect("audit");
    assert!(audit.iter().any(|a| a.detail == "zone enregistrée"));
    // Without the CSRF token, nothing changes.
    let r = post_as(
        &app,
        "/admin/ecrans/zones",
        &admin,
        &format!("site={}&rayon=900", offer.site.id.0),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.fences().await.expect("f")[0].radius_m, 350.0);
}

#[tokio::test]
async fn players_report_impressions_once() {
    let app = app().await;
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer");
    app.store
        .add_screen(
            &dklik_app::store::ScreenRecord {
                id: "quai-gare-1".into(),
                vehicle: "bus-90".into(),
                label: "Lecteur tiers".into(),
                line: None,
                region: String::new(),
            },
            1,
        )
        .await
        .expect("screen");
    let player = token(&app, dklik_domain::Role::Screen).await;
    let t = dklik_app::unix_now() - 120;
    let batch = format!(
        r#"[{{"screen":"quai-gare-1","slide_id":"s-1","offer_code":"{c}","shown_at":{t},"duration_s":10}},
            {{"vehicle":"bus-91","slide_id":"s-2","offer_code":"{c}","shown_at":{t},"duration_s":10,"stop_id":"nope"}},
            {{"screen":"quai-gare-1","slide_id":"s-3","offer_code":"QQQQQQ","shown_at":{t},"duration_s":10}},
            {{"screen":"quai-gare-1","vehicle":"bus-12","slide_id":"s-4","shown_at":{t},"duration_s":10}},
            {{"vehicle":"bus-91","slide_id":"s-5","shown_at":{},"duration_s":10}},
            {{"screen":"quai-gare-1","slide_id":"s-1","offer_code":"{c}","shown_at":{t},"duration_s":10}}]"#,
        t + 3600,
        c = offer.code
    );
    let r = post_json(&app, "/api/v1/impressions", &player, &batch).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["received"], 6);
    assert_eq!(v["recorded"], 2);
    assert_eq!(v["already"], 1, "the same slide twice in one batch: {v}");
    let refused = v["refused"].as_array().expect("refused");
    let idx: Vec<u64> = refused.iter().filter_map(|x| x["index"].as_u64()).collect();
    assert_eq!(idx, vec![2, 3, 4], "{v}");
    assert!(refused[0]["error"]
        .as_str()
        .unwrap_or("")
        .contains("QQQQQQ"));
    assert!(refused[1]["error"]
        .as_str()
        .unwrap_or("")
        .contains("bus-90"));
    assert!(refused[2]["error"].as_str().unwrap_or("").contains("futur"));

    let again = post_json(&app, "/api/v1/impressions", &player, &batch).await;
    let v: serde_json::Value = serde_json::from_str(&again.body).expect("json");
    assert_eq!(
        (v["recorded"].as_u64(), v["already"].as_u64()),
        (Some(0), Some(3)),
        "{v}"
    );
    // They count in the employer's report, under the registered screen's vehicle.
    let report = app
        .store
        .display_report(offer.employer_id, t - 10, t + 10)
        .await
        .expect("report");
    let shown: i64 = report
        .iter()
        .filter(|r| r.offer_code == offer.code.to_string())
        .map(|r| r.impressions)
        .sum();
    assert_eq!(shown, 2);
    assert_eq!(
        post_json(&app, "/api/v1/impressions", &player, "{}")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let feed = token(&app, dklik_domain::Role::Feed).await;
    assert_eq!(
        post_json(&app, "/api/v1/impressions", &feed, "[]")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
