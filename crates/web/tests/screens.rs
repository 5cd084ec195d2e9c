//! Bus screens through HTTP: a feed sends positions, the screen page changes, a QR scan is
//! attributed to its impression and then to the call-back request.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{app, demo_staff, get, get_as, post_form, send, sign_in, App, PASSWORD};

async fn post_positions(app: &App, token: &str, json: &str) -> common::Answer {
    send(
        app,
        Request::post("/api/v1/positions")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .expect("request"),
    )
    .await
}

async fn feed_token(app: &App) -> String {
    dklik_app::auth::create_api_token(app.store.as_ref(), "flux", dklik_domain::Role::Feed, 1)
        .await
        .expect("token")
        .1
}

fn now() -> i64 {
    dklik_app::unix_now()
}

/// Near the "Mardyck Usine" stop of the demo network, ~170 m from a demo employer's site.
const MARDYCK: (f64, f64) = (51.0301, 2.2691);

#[tokio::test]
async fn a_bus_nearing_a_hiring_site_shows_its_offers_and_a_scan_is_traced() {
    let app = app().await;
    let token = feed_token(&app).await;
    let before = get(&app, "/ecran/bus-12").await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(
        before.body.contains("Des entreprises recrutent"),
        "fallback before any position"
    );
    let t = now();
    let r = post_positions(&app, &token, &format!(
        r#"[{{"vehicle":"bus-12","lat":51.0250,"lon":2.2585,"timestamp":{}}},{{"vehicle":"bus-12","lat":{},"lon":{},"timestamp":{},"route_id":"11"}}]"#,
        t - 60, MARDYCK.0, MARDYCK.1, t
    )).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["accepted"], 2);
    let page = get(&app, "/ecran/bus-12").await;
    assert!(
        page.body.contains("On recrute près d&#39;ici")
            || page.body.contains("On recrute près d'ici"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Mardyck Usine"));
    assert!(page.body.contains("<svg"), "a QR code drawn by the server");
    // The list of screens links to each one.
    let list = get(&app, "/ecrans").await;
    assert!(
        list.body.contains("href=\"/ecran/bus-12\""),
        "{}",
        list.body
    );
    assert!(
        page.body.contains("dklik.example/s/"),
        "the short URL is printed"
    );
    let csp = page
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        csp.contains("frame-ancestors *"),
        "screen pages may be embedded: {csp}"
    );
    // The QR's link: count the scan on its impression, then the offer page knows the bus.
    let imp = page
        .body
        .split("dklik.example/s/")
        .nth(1)
        .map(|s| s.chars().take(8).collect::<String>())
        .expect("impression");
    let scan = get(&app, &format!("/s/{imp}")).await;
    assert_eq!(scan.status, StatusCode::SEE_OTHER);
    let to = scan.location.expect("redirect");
    assert!(
        to.contains("src=ecran") && to.contains(&format!("imp={imp}")),
        "{to}"
    );
    assert_eq!(
        app.store
            .impression(&imp)
            .await
            .expect("q")
            .expect("row")
            .scans,
        1
    );
    // The same phone scanning again within half an hour (a reload, a script) is no new scan.
    assert_eq!(
        get(&app, &format!("/s/{imp}")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.store
            .impression(&imp)
            .await
            .expect("q")
            .expect("row")
            .scans,
        1,
        "a scan counts once per address and half hour"
    );
    let offer_page = get(&app, &to).await;
    assert!(offer_page
        .body
        .contains(&format!("name=\"imp\" value=\"{imp}\"")));
    let code = to
        .trim_start_matches("/offres/")
        .split('?')
        .next()
        .expect("code")
        .to_string();
    let sent = post_form(
        &app,
        &format!("/offres/{code}/interet"),
        &format!(
            "prenom=Yasmine&telephone=0699999999&moment=soir&consentement=oui&src=ecran&imp={imp}"
        ),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let i = app.store.interests(1).await.expect("list").remove(0);
    assert_eq!(i.channel, dklik_domain::Channel::BusScreen);
    assert!(
        i.channel_detail.contains("bus bus-12") && i.channel_detail.contains("Mardyck Usine"),
        "{}",
        i.channel_detail
    );
    assert_eq!(get(&app, "/s/ZZZZZZZZ").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_positions_are_refused_and_counted_never_crash() {
    let app = app().await;
    let token = feed_token(&app).await;
    let t = now();
    let r = post_positions(&app, &token, "{not json").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("JSON illisible"));
    let r = post_positions(&app, &token, &format!(
        r#"[{{"vehicle":"b","lat":95,"lon":2,"timestamp":{t}}},{{"vehicle":"b","lat":51.03,"lon":2.27,"timestamp":{}}},{{"vehicle":"b","lat":48.85,"lon":2.35,"timestamp":{t}}},{{"vehicle":"b","lat":51.03,"lon":2.27,"timestamp":{}}}]"#,
        t - 3600, t + 3600
    )).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["accepted"], 0);
    for reason in ["out_of_range", "stale", "off_network", "future"] {
        assert_eq!(v["rejected"][reason], 1, "{reason}: {v}");
    }
    let anonymous = send(
        &app,
        Request::post("/api/v1/positions")
            .body(Body::from("[]"))
            .expect("req"),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let bad_screen = get(&app, "/ecran/%3Cscript%3E").await;
    assert_eq!(bad_screen.status, StatusCode::NOT_FOUND);
    assert!(
        bad_screen.body.contains("Cet écran n&#39;existe pas")
            || bad_screen.body.contains("Cet écran n'existe pas")
    );
}

#[tokio::test]
async fn the_stop_feed_lists_nearby_offers_in_json_and_rss() {
    let app = app().await;
    let stop = app
        .store
        .load_gtfs()
        .await
        .expect("feed")
        .stops
        .into_iter()
        .find(|s| s.name == "Mardyck Usine")
        .expect("stop");
    let json = get(&app, &format!("/api/v1/stops/{}/offers", stop.id)).await;
    let v: serde_json::Value = serde_json::from_str(&json.body).expect("json");
    let offers = v["offers"].as_array().expect("offers");
    assert!(!offers.is_empty());
    assert!(offers
        .iter()
        .all(|o| o["distance_m"].as_u64().is_some_and(|d| d <= 500)));
    let url = offers[0]["short_url"].as_str().expect("url");
    assert!(url.starts_with("https://dklik.example/o/"));
    let qr = offers[0]["qr_svg_url"]
        .as_str()
        .expect("qr")
        .trim_start_matches("https://dklik.example");
    let svg = get(&app, qr).await;
    assert_eq!(
        svg.headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes()),
        Some(&b"image/svg+xml"[..])
    );
    assert!(svg.body.contains("<svg"));
    let rss = get(
        &app,
        &format!("/api/v1/stops/{}/offers?format=rss", stop.id),
    )
    .await;
    assert!(rss.body.starts_with("<?xml") && rss.body.contains("<rss version=\"2.0\">"));
    assert_eq!(rss.body.matches("<item>").count(), offers.len());
    assert_eq!(
        get(&app, "/api/v1/stops/inconnu/offers").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_offer_closed_while_on_screen_is_gone_at_the_next_slide() {
    let app = app().await;
    let token = feed_token(&app).await;
    let t = now();
    post_positions(
        &app,
        &token,
        &format!(
            r#"{{"vehicle":"bus-1","lat":{},"lon":{},"timestamp":{t}}}"#,
            MARDYCK.0, MARDYCK.1
        ),
    )
    .await;
    let page = get(&app, "/ecran/bus-1").await;
    let shown: Vec<String> = app
        .store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .expect("list")
        .offers
        .into_iter()
        .filter(|o| page.body.contains(&format!("<strong>{}</strong>", o.code)))
        .map(|o| o.code.to_string())
        .collect();
    assert!(!shown.is_empty(), "{}", page.body);
    for c in &shown {
        let o = app
            .store
            .offer_by_code(&dklik_domain::ShortCode::parse(c).expect("code"))
            .await
            .expect("q")
            .expect("o");
        app.store
            .set_offer_status(
                o.id,
                dklik_domain::OfferStatus::Closed,
                dklik_app::today_paris(),
            )
            .await
            .expect("close");
    }
    // What the server's refresh task does every 30 seconds.
    common::refresh_screens(&app).await;
    post_positions(
        &app,
        &token,
        &format!(
            r#"{{"vehicle":"bus-2","lat":{},"lon":{},"timestamp":{}}}"#,
            MARDYCK.0,
            MARDYCK.1,
            t + 1
        ),
    )
    .await;
    let page2 = get(&app, "/ecran/bus-2").await;
    for c in &shown {
        assert!(
            !page2.body.contains(&format!("<strong>{c}</strong>")),
            "closed offer {c} still shown"
        );
    }
}

#[tokio::test]
async fn employers_see_where_their_offers_were_shown() {
    let app = app().await;
    let token = feed_token(&app).await;
    demo_staff(&app).await;
    let t = now();
    post_positions(
        &app,
        &token,
        &format!(
            r#"{{"vehicle":"bus-7","lat":{},"lon":{},"timestamp":{t}}}"#,
            MARDYCK.0, MARDYCK.1
        ),
    )
    .await;
    let (cookie, _) = sign_in(&app, "rh%40t.fr", &PASSWORD.replace(' ', "+")).await;
    let html = get_as(&app, "/entreprise/diffusion", &cookie).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(
        html.body.contains("Diffusion sur les écrans des bus"),
        "{}",
        html.body
    );
    let csv = get_as(&app, "/entreprise/diffusion.csv", &cookie).await;
    assert!(csv
        .body
        .starts_with("mois;entreprise;code_offre;offre;ligne;affichages"));
    // Each row is one of the employer's offers shown this month, with its impressions.
    let rows: Vec<&str> = csv.body.lines().skip(1).collect();
    assert!(!rows.is_empty(), "{}", csv.body);
    for r in rows {
        let cells: Vec<&str> = r.split(';').collect();
        assert!(cells[5].parse::<u32>().expect("impressions") >= 1, "{r}");
    }
}

#[tokio::test]
async fn positions_in_gtfs_realtime_and_siri_reach_the_screens() {
    use dklik_transit::realtime::{gtfs_rt, VehicleReport};
    let app = app().await;
    let token = feed_token(&app).await;
    let t = now();
    let pb = gtfs_rt::encode(
        &[VehicleReport {
            vehicle: "rt-1".into(),
            trip_id: None,
            route_id: Some("11".into()),
            stop_id: None,
            lat: MARDYCK.0,
            lon: MARDYCK.1,
            timestamp: Some(t),
        }],
        t as u64,
    );
    let send_body = |path: &'static str, ct: &'static str, body: Vec<u8>| {
        let token = token.clone();
        let app = &app;
        async move {
            send(
                app,
                Request::post(path)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, ct)
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await
        }
    };
    let r = send_body("/api/v1/positions/gtfs-rt", "application/x-protobuf", pb).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("\"accepted\":1"), "{}", r.body);
    assert!(get(&app, "/ecran/rt-1")
        .await
        .body
        .contains("Mardyck Usine"));
    let garbage = send_body(
        "/api/v1/positions/gtfs-rt",
        "application/x-protobuf",
        vec![0xff; 20],
    )
    .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    let iso = time::OffsetDateTime::from_unix_timestamp(t)
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let xml = format!(
        r#"<?xml version="1.0"?><Siri xmlns="http://www.siri.org.uk/siri" version="2.0"><ServiceDelivery><VehicleMonitoringDelivery><VehicleActivity><RecordedAtTime>{iso}</RecordedAtTime><MonitoredVehicleJourney><LineRef>11</LineRef><VehicleLocation><Longitude>{}</Longitude><Latitude>{}</Latitude></VehicleLocation><VehicleRef>siri-1</VehicleRef><UnknownField>ignored</UnknownField></MonitoredVehicleJourney></VehicleActivity></VehicleMonitoringDelivery></ServiceDelivery></Siri>"#,
        MARDYCK.1, MARDYCK.0
    );
    let r = send_body(
        "/api/v1/positions/siri",
        "application/xml",
        xml.into_bytes(),
    )
    .await;
    assert!(r.body.contains("\"accepted\":1"), "{}", r.body);
    assert!(get(&app, "/ecran/siri-1")
        .await
        .body
        .contains("Mardyck Usine"));
    let bad = send_body(
        "/api/v1/positions/siri",
        "application/xml",
        b"<Siri><unclosed>".to_vec(),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn operators_feeds_of_megabytes_are_taken_and_bad_ones_refused_in_json() {
    let app = app().await;
    let token = feed_token(&app).await;
    // 9,000 positions, about 1 MB: far above a form's 64 KiB, as operators send them.
    let t = now();
    let items: Vec<String> = (0..9_000)
        .map(|k| {
            format!(
                r#"{{"vehicle":"bus-{k}","lat":{},"lon":{},"timestamp":{t}.0,"trip_id":null}}"#,
                MARDYCK.0 + (k % 50) as f64 * 1e-4,
                MARDYCK.1
            )
        })
        .collect();
    let body = format!("[{}]", items.join(","));
    assert!(body.len() > 500_000, "{}", body.len());
    let r = post_positions(&app, &token, &body).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        &r.body[..r.body.len().min(300)]
    );
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["accepted"], 9_000, "{v}");
    // What the published schema refuses is refused, in JSON, in French.
    for (body, status) in [
        (
            r#"[{"vehicle":"","lat":51,"lon":2,"timestamp":1}]"#.to_string(),
            422,
        ),
        (
            r#"[{"vehicle":"b","lat":51,"lon":2,"timestamp":-5}]"#.to_string(),
            422,
        ),
        (
            r#"[{"vehicle":"b","lat":51,"lon":2,"timestamp":1.5}]"#.to_string(),
            400,
        ),
        (
            format!(
                "[{}]",
                vec![r#"{"vehicle":"b","lat":51,"lon":2,"timestamp":1}"#; 10_001].join(",")
            ),
            422,
        ),
    ] {
        let r = post_positions(&app, &token, &body).await;
        assert_eq!(
            r.status.as_u16(),
            status,
            "{}",
            &r.body[..r.body.len().min(200)]
        );
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("json error");
        assert!(
            v["error"].as_str().is_some_and(|e| !e.contains("Failed")),
            "{v}"
        );
    }
    // The offer list and the stop feed refuse filters they do not know.
    for uri in [
        "/api/v1/offers?page=0",
        "/api/v1/offers?page=",
        "/api/v1/offers?horaire=minuit",
        "/api/v1/offers?commune=6A063",
        "/api/v1/stops/S001/offers?format=xml",
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("json error");
        assert!(v["error"].is_string(), "{uri}");
    }
    assert_eq!(
        get(&app, "/api/v1/offers?commune=&page=2").await.status,
        StatusCode::OK
    );
}

/// One protobuf field of wire type 2 (bytes).
fn pb_bytes(out: &mut Vec<u8>, num: u64, b: &[u8]) {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    varint(out, (num << 3) | 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

#[tokio::test]
async fn a_five_megabyte_gtfs_realtime_feed_with_trip_updates_and_alerts_gives_its_vehicles() {
    let app = app().await;
    let token = feed_token(&app).await;
    let t = now();
    let reports: Vec<dklik_transit::realtime::VehicleReport> = (0..400)
        .map(|k| dklik_transit::realtime::VehicleReport {
            vehicle: format!("bus-{k}"),
            trip_id: None,
            route_id: None,
            stop_id: None,
            lat: MARDYCK.0 + (k % 40) as f64 * 1e-4,
            lon: MARDYCK.1,
            timestamp: Some(t),
        })
        .collect();
    let mut feed = dklik_transit::realtime::gtfs_rt::encode(&reports, t as u64);
    // Trip updates and alerts beside the vehicles, as operators publish them in one feed.
    for k in 0..15_000 {
        let mut trip = Vec::new();
        pb_bytes(
            &mut trip,
            1,
            format!("trip-{k}-{}", "x".repeat(300)).as_bytes(),
        );
        let mut update = Vec::new();
        pb_bytes(&mut update, 1, &trip);
        let mut entity = Vec::new();
        pb_bytes(&mut entity, 1, format!("tu-{k}").as_bytes());
        pb_bytes(&mut entity, 3, &update);
        pb_bytes(&mut feed, 2, &entity);
    }
    for k in 0..300 {
        let mut alert = Vec::new();
        pb_bytes(
            &mut alert,
            10,
            "Déviation rue de la Gare ".repeat(20).as_bytes(),
        );
        let mut entity = Vec::new();
        pb_bytes(&mut entity, 1, format!("alert-{k}").as_bytes());
        pb_bytes(&mut entity, 5, &alert);
        pb_bytes(&mut feed, 2, &entity);
    }
    assert!(feed.len() > 5_000_000, "{}", feed.len());
    let r = send(
        &app,
        Request::post("/api/v1/positions/gtfs-rt")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/x-protobuf")
            .body(Body::from(feed))
            .expect("request"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        &r.body[..r.body.len().min(300)]
    );
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["accepted"], 400, "{v}");
    assert_eq!(v["ignored"]["trip_update"], 15_000, "{v}");
    assert_eq!(v["ignored"]["alert"], 300, "{v}");
}
