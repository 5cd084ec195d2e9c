//! The holes an outside attack test found, each shut and kept shut: a record taken over from
//! an anonymous form, staff accounts locked by anyone, guessable codes, an open redirect,
//! formulas in CSV files, unlimited anonymous writes, personal pages in shared caches,
//! forwarded addresses believed from anyone, and refusals in English.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{
    app, app_with_proxies, code_for, demo_staff, enc, get, get_as, post_as, post_form, post_from,
    send, sign_in, Answer, App, PASSWORD, PEER,
};

async fn offer_code(app: &App) -> String {
    app.store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer")
        .code
        .to_string()
}

async fn person_session(app: &App, email: &str) -> Option<String> {
    let r = post_form(app, "/mon-espace", &format!("email={}", enc(email))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let code = code_for(app, email).await;
    let r = post_form(
        app,
        "/mon-espace/code",
        &format!("email={}&code={code}", enc(email)),
    )
    .await;
    (r.status == StatusCode::SEE_OTHER).then(|| {
        r.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("cookie")
            .to_string()
    })
}

#[tokio::test]
async fn a_phone_number_is_not_enough_to_take_over_a_record() {
    let app = app().await;
    demo_staff(&app).await;
    let (advisor, csrf) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    // An advisor's record, with a private note.
    let r = post_as(
        &app,
        "/conseil/personnes/nouvelle",
        &advisor,
        &format!("csrf={csrf}&prenom=In%C3%A8s&nom=Benali&telephone=0611223344&email=ines%40exemple.fr&commune=Grande-Synthe&mobilite=bus&jours=0&horaires=tot&contraintes=Suivi+m%C3%A9dical+confidentiel&consentement=oui"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ines = r
        .location
        .expect("loc")
        .trim_start_matches("/conseil/personnes/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok().map(dklik_domain::PersonId))
        .expect("id");
    // The attack: her phone, the attacker's e-mail, on the offer form.
    let code = offer_code(&app).await;
    let r = post_form(
        &app,
        &format!("/offres/{code}/interet"),
        "prenom=Pirate&telephone=06+11+22+33+44&email=pirate%40evil.test&moment=matin&consentement=oui",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = app.store.person(ines).await.expect("q").expect("ines");
    assert_eq!(
        p.email.as_deref(),
        Some("ines@exemple.fr"),
        "her e-mail stays"
    );
    assert_eq!(p.first_name.as_deref(), Some("Inès"));
    // "Mon espace" with the attacker's e-mail opens only what the attacker typed.
    let pirate = person_session(&app, "pirate@evil.test")
        .await
        .expect("the attacker's own record");
    let export = get_as(&app, "/mon-espace/export", &pirate).await;
    assert_eq!(export.status, StatusCode::OK);
    for secret in ["Inès", "Benali", "confidentiel", "ines@exemple.fr"] {
        assert!(
            !export.body.contains(secret),
            "{secret} leaked: {}",
            export.body
        );
    }
    // Her own space opens with her address, and holds her record.
    let hers = person_session(&app, "ines@exemple.fr")
        .await
        .expect("her space");
    let mine = get_as(&app, "/mon-espace/export", &hers).await;
    assert!(mine.body.contains("confidentiel"));
    // Advisors see the two records as likely duplicates, on the inbox and on her page.
    let inbox = get_as(&app, "/conseil/demandes", &advisor).await;
    assert!(inbox.body.contains("en double probables"), "{}", inbox.body);
    let page = get_as(&app, &format!("/conseil/personnes/{ines}"), &advisor).await;
    assert!(page.body.contains("Même téléphone"), "{}", page.body);
    let list = get_as(&app, "/conseil/doublons", &advisor).await;
    assert_eq!(list.status, StatusCode::OK);
    let other: i64 = list
        .body
        .split("name=\"autre\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("a pair to merge");
    // Her phone alone, on another bus: attached to her record as a request to check.
    post_form(
        &app,
        &format!("/offres/{code}/interet"),
        "prenom=Ines&telephone=0611223344&moment=soir&consentement=oui",
    )
    .await;
    let inbox = get_as(&app, "/conseil/demandes", &advisor).await;
    assert!(inbox.body.contains("À vérifier"), "{}", inbox.body);
    let p = app.store.person(ines).await.expect("q").expect("ines");
    assert_eq!(p.first_name.as_deref(), Some("Inès"), "not renamed");
    // Merging needs the advisor to confirm; then the merged record's sessions end.
    let no = post_as(
        &app,
        &format!("/conseil/personnes/{ines}/fusion"),
        &advisor,
        &format!("csrf={csrf}&autre={other}"),
    )
    .await;
    assert_eq!(no.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mobile = sign_in(&app, "mobile@t.fr", PASSWORD).await;
    let forbidden = post_as(
        &app,
        &format!("/conseil/personnes/{ines}/fusion"),
        &mobile.0,
        &format!("csrf={}&autre={other}&confirmer=oui", mobile.1),
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "advisors merge");
    let yes = post_as(
        &app,
        &format!("/conseil/personnes/{ines}/fusion"),
        &advisor,
        &format!("csrf={csrf}&autre={other}&confirmer=oui"),
    )
    .await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER, "{}", yes.body);
    assert_eq!(app.store.person_interests(ines).await.expect("i").len(), 2);
    let gone = get_as(&app, "/mon-espace/donnees", &pirate).await;
    assert_eq!(
        gone.status,
        StatusCode::SEE_OTHER,
        "the merged record's session ended"
    );
    let journal = app
        .store
        .audit_log(Some(&format!("person:{other}")), 10)
        .await
        .expect("log");
    assert!(journal.iter().any(|e| e.action == "merge"), "{journal:?}");
}

#[tokio::test]
async fn a_new_email_needs_a_code_sent_to_it_and_ends_every_session() {
    let app = app().await;
    demo_staff(&app).await;
    let code = offer_code(&app).await;
    post_form(
        &app,
        &format!("/offres/{code}/interet"),
        "prenom=L%C3%A9a&email=lea%40exemple.fr&moment=matin&consentement=oui",
    )
    .await;
    let first = person_session(&app, "lea@exemple.fr").await.expect("login");
    let second = person_session(&app, "lea@exemple.fr").await.expect("login");
    let csrf = common::csrf_of(&app, &first).await;
    let page = get_as(&app, "/mon-espace/adresse", &first).await;
    assert_eq!(page.status, StatusCode::OK);
    let r = post_as(
        &app,
        "/mon-espace/adresse",
        &first,
        &format!("csrf={csrf}&email=lea.b%40exemple.fr"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let new_code = code_for(&app, "lea.b@exemple.fr").await;
    let r = post_as(
        &app,
        "/mon-espace/adresse/code",
        &first,
        &format!("csrf={csrf}&code={new_code}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Votre adresse a changé"));
    for s in [&first, &second] {
        assert_eq!(
            get_as(&app, "/mon-espace/donnees", s).await.status,
            StatusCode::SEE_OTHER,
            "every session ended"
        );
    }
    let mails = app.store.outbox(10).await.expect("outbox");
    assert!(
        mails
            .iter()
            .any(|m| m.to == "lea@exemple.fr" && m.subject.contains("a changé")),
        "the old address is told"
    );
    // An advisor who changes the address (the person asked on the phone): her sessions end
    // and the old address is told too.
    let session = person_session(&app, "lea.b@exemple.fr")
        .await
        .expect("login");
    let id = app
        .store
        .person_for_login("lea.b@exemple.fr")
        .await
        .expect("q")
        .expect("lea")
        .id;
    let (advisor, csrf) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let r = post_as(
        &app,
        &format!("/conseil/personnes/{id}/modifier"),
        &advisor,
        &format!("csrf={csrf}&prenom=L%C3%A9a&nom=B&email=lea.c%40exemple.fr&commune=Dunkerque&mobilite=bus&jours=0&horaires=tot"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        get_as(&app, "/mon-espace/donnees", &session).await.status,
        StatusCode::SEE_OTHER,
        "her session ended with the change"
    );
    let mails = app.store.outbox(20).await.expect("outbox");
    assert!(mails
        .iter()
        .any(|m| m.to == "lea.b@exemple.fr" && m.subject.contains("a changé")));
    let p = app.store.person(id).await.expect("q").expect("p");
    assert!(p.email_verified_at.is_some(), "entered by an advisor");
}

#[tokio::test]
async fn nobody_can_lock_a_colleague_out_and_unknown_accounts_answer_the_same() {
    let app = app_with_proxies(vec![dklik_web::Cidr::parse("192.0.2.7").expect("cidr")]).await;
    assert_eq!(PEER, [192, 0, 2, 7]);
    demo_staff(&app).await;
    let form = |email: &str, pw: &str| format!("email={}&mot_de_passe={}", enc(email), enc(pw));
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(
            post_from(
                &app,
                "/connexion",
                &form("admin@t.fr", "mauvais mot de passe"),
                "203.0.113.1",
            )
            .await,
        );
    }
    assert_eq!(answers[4].status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answers[4].body.contains("Trop d&#39;essais") || answers[4].body.contains("Trop d'essais")
    );
    let held = post_from(
        &app,
        "/connexion",
        &form("admin@t.fr", PASSWORD),
        "203.0.113.1",
    )
    .await;
    assert_eq!(
        held.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "that address waits"
    );
    let owner = post_from(
        &app,
        "/connexion",
        &form("admin@t.fr", PASSWORD),
        "198.51.100.2",
    )
    .await;
    assert_eq!(
        owner.status,
        StatusCode::SEE_OTHER,
        "the owner signs in from elsewhere"
    );
    // An unknown account: the same words at each step.
    let mut unknown = Vec::new();
    for _ in 0..5 {
        unknown.push(
            post_from(
                &app,
                "/connexion",
                &form("personne@t.fr", "mauvais mot de passe"),
                "203.0.113.9",
            )
            .await,
        );
    }
    let words = |a: &Answer| {
        a.body
            .split("<li>")
            .nth(1)
            .and_then(|s| s.split("</li>").next())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(words(&unknown[0]), words(&answers[0]));
    assert_eq!(words(&unknown[4]), words(&answers[4]));
    assert_eq!(unknown[4].status, answers[4].status);
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
    // Without a trusted proxy, a forged X-Forwarded-For gives no fresh allowance.
    let app = app().await;
    let mut last = StatusCode::OK;
    for k in 0..21 {
        last = post_from(
            &app,
            "/connexion",
            "email=x%40t.fr&mot_de_passe=x",
            &format!("203.0.113.{k}"),
        )
        .await
        .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Behind a trusted proxy, each visitor has their own allowance.
    let app = app_with_proxies(vec![dklik_web::Cidr::parse("192.0.2.0/24").expect("cidr")]).await;
    for k in 0..21 {
        let r = post_from(
            &app,
            "/connexion",
            "email=x%40t.fr&mot_de_passe=x",
            &format!("203.0.113.{k}"),
        )
        .await;
        assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS, "visitor {k}");
    }
}

#[tokio::test]
async fn a_persons_code_cannot_be_guessed_from_many_addresses() {
    let app = app_with_proxies(vec![dklik_web::Cidr::parse("192.0.2.7").expect("cidr")]).await;
    let code = offer_code(&app).await;
    post_form(
        &app,
        &format!("/offres/{code}/interet"),
        "prenom=L%C3%A9a&email=lea%40exemple.fr&moment=matin&consentement=oui",
    )
    .await;
    post_form(&app, "/mon-espace", "email=lea%40exemple.fr").await;
    let right = code_for(&app, "lea@exemple.fr").await;
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    for k in 0..5 {
        let r = post_from(
            &app,
            "/mon-espace/code",
            &format!("email=lea%40exemple.fr&code={wrong}"),
            &format!("2001:db8:{k}::1"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let late = post_from(
        &app,
        "/mon-espace/code",
        &format!("email=lea%40exemple.fr&code={right}"),
        "2001:db8:99::1",
    )
    .await;
    assert_eq!(
        late.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "5 wrong tries end the code"
    );
}

#[tokio::test]
async fn after_signing_in_only_a_path_of_this_site() {
    let app = app().await;
    demo_staff(&app).await;
    for (suite, expected) in [
        ("/\t/evil.test", "/admin"),
        ("/\\evil.test", "/admin"),
        ("//evil.test", "/admin"),
        ("/\r\nSet-Cookie: x=1", "/admin"),
        (" /admin/journal", "/admin"),
        ("/admin/journal", "/admin/journal"),
    ] {
        let r = post_form(
            &app,
            "/connexion",
            &format!(
                "email=admin%40t.fr&mot_de_passe={}&suite={}",
                enc(PASSWORD),
                enc(suite)
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{suite:?}: {}", r.body);
        assert_eq!(r.location.as_deref(), Some(expected), "{suite:?}");
    }
    let page = get(&app, "/connexion?suite=%2F%09%2Fevil.test").await;
    assert!(
        page.body.contains("name=\"suite\" value=\"\""),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn no_csv_cell_opens_as_a_formula() {
    let app = app().await;
    demo_staff(&app).await;
    app.store
        .add_outreach(
            &dklik_app::orientation_store::OutreachContact {
                id: 0,
                submission: "0123456789abcdef0123456789abcdef".into(),
                at: dklik_app::unix_now() - 3600,
                recorded_by: None,
                place_kind: "other".into(),
                place_ref: String::new(),
                place_label: "=HYPERLINK(\"https://evil.test\",\"Marché\")".into(),
                channel: "rue".into(),
                people_count: 12,
                person_id: None,
                needs: String::new(),
                next_step: String::new(),
                notes: String::new(),
            },
            None,
            None,
        )
        .await
        .expect("contact");
    let (advisor, _) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let csv = get_as(&app, "/pilotage/export/rencontres.csv", &advisor).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.body.contains("HYPERLINK"), "{}", csv.body);
    for line in csv.body.lines().filter(|l| !l.starts_with('#')) {
        for cell in line.split(',') {
            let c = cell.trim_start_matches('"');
            assert!(
                !c.starts_with(['=', '+', '@', '\t', '\r']),
                "a formula cell: {line}"
            );
        }
    }
    assert!(csv.body.contains("'=HYPERLINK"), "{}", csv.body);
}

#[tokio::test]
async fn every_anonymous_write_has_a_limit() {
    let app = app().await;
    let mut statuses = Vec::new();
    for k in 0..21 {
        let uri = match k % 3 {
            0 => "/orientaklik/999999/inscription".to_string(),
            1 => "/e/NOPE00/inscription".to_string(),
            _ => format!("/attester/{}", "a".repeat(64)),
        };
        statuses.push(
            post_form(
                &app,
                &uri,
                "prenom=Bot&telephone=0612345678&consentement=oui",
            )
            .await
            .status,
        );
    }
    assert!(
        statuses[..20]
            .iter()
            .all(|s| *s != StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[tokio::test]
async fn personal_pages_stay_out_of_shared_caches() {
    let app = app().await;
    demo_staff(&app).await;
    let (advisor, _) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let (admin, _) = sign_in(&app, "admin@t.fr", PASSWORD).await;
    let no_store = |a: &Answer| {
        a.headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store"))
    };
    for (uri, cookie) in [
        ("/conseil/demandes", advisor.as_str()),
        ("/conseil/personnes", advisor.as_str()),
        ("/admin", admin.as_str()),
        ("/admin/journal", admin.as_str()),
        ("/mon-espace", ""),
        ("/connexion", ""),
    ] {
        let a = get_as(&app, uri, cookie).await;
        assert!(no_store(&a), "{uri}: {:?}", a.headers);
    }
    let r = post_as(
        &app,
        "/admin/jetons",
        &admin,
        &format!(
            "csrf={}&nom=Bus+12&role=screen",
            common::csrf_of(&app, &admin).await
        ),
    )
    .await;
    assert!(no_store(&r), "the page showing a new token");
    assert!(
        !no_store(&get(&app, "/offres").await),
        "public pages may be cached"
    );
}

#[tokio::test]
async fn refusals_speak_french_and_the_api_answers_json() {
    let app = app().await;
    let code = offer_code(&app).await;
    let uri = format!("/offres/{code}/interet");
    let english = [
        "Failed",
        "Form requests",
        "deserialize",
        "length limit",
        "Content-Type",
    ];
    let plain = |r: &Answer| english.iter().all(|w| !r.body.contains(w));
    // A wrong content type.
    let r = send(
        &app,
        Request::post(&uri)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("prenom=x"))
            .expect("request"),
    )
    .await;
    assert!(r.status.is_client_error());
    assert!(
        plain(&r) && r.body.contains("<html lang=\"fr\""),
        "{}",
        r.body
    );
    // A duplicated field.
    let r = post_form(&app, &uri, "prenom=a&prenom=b&moment=matin").await;
    assert!(r.status.is_client_error());
    assert!(plain(&r) && r.body.contains("lang=\"fr\""), "{}", r.body);
    // Too large.
    let r = post_form(&app, &uri, &format!("prenom={}", "a".repeat(70 * 1024))).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(plain(&r) && r.body.contains("trop gros"), "{}", r.body);
    // The API answers JSON: too large, wrong role, unknown method.
    let feed =
        dklik_app::auth::create_api_token(app.store.as_ref(), "f", dklik_domain::Role::Feed, 1)
            .await
            .expect("feed")
            .1;
    let screen =
        dklik_app::auth::create_api_token(app.store.as_ref(), "s", dklik_domain::Role::Screen, 1)
            .await
            .expect("screen")
            .1;
    let json_post = |token: &str, body: String| {
        Request::post("/api/v1/positions")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body))
            .expect("request")
    };
    let r = send(&app, json_post(&screen, "[]".into())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON for a device");
    assert!(v["error"].is_string());
    let r = send(
        &app,
        json_post(
            &feed,
            "{\"x\":\"".to_string() + &"a".repeat(70 * 1024) + "\"}",
        ),
    )
    .await;
    assert!(r.status.is_client_error());
    let v: serde_json::Value =
        serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("JSON: {}", r.body));
    assert!(plain(&r) && v["error"].is_string(), "{}", r.body);
    let r = send(&app, json_post(&feed, "{pas du json".into())).await;
    assert!(r.status.is_client_error());
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.body).is_ok() && plain(&r),
        "{}",
        r.body
    );
    // An undeclared method: 405 with the methods allowed.
    let r = send(
        &app,
        Request::builder()
            .method("TRACE")
            .uri("/offres")
            .body(Body::empty())
            .expect("r"),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let allow = r
        .headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(allow.contains("GET") && !allow.contains("POST"), "{allow}");
    let r = send(
        &app,
        Request::builder()
            .method("DELETE")
            .uri("/api/v1/offers")
            .body(Body::empty())
            .expect("r"),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.body).is_ok(),
        "{}",
        r.body
    );
    // An unknown API address answers JSON too.
    let r = get(&app, "/api/v1/nulle-part").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.body).is_ok(),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn the_way_to_report_a_vulnerability_is_published() {
    let app = app().await;
    let txt = get(&app, "/.well-known/security.txt").await;
    assert_eq!(txt.status, StatusCode::OK);
    assert!(txt.body.contains("Contact: mailto:"), "{}", txt.body);
    assert!(txt.body.contains("Expires: 20"), "{}", txt.body);
    let privacy = get(&app, "/confidentialite").await;
    assert!(privacy.body.contains("Signaler une faille de sécurité"));
}
