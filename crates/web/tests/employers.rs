//! An advisor adds an employer, places its site, writes an offer, gives it a need and
//! publishes it: the offer is on the public list. Employers' accounts and the public cannot.

mod common;

use axum::http::StatusCode;
use common::{demo_staff, enc, get, get_as, post_as, post_form, sign_in, PASSWORD};

#[tokio::test]
async fn an_advisor_puts_an_employer_and_its_offer_online_from_the_browser() {
    let app = common::app().await;
    demo_staff(&app).await;
    let (cookie, csrf) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let list = get_as(&app, "/conseil/entreprises", &cookie).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Ajouter une entreprise"));
    // Errors in French, what was typed kept.
    let bad = post_as(
        &app,
        "/conseil/entreprises/nouvelle",
        &cookie,
        &format!(
            "csrf={csrf}&nom=Chaudronnerie+Flandre&siret=73282932000075&naf=&contact=&email=&telephone="
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("clé ne correspond pas"), "{}", bad.body);
    assert!(bad.body.contains("href=\"#siret\""));
    assert!(bad.body.contains("value=\"Chaudronnerie Flandre\""));
    let made = post_as(
        &app,
        "/conseil/entreprises/nouvelle",
        &cookie,
        &format!(
            "csrf={csrf}&nom=Chaudronnerie+Flandre&siret=73282932000074&naf=25.62B&contact=Claire+Martin&email=claire%40flandre.example&telephone=0328000000"
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let page_url = made.location.expect("employer page");
    let id: i64 = page_url
        .trim_start_matches("/conseil/entreprises/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let page = get_as(&app, &page_url, &cookie).await;
    assert!(page.body.contains("SIRET 732 829 320 00074"));
    assert!(page.body.contains("Ajoutez d'abord un site"));
    // The site, placed by its coordinates.
    let site = post_as(
        &app,
        &format!("/conseil/entreprises/{id}/sites"),
        &cookie,
        &format!(
            "csrf={csrf}&nom=Atelier+du+port&adresse=Quai+de+Lorraine&commune=Dunkerque&insee=59183&latitude=51.0344&longitude=2.3768"
        ),
    )
    .await;
    assert_eq!(site.status, StatusCode::SEE_OTHER, "{}", site.body);
    // The offer: first the trade, found by its name.
    let search = get_as(
        &app,
        &format!("/conseil/entreprises/{id}/offres/nouvelle?metier=soudeur"),
        &cookie,
    )
    .await;
    assert_eq!(search.status, StatusCode::OK);
    let appellation: String = search
        .body
        .split("offres/nouvelle?appellation=")
        .nth(1)
        .expect("a trade found")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let form = get_as(
        &app,
        &format!("/conseil/entreprises/{id}/offres/nouvelle?appellation={appellation}"),
        &cookie,
    )
    .await;
    assert!(form.body.contains("name=\"intitule\""));
    let site_id: String = form
        .body
        .split("<option value=\"")
        .nth(1)
        .expect("site option")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let fields = format!(
        "csrf={csrf}&appellation={appellation}&intitule={}&description=Soudure&site={site_id}&jours1=0&jours1=1&jours1=2&debut1=21%3A00&fin1=05%3A00&contrat=cdi&heures_semaine=35&postes=2&sans_diplome=oui&date_fin=",
        enc("Soudeur / Soudeuse de tuyauterie industrielle (nuit)")
    );
    let created = post_as(
        &app,
        &format!("/conseil/entreprises/{id}/offres/nouvelle"),
        &cookie,
        &fields,
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let needs_url = created.location.expect("needs page");
    assert!(needs_url.ends_with("/competences"));
    let code = needs_url
        .trim_start_matches("/conseil/offres/")
        .trim_end_matches("/competences")
        .to_string();
    // A draft is not public; it cannot be published without a need.
    assert_eq!(
        get(&app, &format!("/offres/{code}")).await.status,
        StatusCode::NOT_FOUND
    );
    let refused = post_as(
        &app,
        &format!("/conseil/offres/{code}/etat"),
        &cookie,
        &format!("csrf={csrf}&etat=publier"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("au moins une compétence"));
    let r = app.store.rome_savoir_etre().await.expect("items");
    let need = post_as(
        &app,
        &needs_url,
        &cookie,
        &format!(
            "csrf={csrf}&element={}&niveau=2&importance=must",
            r[0].code.0
        ),
    )
    .await;
    assert_eq!(need.status, StatusCode::SEE_OTHER, "{}", need.body);
    let published = post_as(
        &app,
        &format!("/conseil/offres/{code}/etat"),
        &cookie,
        &format!("csrf={csrf}&etat=publier"),
    )
    .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let public = get(&app, &format!("/offres/{code}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public
        .body
        .contains("Soudeur / Soudeuse de tuyauterie industrielle (nuit)"));
    let list = get(&app, "/offres?q=tuyauterie").await;
    assert!(list.body.contains(&code), "on the public list");
    // Who did what is on the employer's page.
    let page = get_as(&app, &page_url, &cookie).await;
    assert!(page.body.contains("Brouillon → Publiée"), "{}", page.body);
    // A copy is a new draft with the same needs, and the page warns of the same post twice.
    let copy = post_as(
        &app,
        &format!("/conseil/offres/{code}/dupliquer"),
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(copy.status, StatusCode::SEE_OTHER, "{}", copy.body);
    let copy_code = copy
        .location
        .expect("the copy's form")
        .trim_start_matches("/conseil/offres/")
        .trim_end_matches("/modifier")
        .to_string();
    assert_ne!(copy_code, code);
    let short = dklik_domain::ShortCode::parse(&copy_code).expect("code");
    let c = app
        .store
        .offer_by_code(&short)
        .await
        .expect("q")
        .expect("copy");
    assert_eq!(c.status, dklik_domain::OfferStatus::Draft);
    assert_eq!(c.items.len(), 1, "needs copied");
    let page = get_as(&app, &page_url, &cookie).await;
    assert!(
        page.body.contains(&format!(
            "pour le même métier sur ce site existe déjà ({code})"
        )),
        "{}",
        page.body
    );
    // Filled: off the public site.
    let filled = post_as(
        &app,
        &format!("/conseil/offres/{code}/etat"),
        &cookie,
        &format!("csrf={csrf}&etat=pourvue"),
    )
    .await;
    assert_eq!(filled.status, StatusCode::SEE_OTHER);
    // Its page says so plainly (410, not indexed) and shows open offers of the same trade.
    let gone = get(&app, &format!("/offres/{code}")).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.body.contains("n'est plus ouverte"));
    assert!(gone.body.contains("le poste est pourvu"));
    assert!(gone.body.contains("name=\"robots\" content=\"noindex\""));
    assert!(
        gone.body.contains("Offres ouvertes du même métier"),
        "{}",
        gone.body
    );
    assert!(!gone.body.contains(&format!("href=\"/offres/{code}\"")));

    // An employer's account and the public do not reach these pages.
    let (rh, rh_csrf) = sign_in(&app, "rh@t.fr", PASSWORD).await;
    assert_ne!(
        get_as(&app, "/conseil/entreprises", &rh).await.status,
        StatusCode::OK
    );
    let forged = post_as(
        &app,
        "/conseil/entreprises/nouvelle",
        &rh,
        &format!("csrf={rh_csrf}&nom=Intrus&siret=73282932000074"),
    )
    .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    assert_ne!(get(&app, &page_url).await.status, StatusCode::OK);
}

fn token_in(body: &str, marker: &str) -> String {
    body.split(marker)
        .nth(1)
        .expect("a link")
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// An advisor invites an employer's contact, who chooses a password by the e-mailed link,
/// writes an offer, sends it for review (the employer's setting), sees it published by the
/// advisor, pauses it, publishes it again, and later closes it as filled from the
/// "toujours d'actualité ?" link. Another employer's account never reaches it.
#[tokio::test]
async fn an_invited_employer_publishes_its_own_offer_and_answers_the_still_open_question() {
    let app = common::app().await;
    demo_staff(&app).await;
    let (adv, csrf) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let made = post_as(
        &app,
        "/conseil/entreprises/nouvelle",
        &adv,
        &format!(
            "csrf={csrf}&nom=Chaudronnerie+Flandre&siret=73282932000074&contact=Claire+Martin&email=&telephone=&relecture=oui"
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let page_url = made.location.expect("employer page");
    let page_url = page_url.split('?').next().expect("path").to_string();
    let id = page_url
        .trim_start_matches("/conseil/entreprises/")
        .to_string();
    let site = post_as(
        &app,
        &format!("{page_url}/sites"),
        &adv,
        &format!(
            "csrf={csrf}&nom=Atelier&adresse=Quai+de+Lorraine&commune=Dunkerque&insee=59183&latitude=51.0344&longitude=2.3768"
        ),
    )
    .await;
    assert_eq!(site.status, StatusCode::SEE_OTHER);
    let page = get_as(&app, &page_url, &adv).await;
    assert!(
        page.body.contains("relues par un conseiller"),
        "{}",
        page.body
    );
    // The invitation: a bad address is said beside its field, what was typed kept.
    let bad = post_as(
        &app,
        &format!("/conseil/entreprises/{id}/inviter"),
        &adv,
        &format!("csrf={csrf}&invite_nom=Claire+Martin&invite_email=claire%40"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("id=\"invite_email-erreur\""),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"Claire Martin\""));
    let sent = post_as(
        &app,
        &format!("/conseil/entreprises/{id}/inviter"),
        &adv,
        &format!("csrf={csrf}&invite_nom=Claire+Martin&invite_email=claire%40flandre.example"),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let page = get_as(&app, &page_url, &adv).await;
    assert!(page.body.contains("claire@flandre.example"));
    let mail = app
        .store
        .outbox(20)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.to == "claire@flandre.example")
        .expect("invitation mail");
    let token = token_in(&mail.body, "/invitation/");
    let form = get(&app, &format!("/invitation/{token}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Chaudronnerie Flandre"));
    let differ = post_form(
        &app,
        &format!("/invitation/{token}"),
        "mot_de_passe=une+phrase+de+passe&confirmation=une+autre",
    )
    .await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ.body.contains("id=\"confirmation-erreur\""));
    let done = post_form(
        &app,
        &format!("/invitation/{token}"),
        "mot_de_passe=une+phrase+de+passe&confirmation=une+phrase+de+passe",
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/entreprise?ok=bienvenue"));
    let again = get(&app, &format!("/invitation/{token}")).await;
    assert_eq!(again.status, StatusCode::GONE, "the link works once");
    let cookie = done
        .headers
        .get(axum::http::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("signed in")
        .to_string();
    let ecsrf = common::csrf_of(&app, &cookie).await;
    let home = get_as(&app, "/entreprise?ok=bienvenue", &cookie).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Les offres de Chaudronnerie Flandre"));
    assert!(home.body.contains("Espace entreprise"));
    assert!(!home.body.contains("Ajouter un site"));
    // Its own offer: the trade, the form, the need, then "publish" = sent for review.
    let search = get_as(&app, "/entreprise/offres/nouvelle?metier=soudeur", &cookie).await;
    let appellation: String = search
        .body
        .split("offres/nouvelle?appellation=")
        .nth(1)
        .expect("a trade found")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let form = get_as(
        &app,
        &format!("/entreprise/offres/nouvelle?appellation={appellation}"),
        &cookie,
    )
    .await;
    let site_id: String = form
        .body
        .split("<option value=\"")
        .nth(1)
        .expect("site option")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let envoi: String = form
        .body
        .split("name=\"envoi\" value=\"")
        .nth(1)
        .expect("the form's sending key")
        .chars()
        .take(32)
        .collect();
    let created = post_as(
        &app,
        "/entreprise/offres/nouvelle",
        &cookie,
        &format!(
            "csrf={ecsrf}&appellation={appellation}&intitule=Soudeur+TIG&description=&site={site_id}&jours1=0&debut1=06%3A00&fin1=13%3A00&contrat=cdi&postes=1&envoi={envoi}"
        ),
    )
    .await;
    // Sent twice (a double click): one offer.
    let twice = post_as(
        &app,
        "/entreprise/offres/nouvelle",
        &cookie,
        &format!(
            "csrf={ecsrf}&appellation={appellation}&intitule=Soudeur+TIG&description=&site={site_id}&jours1=0&debut1=06%3A00&fin1=13%3A00&contrat=cdi&postes=1&envoi={envoi}"
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(twice.location, created.location, "the same offer");
    let eid = dklik_domain::EmployerId(id.parse().expect("id"));
    assert_eq!(app.store.employer_offers(eid).await.expect("q").len(), 1);
    let needs_url = created.location.expect("needs page");
    let code = needs_url
        .trim_start_matches("/entreprise/offres/")
        .trim_end_matches("/competences")
        .to_string();
    let r = app.store.rome_savoir_etre().await.expect("items");
    let need = post_as(
        &app,
        &needs_url,
        &cookie,
        &format!(
            "csrf={ecsrf}&element={}&niveau=2&importance=must",
            r[0].code.0
        ),
    )
    .await;
    assert_eq!(need.status, StatusCode::SEE_OTHER, "{}", need.body);
    let state = || {
        let (app, code) = (&app, code.clone());
        async move {
            let short = dklik_domain::ShortCode::parse(&code).expect("code");
            let o = app
                .store
                .offer_by_code(&short)
                .await
                .expect("q")
                .expect("offer");
            o.status
        }
    };
    let sent = post_as(
        &app,
        &format!("/entreprise/offres/{code}/etat"),
        &cookie,
        &format!("csrf={ecsrf}&etat=publier"),
    )
    .await;
    assert_eq!(sent.location.as_deref(), Some("/entreprise?ok=relecture"));
    assert_eq!(state().await, dklik_domain::OfferStatus::Review);
    assert_eq!(
        get(&app, &format!("/offres/{code}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_as(
            &app,
            &format!("/entreprise/offres/{code}/modifier"),
            &cookie
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "an offer under review is the advisor's to change"
    );
    // Another employer's account: as if the offer did not exist.
    let (rh, rh_csrf) = sign_in(&app, "rh@t.fr", PASSWORD).await;
    assert_eq!(
        get_as(&app, &format!("/entreprise/offres/{code}/modifier"), &rh)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for action in ["etat", "dupliquer", "modifier"] {
        let forged = post_as(
            &app,
            &format!("/entreprise/offres/{code}/{action}"),
            &rh,
            &format!("csrf={rh_csrf}&etat=fermer&intitule=x"),
        )
        .await;
        assert_eq!(forged.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert!(!get_as(&app, "/entreprise", &rh).await.body.contains(&code));
    // The advisor publishes it after reading it.
    let ok = post_as(
        &app,
        &format!("/conseil/offres/{code}/etat"),
        &adv,
        &format!("csrf={csrf}&etat=publier"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(
        get(&app, &format!("/offres/{code}")).await.status,
        StatusCode::OK
    );
    // Paused by the employer: off the site (not 410: it may come back), then published again.
    let paused = post_as(
        &app,
        &format!("/entreprise/offres/{code}/etat"),
        &cookie,
        &format!("csrf={ecsrf}&etat=pause"),
    )
    .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    let off = get(&app, &format!("/offres/{code}")).await;
    assert_eq!(off.status, StatusCode::NOT_FOUND);
    assert!(off.body.contains("en pause"), "{}", off.body);
    let back = post_as(
        &app,
        &format!("/entreprise/offres/{code}/etat"),
        &cookie,
        &format!("csrf={ecsrf}&etat=publier"),
    )
    .await;
    assert_eq!(back.location.as_deref(), Some("/entreprise?ok=etat"));
    assert_eq!(state().await, dklik_domain::OfferStatus::Published);
    // 14 days on, the question; the link shows a page, the button answers.
    let later = dklik_app::unix_now() + 15 * 24 * 3600;
    let run = dklik_app::offer_checks::daily(app.store.as_ref(), "https://dklik.example", later)
        .await
        .expect("daily");
    assert!(run.sent >= 1, "{run:?}");
    // Sent to the invited account's address (the employer has no contact e-mail).
    let ask = app
        .store
        .outbox(100)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.subject.contains("toujours d'actualité") && m.to == "claire@flandre.example")
        .expect("question mail");
    let t = token_in(&ask.body, "/offres/suivi/");
    let page = get(&app, &format!("/offres/suivi/{t}?reponse=non")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Le poste est pourvu"));
    assert_eq!(
        state().await,
        dklik_domain::OfferStatus::Published,
        "a GET changes nothing"
    );
    let answered = post_form(&app, &format!("/offres/suivi/{t}"), "reponse=pourvue").await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert!(answered.body.contains("pourvue"));
    assert_eq!(state().await, dklik_domain::OfferStatus::Filled);
    assert_eq!(
        get(&app, &format!("/offres/{code}")).await.status,
        StatusCode::GONE
    );
    let twice = post_form(&app, &format!("/offres/suivi/{t}"), "reponse=oui").await;
    assert_eq!(twice.status, StatusCode::GONE);
}

/// Without a geocoder or coordinates, a click on the plan places the site: the form comes back
/// with what was typed and the point's coordinates (a click on a stop's dot gives the stop's).
#[tokio::test]
async fn a_click_on_the_plan_places_a_site() {
    let app = common::app().await;
    let offer = demo_staff(&app).await;
    let (adv, csrf) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let id = offer.employer_id.0;
    let svg = get_as(&app, &format!("/conseil/entreprises/{id}/plan.svg"), &adv).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(
        svg.headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    let num = |after: &str| -> f64 {
        svg.body
            .split(after)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .expect("a number")
    };
    // The first dot drawn is a stop's.
    let (x, y) = (num("<circle cx=\""), num("\" cy=\""));
    let page = post_as(
        &app,
        &format!("/conseil/entreprises/{id}/sites"),
        &adv,
        &format!(
            "csrf={csrf}&nom=Entrep%C3%B4t+nord&adresse=Rue+du+Bassin&commune=Dunkerque&insee=59183&latitude=&longitude=&plan.x={}&plan.y={}",
            x.round(),
            y.round()
        ),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("placé là où vous avez cliqué"));
    assert!(
        page.body.contains("value=\"Entrepôt nord\""),
        "what was typed is kept"
    );
    let field = |name: &str| -> f64 {
        page.body
            .split(&format!("name=\"{name}\" type=\"number\" value=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{name} filled"))
    };
    let (lat, lon) = (field("latitude"), field("longitude"));
    let near = app
        .screens
        .stops()
        .into_iter()
        .any(|s| (s.lat - lat).abs() < 0.002 && (s.lon - lon).abs() < 0.003);
    assert!(near, "{lat}, {lon} is a stop's place (within a pixel)");
    // Nothing saved yet: the person checks, then adds.
    assert_eq!(
        app.store
            .sites(offer.employer_id)
            .await
            .expect("sites")
            .iter()
            .filter(|s| s.name == "Entrepôt nord")
            .count(),
        0
    );
}
