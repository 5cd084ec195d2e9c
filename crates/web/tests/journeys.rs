//! "Can I get there by bus for this shift?" on the public offer page and in the API: the stops
//! near the site, the bus there and back from a neighbourhood or a stop, "Pas de bus" said
//! plainly with the nearest bus, the place kept only when the person asks, and every bad input
//! answered in French.

mod common;

use axum::http::{header, Request, StatusCode};
use common::{europe, get, send};

/// A published offer near the demo network with one early shift no bus reaches (3h30) and one
/// day shift.
async fn night_offer(app: &common::App) -> String {
    let csv = "id_externe;entreprise;site;adresse;commune;code_insee;latitude;longitude;intitule;description;code_rome;appellation;competences;horaires;contrat;heures_semaine;postes;sans_diplome;etat;date_fin\n\
NUIT-1;Boulangerie du Port (entreprise fictive);Fournil;Quai de Lorraine;Dunkerque;59183;51.0344;2.3768;Boulanger / Boulangère de nuit;Pétrir et cuire.;H2913;;300483:3:obligatoire;lun-sam 03:30-11:30|lun-ven 13:00-20:00;cdi;35;1;oui;publiee;\n";
    let raw = dklik_imports::offers::read("nuit.csv", csv.as_bytes()).expect("reads");
    dklik_app::offers::import_offers(app.store.as_ref(), raw, true)
        .await
        .expect("import");
    app.store
        .offer_by_external_id("NUIT-1")
        .await
        .expect("q")
        .expect("offer")
        .code
        .to_string()
}

fn enc(s: &str) -> String {
    common::enc(s)
}

#[tokio::test]
async fn the_offer_page_answers_can_i_get_there_by_bus_for_each_shift() {
    let app = common::app().await;
    europe(&app).await;
    let code = night_offer(&app).await;
    // The stops on foot, and the form, on every offer page (cached: nothing personal).
    let page = get(&app, &format!("/offres/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Les arrêts à pied"), "{}", page.body);
    assert!(
        page.body.contains("Place Jean Bart"),
        "the stop beside the site"
    );
    assert!(page.body.contains("min à pied"));
    assert!(page.body.contains("<option value=\"Europe\">"));
    assert!(page.headers.get(header::SET_COOKIE).is_none());
    // From Europe: the afternoon shift has its bus there and back; the 3h30 start has none,
    // said plainly, with the nearest bus the timetable has.
    let asked = get(&app, &format!("/offres/{code}?depuis=Europe")).await;
    assert_eq!(asked.status, StatusCode::OK);
    let body = &asked.body;
    assert!(body.contains("Depuis Europe"), "{body}");
    assert!(body.contains("Pas de bus pour ce poste"), "{body}");
    assert!(body.contains("Au plus près"), "{body}");
    assert!(
        body.contains("way-ok"),
        "a bus for the afternoon shift: {body}"
    );
    assert!(
        asked.headers.get(header::SET_COOKIE).is_none(),
        "no cookie without consent"
    );
    // The API says the same, as JSON.
    let api = get(&app, &format!("/api/v1/offers/{code}/journeys?from=Europe")).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let v: serde_json::Value = serde_json::from_str(&api.body).expect("json");
    let shifts = v["journeys"]["shifts"].as_array().expect("shifts");
    assert_eq!(shifts.len(), 2);
    assert_eq!(shifts[0]["there"]["ok"], false, "{}", shifts[0]);
    assert!(shifts[0]["there"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("3h30")));
    assert_eq!(shifts[1]["there"]["ok"], true, "{}", shifts[1]);
    assert_eq!(shifts[1]["back"]["ok"], true, "{}", shifts[1]);
    let arrive = shifts[1]["there"]["arrive"].as_str().expect("arrival");
    assert!(arrive < "13:00", "arrives before the start: {arrive}");
    assert!(
        shifts[1]["back"]["depart"].as_str().expect("departure") >= "20:00",
        "leaves after the end"
    );
    assert!(v["stops"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["name"] == "Place Jean Bart")));
    // A stop works as a place too, by its name with other accents and case.
    let by_stop = get(
        &app,
        &format!(
            "/api/v1/offers/{code}/journeys?from={}",
            enc("gare de DUNKERQUE")
        ),
    )
    .await;
    assert_eq!(by_stop.status, StatusCode::OK, "{}", by_stop.body);
    let places = get(&app, "/api/v1/places").await;
    assert!(places.body.contains("\"arrêt de bus\""));
}

#[tokio::test]
async fn the_place_is_kept_only_when_asked_and_forgotten_on_demand() {
    let app = common::app().await;
    europe(&app).await;
    let code = night_offer(&app).await;
    let kept = get(&app, &format!("/offres/{code}?depuis=Europe&retenir=oui")).await;
    let cookie = kept
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("kept on this device")
        .to_string();
    assert!(cookie.starts_with("dklik_depuis=q"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    // Another offer, later: the answer comes with the page.
    let other = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer")
        .code;
    let pair = cookie.split(';').next().expect("pair").to_string();
    let again = send(
        &app,
        Request::get(format!("/offres/{other}"))
            .header(header::COOKIE, &pair)
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await;
    assert!(again.body.contains("Depuis Europe"), "{}", again.body);
    assert!(again.body.contains("Ce lieu est retenu sur cet appareil"));
    let forget = send(
        &app,
        Request::get(format!("/offres/{other}?oublier=oui"))
            .header(header::COOKIE, &pair)
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await;
    let gone = forget
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("the cookie is removed");
    assert!(gone.contains("Max-Age=0"), "{gone}");
    assert!(!forget.body.contains("Depuis Europe"));
}

#[tokio::test]
async fn bad_places_and_offers_are_answered_in_french() {
    let app = common::app().await;
    europe(&app).await;
    let code = night_offer(&app).await;
    for (typed, said) in [
        ("Lille", "pas un quartier ni un arrêt connu"),
        ("!!!", "pas un nom de lieu"),
        (&"a".repeat(1000), "trop long"),
    ] {
        let page = get(&app, &format!("/offres/{code}?depuis={}", enc(typed))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(said), "{typed}: {}", page.body);
        assert!(page.body.contains("aria-invalid=\"true\""));
        let api = get(
            &app,
            &format!("/api/v1/offers/{code}/journeys?from={}", enc(typed)),
        )
        .await;
        // A name matching no place: not found; a name too long: a bad parameter.
        let status = if typed.len() > 120 {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(api.status, status, "{typed}");
        let v: serde_json::Value = serde_json::from_str(&api.body).expect("json error");
        assert!(v["error"].as_str().is_some_and(|e| e.contains(said)), "{v}");
    }
    let missing = get(&app, &format!("/api/v1/offers/{code}/journeys")).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.body.starts_with('{'));
    let empty = get(&app, &format!("/api/v1/offers/{code}/journeys?from=")).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("Choisissez"));
    let unknown = get(&app, "/api/v1/offers/ZZZZZZ/journeys?from=Europe").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.starts_with('{'));
    // An offer whose hours are to be agreed: said, not guessed.
    // (France Travail's offers give no hours.)
    let json = r#"[{"id":"SANS-1","intitule":"Vendeur / Vendeuse","description":"Vendre.","romeCode":"H2913","lieuTravail":{"libelle":"59 - DUNKERQUE","latitude":51.0344,"longitude":2.3768,"commune":"59183"},"entreprise":{"nom":"Boulangerie du Port"},"typeContrat":"CDI","nombrePostes":1}]"#;
    let raw = dklik_imports::offers::read("sans.json", json.as_bytes()).expect("reads");
    dklik_app::offers::import_offers(app.store.as_ref(), raw, true)
        .await
        .expect("import");
    let o = app
        .store
        .offer_by_external_id("SANS-1")
        .await
        .expect("q")
        .expect("offer");
    let page = get(&app, &format!("/offres/{}?depuis=Europe", o.code)).await;
    assert!(
        page.body.contains("sont à convenir avec l"),
        "{}",
        page.body
    );
}

/// The reachability table says, for each neighbourhood and offer, what the journeys computed
/// one by one say: at least one shift with a bus there and a bus back.
#[tokio::test]
async fn the_reachability_table_agrees_with_journeys_one_by_one() {
    let app = common::app().await;
    europe(&app).await;
    night_offer(&app).await;
    let store = app.store.as_ref();
    let transit = dklik_app::matching::Transit::default();
    let paris = dklik_app::now_paris();
    let now = time::PrimitiveDateTime::new(paris.date(), paris.time());
    let table = dklik_app::journeys::ReachTable::build(store, &transit, now)
        .await
        .expect("table");
    let places = dklik_app::journeys::places(store, &transit)
        .await
        .expect("places");
    let (key, _) = table.places.first().expect("a neighbourhood").clone();
    let place = places.iter().find(|p| p.key == key).expect("place");
    let set = table.reachable(&key).expect("its offers");
    let (mut yes, mut no) = (0, 0);
    for o in store.published_offers(false).await.expect("offers") {
        let j = dklik_app::journeys::offer_journeys(store, &transit, &o, place, now)
            .await
            .expect("journeys");
        let one_by_one = j.shifts.iter().any(|s| {
            s.there.as_ref().is_some_and(|w| w.ok) && s.back.as_ref().is_some_and(|w| w.ok)
        });
        assert_eq!(set.contains(&o.id), one_by_one, "{} ({})", o.title, o.code);
        if one_by_one {
            yes += 1;
        } else {
            no += 1;
        }
    }
    assert!(yes > 0, "some offers are reachable ({no} are not)");
}

/// The list's filter keeps the offers reachable from the neighbourhood, and counts within them.
#[tokio::test]
async fn the_list_keeps_the_offers_reachable_by_bus_from_a_neighbourhood() {
    let app = common::app().await;
    europe(&app).await;
    let code = night_offer(&app).await;
    // An offer whose only shift starts at 3h30: no bus.
    let csv = "id_externe;entreprise;site;adresse;commune;code_insee;latitude;longitude;intitule;description;code_rome;appellation;competences;horaires;contrat;heures_semaine;postes;sans_diplome;etat;date_fin\n\
NUIT-2;Boulangerie du Port (entreprise fictive);Fournil;Quai de Lorraine;Dunkerque;59183;51.0344;2.3768;Tourier / Tourière de nuit;Pâte feuilletée.;H2913;;300483:3:obligatoire;lun-sam 03:30-11:30;cdi;35;1;oui;publiee;\n";
    let raw = dklik_imports::offers::read("nuit2.csv", csv.as_bytes()).expect("reads");
    dklik_app::offers::import_offers(app.store.as_ref(), raw, true)
        .await
        .expect("import");
    let early = app
        .store
        .offer_by_external_id("NUIT-2")
        .await
        .expect("q")
        .expect("offer")
        .code
        .to_string();
    app.search
        .refresh(app.store.as_ref(), true)
        .await
        .expect("index");
    let all = get(&app, "/offres?q=boulangerie").await;
    assert!(all.body.contains(&code) && all.body.contains(&early));
    assert!(all.body.contains("Accessible en bus depuis"));
    let near = get(&app, "/offres?q=boulangerie&depuis=Europe").await;
    assert_eq!(near.status, StatusCode::OK);
    assert!(near.body.contains(&code), "{}", near.body);
    assert!(!near.body.contains(&early), "no bus at 3h30");
    assert!(
        near.body.contains("1 offre trouvée, avec un bus"),
        "{}",
        near.body
    );
    // The API filters the same; like the other filters, an unknown place is ignored there (the
    // page says so).
    let api = get(&app, "/api/v1/offers?q=boulangerie&depuis=Europe").await;
    let v: serde_json::Value = serde_json::from_str(&api.body).expect("json");
    assert_eq!(v["total"], 1, "{v}");
    let unknown = get(&app, "/api/v1/offers?q=boulangerie&depuis=Lille").await;
    assert_eq!(unknown.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&unknown.body).expect("json");
    assert_eq!(v["total"], 2, "{v}");
    let page = get(&app, "/offres?depuis=Lille").await;
    assert!(page.body.contains("pas un quartier"), "{}", page.body);
}

/// An administrator adds the territory's places; a wrong one is refused field by field; the
/// offer pages then offer it as a starting point.
#[tokio::test]
async fn an_admin_keeps_the_places_journeys_start_from() {
    let app = common::app().await;
    common::demo_staff(&app).await;
    let (admin, csrf) = common::sign_in(&app, "admin@t.fr", common::PASSWORD).await;
    let bad = common::post_as(
        &app,
        "/admin/lieux/nouveau",
        &admin,
        &format!("csrf={csrf}&nom=Pont-Loby&commune=Loon-Plage&code_insee=593&qpv=peut-etre&latitude=91&longitude=2.2"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in ["code_insee-erreur", "qpv-erreur", "latitude-erreur"] {
        assert!(bad.body.contains(id), "{id}: {}", bad.body);
    }
    assert!(
        bad.body.contains("value=\"Pont-Loby\""),
        "what was typed is kept"
    );
    let ok = common::post_as(
        &app,
        "/admin/lieux/nouveau",
        &admin,
        &format!("csrf={csrf}&nom=Pont-Loby&commune=Loon-Plage&code_insee=59359&qpv=oui&latitude=50.9931&longitude=2.2468"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let list = common::get_as(&app, "/admin/lieux", &admin).await;
    assert!(list.body.contains("Pont-Loby") && list.body.contains("59359"));
    let code = night_offer(&app).await;
    let page = get(&app, &format!("/offres/{code}?depuis=pont-loby")).await;
    assert!(page.body.contains("Depuis Pont-Loby"), "{}", page.body);
    // An advisor does not keep the places.
    let (adv, adv_csrf) = common::sign_in(&app, "conseil@t.fr", common::PASSWORD).await;
    let refused = common::post_as(
        &app,
        "/admin/lieux/nouveau",
        &adv,
        &format!(
            "csrf={adv_csrf}&nom=X&commune=Y&code_insee=59359&qpv=non&latitude=50.9&longitude=2.2"
        ),
    )
    .await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER);
}
