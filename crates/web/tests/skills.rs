//! Skills through HTTP: a person's record, skills from a sentence, endorsement links, tests and
//! their results, immersion observations, an offer's needs, and the public questionnaire.

mod common;

use axum::http::StatusCode;
use common::{
    app, demo_staff, enc, europe, get, get_as, post_as, post_form, sign_in, App, PASSWORD,
};
use dklik_domain::PersonId;

/// A person followed by the advisor, created from the record form; their id.
async fn followed(app: &App, cookie: &str, form: &str) -> PersonId {
    let r = post_as(app, "/conseil/personnes/nouvelle", cookie, form).await;
    r.location
        .expect("loc")
        .trim_start_matches("/conseil/personnes/")
        .split('?')
        .next()
        .and_then(|x| x.parse().ok().map(PersonId))
        .expect("id")
}

async fn advisor(app: &App) -> (String, String) {
    demo_staff(app).await;
    sign_in(app, "conseil@t.fr", PASSWORD).await
}

async fn new_person(app: &App, cookie: &str, csrf: &str) -> PersonId {
    let r = post_as(
        app,
        "/conseil/personnes/nouvelle",
        cookie,
        &format!(
            "csrf={csrf}&prenom=In%C3%A8s&nom=Benali&telephone=0611223344&commune=Grande-Synthe&mobilite=bus&mobilite=permis&jours=0&jours=1&horaires=tot&contraintes=Garde+d%27enfants+le+mercredi&consentement=oui"
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location.expect("location");
    loc.trim_start_matches("/conseil/personnes/")
        .split('?')
        .next()
        .and_then(|x| x.parse().ok().map(PersonId))
        .expect("id")
}

#[tokio::test]
async fn an_advisor_keeps_a_record_and_skills_with_their_evidence() {
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    // Bad input: every error in French, nothing written.
    let bad = post_as(
        &app,
        "/conseil/personnes/nouvelle",
        &cookie,
        &format!("csrf={csrf}&prenom=&email=pas-un-mail&quartier=999&mobilite=fusee&jours=9"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "sans son accord, pas de dossier",
        "Indiquez le prénom",
        "Choisissez un quartier",
        "moyen de déplacement",
        "n&#39;est pas un jour",
    ] {
        assert!(bad.body.contains(m), "{m}: {}", bad.body);
    }
    assert!(app.store.search_people("", 10).await.expect("s").is_empty());
    let id = new_person(&app, &cookie, &csrf).await;
    let page = get_as(&app, &format!("/conseil/personnes/{id}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    for s in [
        "Inès Benali",
        "Permis B, Bus et transports en commun",
        "Garde d&#39;enfants",
        "Dossier créé",
        "accompagnement – le",
        "lundi",
    ] {
        assert!(page.body.contains(s), "{s}");
    }
    assert!(!page.body.to_lowercase().contains("sécurité sociale"));
    let list = get_as(&app, "/conseil/personnes?q=benali", &cookie).await;
    assert!(list.body.contains(&format!("/conseil/personnes/{id}")));
    // Who may see it.
    let (employer, _) = sign_in(&app, "rh@t.fr", PASSWORD).await;
    assert_eq!(
        get_as(&app, &format!("/conseil/personnes/{id}"), &employer)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (mobile, _) = sign_in(&app, "mobile@t.fr", PASSWORD).await;
    assert_eq!(
        get_as(&app, &format!("/conseil/personnes/{id}"), &mobile)
            .await
            .status,
        StatusCode::OK
    );

    // Skills from a sentence: empty and huge texts are refused; a real one gives suggestions.
    let empty = post_as(
        &app,
        &format!("/conseil/personnes/{id}/suggestions"),
        &cookie,
        &format!("csrf={csrf}&texte=+"),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Écrivez une phrase"));
    let huge = post_as(
        &app,
        &format!("/conseil/personnes/{id}/suggestions"),
        &cookie,
        &format!("csrf={csrf}&texte={}", "mot+".repeat(600)),
    )
    .await;
    assert!(huge.body.contains("trop long"));
    let s = post_as(
        &app,
        &format!("/conseil/personnes/{id}/suggestions"),
        &cookie,
        &format!(
            "csrf={csrf}&texte={}",
            enc("Je fais des soudures et du pointage sur des tubes")
        ),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK);
    assert!(s.body.contains("soudure-pointage"), "{}", s.body);
    // The advisor keeps one, as declared.
    let r = post_as(
        &app,
        &format!("/conseil/personnes/{id}/competences"),
        &cookie,
        &format!("csrf={csrf}&element=105980&niveau=2&preuve=declared&source=phrase"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Unknown codes and levels out of range are refused.
    for (code, level, msg) in [
        ("999999999", "2", "n&#39;est pas une compétence"),
        ("105980", "7", "Le niveau 7 n&#39;existe pas"),
    ] {
        let r = post_as(
            &app,
            &format!("/conseil/personnes/{id}/competences"),
            &cookie,
            &format!("csrf={csrf}&element={code}&niveau={level}&preuve=declared"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(msg), "{msg}: {}", r.body);
    }
    // The ROME search ignores accents and plurals: "soudure" finds the welding items.
    let found = get_as(
        &app,
        &format!("/conseil/personnes/{id}?chercher=Soudures"),
        &cookie,
    )
    .await;
    assert!(
        found.body.contains("Superviser les opérations de soudage"),
        "{}",
        found.body
    );

    // An endorsement link: once, before it expires.
    let link = post_as(
        &app,
        &format!("/conseil/personnes/{id}/attestations"),
        &cookie,
        &format!(
            "csrf={csrf}&element=105980&contexte={}",
            enc("atelier du club de karting")
        ),
    )
    .await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    let token = link
        .body
        .split("/attester/")
        .nth(1)
        .map(|s| s.chars().take(64).collect::<String>())
        .expect("token");
    let form = get(&app, &format!("/attester/{token}")).await;
    assert!(form.body.contains("Inès") && form.body.contains("atelier du club de karting"));
    let missing = post_form(&app, &format!("/attester/{token}"), "nom=&role=").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = post_form(
        &app,
        &format!("/attester/{token}"),
        "nom=Karim+Haddad&role=Pr%C3%A9sident+du+club&commentaire=Tr%C3%A8s+soigneuse",
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.body.contains("Merci"));
    let again = post_form(&app, &format!("/attester/{token}"), "nom=Autre&role=x").await;
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(
        get(&app, &format!("/attester/{}", "a".repeat(64)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let page = get_as(&app, &format!("/conseil/personnes/{id}"), &cookie).await;
    assert!(
        page.body.contains("Karim Haddad (Président du club)"),
        "who endorsed is shown"
    );
    // An expired link says so.
    let expired = "b".repeat(64);
    app.store
        .create_endorsement(
            id,
            dklik_domain::OgrCode(105980),
            &dklik_app::auth::token_hash(&expired),
            "x",
            1,
            2,
        )
        .await
        .expect("endorsement");
    let r = get(&app, &format!("/attester/{expired}")).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.body.contains("expiré"));
}

#[tokio::test]
async fn tests_immersions_and_the_evidence_they_make() {
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    let id = new_person(&app, &cookie, &csrf).await;
    let bad = post_as(
        &app,
        "/conseil/tests",
        &cookie,
        &format!(
            "csrf={csrf}&nom=&modalite=danse&duree=1&capacite=0&elements={}",
            enc("mrs:99 | a | b | c | d\nogr:105980 | seulement deux | niveaux")
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "Donnez un nom",
        "mise en situation pratique",
        "de 5 à 2 400",
        "de 1 à 200",
        "mrs:NUMÉRO",
        "Ligne 2",
    ] {
        assert!(bad.body.contains(m), "{m}");
    }
    let elements = "mrs:7 | Suit les autres | Participe | Coordonne | Entraîne le groupe\nogr:105980 | Avec aide | Seul, lentement | Seul, au rythme | Montre aux autres";
    let r = post_as(&app, "/conseil/tests", &cookie, &format!("csrf={csrf}&nom={}&description=Chaine&modalite=simulation&duree=90&capacite=2&elements={}", enc("Assemblage en équipe"), enc(elements))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let test = app.store.tests().await.expect("tests").remove(0);
    assert_eq!(test.items.len(), 2);
    let r = post_as(
        &app,
        &format!("/conseil/tests/{}/sessions", test.id),
        &cookie,
        &format!(
            "csrf={csrf}&jour=2030-03-12&heure=09%3A00&lieu={}",
            enc("Chantier-école de Gravelines")
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let session = app.store.test_sessions(None).await.expect("s").remove(0);
    let r = post_as(
        &app,
        &format!("/conseil/personnes/{id}/tests"),
        &cookie,
        &format!("csrf={csrf}&session={}", session.id),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Results for someone who did not attend: refused.
    let results = format!(
        "csrf={csrf}&personne={id}&{}=3&{}=2&evaluateur=Sophie&jour_resultat=2030-03-12&notes=",
        enc("niveau:mrs:7"),
        enc("niveau:ogr:105980")
    );
    let r = post_as(
        &app,
        &format!("/conseil/sessions/{}/resultats", session.id),
        &cookie,
        &results,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("pas passé ce test"), "{}", r.body);
    let r = post_as(
        &app,
        &format!("/conseil/sessions/{}/presence", session.id),
        &cookie,
        &format!("csrf={csrf}&personne={id}&presence=present"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = post_as(
        &app,
        &format!("/conseil/sessions/{}/resultats", session.id),
        &cookie,
        &results,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let evidence = app.store.skill_evidence(id).await.expect("e");
    assert!(
        evidence
            .iter()
            .any(|e| e.item.0 == 300465 && e.evidence == dklik_domain::Evidence::Tested),
        "the habileté reaches ROME through the crosswalk: {evidence:?}"
    );
    assert!(evidence
        .iter()
        .any(|e| e.item.0 == 105980 && e.evidence == dklik_domain::Evidence::Tested));
    let level_bad = post_as(
        &app,
        &format!("/conseil/sessions/{}/resultats", session.id),
        &cookie,
        &format!(
            "csrf={csrf}&personne={id}&{}=5&evaluateur=S&jour_resultat=2030-03-12",
            enc("niveau:mrs:7")
        ),
    )
    .await;
    assert_eq!(level_bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A week of immersion.
    let r = post_as(&app, &format!("/conseil/personnes/{id}/activites"), &cookie, &format!("csrf={csrf}&type_activite=immersion&titre={}&lieu=Gravelines&tuteur=Marc&debut=2030-03-18&fin=2030-03-22", enc("Semaine au chantier-école"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let act = r.location.expect("loc");
    let out = post_as(
        &app,
        &format!("{act}/jour"),
        &cookie,
        &format!("csrf={csrf}&jour=2030-03-25&present=oui"),
    )
    .await;
    assert_eq!(out.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(out.body.contains("pas dans les dates"));
    assert_eq!(
        post_as(
            &app,
            &format!("{act}/jour"),
            &cookie,
            &format!("csrf={csrf}&jour=2030-03-18&present=oui")
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_as(
            &app,
            &format!("{act}/observation"),
            &cookie,
            &format!(
                "csrf={csrf}&element=300490&niveau=3&commentaire=Range+son+poste&observateur="
            )
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_as(
            &app,
            &format!("{act}/bilan"),
            &cookie,
            &format!("csrf={csrf}&bilan=Tr%C3%A8s+bonne+semaine")
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let page = get_as(&app, &act, &cookie).await;
    assert!(
        page.body.contains("présent")
            && page.body.contains("Range son poste")
            && page.body.contains("Très bonne semaine")
    );
    let person = get_as(&app, &format!("/conseil/personnes/{id}"), &cookie).await;
    for s in [
        "testée",
        "observée",
        "Inscrit au test",
        "Résultats du test",
        "Immersion au chantier-école",
        "Bilan de fin",
    ] {
        assert!(person.body.contains(s), "{s} in the page and its timeline");
    }
}

#[tokio::test]
async fn needs_of_a_post_by_advisors_and_its_employer_only() {
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let other = app
        .store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("list")
        .offers
        .into_iter()
        .find(|o| o.employer_id != offer.employer_id)
        .expect("another employer's offer");
    let base = format!("/conseil/offres/{}/competences", offer.code);
    let page = get_as(&app, &base, &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("cœur de métier"),
        "the job sheet's core items come first"
    );
    let search = get_as(&app, &format!("{base}?chercher=soudure"), &cookie).await;
    assert!(search.body.contains("soudage"), "{}", search.body);
    let r = post_as(
        &app,
        &base,
        &cookie,
        &format!("csrf={csrf}&element=106259&niveau=3&importance=must"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let o = app.store.offer(offer.id).await.expect("q").expect("o");
    let it = o.items.iter().find(|i| i.code.0 == 106259).expect("added");
    assert_eq!(
        (it.level.get(), it.importance),
        (3, dklik_domain::Importance::Must)
    );
    for (form, msg) in [
        ("element=106259&niveau=0&importance=must", "Le niveau 0"),
        ("element=abc&niveau=2&importance=must", "code OGR"),
        (
            "element=106259&niveau=2&importance=peut-etre",
            "obligatoire",
        ),
    ] {
        let r = post_as(&app, &base, &cookie, &format!("csrf={csrf}&{form}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{form}");
        assert!(r.body.contains(msg), "{msg}: {}", r.body);
    }
    let r = post_as(
        &app,
        &format!("{base}/retirer"),
        &cookie,
        &format!("csrf={csrf}&element=106259"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!app
        .store
        .offer(offer.id)
        .await
        .expect("q")
        .expect("o")
        .items
        .iter()
        .any(|i| i.code.0 == 106259));
    // The employer changes its own offer's needs, and not another's.
    let (rh, rh_csrf) = sign_in(&app, "rh@t.fr", PASSWORD).await;
    let own = format!("/entreprise/offres/{}/competences", offer.code);
    assert_eq!(get_as(&app, &own, &rh).await.status, StatusCode::OK);
    let r = post_as(
        &app,
        &own,
        &rh,
        &format!("csrf={rh_csrf}&element=106259&niveau=2&importance=nice"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let theirs = format!("/entreprise/offres/{}/competences", other.code);
    assert_eq!(
        get_as(&app, &theirs, &rh).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post_as(
            &app,
            &theirs,
            &rh,
            &format!("csrf={rh_csrf}&element=106259&niveau=2&importance=nice")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

/// Walks the questionnaire page by page as a browser without JavaScript would.
async fn answer_all(app: &App, pick: usize) -> (String, String) {
    let start = get(app, "/questionnaire").await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.body.contains("Commencer") && !start.body.contains("<script"));
    let token = start
        .body
        .split("name=\"jeton\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("token")
        .to_string();
    let mut page = post_form(
        app,
        "/questionnaire",
        &format!("jeton={token}&reponses=&etape=1&commencer=1"),
    )
    .await;
    loop {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let field = |name: &str| {
            page.body
                .split(&format!("name=\"{name}\" value=\""))
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("")
                .to_string()
        };
        let (answers, step) = (field("reponses"), field("etape"));
        let options: Vec<String> = page
            .body
            .split("name=\"reponse\" type=\"radio\" value=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next().map(String::from))
            .collect();
        assert!(
            !options.is_empty(),
            "a question with its answers: {}",
            page.body
        );
        let choice = &options[pick.min(options.len() - 1)];
        let last_form = format!(
            "jeton={token}&reponses={}&etape={step}&reponse={choice}",
            enc(&answers.replace("&#61;", "="))
        );
        page = post_form(app, "/questionnaire", &last_form).await;
        if page.status == StatusCode::SEE_OTHER {
            return (page.location.expect("card"), last_form);
        }
    }
}

#[tokio::test]
async fn the_questionnaire_gives_a_skills_card_with_reasons_and_job_ideas() {
    let app = app().await;
    // Nothing chosen: asked again, in plain words.
    let start = get(&app, "/questionnaire").await;
    let token = start
        .body
        .split("name=\"jeton\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("token")
        .to_string();
    let r = post_form(
        &app,
        "/questionnaire",
        &format!("jeton={token}&reponses=&etape=1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choisissez une réponse"));
    let tampered = post_form(
        &app,
        "/questionnaire",
        &format!("jeton={token}&reponses=sport%3Dfusee&etape=2&reponse=calme"),
    )
    .await;
    assert_eq!(tampered.status, StatusCode::BAD_REQUEST);

    let (card, last) = answer_all(&app, 0).await;
    let page = get(&app, &card).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Vous entraînez une équipe → Faire preuve de leadership"),
        "{}",
        page.body
    );
    assert!(page.body.contains("métiers qui demandent ces qualités"));
    assert!(
        page.body.contains("/offres?metier="),
        "job ideas link to open offers"
    );
    assert!(page.body.contains("/static/print.css"), "a printable card");
    // Sent twice: counted once, the same card.
    let again = post_form(&app, "/questionnaire", &last).await;
    assert_eq!(again.location.as_deref(), Some(card.as_str()));
    let token = card
        .trim_start_matches("/questionnaire/resultat/")
        .to_string();
    let stored = app
        .store
        .questionnaire(&token)
        .await
        .expect("q")
        .expect("stored");
    assert!(stored.skills.contains("300489"));
    // To an advisor: consent required, then a call-back request with the skills.
    let no = post_form(
        &app,
        &format!("{card}/envoyer"),
        "prenom=Samia&telephone=0611223344&moment=soir",
    )
    .await;
    assert_eq!(no.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no.body.contains("Cochez la case"));
    let yes = post_form(
        &app,
        &format!("{card}/envoyer"),
        "prenom=Samia&telephone=0611223344&moment=soir&consentement=oui",
    )
    .await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER);
    let i = app.store.interests(1).await.expect("i").remove(0);
    assert_eq!(i.channel, dklik_domain::Channel::Questionnaire);
    let skills = app.store.skill_evidence(i.person_id).await.expect("s");
    assert!(skills
        .iter()
        .any(|s| s.item.0 == 300489 && s.evidence == dklik_domain::Evidence::SelfAssessed));
    let twice = post_form(
        &app,
        &format!("{card}/envoyer"),
        "prenom=Samia&telephone=0611223344&moment=soir&consentement=oui",
    )
    .await;
    assert_eq!(twice.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.interests(10).await.expect("i").len(),
        1,
        "sent once"
    );
    assert!(get(&app, &card).await.body.contains("est envoyé"));
    // Advisors review the mapping.
    let (cookie, _) = advisor(&app).await;
    let review = get_as(&app, "/conseil/questionnaire", &cookie).await;
    assert!(review
        .body
        .contains("Vous entraînez une équipe → Faire preuve de leadership"));
    assert_eq!(
        get(
            &app,
            "/questionnaire/resultat/0123456789abcdef0123456789abcdef"
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn offers_are_ranked_for_a_person_with_the_bus_at_shift_time() {
    use dklik_domain::{Evidence, Level, OgrCode, SkillEvidence};
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    let hood = europe(&app).await;
    // Bus only, early shifts possible, every weekday.
    let id = followed(&app, &cookie, &format!("csrf={csrf}&prenom=Sami&nom=Test&telephone=0611223300&quartier={hood}&mobilite=bus&jours=0&jours=1&jours=2&jours=3&jours=4&horaires=tot&horaires=matin&consentement=oui")).await;
    let ev = |item: i64, level: u8, evidence| SkillEvidence {
        id: 0,
        person_id: id,
        item: OgrCode(item),
        level: Level::new(level).expect("l"),
        evidence,
        source: "test".into(),
        recorded_by: "test".into(),
        at: 1,
    };
    app.store
        .add_skill_evidence(&[
            ev(486593, 2, Evidence::Tested),
            ev(114828, 2, Evidence::Observed),
            ev(102828, 1, Evidence::Declared),
            ev(300483, 3, Evidence::Tested),
            ev(300465, 3, Evidence::Observed),
        ])
        .await
        .expect("skills");
    let page = get_as(&app, &format!("/conseil/personnes/{id}/emplois"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let first = page
        .body
        .split("<li class=\"card\">")
        .nth(1)
        .expect("a ranked offer");
    assert!(
        first.contains("Soudeur / Soudeuse à l&#39;arc"),
        "the welding post first: {first}"
    );
    assert!(first.contains("correspond bien"), "{first}");
    assert!(
        first.contains("Aller : départ") && first.contains("ligne"),
        "the bus journey is explained: {first}"
    );
    assert!(
        first.contains("niveau 2 testée"),
        "each term is explained: {first}"
    );
    // Why, in plain words first; then the detail, point by point, with its total.
    assert!(
        first.contains("La personne sait déjà faire") && first.contains("choses demandées."),
        "{first}"
    );
    assert!(
        first.contains("Total : ") && first.contains(" points"),
        "{first}"
    );
    assert!(!first.contains("propositions en cours"), "{first}");
    assert!(page.body.contains("Ce qui ouvrirait le plus d'offres"));
    let published = app
        .store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .expect("offers")
        .offers
        .len();
    assert!(
        page.body
            .contains(&format!("{published} offres publiées comparées")),
        "every published offer is scored"
    );
    // Twelve call-back requests waiting about the welding post: it goes down the list, and
    // the page says why.
    let welding = app
        .store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .expect("offers")
        .offers
        .into_iter()
        .find(|o| o.title == "Soudeur / Soudeuse à l'arc")
        .expect("the welding post");
    for k in 0..12 {
        let form = dklik_domain::interest::InterestForm {
            first_name: format!("Personne {k}"),
            phone: format!("06 00 00 00 {k:02}"),
            email: String::new(),
            best_time: "matin".into(),
            consent: true,
        };
        let i = dklik_domain::interest::NewInterest::from_form(
            &form,
            Some(welding.id),
            dklik_domain::interest::Channel::Website,
            "",
        )
        .expect("valid");
        app.store
            .add_interest(&i, 100 + k as i64, time::macros::date!(2026 - 12 - 01))
            .await
            .expect("request");
    }
    let crowded = get_as(&app, &format!("/conseil/personnes/{id}/emplois"), &cookie).await;
    let cards: Vec<&str> = crowded.body.split("<li class=\"card\">").skip(1).collect();
    let at = cards
        .iter()
        .position(|c| c.contains("Soudeur / Soudeuse à l&#39;arc"))
        .expect("still listed");
    assert!(at > 0, "another post comes first now");
    assert!(
        cards[at].contains("Déjà 12 propositions en cours pour cette offre"),
        "{}",
        cards[at]
    );
    // Offers out of reach or outside the person's hours come last, with the reason.
    assert!(page.body.contains("hors d&#39;atteinte"));
    assert!(
        page.body.contains("ne peut pas travailler"),
        "night and afternoon shifts are not for this person"
    );
    // The post's page ranks the people, for advisors.
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let people = get_as(
        &app,
        &format!("/conseil/offres/{}/candidats", offer.code),
        &cookie,
    )
    .await;
    assert!(
        people.body.contains("Sami Test") && people.body.contains("correspond bien"),
        "{}",
        people.body
    );
    let (rh, _) = sign_in(&app, "rh@t.fr", PASSWORD).await;
    assert_eq!(
        get_as(
            &app,
            &format!("/conseil/offres/{}/candidats", offer.code),
            &rh
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Without a neighbourhood: said plainly, journeys not checked.
    let other = new_person(&app, &cookie, &csrf).await;
    let page = get_as(
        &app,
        &format!("/conseil/personnes/{other}/emplois"),
        &cookie,
    )
    .await;
    assert!(page
        .body
        .contains("quartier de la personne n&#39;est pas renseigné"));
}

/// A followed person living near the demo network, with welding skills. Returns their id.
async fn welder(app: &App, cookie: &str, csrf: &str, phone: &str) -> PersonId {
    use dklik_domain::{Evidence, Level, OgrCode, SkillEvidence};
    let hood = europe(app).await;
    let id = followed(app, cookie, &format!("csrf={csrf}&prenom=Sami&nom=Zebulon&telephone={phone}&quartier={hood}&mobilite=bus&horaires=tot&horaires=matin&consentement=oui")).await;
    let ev = |item: i64| SkillEvidence {
        id: 0,
        person_id: id,
        item: OgrCode(item),
        level: Level::new(3).expect("l"),
        evidence: Evidence::Tested,
        source: "test".into(),
        recorded_by: "test".into(),
        at: 1,
    };
    app.store
        .add_skill_evidence(&[ev(486593), ev(114828), ev(102828), ev(300483), ev(300465)])
        .await
        .expect("skills");
    id
}

async fn step(
    app: &App,
    cookie: &str,
    csrf: &str,
    intro: i64,
    to: &str,
    extra: &str,
) -> common::Answer {
    post_as(
        app,
        &format!("/conseil/mises-en-relation/{intro}/etape"),
        cookie,
        &format!("csrf={csrf}&vers={to}{extra}"),
    )
    .await
}

#[tokio::test]
async fn an_introduction_goes_from_suggestion_to_hire_and_the_post_fills() {
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let positions = offer.positions;
    let sami = welder(&app, &cookie, &csrf, "0611000001").await;
    let jobs = get_as(&app, &format!("/conseil/personnes/{sami}/emplois"), &cookie).await;
    assert!(
        jobs.body.contains(&format!("value=\"{}\"", offer.code)),
        "a proposal button"
    );
    let r = post_as(
        &app,
        &format!("/conseil/personnes/{sami}/mises-en-relation"),
        &cookie,
        &format!("csrf={csrf}&offre={}", offer.code),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let again = post_as(
        &app,
        &format!("/conseil/personnes/{sami}/mises-en-relation"),
        &cookie,
        &format!("csrf={csrf}&offre={}", offer.code),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("déjà mise en relation"));
    let intro = app.store.person_introductions(sami).await.expect("i")[0].clone();
    assert_eq!(intro.status, dklik_domain::matching::IntroStatus::Suggested);
    assert!(intro.score > 0.5, "{}", intro.score);
    // Not sent before the person agrees.
    let skip = step(&app, &cookie, &csrf, intro.id, "sent", "").await;
    assert_eq!(skip.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(skip.body.contains("Étape impossible"));
    let (rh, rh_csrf) = sign_in(&app, "rh@t.fr", PASSWORD).await;
    assert!(
        !get_as(&app, "/entreprise/mises-en-relation", &rh)
            .await
            .body
            .contains("Sami"),
        "the employer sees nobody before consent"
    );
    for to in ["discussed", "agreed", "sent"] {
        assert_eq!(
            step(&app, &cookie, &csrf, intro.id, to, "&note=ok")
                .await
                .status,
            StatusCode::SEE_OTHER,
            "{to}"
        );
    }
    let list = get_as(&app, "/entreprise/mises-en-relation", &rh).await;
    assert!(
        list.body.contains("Sami") && !list.body.contains("Zebulon"),
        "first name and skills only: {}",
        list.body
    );
    assert!(list.body.contains("testée"));
    let detail = get_as(
        &app,
        &format!("/entreprise/mises-en-relation/{}", intro.id),
        &rh,
    )
    .await;
    assert!(
        detail.body.contains("Un entretien est fixé") && detail.body.contains("Pas d&#39;embauche")
            || detail.body.contains("Pas d'embauche"),
        "{}",
        detail.body
    );
    // The employer: interview, then hire.
    for to in ["interview", "hired"] {
        let r = post_as(
            &app,
            &format!("/entreprise/mises-en-relation/{}/etape?vers={to}", intro.id),
            &rh,
            &format!("csrf={rh_csrf}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{to}: {}", r.body);
    }
    let o = app.store.offer(offer.id).await.expect("q").expect("o");
    assert_eq!(o.positions, positions - 1, "a hire takes an open position");
    let steps = app.store.introduction_steps(intro.id).await.expect("s");
    assert_eq!(steps.len(), 6, "every step recorded: {steps:?}");
    assert!(
        steps
            .iter()
            .any(|s| s.to == dklik_domain::matching::IntroStatus::Hired
                && s.actor.contains("rh@t.fr"))
    );
    let person = get_as(&app, &format!("/conseil/personnes/{sami}"), &cookie).await;
    assert!(person.body.contains("Mise en relation « ") && person.body.contains("embauche"));

    // Another person for a post that fills meanwhile: the hire is refused.
    let lea = welder(&app, &cookie, &csrf, "0611000002").await;
    post_as(
        &app,
        &format!("/conseil/personnes/{lea}/mises-en-relation"),
        &cookie,
        &format!("csrf={csrf}&offre={}", offer.code),
    )
    .await;
    let second = app.store.person_introductions(lea).await.expect("i")[0].id;
    for to in ["discussed", "agreed", "sent", "interview"] {
        assert_eq!(
            step(&app, &cookie, &csrf, second, to, "").await.status,
            StatusCode::SEE_OTHER
        );
    }
    app.store
        .set_offer_status(
            offer.id,
            dklik_domain::OfferStatus::Filled,
            dklik_app::today_paris(),
        )
        .await
        .expect("filled");
    let late = step(&app, &cookie, &csrf, second, "hired", "").await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("déjà pourvu"), "{}", late.body);
    // Not hired needs a reason from the list.
    let no_reason = step(&app, &cookie, &csrf, second, "not_hired", "").await;
    assert!(no_reason.body.contains("raison dans la liste"));
    let r = step(
        &app,
        &cookie,
        &csrf,
        second,
        "not_hired",
        &format!("&raison={}", enc("Poste pourvu par quelqu'un d'autre")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A post with no skills cannot be proposed.
    let bare = app
        .store
        .offer_by_external_id("DEMO-003")
        .await
        .expect("q")
        .expect("o");
    app.store
        .set_offer_items(bare.id, &[])
        .await
        .expect("no items");
    let r = post_as(
        &app,
        &format!("/conseil/personnes/{lea}/mises-en-relation"),
        &cookie,
        &format!("csrf={csrf}&offre={}", bare.code),
    )
    .await;
    assert!(r.body.contains("pas de compétences demandées"));
}

#[tokio::test]
async fn introductions_are_reminded_expire_and_hires_are_followed_up() {
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let a = welder(&app, &cookie, &csrf, "0611000003").await;
    let b = welder(&app, &cookie, &csrf, "0611000004").await;
    for p in [a, b] {
        post_as(
            &app,
            &format!("/conseil/personnes/{p}/mises-en-relation"),
            &cookie,
            &format!("csrf={csrf}&offre={}", offer.code),
        )
        .await;
    }
    let ia = app.store.person_introductions(a).await.expect("i")[0].id;
    for to in ["discussed", "agreed", "sent", "interview", "hired"] {
        assert_eq!(
            step(&app, &cookie, &csrf, ia, to, "").await.status,
            StatusCode::SEE_OTHER
        );
    }
    let now = dklik_app::unix_now();
    // 8 days later: b's suggestion is past due, a reminder goes to its advisor.
    let (r, e, f) = dklik_app::introductions::daily(
        app.store.as_ref(),
        "https://dklik.example",
        now + 8 * 86_400,
    )
    .await
    .expect("daily");
    assert_eq!((r, e, f), (1, 0, 0));
    assert!(app
        .store
        .outbox(10)
        .await
        .expect("o")
        .iter()
        .any(|m| m.subject == "Mise en relation en attente" && m.to == "conseil@t.fr"));
    // 15 days later it expires; a month after the hire, the first follow-up.
    let (r, e, f) = dklik_app::introductions::daily(
        app.store.as_ref(),
        "https://dklik.example",
        now + 31 * 86_400,
    )
    .await
    .expect("daily");
    assert_eq!((r, e, f), (0, 1, 1));
    assert_eq!(
        app.store.person_introductions(b).await.expect("i")[0].status,
        dklik_domain::matching::IntroStatus::Withdrawn
    );
    let (_, _, f) = dklik_app::introductions::daily(
        app.store.as_ref(),
        "https://dklik.example",
        now + 40 * 86_400,
    )
    .await
    .expect("daily");
    assert_eq!(f, 0, "the one-month follow-up once");
    let (_, _, f) = dklik_app::introductions::daily(
        app.store.as_ref(),
        "https://dklik.example",
        now + 91 * 86_400,
    )
    .await
    .expect("daily");
    assert_eq!(f, 1, "then the three-month one");
    let journey = app.store.journey(a).await.expect("j");
    assert!(
        journey
            .iter()
            .any(|e| e.summary.contains("Suivi à un mois"))
            && journey
                .iter()
                .any(|e| e.summary.contains("Suivi à trois mois"))
    );
}

#[tokio::test]
async fn people_for_a_post_are_ranked_among_everyone_followed_not_only_the_latest() {
    use dklik_domain::{Evidence, Level, OgrCode, SkillEvidence};
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    // The best match is the oldest record; 520 newer ones have one weak skill each.
    let best = welder(&app, &cookie, &csrf, "0611000009").await;
    let hood = app.store.neighbourhoods().await.expect("h")[0].id;
    for i in 0..520 {
        let input = dklik_domain::PersonForm {
            prenom: format!("Autre{i}"),
            nom: "Test".into(),
            quartier: hood.to_string(),
            mobilite: vec!["bus".into()],
            ..Default::default()
        }
        .validate(|_| Some(true))
        .expect("valid");
        let id = app.store.create_person(&input, 10 + i).await.expect("p");
        app.store
            .add_skill_evidence(&[SkillEvidence {
                id: 0,
                person_id: id,
                item: OgrCode(300465),
                level: Level::new(1).expect("l"),
                evidence: Evidence::Declared,
                source: "test".into(),
                recorded_by: "test".into(),
                at: 1,
            }])
            .await
            .expect("skill");
    }
    let r = dklik_app::skills::SkillsCache::default()
        .get(app.store.as_ref())
        .await
        .expect("ref");
    let transit = dklik_app::matching::Transit::default();
    let ranked = dklik_app::matching::people_for_offer(
        app.store.as_ref(),
        &r,
        &transit,
        &offer,
        dklik_app::today_paris(),
    )
    .await
    .expect("ranked");
    assert_eq!(
        ranked[0].person_id, best,
        "the oldest record is still ranked"
    );
    assert!(ranked.len() <= 4 * dklik_app::matching::PEOPLE_SHOWN);
    // Each shown value is the explained score's.
    let everyone = dklik_app::matching::followed_people(app.store.as_ref(), &r)
        .await
        .expect("all");
    assert_eq!(everyone.len(), 521);
    for x in ranked.iter().take(5) {
        let p = everyone.iter().find(|p| p.id == x.person_id).expect("p");
        let plain = dklik_domain::matching::score(&p.skills, &offer.items, r.as_ref(), vec![]);
        assert!((plain.value - x.score.value).abs() < 1e-9);
    }
    let page = get_as(
        &app,
        &format!("/conseil/offres/{}/candidats", offer.code),
        &cookie,
    )
    .await;
    assert!(
        page.body.contains("Zebulon"),
        "the best match is on the page"
    );
}

#[tokio::test]
async fn a_post_without_skills_and_a_day_without_buses_are_said_plainly() {
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let sami = welder(&app, &cookie, &csrf, "0611000077").await;
    let r = dklik_app::skills::SkillsCache::default()
        .get(app.store.as_ref())
        .await
        .expect("ref");
    let transit = dklik_app::matching::Transit::default();
    let p = dklik_app::matching::person_view(app.store.as_ref(), &r, sami)
        .await
        .expect("q")
        .expect("person");
    // The demo timetable ends on 2027-12-31: no bus on the first shift day after it.
    let check = dklik_app::matching::hard_filters(
        app.store.as_ref(),
        &transit,
        &p,
        &offer,
        time::macros::date!(2028 - 01 - 03),
    )
    .await
    .expect("check");
    assert!(
        check
            .blockers
            .iter()
            .any(|b| b.0.starts_with("Pas de bus ce jour-là (")),
        "{:?}",
        check.blockers.iter().map(|b| &b.0).collect::<Vec<_>>()
    );
    // A post whose needs are not described yet.
    app.store
        .set_offer_items(offer.id, &[])
        .await
        .expect("no items");
    let page = get_as(
        &app,
        &format!("/conseil/offres/{}/candidats", offer.code),
        &cookie,
    )
    .await;
    assert!(
        page.body.contains("pas encore de compétences demandées"),
        "{}",
        page.body
    );
    let jobs = get_as(&app, &format!("/conseil/personnes/{sami}/emplois"), &cookie).await;
    assert!(
        jobs.body.contains("ne sont pas encore décrites"),
        "the person's list says it too"
    );
}

#[tokio::test]
async fn a_person_reads_the_posts_proposed_and_why_in_plain_words() {
    use dklik_domain::{Evidence, Level, OgrCode, SkillEvidence};
    let app = app().await;
    let (cookie, csrf) = advisor(&app).await;
    let hood = europe(&app).await;
    let id = followed(&app, &cookie, &format!("csrf={csrf}&prenom=Ines&nom=Rivage&telephone=0611000009&email=ines%40t.fr&quartier={hood}&mobilite=bus&horaires=tot&horaires=matin&consentement=oui")).await;
    let ev = |item: i64| SkillEvidence {
        id: 0,
        person_id: id,
        item: OgrCode(item),
        level: Level::new(2).expect("l"),
        evidence: Evidence::Observed,
        source: "test".into(),
        recorded_by: "test".into(),
        at: 1,
    };
    app.store
        .add_skill_evidence(&[ev(486593), ev(114828), ev(300483)])
        .await
        .expect("skills");
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let proposed = post_as(
        &app,
        &format!("/conseil/personnes/{id}/mises-en-relation"),
        &cookie,
        &format!("csrf={csrf}&offre={}", offer.code),
    )
    .await;
    assert_eq!(
        proposed.status,
        axum::http::StatusCode::SEE_OTHER,
        "{}",
        proposed.body
    );
    // The person opens their space with the code mailed to them.
    let asked = post_form(&app, "/mon-espace", "email=ines%40t.fr").await;
    assert_eq!(asked.status, axum::http::StatusCode::OK, "{}", asked.body);
    let code = common::code_for(&app, "ines@t.fr").await;
    let ok = post_form(
        &app,
        "/mon-espace/code",
        &format!("email=ines%40t.fr&code={code}"),
    )
    .await;
    let me = ok
        .headers
        .get(axum::http::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_string();
    let data = get_as(&app, "/mon-espace/donnees", &me).await;
    assert!(data.body.contains("href=\"/mon-espace/propositions\""));
    let page = get_as(&app, "/mon-espace/propositions", &me).await;
    assert_eq!(page.status, axum::http::StatusCode::OK, "{}", page.body);
    let title = offer.title.replace('\'', "&#39;");
    assert!(page.body.contains(&title), "{}", page.body);
    assert!(page.body.contains("proposée"), "where it stands");
    assert!(
        page.body.contains("Vous savez déjà faire 3 des ")
            && page.body.contains("choses demandées."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Il manque") || page.body.contains("À apprendre aussi"));
    assert!(
        page.body.contains("href=\"/mon-espace/donnees\""),
        "its own navigation"
    );
    // Nobody else reads it: an advisor is not this person.
    assert_ne!(
        get_as(&app, "/mon-espace/propositions", &cookie)
            .await
            .status,
        axum::http::StatusCode::OK
    );
}
