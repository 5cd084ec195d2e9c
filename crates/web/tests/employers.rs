//! An advisor adds an employer, places its site, writes an offer, gives it a need and
//! publishes it: the offer is on the public list. Employers' accounts and the public cannot.

mod common;

use axum::http::StatusCode;
use common::{demo_staff, enc, get, get_as, post_as, sign_in, PASSWORD};

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
