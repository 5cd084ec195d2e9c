//! In-process HTTP tests: the real router over a real SQLite store holding the demo data.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{app, get, post_form, send, App};
use tower::ServiceExt;

async fn some_code(app: &App) -> String {
    let o = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("query")
        .expect("offer");
    o.code.to_string()
}

#[tokio::test]
async fn health_and_home() {
    let app = app().await;
    let h = get(&app, "/healthz").await;
    assert_eq!(h.status, StatusCode::OK);
    assert!(h.body.contains("\"sqlite\""));
    let home = get(&app, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("62 offres sont ouvertes"),
        "{}",
        home.body
    );
    assert!(home.body.contains("lang=\"fr\""));
    // The catalogue of activities and the agenda are one tap away.
    for link in [
        "href=\"/orientaklik\"",
        "href=\"/agenda\"",
        "href=\"/ecrans\"",
    ] {
        assert!(home.body.contains(link), "{link}");
    }
}

#[tokio::test]
async fn offers_list_filters_and_search() {
    let app = app().await;
    let all = get(&app, "/offres").await;
    assert!(all.body.contains("62 offres trouvées"), "{}", all.body);
    assert!(all.body.contains("Page 1 sur 4"));
    let welders = get(&app, "/offres?q=Soudeuses").await;
    assert!(
        welders.body.contains("Soudeur / Soudeuse à l&#39;arc")
            || welders.body.contains("Soudeur / Soudeuse à l'arc"),
        "{}",
        welders.body
    );
    assert!(!welders.body.contains("Cariste"));
    let nights = get(&app, "/offres?horaire=nuit&sans_diplome=1&famille=N").await;
    assert!(nights.body.contains("Cariste de nuit"), "{}", nights.body);
    assert!(!nights.body.contains("Chaudronnier"));
    let bad = get(&app, "/offres?commune=xx&contrat=zz&page=-3").await;
    assert_eq!(
        bad.status,
        StatusCode::OK,
        "stale filter values are ignored"
    );
}

#[tokio::test]
async fn offer_page_in_plain_words_with_json_ld() {
    let app = app().await;
    let code = some_code(&app).await;
    let page = get(&app, &format!("/offres/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("application/ld+json"));
    assert!(page.body.contains("\"@type\":\"JobPosting\""));
    assert!(page
        .body
        .contains(&format!("https://dklik.example/offres/{code}")));
    assert!(
        page.body.contains("Du lundi au vendredi, de 5 h à 13 h"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Ce qu&#39;il faut savoir faire")
            || page.body.contains("Ce qu'il faut savoir faire")
    );
    assert!(page.body.contains("exemple fictif"));
    // A draft is not public.
    let draft = app
        .store
        .offer_by_external_id("DEMO-031")
        .await
        .expect("q")
        .expect("draft");
    assert_eq!(
        get(&app, &format!("/offres/{}", draft.code)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn short_links() {
    let app = app().await;
    let code = some_code(&app).await;
    let r = get(&app, &format!("/o/{}", code.to_lowercase())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/offres/{code}?src=lien").as_str())
    );
    let unknown = get(&app, "/o/ABCDEF").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("Nous ne trouvons pas cette offre"));
    assert!(
        unknown.body.contains("name=\"code\""),
        "a form to try again"
    );
    let typed = get(&app, &format!("/o?code={}", code.to_lowercase())).await;
    assert_eq!(
        typed.location.as_deref(),
        Some(format!("/o/{code}").as_str())
    );
    let garbage = get(&app, "/o/%3Cscript%3E").await;
    assert_eq!(garbage.status, StatusCode::NOT_FOUND);
    assert!(
        !garbage.body.contains("<script>"),
        "the typed code is escaped"
    );
}

#[tokio::test]
async fn interest_form_errors_then_success() {
    let app = app().await;
    let code = some_code(&app).await;
    let uri = format!("/offres/{code}/interet");
    let bad = post_form(
        &app,
        &uri,
        "prenom=Samia&telephone=12&email=&moment=matin&src=ecran",
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("class=\"error-summary\""));
    assert!(bad.body.contains("href=\"#telephone\""));
    assert!(bad.body.contains("href=\"#consentement\""));
    assert!(
        bad.body.contains("value=\"Samia\""),
        "typed values are kept"
    );
    assert!(bad.body.contains("value=\"12\""));
    assert!(app.store.interests(10).await.expect("list").is_empty());
    let good = post_form(
        &app,
        &uri,
        "prenom=Samia&telephone=0612345678&email=&moment=matin&consentement=oui&src=ecran",
    )
    .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    assert_eq!(
        good.location.as_deref(),
        Some(format!("/offres/{code}/merci").as_str())
    );
    let list = app.store.interests(10).await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].channel, dklik_domain::Channel::BusScreen);
    assert_eq!(list[0].phone.as_deref(), Some("06 12 34 56 78"));
    let thanks = get(&app, &format!("/offres/{code}/merci")).await;
    assert!(thanks.body.contains("Merci"));
}

#[tokio::test]
async fn honeypot_and_rate_limit() {
    let app = app().await;
    let code = some_code(&app).await;
    let uri = format!("/offres/{code}/interet");
    let form = "prenom=Bot&telephone=0612345678&moment=matin&consentement=oui";
    let robot = post_form(&app, &uri, &format!("{form}&site_web=http%3A%2F%2Fspam")).await;
    assert_eq!(robot.status, StatusCode::SEE_OTHER, "robots see a success");
    assert!(
        app.store.interests(10).await.expect("list").is_empty(),
        "and nothing is kept"
    );
    for _ in 0..5 {
        assert_eq!(
            post_form(&app, &uri, form).await.status,
            StatusCode::SEE_OTHER
        );
    }
    let sixth = post_form(&app, &uri, form).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth.body.contains("Trop de demandes"));
    assert_eq!(app.store.interests(10).await.expect("list").len(), 5);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = app().await;
    let code = some_code(&app).await;
    let big = format!("prenom={}", "a".repeat(100 * 1024));
    let r = post_form(&app, &format!("/offres/{code}/interet"), &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn security_headers_everywhere_and_no_internal_text() {
    let app = app().await;
    let code = some_code(&app).await;
    for (method, path, _) in dklik_web::access_table() {
        let path = path
            .replace("{code}", &code)
            .replace("{id}", "1")
            .replace("{vehicle}", "bus-1")
            .replace("{stop}", "S001")
            .replace("{file}", &format!("{code}.svg"));
        if path.ends_with("/flux") {
            // An endless event stream: its headers are checked without reading the body.
            let res = app
                .router
                .clone()
                .oneshot(Request::get(&path).body(Body::empty()).expect("request"))
                .await
                .expect("answer");
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(
                res.headers()
                    .get(header::CONTENT_TYPE)
                    .map(|v| v.as_bytes()),
                Some(&b"text/event-stream"[..])
            );
            assert!(res.headers().get(header::CONTENT_SECURITY_POLICY).is_some());
            continue;
        }
        let req = Request::builder()
            .method(*method)
            .uri(&path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::empty())
            .expect("request");
        let r = send(&app, req).await;
        assert!(r.status.as_u16() < 500, "{method} {path}: {}", r.status);
        let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).expect("CSP");
        let csp = csp.to_str().unwrap_or("");
        if path.starts_with("/ecran/") {
            assert!(
                csp.contains("frame-ancestors *"),
                "{path}: screens may be embedded"
            );
        } else {
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(
            r.headers
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .map(|v| v.as_bytes()),
            Some(&b"nosniff"[..])
        );
        assert!(r.headers.get(header::REFERRER_POLICY).is_some());
    }
    let nf = get(&app, "/nimporte/quoi").await;
    assert_eq!(nf.status, StatusCode::NOT_FOUND);
    assert!(nf.body.contains("Page introuvable"));
}

#[tokio::test]
async fn the_offer_list_answers_from_the_index_once_built() {
    let app = app().await;
    // Before the index is built, SQL answers: "cariste" finds only offers saying it.
    let before = get(&app, "/api/v1/offers?q=cariste").await;
    let v: serde_json::Value = serde_json::from_str(&before.body).expect("json");
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v["offers"]
            .as_array()
            .expect("offers")
            .iter()
            .filter_map(|o| o["title"].as_str().map(String::from))
            .collect()
    };
    assert!(!titles(&v).iter().any(|t| t.starts_with("Conducteur")));
    assert!(app
        .search
        .refresh(app.store.as_ref(), false)
        .await
        .expect("index"));
    // From the index: the engine driver of the same ROME sheet too, after the carists.
    let after: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/offers?q=cariste").await.body).expect("json");
    let t = titles(&after);
    assert!(t.iter().any(|t| t.starts_with("Conducteur")), "{t:?}");
    assert!(t[0].contains("Cariste"), "{t:?}");
    // The page says how many match, and its commune filter counts only those.
    let page = get(&app, "/offres?q=cariste").await;
    assert_eq!(page.status, StatusCode::OK);
    let n = after["total"].as_u64().expect("total");
    assert!(
        page.body.contains(&format!("{n} offre")),
        "the page gives the count {n}"
    );
    // A typo on a long word still finds the welders.
    let typo: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/offers?q=soudeir").await.body).expect("json");
    assert!(titles(&typo)[0].to_lowercase().contains("soud"));
}

#[tokio::test]
async fn json_api_and_openapi() {
    let app = app().await;
    let list = get(&app, "/api/v1/offers?q=cariste&contrat=cdi").await;
    assert_eq!(list.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&list.body).expect("json");
    let offers = v["offers"].as_array().expect("offers");
    assert!(!offers.is_empty());
    assert!(offers.iter().all(|o| o["contract"] == "cdi"));
    let code = some_code(&app).await;
    let one: serde_json::Value =
        serde_json::from_str(&get(&app, &format!("/api/v1/offers/{code}")).await.body)
            .expect("json");
    assert_eq!(one["rome"], "H2913");
    assert!(one["items"].as_array().is_some_and(|i| !i.is_empty()));
    assert_eq!(
        get(&app, "/api/v1/offers/ABCDEF").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/employers/99999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/employers/abc").await.status,
        StatusCode::NOT_FOUND
    );
    let emps: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/employers").await.body).expect("json");
    let id = emps["employers"][0]["employer"]["id"].as_i64().expect("id");
    let e: serde_json::Value =
        serde_json::from_str(&get(&app, &format!("/api/v1/employers/{id}")).await.body)
            .expect("json");
    assert_eq!(e["sites"].as_array().map(|s| s.len()), Some(1));
    // Every API route of the router is in the OpenAPI document, and nothing else is.
    let doc: serde_json::Value =
        serde_json::from_str(&get(&app, "/api/v1/openapi.json").await.body).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    let mut routed: Vec<String> = dklik_web::access_table()
        .iter()
        .filter(|(_, p, _)| p.starts_with("/api/v1"))
        .map(|(_, p, _)| p.to_string())
        .collect();
    routed.dedup();
    let mut a = documented.clone();
    a.sort();
    let mut b = routed.clone();
    b.sort();
    assert_eq!(a, b);
    // The schemas come from the types: every reference resolves, and a type the API both reads
    // and writes reads as it writes.
    assert_eq!(doc["x-read-and-written-differently"], serde_json::json!([]));
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap_or_default();
        assert!(schemas.contains_key(name), "unresolved $ref {name}");
    }
    for name in [
        "Offer",
        "Site",
        "Shift",
        "RequiredItem",
        "ErrorBody",
        "Position",
    ] {
        assert!(schemas.contains_key(name), "{name} is described");
    }
    // Field docs become descriptions; enums list the stored words (each with its
    // description when the variant is documented).
    let status = &doc["components"]["schemas"]["OfferStatus"];
    let words: Vec<&str> = match status["enum"].as_array() {
        Some(words) => words.iter().filter_map(|w| w.as_str()).collect(),
        None => status["oneOf"]
            .as_array()
            .expect("OfferStatus lists its words")
            .iter()
            .map(|v| {
                assert!(v["description"].is_string(), "{v}");
                v["const"]
                    .as_str()
                    .or(v["enum"][0].as_str())
                    .expect("a word")
            })
            .collect(),
    };
    assert_eq!(
        words,
        [
            "draft",
            "review",
            "published",
            "paused",
            "filled",
            "closed",
            "expired"
        ]
    );
    let list = &doc["paths"]["/api/v1/offers"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        params.contains(&"commune") && params.contains(&"page"),
        "{params:?}"
    );
    assert!(list["responses"]["400"].is_object());
    let positions = &doc["paths"]["/api/v1/positions"]["post"];
    for code in ["200", "400", "401", "403", "413", "415", "422"] {
        assert!(
            positions["responses"][code].is_object(),
            "positions answers {code}"
        );
    }
    assert_eq!(
        positions["security"],
        serde_json::json!([{"feedToken": []}])
    );
}
