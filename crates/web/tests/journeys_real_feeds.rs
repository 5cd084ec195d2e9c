//! "Can I get there by bus?" on real feeds (`DKLIK_FORMATS_DIR`, set by the test command):
//! a real urban network (Aranda de Duero, CRLF files, stops with long names) answers from one
//! of its stops; the specification's sample feed, whose calendar ended in 2010, is said not
//! to cover the shift's days rather than guessed.

mod common;

use axum::http::StatusCode;
use std::path::PathBuf;

fn formats() -> PathBuf {
    PathBuf::from(std::env::var("DKLIK_FORMATS_DIR").unwrap_or_else(|_| {
        panic!("DKLIK_FORMATS_DIR must name the folder of real transit samples (the test command sets it)")
    }))
}

/// The app with `feed` in place of the demo network, and one offer at (lat, lon).
async fn app_on_feed(feed: &str, lat: f64, lon: f64) -> (common::App, String) {
    let app = common::app().await;
    let feed = dklik_transit::gtfs::read(&formats().join("gtfs").join(feed)).expect("feed");
    app.store
        .save_gtfs(&feed, &|_| {})
        .await
        .expect("save feed");
    let csv = format!(
        "id_externe;entreprise;site;adresse;commune;code_insee;latitude;longitude;intitule;description;code_rome;appellation;competences;horaires;contrat;heures_semaine;postes;sans_diplome;etat;date_fin\n\
REEL-1;Atelier (entreprise fictive);Atelier;Rue;Dunkerque;59183;{lat};{lon};Agent / Agente de production;Produire.;H2913;;300483:3:obligatoire;lun-ven 10:00-13:00;cdi;35;1;oui;publiee;\n"
    );
    let raw = dklik_imports::offers::read("reel.csv", csv.as_bytes()).expect("reads");
    dklik_app::offers::import_offers(app.store.as_ref(), raw, true)
        .await
        .expect("import");
    let code = app
        .store
        .offer_by_external_id("REEL-1")
        .await
        .expect("q")
        .expect("offer")
        .code
        .to_string();
    (app, code)
}

#[tokio::test]
async fn a_real_network_answers_from_one_of_its_stops() {
    // Beside "Avenida El Ferial" (stop 2 of the feed).
    let (app, code) = app_on_feed("aranda", 41.674105, -3.682390).await;
    let from = common::enc("ambulatorio norte");
    let r = common::get(&app, &format!("/api/v1/offers/{code}/journeys?from={from}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["journeys"]["from"]["name"], "Ambulatorio Norte");
    assert!(
        v["stops"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Avenida El Ferial")))),
        "{}",
        v["stops"]
    );
    let shift = &v["journeys"]["shifts"][0];
    assert!(shift["not_covered"].is_null(), "{shift}");
    assert!(shift["date"].is_string(), "{shift}");
    for way in ["there", "back"] {
        assert!(
            shift[way]["text"].as_str().is_some_and(|t| !t.is_empty()),
            "{way}: {shift}"
        );
    }
    assert_eq!(shift["there"]["ok"], true, "a morning bus there: {shift}");
    let page = common::get(&app, &format!("/offres/{code}?depuis={from}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Depuis Ambulatorio Norte"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_feed_whose_calendar_ended_says_so_instead_of_guessing() {
    // Beside "Furnace Creek Resort (Demo)"; the sample's calendar runs 2007–2010.
    let (app, code) = app_on_feed("google-sample", 36.425288, -117.133162).await;
    let from = common::enc("Nye County Airport (Demo)");
    let r = common::get(&app, &format!("/api/v1/offers/{code}/journeys?from={from}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let shift = &v["journeys"]["shifts"][0];
    assert!(
        shift["not_covered"]
            .as_str()
            .is_some_and(|t| t.contains("ne couvrent pas")),
        "{shift}"
    );
    assert!(shift["there"].is_null() && shift["back"].is_null());
    let page = common::get(&app, &format!("/offres/{code}?depuis={from}")).await;
    assert!(
        page.body.contains("ne couvrent pas les jours de ce poste"),
        "{}",
        page.body
    );
}

/// A feed imported while the server runs: its timetables replace the old ones at the next
/// check, without a restart.
#[tokio::test]
async fn a_new_feed_replaces_the_timetables_without_a_restart() {
    let app = common::app().await;
    let store = app.store.as_ref();
    let transit = dklik_app::matching::Transit::default();
    assert!(
        !transit.follow(store).await.expect("version"),
        "nothing to forget yet"
    );
    let names =
        |p: Vec<dklik_app::journeys::Place>| p.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let before = names(
        dklik_app::journeys::places(store, &transit)
            .await
            .expect("places"),
    );
    assert!(before.contains(&"Place Jean Bart".to_string()));
    let feed = dklik_transit::gtfs::read(&formats().join("gtfs/aranda")).expect("feed");
    app.store.save_gtfs(&feed, &|_| {}).await.expect("save");
    assert!(
        transit.follow(store).await.expect("version"),
        "the new feed is seen"
    );
    let after = names(
        dklik_app::journeys::places(store, &transit)
            .await
            .expect("places"),
    );
    assert!(after.contains(&"Ambulatorio Norte".to_string()));
    assert!(!after.contains(&"Place Jean Bart".to_string()));
    assert!(!transit.follow(store).await.expect("version"), "once");
    // The screens' engine follows too.
    assert!(app.screens.follow_network(store).await.expect("screens"));
    let stops: Vec<String> = app.screens.stops().into_iter().map(|s| s.name).collect();
    assert!(
        stops.contains(&"Ambulatorio Norte".to_string()),
        "{stops:?}"
    );
    assert!(
        !app.screens.follow_network(store).await.expect("screens"),
        "once"
    );
}
