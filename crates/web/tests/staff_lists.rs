//! The staff's lists at size: people and employers found from memory (the word index of the
//! public search) and given by pages, the requests given by pages, and the same pages from the
//! database before the lists are built.

mod common;

use axum::http::StatusCode;
use common::{app, demo_staff, enc, get_as, sign_in, PASSWORD};

fn person(first: &str, last: &str, phone: &str, commune: &str) -> dklik_domain::PersonInput {
    dklik_domain::PersonForm {
        prenom: first.into(),
        nom: last.into(),
        telephone: phone.into(),
        commune: commune.into(),
        mobilite: vec!["bus".into()],
        ..Default::default()
    }
    .validate(|_| None)
    .expect("valid")
}

#[tokio::test]
async fn people_and_employers_are_found_from_memory_page_by_page() {
    let app = app().await;
    demo_staff(&app).await;
    let (cookie, _) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    // 230 people: three pages of 100.
    for i in 0..228 {
        let p = person(
            &format!("Prénom{i}"),
            "Lefebvre",
            &format!("06 00 00 {:02} {:02}", i / 100, i % 100),
            "Dunkerque",
        );
        app.store
            .create_person(&p, 1_000 + i)
            .await
            .expect("person");
    }
    let karim = person("Karim", "Benali", "07 11 22 33 44", "Grande-Synthe");
    let karim = app.store.create_person(&karim, 5_000).await.expect("karim");
    let helene = person("Hélène", "Benali", "", "Dunkerque");
    let helene = app
        .store
        .create_person(&helene, 4_000)
        .await
        .expect("hélène");

    // Before the list is built, the database answers the first page.
    let sql = get_as(&app, "/conseil/personnes?q=benali", &cookie).await;
    assert_eq!(sql.status, StatusCode::OK);
    assert!(
        sql.body.contains("Karim Benali") && sql.body.contains("2 personnes"),
        "{}",
        sql.body
    );

    app.people
        .refresh(app.store.as_ref(), true)
        .await
        .expect("built");
    let page = |q: &str, n: &str| {
        let url = format!("/conseil/personnes?q={}&page={n}", enc(q));
        let (app, cookie) = (&app, &cookie);
        async move {
            let r = get_as(app, &url, cookie).await;
            assert_eq!(r.status, StatusCode::OK, "{url}");
            r.body
        }
    };
    let all = page("", "1").await;
    assert!(all.contains("230 personnes – page 1 sur 3"), "{all}");
    assert!(all.contains("rel=\"next\"") && !all.contains("rel=\"prev\""));
    // Most recently active first.
    let (k, h) = (
        all.find("Karim Benali").expect("karim"),
        all.find("Hélène Benali").expect("hélène"),
    );
    assert!(k < h, "Karim was active last");
    let last = page("", "3").await;
    assert!(
        last.contains("page 3 sur 3")
            && last.contains("rel=\"prev\"")
            && !last.contains("rel=\"next\"")
    );
    assert_eq!(
        last.matches("/conseil/personnes/").count()
            - last.matches("/conseil/personnes/nouvelle").count(),
        30
    );
    // Past the end, bad numbers: the nearest page, never an error.
    for n in ["99", "0", "-1", "abc", "1e9", "18446744073709551616"] {
        let b = page("", n).await;
        assert!(b.contains("230 personnes"), "{n}");
        assert!(
            b.contains("Karim Benali") || b.contains("Lefebvre"),
            "{n}: a page with people"
        );
    }
    // By name with a typo, accents ignored, by phone however typed, by commune.
    for (q, who) in [
        ("benali", vec![karim, helene]),
        ("BENALU helene", vec![helene]),
        ("07 11 22", vec![karim]),
        ("+33 7 11 22 33 44", vec![karim]),
        ("grande synthe", vec![karim]),
    ] {
        let b = page(q, "1").await;
        for id in &who {
            assert!(
                b.contains(&format!("/conseil/personnes/{id}\"")),
                "{q}: {id}"
            );
        }
        let n = if who.len() == 1 {
            "1 personne".to_string()
        } else {
            format!("{} personnes", who.len())
        };
        assert!(b.contains(&n), "{q}: {n}");
    }
    let none = page("'; DROP TABLE people; --", "1").await;
    assert!(none.contains("Aucune personne") && none.contains("Personne ne correspond."));

    // Employers: by name or by an offer's title or code, whatever its state.
    let offer = dklik_app::Store::published_offers(app.store.as_ref(), false)
        .await
        .expect("offers")
        .remove(0);
    let sql = get_as(&app, "/conseil/entreprises?q=zzzz", &cookie).await;
    assert!(sql.body.contains("Aucune entreprise"), "{}", sql.body);
    app.employers
        .refresh(app.store.as_ref(), true)
        .await
        .expect("built");
    let by_code = get_as(
        &app,
        &format!("/conseil/entreprises?q={}", offer.code),
        &cookie,
    )
    .await;
    assert!(
        by_code.body.contains("1 entreprise")
            && by_code
                .body
                .contains(&format!("/conseil/entreprises/{}\"", offer.employer_id.0)),
        "{}",
        by_code.body
    );
    let by_title = get_as(
        &app,
        &format!("/conseil/entreprises?q={}", enc(&offer.title)),
        &cookie,
    )
    .await;
    assert!(
        by_title.body.contains(&offer.employer_name),
        "{}",
        by_title.body
    );
    // A paused offer is listed "à traiter", light, with its employer.
    dklik_app::EmployerStore::change_offer_status(
        app.store.as_ref(),
        offer.id,
        dklik_domain::OfferStatus::Paused,
        dklik_app::today_paris(),
        "test",
        // Later than anything made above, whatever the second: the version moves.
        dklik_app::unix_now() + 5,
    )
    .await
    .expect("paused");
    // The offers to handle are kept with the employers list's version: the servers see it move
    // within a second (`directory::keep_fresh`); here the list is refreshed by hand.
    assert!(app
        .employers
        .refresh(app.store.as_ref(), false)
        .await
        .expect("refreshed"));
    let pending = get_as(&app, "/conseil/entreprises", &cookie).await;
    assert!(
        pending.body.contains(
            &format!("En pause : {} ({})", offer.title, offer.code).replace('\'', "&#39;")
        ),
        "{}",
        pending.body
    );
    let all = get_as(&app, "/conseil/entreprises?page=abc", &cookie).await;
    assert!(all.body.contains(" entreprises") && all.status == StatusCode::OK);
}

/// A queue's count is kept 2 seconds, the rows are always read: a new request shows in the
/// list at once and in the count within 2 seconds.
#[tokio::test]
async fn the_inbox_count_follows_new_requests_within_two_seconds() {
    let app = app().await;
    let offer = demo_staff(&app).await;
    let ask = |name: &'static str| {
        let app = &app;
        let code = offer.code.to_string();
        async move {
            let r = common::post_form(
                app,
                &format!("/offres/{code}/interet"),
                &format!("prenom={name}&email={name}%40t.fr&moment=soir&consentement=oui"),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
        }
    };
    ask("Anna").await;
    let (cookie, _) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let first = get_as(&app, "/conseil/demandes", &cookie).await;
    assert!(first.body.contains("1 demande."), "{}", first.body);
    ask("Bilal").await;
    let now = get_as(&app, "/conseil/demandes", &cookie).await;
    assert!(now.body.contains("Bilal"), "the rows are read each time");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let later = get_as(&app, "/conseil/demandes", &cookie).await;
    assert!(later.body.contains("2 demandes."), "{}", later.body);
}
