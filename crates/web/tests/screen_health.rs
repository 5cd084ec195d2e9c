//! Screens report their health (heartbeat, uptime, silence while their line runs), service
//! messages take them over, offer slides carry their time-to-live, a screen may use a part of
//! its page, and the month's proof of play adds it all up.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{app, demo_staff, get, get_as, post_as, send, sign_in, App, PASSWORD};
use dklik_app::screen_health::statuses;
use dklik_app::store::{Heartbeat, ScreenRecord};

const MARDYCK: (f64, f64) = (51.0301, 2.2691);

async fn post_json(app: &App, uri: &str, token: Option<&str>, json: &str) -> common::Answer {
    let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(
        app,
        req.body(Body::from(json.to_string())).expect("request"),
    )
    .await
}

async fn token(app: &App, role: dklik_domain::Role) -> String {
    dklik_app::auth::create_api_token(app.store.as_ref(), "appareil", role, 1)
        .await
        .expect("token")
        .1
}

async fn drive_to_mardyck(app: &App, feed: &str, vehicle: &str) {
    let t = dklik_app::unix_now();
    let r = post_json(app, "/api/v1/positions", Some(feed), &format!(
        r#"[{{"vehicle":"{vehicle}","lat":51.0250,"lon":2.2585,"timestamp":{}}},{{"vehicle":"{vehicle}","lat":{},"lon":{},"timestamp":{t}}}]"#,
        t - 60, MARDYCK.0, MARDYCK.1
    )).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The first impression code a screen page shows.
fn first_code(html: &str) -> String {
    html.split("data-impression=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap_or(0)].to_string())
        .find(|c| c.len() == 8)
        .unwrap_or_else(|| panic!("an offer slide with its impression: {html}"))
}

fn error_of(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("json error");
    v["error"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_screen_reports_its_heartbeat_and_the_admins_see_its_health() {
    let app = app().await;
    let offer = demo_staff(&app).await;
    let (admin, csrf) = sign_in(&app, "admin@t.fr", PASSWORD).await;
    let r = post_as(
        &app,
        "/admin/ecrans/ecrans",
        &admin,
        &format!("csrf={csrf}&ecran=bus-40-avant&vehicule=bus-40&libelle=Avant&ligne=11&zone="),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A line or a part of the screen that does not exist is refused, in French.
    let r = post_as(
        &app,
        "/admin/ecrans/ecrans",
        &admin,
        &format!("csrf={csrf}&ecran=bus-41-avant&vehicule=bus-41&ligne=C%3B1&zone=partout"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choisissez la partie de l"), "{}", r.body);
    assert!(r.body.contains("son nom court"), "{}", r.body);

    let feed = token(&app, dklik_domain::Role::Feed).await;
    drive_to_mardyck(&app, &feed, "bus-40").await;
    let page = get(&app, "/ecran/bus-40-avant").await;
    assert!(page.body.contains("data-ttl=\"7200\""), "{}", page.body);
    assert!(
        page.body.contains("<template id=\"general\">"),
        "{}",
        page.body
    );
    let code = first_code(&page.body);

    let beat = |slide: &str, plays: &str| format!(r#"{{"slide":"{slide}","plays":{plays}}}"#);
    let r = post_json(
        &app,
        "/ecran/bus-40-avant/signal",
        None,
        &beat(&code, &format!(r#"{{"{code}":2}}"#)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, r#"{"recorded":true}"#);
    // A bare vehicle's page is answered but nothing is kept.
    let r = post_json(&app, "/ecran/bus-41/signal", None, &beat("general", "{}")).await;
    assert_eq!(r.body, r#"{"recorded":false}"#);
    for (body, says) in [
        ("pas du json", "signal illisible"),
        (r#"{"slide":"x"}"#, "« slide »"),
        (r#"{"slide":"general","plays":{"abc":1}}"#, "« plays »"),
        (&beat("general", &format!(r#"{{"{code}":0}}"#)), "« plays »"),
        (r#"{"slide":"general","autre":1}"#, "signal illisible"),
    ] {
        let r = post_json(&app, "/ecran/bus-40-avant/signal", None, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(error_of(&r.body).contains(says), "{body}: {}", r.body);
    }
    let r = post_json(&app, "/ecran/a..b~/signal", None, &beat("general", "{}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Another site's page cannot post a heartbeat.
    let r = send(
        &app,
        Request::post("/ecran/bus-40-avant/signal")
            .header(header::CONTENT_TYPE, "application/json")
            .header("sec-fetch-site", "cross-site")
            .body(Body::from(beat("general", "{}")))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let feed_now = app.store.load_gtfs().await.expect("feed");
    let now = dklik_app::unix_now();
    let s = statuses(app.store.as_ref(), &feed_now, now)
        .await
        .expect("statuses");
    let s = s
        .iter()
        .find(|s| s.screen.id == "bus-40-avant")
        .expect("screen");
    assert_eq!(s.shown_today, 2);
    assert_eq!(
        s.health.as_ref().map(|h| h.slide.as_str()),
        Some(code.as_str())
    );
    assert!(
        s.uptime_day > 0.0 && s.uptime_day < 0.01,
        "{}",
        s.uptime_day
    );
    let admin_page = get_as(&app, "/admin/ecrans", &admin).await;
    assert!(admin_page.body.contains(&code), "{}", admin_page.body);
    assert!(admin_page.body.contains("ligne 11"), "{}", admin_page.body);

    // The plays are the employer's proof of play for the month.
    let (employer, _) = sign_in(&app, "rh@t.fr", PASSWORD).await;
    let proof = get_as(&app, "/entreprise/diffusion", &employer).await;
    assert_eq!(proof.status, StatusCode::OK);
    assert!(proof.body.contains("Passages confirmés"), "{}", proof.body);
    let csv = get_as(&app, "/entreprise/diffusion.csv", &employer).await;
    assert!(csv.body.starts_with(
        "mois;entreprise;code_offre;offre;ligne;affichages;passages_confirmes;secondes_a_l_ecran;scans;demandes_de_rappel\r\n"
    ));
    let line = csv
        .body
        .lines()
        .find(|l| l.contains(&format!(";{};", offer.code)))
        .unwrap_or_else(|| panic!("{}", csv.body));
    let cells: Vec<&str> = line.split(';').collect();
    assert_eq!((cells[6], cells[7]), ("2", "20"), "{line}");
    assert_eq!(
        get_as(&app, "/entreprise/diffusion?mois=2026-13", &employer)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let all = get_as(&app, "/admin/diffusion.csv", &admin).await;
    assert!(
        all.body.contains(&format!(";{};", offer.code)),
        "{}",
        all.body
    );
    assert_eq!(
        get_as(&app, "/admin/diffusion", &employer).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_screen_silent_while_its_line_runs_is_flagged_and_mailed_to_admins() {
    let app = app().await;
    demo_staff(&app).await;
    let feed = app.store.load_gtfs().await.expect("feed");
    // Wednesday 2 December 2026, 10:00 in Paris: line 11 runs.
    let now = time::macros::datetime!(2026-12-02 10:00 +01:00).unix_timestamp();
    for (id, line) in [("silent", "11"), ("alive", "11"), ("no-line-runs", "ZZ")] {
        app.store
            .add_screen(
                &ScreenRecord {
                    id: id.into(),
                    vehicle: format!("v-{id}"),
                    label: String::new(),
                    line: Some(line.into()),
                    region: String::new(),
                },
                now - 86_400,
            )
            .await
            .expect("screen");
    }
    let beat = |screen: &str, at: i64| Heartbeat {
        screen: screen.into(),
        vehicle: format!("v-{screen}"),
        at,
        slide: "general".into(),
        day: "2026-12-02".into(),
        plays: vec![],
        slide_seconds: 10,
    };
    for k in 0..=120 {
        let at = now - 3600 + k * 30;
        app.store
            .screen_heartbeat(&beat("alive", at))
            .await
            .expect("b");
        if at <= now - 1800 {
            app.store
                .screen_heartbeat(&beat("silent", at))
                .await
                .expect("b");
        }
    }
    let s = statuses(app.store.as_ref(), &feed, now)
        .await
        .expect("statuses");
    let of = |id: &str| {
        s.iter()
            .find(|x| x.screen.id == id)
            .expect("screen")
            .clone()
    };
    assert_eq!(of("silent").silent_since, Some(now - 1800));
    assert_eq!(of("alive").health.as_ref().map(|h| h.last_seen), Some(now));
    assert_eq!(of("alive").silent_since, None);
    assert_eq!(
        of("no-line-runs").silent_since,
        None,
        "its line does not run"
    );
    assert!((of("alive").uptime_day - 3630.0 / 86_400.0).abs() < 0.001);
    // At 03:00, no bus of line 11 runs: a silence then is not flagged.
    let night = time::macros::datetime!(2026-12-02 03:00 +01:00).unix_timestamp();
    let s = statuses(app.store.as_ref(), &feed, night)
        .await
        .expect("statuses");
    assert!(s.iter().all(|x| x.silent_since.is_none()));

    let n = dklik_app::screen_health::daily(app.store.as_ref(), &feed, now)
        .await
        .expect("daily");
    assert!(n >= 1);
    let mails = app.store.outbox(50).await.expect("outbox");
    let mail = mails
        .iter()
        .find(|m| m.subject.contains("écran(s) silencieux"))
        .expect("a mail to admins");
    assert_eq!(mail.to, "admin@t.fr");
    assert!(
        mail.body
            .contains("- silent (sans libellé, véhicule v-silent, ligne 11)"),
        "{}",
        mail.body
    );
    assert!(!mail.body.contains("no-line-runs"), "{}", mail.body);
}

#[tokio::test]
async fn a_service_message_takes_over_the_screens_until_it_ends() {
    let app = app().await;
    demo_staff(&app).await;
    let feed = token(&app, dklik_domain::Role::Feed).await;
    let screen_token = token(&app, dklik_domain::Role::Screen).await;
    for (id, vehicle, line) in [("c1-avant", "bus-61", "C1"), ("onze-avant", "bus-62", "11")] {
        app.store
            .add_screen(
                &ScreenRecord {
                    id: id.into(),
                    vehicle: vehicle.into(),
                    label: String::new(),
                    line: Some(line.into()),
                    region: String::new(),
                },
                1,
            )
            .await
            .expect("screen");
    }
    drive_to_mardyck(&app, &feed, "bus-61").await;
    let mut watch = app.screens.watch_takeovers();
    let now = dklik_app::unix_now();
    let until = time::OffsetDateTime::from_unix_timestamp(now + 600)
        .expect("t")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("fmt");
    // Only screen tokens may.
    let body = format!(
        r#"{{"message":"Ligne C1 déviée : arrêt Gare reporté quai des Hollandais","scope":"line","target":"C1","until":"{until}"}}"#
    );
    let r = post_json(&app, "/api/v1/takeover", Some(&feed), &body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_json(&app, "/api/v1/takeover", Some(&screen_token), &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let id = created["id"].as_i64().expect("id");
    // The open pages are told at once.
    assert!(watch.has_changed().expect("watch"));
    watch.mark_unchanged();
    let c1 = get(&app, "/ecran/c1-avant").await;
    assert!(c1.body.contains("quai des Hollandais"), "{}", c1.body);
    assert!(
        c1.body.contains("aria-live=\"polite\" hidden") || c1.body.contains(" hidden aria-live"),
        "{}",
        c1.body
    );
    let other = get(&app, "/ecran/onze-avant").await;
    assert!(!other.body.contains("quai des Hollandais"));
    let r = send(
        &app,
        Request::get("/api/v1/takeover")
            .header(header::AUTHORIZATION, format!("Bearer {screen_token}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert!(r.body.contains("quai des Hollandais"), "{}", r.body);
    // Bad requests, each said.
    for (json, status, says) in [
        ("{", 400, "JSON illisible"),
        (
            r#"{"message":"x","scope":"partout","until":"2030-01-01T00:00:00Z"}"#,
            400,
            "JSON illisible",
        ),
        (
            r#"{"message":"x","scope":"all","until":"demain"}"#,
            422,
            "« until »",
        ),
        (
            r#"{"message":"x","scope":"all","until":"2020-01-01T00:00:00Z"}"#,
            422,
            "après maintenant",
        ),
        (
            r#"{"message":"x","scope":"screen","target":"","until":"2030-01-01T00:00:00Z"}"#,
            422,
            "l'écran",
        ),
        (
            &format!(
                r#"{{"message":"{}","scope":"all","until":"{until}"}}"#,
                "x".repeat(281)
            ),
            422,
            "280 caractères",
        ),
    ] {
        let r = post_json(&app, "/api/v1/takeover", Some(&screen_token), json).await;
        assert_eq!(r.status.as_u16(), status, "{json}: {}", r.body);
        assert!(error_of(&r.body).contains(says), "{json}: {}", r.body);
    }
    // Ended through the API: gone from the page, the watchers told.
    let r = post_json(
        &app,
        &format!("/api/v1/takeover/{id}/fin"),
        Some(&screen_token),
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(watch.has_changed().expect("watch"));
    assert!(!get(&app, "/ecran/c1-avant")
        .await
        .body
        .contains("quai des Hollandais"));
    let r = post_json(
        &app,
        &format!("/api/v1/takeover/{id}/fin"),
        Some(&screen_token),
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // From the admins' page, for every screen, for 5 minutes.
    let (admin, csrf) = sign_in(&app, "admin@t.fr", PASSWORD).await;
    let r = post_as(
        &app,
        "/admin/ecrans/prioritaires",
        &admin,
        &format!("csrf={csrf}&texte=Trafic+interrompu+%C3%A0+la+Gare&portee=all&cible=&duree=5"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(get(&app, "/ecran/onze-avant")
        .await
        .body
        .contains("Trafic interrompu"));
    assert!(get(&app, "/ecran/bus-99")
        .await
        .body
        .contains("Trafic interrompu"));
    let r = post_as(
        &app,
        "/admin/ecrans/prioritaires",
        &admin,
        &format!("csrf={csrf}&texte=&portee=line&cible=&duree="),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Écrivez le message"), "{}", r.body);
}

#[tokio::test]
async fn closed_offers_leave_the_screens_at_once_and_a_screen_may_use_part_of_its_page() {
    let app = app().await;
    demo_staff(&app).await;
    let feed = token(&app, dklik_domain::Role::Feed).await;
    drive_to_mardyck(&app, &feed, "bus-70").await;
    let state = app.screens.current("bus-70").expect("slides");
    let mut rx = app.screens.subscribe();
    let offers: Vec<i64> = state
        .slides
        .iter()
        .filter_map(|s| match s.slide {
            dklik_screens::Slide::Offer { offer_id, .. } => Some(offer_id),
            _ => None,
        })
        .collect();
    assert!(!offers.is_empty());
    for o in &offers {
        app.store
            .set_offer_status(
                dklik_domain::OfferId(*o),
                dklik_domain::OfferStatus::Closed,
                dklik_app::today_paris(),
            )
            .await
            .expect("close");
    }
    common::refresh_screens(&app).await;
    let pushed = rx.try_recv().expect("the page is told");
    assert_eq!(pushed.vehicle, "bus-70");
    assert!(pushed
        .slides
        .iter()
        .all(|s| !matches!(s.slide, dklik_screens::Slide::Offer { .. })));
    let page = get(&app, "/ecran/bus-70").await;
    assert!(
        page.body
            .contains("Des entreprises recrutent près de chez vous"),
        "{}",
        page.body
    );

    // The right third only: a frame over that part, the rest left to the operator.
    app.store
        .add_screen(
            &ScreenRecord {
                id: "totem-gare".into(),
                vehicle: "bus-70".into(),
                label: "Totem".into(),
                line: None,
                region: "tiers-droit".into(),
            },
            1,
        )
        .await
        .expect("screen");
    let frame = get(&app, "/ecran/totem-gare").await;
    assert!(
        frame
            .body
            .contains("class=\"zone-tiers-droit\" src=\"/ecran/totem-gare?zone=plein\""),
        "{}",
        frame.body
    );
    let inner = get(&app, "/ecran/totem-gare?zone=plein").await;
    assert!(inner.body.contains("id=\"slides\""), "{}", inner.body);
    let css = get(&app, "/static/ecran.css").await.body;
    for r in dklik_app::screen_health::Region::ALL {
        if !r.name().is_empty() {
            assert!(
                css.contains(&format!(".zone-{} ", r.name())),
                "{}",
                r.name()
            );
        }
    }
}
