//! The geocoder client against a small loopback server answering recorded addok-shaped JSON,
//! an error, a slow answer and an empty one; and the employer page that uses it.

mod common;

use axum::http::StatusCode;
use common::{demo_staff, get_as, sign_in, PASSWORD};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The shape of the national address base geocoder's answer (addok), two addresses.
const FOUND: &str = r#"{"type":"FeatureCollection","version":"draft","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[2.376789,51.034412]},
 "properties":{"label":"12 Quai de Lorraine 59140 Dunkerque","score":0.9712,"housenumber":"12",
 "id":"59183_5110_00012","name":"12 Quai de Lorraine","postcode":"59140","citycode":"59183",
 "x":654321.1,"y":7101234.5,"city":"Dunkerque","context":"59, Nord, Hauts-de-France",
 "type":"housenumber","importance":0.71,"street":"Quai de Lorraine"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[2.3712,51.0321]},
 "properties":{"label":"Quai de Lorraine 59140 Dunkerque","score":0.8801,"id":"59183_5110",
 "name":"Quai de Lorraine","postcode":"59140","citycode":"59183","city":"Dunkerque",
 "context":"59, Nord, Hauts-de-France","type":"street","importance":0.69}}],
"attribution":"BAN","licence":"ETALAB-2.0","query":"quai de lorraine dunkerque","limit":5}"#;

const NOTHING: &str = r#"{"type":"FeatureCollection","version":"draft","features":[],"attribution":"BAN","licence":"ETALAB-2.0","query":"rien","limit":5}"#;

/// Answers by the words searched: "panne" 500, "lent" after 3 s, "rien" nothing, else FOUND.
async fn fake_addok() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let line = head.lines().next().unwrap_or_default().to_string();
                assert!(line.starts_with("GET /search/?"), "{line}");
                assert!(line.contains("limit=5"), "{line}");
                let (status, body) = if line.contains("panne") {
                    ("500 Internal Server Error", "{}".to_string())
                } else if line.contains("lent") {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    ("200 OK", FOUND.to_string())
                } else if line.contains("rien") {
                    ("200 OK", NOTHING.to_string())
                } else {
                    ("200 OK", FOUND.to_string())
                };
                let _ = s
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_geocoder_client_reads_addok_and_never_blocks() {
    let url = fake_addok().await;
    let t = dklik_app::geocode::TIMEOUT;
    let found = dklik_app::geocode::search(&url, "quai de lorraine dunkerque", t)
        .await
        .expect("places");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].label, "12 Quai de Lorraine 59140 Dunkerque");
    assert_eq!(found[0].citycode, "59183");
    assert_eq!(found[0].street, "12 Quai de Lorraine");
    assert!((found[0].lat - 51.034412).abs() < 1e-9 && (found[0].lon - 2.376789).abs() < 1e-9);
    assert!(dklik_app::geocode::search(&url, "rien du tout", t)
        .await
        .expect("empty")
        .is_empty());
    let err = dklik_app::geocode::search(&url, "panne générale", t)
        .await
        .expect_err("500");
    assert!(err.contains("500"), "{err}");
    let started = std::time::Instant::now();
    let err = dklik_app::geocode::search(&url, "lent comme tout", t)
        .await
        .expect_err("too slow");
    assert!(err.contains("ne répond pas"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "given up before the answer"
    );
    // Nothing listens there.
    let err = dklik_app::geocode::search("http://127.0.0.1:9", "quai de lorraine", t)
        .await
        .expect_err("down");
    assert!(err.contains("ne répond pas"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_is_placed_from_its_address_or_by_hand_when_the_geocoder_fails() {
    let url = fake_addok().await;
    let app = common::app_tuned(|s| dklik_web::AppState::with_geocoder(s, Some(url))).await;
    let offer = demo_staff(&app).await;
    let (cookie, _) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let base = format!("/conseil/entreprises/{}", offer.employer_id.0);
    let page = get_as(
        &app,
        &format!("{base}?adresse_cherchee=quai+de+lorraine"),
        &cookie,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("12 Quai de Lorraine 59140 Dunkerque"));
    // Choosing an address fills the site form.
    let link = page
        .body
        .split("<a href=\"")
        .find(|s| s.contains("latitude=51.034412"))
        .and_then(|s| s.split('"').next())
        .expect("a link per address")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    // A browser does not send the fragment.
    let link = link.split('#').next().unwrap_or_default().to_string();
    let filled = get_as(&app, &link, &cookie).await;
    assert!(
        filled.body.contains("value=\"51.034412\""),
        "{link} {}",
        &filled.body[filled.body.len().saturating_sub(3000)..]
    );
    assert!(filled.body.contains("value=\"59183\""));
    assert!(filled.body.contains("value=\"12 Quai de Lorraine\""));
    // A geocoder that fails leaves the form usable, and says how to go on.
    let failed = get_as(&app, &format!("{base}?adresse_cherchee=panne"), &cookie).await;
    assert_eq!(failed.status, StatusCode::OK);
    assert!(failed.body.contains("tapez la latitude et la longitude"));
    assert!(failed.body.contains("id=\"latitude\""));
    let none = get_as(&app, &format!("{base}?adresse_cherchee=rien+ici"), &cookie).await;
    assert!(none.body.contains("Aucune adresse trouvée"));
}
