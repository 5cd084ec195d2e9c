//! Accounts, sessions and privacy through HTTP, as people use them.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{app, demo_staff, get, get_as, post_as, post_form, send, sign_in, App, PASSWORD};

async fn with_accounts() -> (App, dklik_domain::Offer) {
    let app = app().await;
    let offer = demo_staff(&app).await;
    (app, offer)
}

fn set_cookie(r: &common::Answer) -> String {
    r.headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_ends_the_session() {
    let (app, _) = with_accounts().await;
    let bad = post_form(&app, "/connexion", "email=conseil%40t.fr&mot_de_passe=faux").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .body
        .contains("Adresse e-mail ou mot de passe incorrect."));
    assert!(
        bad.body.contains("value=\"conseil@t.fr\""),
        "the email is kept"
    );
    assert!(
        !bad.body.contains("value=\"faux\""),
        "the password is never echoed"
    );
    let ok = post_form(
        &app,
        "/connexion",
        &format!(
            "email=conseil%40t.fr&mot_de_passe={}&suite=%2Fconseil%2Fdemandes%3Ffiltre%3Dlibres",
            PASSWORD.replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ok.location.as_deref(),
        Some("/conseil/demandes?filtre=libres")
    );
    let c = set_cookie(&ok);
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(c.contains(attr), "{c} lacks {attr}");
    }
    // A "next" address on another site is ignored.
    let away = post_form(
        &app,
        "/connexion",
        &format!(
            "email=conseil%40t.fr&mot_de_passe={}&suite=%2F%2Fevil.example",
            PASSWORD.replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(away.location.as_deref(), Some("/conseil/demandes"));
    let cookie = c.split(';').next().expect("cookie").to_string();
    assert_eq!(
        get_as(&app, "/conseil/demandes", &cookie).await.status,
        StatusCode::OK
    );
    let csrf = common::csrf_of(&app, &cookie).await;
    let out = post_as(&app, "/deconnexion", &cookie, &format!("csrf={csrf}")).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(set_cookie(&out).contains("Max-Age=0"));
    let after = get_as(&app, "/conseil/demandes", &cookie).await;
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
}

#[tokio::test]
async fn tampered_cookies_and_forms_without_token_are_refused() {
    let (app, _) = with_accounts().await;
    let (cookie, csrf) = sign_in(&app, "admin%40t.fr", &PASSWORD.replace(' ', "+")).await;
    let mut forged = cookie.clone();
    forged.pop();
    forged.push(if cookie.ends_with('0') { '1' } else { '0' });
    assert_eq!(
        get_as(&app, "/admin", &forged).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get_as(&app, "/admin", "dklik_session=<script>")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let form = "nom=T&role=screen";
    let no_token = post_as(&app, "/admin/jetons", &cookie, form).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.body.contains("Le formulaire a expiré"));
    let wrong = post_as(
        &app,
        "/admin/jetons",
        &cookie,
        &format!("{form}&csrf={}", "0".repeat(64)),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(
        app.store.api_tokens().await.expect("tokens").is_empty(),
        "nothing created"
    );
    // Another site's form is refused even with the right token.
    let cross = send(
        &app,
        Request::post("/admin/jetons")
            .header(header::COOKIE, &cookie)
            .header(header::HOST, "dklik.example")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("{form}&csrf={csrf}")))
            .expect("request"),
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let ok = post_as(
        &app,
        "/admin/jetons",
        &cookie,
        &format!("{form}&csrf={csrf}"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.body.contains("dk_"), "the token is shown once");
    assert_eq!(app.store.api_tokens().await.expect("tokens").len(), 1);
}

#[tokio::test]
async fn lockout_and_login_rate_limit() {
    let (app, _) = with_accounts().await;
    for _ in 0..5 {
        post_form(
            &app,
            "/connexion",
            "email=rh%40t.fr&mot_de_passe=mauvais+mot+de+passe",
        )
        .await;
    }
    let locked = post_form(
        &app,
        "/connexion",
        &format!(
            "email=rh%40t.fr&mot_de_passe={}",
            PASSWORD.replace(' ', "+")
        ),
    )
    .await;
    assert!(
        locked.body.contains("Trop d&#39;essais") || locked.body.contains("Trop d'essais"),
        "{}",
        locked.body
    );
    let mut last = StatusCode::OK;
    for _ in 0..20 {
        last = post_form(&app, "/connexion", "email=x%40t.fr&mot_de_passe=y")
            .await
            .status;
    }
    assert_eq!(
        last,
        StatusCode::TOO_MANY_REQUESTS,
        "20 attempts per 10 minutes per address"
    );
}

#[tokio::test]
async fn password_reset_through_the_pages() {
    let (app, _) = with_accounts().await;
    let r = post_form(&app, "/connexion/oubli", "email=conseil%40t.fr").await;
    assert!(r.body.contains("Regardez vos e-mails"));
    let unknown = post_form(&app, "/connexion/oubli", "email=personne%40t.fr").await;
    assert_eq!(
        unknown.body, r.body,
        "the same answer for unknown addresses"
    );
    let mail = app.store.outbox(5).await.expect("outbox");
    assert_eq!(mail.len(), 1);
    let link = mail[0]
        .body
        .lines()
        .find(|l| l.contains("jeton="))
        .expect("link")
        .trim()
        .to_string();
    assert!(link.starts_with("https://dklik.example/connexion/nouveau-mot-de-passe?jeton="));
    let path = link.trim_start_matches("https://dklik.example");
    let page = get(&app, path).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = path.split("jeton=").nth(1).expect("token");
    let mismatch = post_form(
        &app,
        "/connexion/nouveau-mot-de-passe",
        &format!("jeton={token}&mot_de_passe=nouvelle+phrase+ici&confirmation=autre"),
    )
    .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = post_form(
        &app,
        "/connexion/nouveau-mot-de-passe",
        &format!("jeton={token}&mot_de_passe=nouvelle+phrase+ici&confirmation=nouvelle+phrase+ici"),
    )
    .await;
    assert!(done.body.contains("Mot de passe changé"), "{}", done.body);
    let reused = post_form(
        &app,
        "/connexion/nouveau-mot-de-passe",
        &format!("jeton={token}&mot_de_passe=encore+une+phrase&confirmation=encore+une+phrase"),
    )
    .await;
    assert_eq!(reused.status, StatusCode::GONE);
    sign_in(&app, "conseil%40t.fr", "nouvelle+phrase+ici").await;
}

#[tokio::test]
async fn an_employer_sees_only_its_own_offers() {
    let (app, offer) = with_accounts().await;
    let (cookie, _) = sign_in(&app, "rh%40t.fr", &PASSWORD.replace(' ', "+")).await;
    let home = get_as(&app, "/entreprise", &cookie).await;
    assert!(home.body.contains(offer.code.as_str()));
    let own = get_as(&app, &format!("/entreprise/offres/{}", offer.code), &cookie).await;
    assert_eq!(own.status, StatusCode::OK);
    let other = app
        .store
        .offer_by_external_id("DEMO-014")
        .await
        .expect("q")
        .expect("offer");
    assert_ne!(other.employer_id, offer.employer_id);
    let theirs = get_as(&app, &format!("/entreprise/offres/{}", other.code), &cookie).await;
    let unknown = get_as(&app, "/entreprise/offres/ABCDEF", &cookie).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        theirs.body, unknown.body,
        "another employer's offer looks exactly like an unknown one"
    );
    assert!(!home.body.contains(other.code.as_str()));
}

#[tokio::test]
async fn revoked_tokens_stop_working() {
    let (app, _) = with_accounts().await;
    let (id, token) = dklik_app::auth::create_api_token(
        app.store.as_ref(),
        "Bus 12",
        dklik_domain::Role::Screen,
        1,
    )
    .await
    .expect("token");
    let call = |t: String| {
        send(
            &app,
            Request::get("/api/v1/whoami")
                .header(header::AUTHORIZATION, format!("Bearer {t}"))
                .body(Body::empty())
                .expect("request"),
        )
    };
    let ok = call(token.clone()).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.body.contains("\"screen\""));
    let (cookie, csrf) = sign_in(&app, "admin%40t.fr", &PASSWORD.replace(' ', "+")).await;
    let r = post_as(
        &app,
        &format!("/admin/jetons/{id}/revoquer"),
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(call(token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&app, "/api/v1/whoami").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn inbox_workflow_and_audit() {
    let (app, offer) = with_accounts().await;
    let code = offer.code.to_string();
    let r = post_form(
        &app,
        &format!("/offres/{code}/interet"),
        "prenom=Samia&telephone=0612345678&moment=matin&consentement=oui&src=ecran",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let row = app.store.interests(1).await.expect("list").remove(0);
    assert_eq!(
        row.callback_due,
        Some(dklik_domain::calendar::add_working_days(
            dklik_app::today_paris(),
            2
        ))
    );
    let (cookie, csrf) = sign_in(&app, "conseil%40t.fr", &PASSWORD.replace(' ', "+")).await;
    let inbox = get_as(&app, "/conseil/demandes", &cookie).await;
    assert!(inbox.body.contains("Samia"));
    assert!(inbox.body.contains("Écran de bus"));
    let detail = get_as(&app, &format!("/conseil/demandes/{}", row.id), &cookie).await;
    assert!(detail.body.contains("06 12 34 56 78"));
    let me = app
        .store
        .user_by_email("conseil@t.fr")
        .await
        .expect("q")
        .expect("user");
    let a = post_as(
        &app,
        &format!("/conseil/demandes/{}/attribuer", row.id),
        &cookie,
        &format!("csrf={csrf}&conseiller={}", me.id),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let s = post_as(
        &app,
        &format!("/conseil/demandes/{}/etat", row.id),
        &cookie,
        &format!("csrf={csrf}&etat=contacted"),
    )
    .await;
    assert_eq!(s.status, StatusCode::SEE_OTHER);
    let back = post_as(
        &app,
        &format!("/conseil/demandes/{}/etat", row.id),
        &cookie,
        &format!("csrf={csrf}&etat=new"),
    )
    .await;
    assert_eq!(back.status, StatusCode::CONFLICT);
    let mine = get_as(&app, "/conseil/demandes?filtre=miennes", &cookie).await;
    assert!(mine.body.contains("Samia") && mine.body.contains("Contactée"));
    // The admin sees who read and changed the record.
    let (admin, _) = sign_in(&app, "admin%40t.fr", &PASSWORD.replace(' ', "+")).await;
    let journal = get_as(&app, "/admin/journal", &admin).await;
    assert!(
        journal.body.contains(&format!("person:{}", row.person_id)),
        "{}",
        journal.body
    );
    assert!(journal.body.contains("conseil@t.fr (conseiller)"));
    assert!(journal.body.contains("état : contacted"));
}

#[tokio::test]
async fn overdue_requests_are_highlighted() {
    let (app, offer) = with_accounts().await;
    let form = dklik_domain::interest::InterestForm {
        first_name: "Ana".into(),
        phone: "0611111111".into(),
        email: String::new(),
        best_time: "matin".into(),
        consent: true,
    };
    let i = dklik_domain::NewInterest::from_form(
        &form,
        Some(offer.id),
        dklik_domain::Channel::Poster,
        "",
    )
    .expect("valid");
    let long_ago = time::Date::from_calendar_date(2026, time::Month::January, 5).expect("date");
    app.store
        .add_interest(&i, 1, long_ago)
        .await
        .expect("insert");
    let (cookie, _) = sign_in(&app, "conseil%40t.fr", &PASSWORD.replace(' ', "+")).await;
    let late = get_as(&app, "/conseil/demandes?retard=1", &cookie).await;
    assert!(late.body.contains("card overdue"), "{}", late.body);
    assert!(late
        .body
        .contains("En retard : à rappeler avant le 05/01/2026"));
}

#[tokio::test]
async fn a_person_sees_exports_and_erases_their_data() {
    let (app, offer) = with_accounts().await;
    post_form(
        &app,
        &format!("/offres/{}/interet", offer.code),
        "prenom=L%C3%A9a&email=lea%40t.fr&moment=soir&consentement=oui",
    )
    .await;
    let asked = post_form(&app, "/mon-espace", "email=lea%40t.fr").await;
    assert!(asked.body.contains("Votre code"));
    let mail = app.store.outbox(1).await.expect("outbox").remove(0);
    assert_eq!(mail.to, "lea@t.fr");
    let code: String = mail
        .body
        .split(": ")
        .nth(1)
        .expect("code")
        .chars()
        .take(6)
        .collect();
    let wrong = post_form(&app, "/mon-espace/code", "email=lea%40t.fr&code=abc").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = post_form(
        &app,
        "/mon-espace/code",
        &format!("email=lea%40t.fr&code={code}"),
    )
    .await;
    assert_eq!(ok.location.as_deref(), Some("/mon-espace/donnees"));
    let cookie = set_cookie(&ok)
        .split(';')
        .next()
        .expect("cookie")
        .to_string();
    let data = get_as(&app, "/mon-espace/donnees", &cookie).await;
    assert!(data.body.contains("Léa") && data.body.contains("lea@t.fr"));
    let export = get_as(&app, "/mon-espace/export", &cookie).await;
    assert!(export.headers.get(header::CONTENT_DISPOSITION).is_some());
    let v: serde_json::Value = serde_json::from_str(&export.body).expect("json");
    assert_eq!(v["person"]["email"], "lea@t.fr");
    assert_eq!(
        v["consents"][0]["wording_version"],
        dklik_domain::interest::INTEREST_CONSENT_VERSION
    );
    let csrf = common::csrf_of(&app, &cookie).await;
    let not_confirmed = post_as(
        &app,
        "/mon-espace/effacer",
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(not_confirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let erased = post_as(
        &app,
        "/mon-espace/effacer",
        &cookie,
        &format!("csrf={csrf}&confirmer=oui"),
    )
    .await;
    assert!(erased.body.contains("Vos données sont effacées"));
    let p = app
        .store
        .person(dklik_domain::PersonId(
            v["person"]["id"].as_i64().expect("id"),
        ))
        .await
        .expect("q")
        .expect("row");
    assert_eq!((p.first_name, p.email), (None, None));
    assert_eq!(
        get_as(&app, "/mon-espace/donnees", &cookie).await.status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
    assert_eq!(
        app.store.interests(10).await.expect("list").len(),
        1,
        "the anonymous request stays"
    );
}

#[tokio::test]
async fn privacy_page_in_plain_french() {
    let app = app().await;
    let p = get(&app, "/confidentialite").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("24 mois"));
    assert!(p.body.contains("numéro de sécurité sociale"));
}
