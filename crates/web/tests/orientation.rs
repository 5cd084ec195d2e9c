//! OrientaKlik through HTTP: the catalogue and registrations (never more than the places, even
//! at once), the waiting list, cancellations told to people, reminders, the survey, events and
//! their iCalendar feeds read by a real parser, and the mobile team's contacts counted once.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{app, demo_staff, enc, get, get_as, post_as, post_form, sign_in, App, PASSWORD};
use tower::ServiceExt;

async fn staff(app: &App) -> ((String, String), (String, String)) {
    demo_staff(app).await;
    (
        sign_in(app, "conseil@t.fr", PASSWORD).await,
        sign_in(app, "mobile@t.fr", PASSWORD).await,
    )
}

fn day_after(days: i64) -> String {
    let d = dklik_app::today_paris() + time::Duration::days(days);
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A service and a session in three days, through the advisors' pages. Returns (service, session).
async fn service_with_session(
    app: &App,
    cookie: &str,
    csrf: &str,
    places: u32,
) -> (i64, dklik_domain::SessionId) {
    let bad = post_as(
        app,
        "/conseil/orientaklik/services",
        cookie,
        &format!(
            "csrf={csrf}&nom=&type_service=cirque&duree=5&type_lieu=lune&capacite=0&metiers=Z9999"
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "le nom du service",
        "type de service",
        "10 à 7 200",
        "type de lieu",
        "1 à 500",
        "Z9999",
    ] {
        assert!(bad.body.contains(m), "{m}");
    }
    let r = post_as(
        app,
        "/conseil/orientaklik/services",
        cookie,
        &format!(
            "csrf={csrf}&nom={}&type_service=realite_virtuelle&public={}&description={}&duree=45&type_lieu=bus_emploi&lieu={}&materiel=Casques&capacite=10&porteur={}&metiers=H2913",
            enc("Soudure en réalité virtuelle"),
            enc("Tout public, dès 16 ans"),
            enc("Tenir la torche et souder, sans risque, avec un casque."),
            enc("Bus de l'emploi"),
            enc("Chantier-école")
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let service = app
        .store
        .services(&Default::default())
        .await
        .expect("s")
        .into_iter()
        .find(|s| s.name == "Soudure en réalité virtuelle")
        .expect("service")
        .id;
    let r = post_as(
        app,
        "/conseil/orientaklik/seances",
        cookie,
        &format!(
            "csrf={csrf}&service={service}&jour={}&heure=10%3A00&lieu=&places={places}",
            day_after(3)
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let past = post_as(
        app,
        "/conseil/orientaklik/seances",
        cookie,
        &format!("csrf={csrf}&service={service}&jour=2020-01-01&heure=10%3A00"),
    )
    .await;
    assert!(past.body.contains("passée"));
    let session = app
        .store
        .orientation_sessions(Some(service), 0)
        .await
        .expect("s")[0]
        .id;
    (service, session)
}

async fn register(
    app: &App,
    service: i64,
    session: dklik_domain::SessionId,
    who: &str,
    phone: &str,
) -> common::Answer {
    post_form(
        app,
        &format!("/orientaklik/{service}/inscription"),
        &format!("seance={session}&prenom={who}&telephone={phone}&email={who}%40exemple.fr&consentement=oui"),
    )
    .await
}

#[tokio::test]
async fn registrations_never_exceed_the_places_and_the_waiting_list_moves_up() {
    let app = app().await;
    let ((cookie, csrf), _) = staff(&app).await;
    let (service, session) = service_with_session(&app, &cookie, &csrf, 3).await;
    let page = get(&app, &format!("/orientaklik/{service}")).await;
    assert!(page.body.contains("3 place(s) libre(s)"));
    let list = get(&app, "/orientaklik?type=realite_virtuelle&famille=H").await;
    assert!(list.body.contains("Soudure en réalité virtuelle"));
    assert!(!get(&app, "/orientaklik?famille=N")
        .await
        .body
        .contains("Soudure en réalité virtuelle"));
    // Bad input: no consent, no contact.
    let r = post_form(
        &app,
        &format!("/orientaklik/{service}/inscription"),
        &format!("seance={session}&prenom=Ali"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Cochez la case") && r.body.contains("téléphone"));
    // Ten people at once for three places: parallel requests through the real router.
    let requests = (0..10).map(|i| {
        let router = app.router.clone();
        async move {
            let body =
                format!("seance={session}&prenom=P{i}&telephone=06123456{i:02}&consentement=oui");
            router
                .oneshot(
                    Request::post(format!("/orientaklik/{service}/inscription"))
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(Body::from(body))
                        .expect("request"),
                )
                .await
                .expect("answer")
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
                .unwrap_or_default()
        }
    });
    let outcomes = futures_util::future::join_all(requests).await;
    assert_eq!(
        outcomes
            .iter()
            .filter(|l| l.ends_with("ok=inscrit"))
            .count(),
        3,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|l| l.ends_with("ok=attente"))
            .count(),
        7,
        "{outcomes:?}"
    );
    let s = app
        .store
        .orientation_session(session)
        .await
        .expect("q")
        .expect("s");
    assert_eq!((s.registered, s.waiting), (3, 7));
    // An advisor cancels one place: the first waiting person gets it and is told.
    let regs = app.store.registrations(session).await.expect("r");
    let holder = regs
        .iter()
        .find(|r| r.status == dklik_domain::orientation::RegistrationStatus::Registered)
        .expect("holder");
    let first_waiting = regs
        .iter()
        .filter(|r| r.status == dklik_domain::orientation::RegistrationStatus::Waiting)
        .min_by_key(|r| (r.created_at, r.id))
        .expect("w")
        .clone();
    let r = post_as(
        &app,
        &format!("/conseil/orientaklik/seances/{session}/annuler-inscription"),
        &cookie,
        &format!("csrf={csrf}&inscription={}", holder.id),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let promoted = app
        .store
        .registration(first_waiting.id)
        .await
        .expect("q")
        .expect("r");
    assert_eq!(
        promoted.status,
        dklik_domain::orientation::RegistrationStatus::Registered
    );
    let journey = app.store.journey(first_waiting.person_id).await.expect("j");
    assert!(
        journey
            .iter()
            .any(|e| e.summary.contains("liste d'attente")),
        "{journey:?}"
    );
    // Attendance and the before/after survey.
    let r = post_as(
        &app,
        &format!("/conseil/orientaklik/seances/{session}/presence"),
        &cookie,
        &format!("csrf={csrf}&inscription={}&present=oui", promoted.id),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let waiting = app
        .store
        .registrations(session)
        .await
        .expect("r")
        .into_iter()
        .find(|r| r.status == dklik_domain::orientation::RegistrationStatus::Waiting)
        .expect("w");
    let r = post_as(
        &app,
        &format!("/conseil/orientaklik/seances/{session}/presence"),
        &cookie,
        &format!("csrf={csrf}&inscription={}&present=oui", waiting.id),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no attendance without a place"
    );
    for (moment, answers) in [("avant", ["1", "2", "1"]), ("apres", ["4", "4", "3"])] {
        let r = post_as(
            &app,
            &format!("/conseil/orientaklik/seances/{session}/questionnaire"),
            &cookie,
            &format!(
                "csrf={csrf}&inscription={}&moment={moment}&q1={}&q2={}&q3={}",
                promoted.id, answers[0], answers[1], answers[2]
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let bad = post_as(
        &app,
        &format!("/conseil/orientaklik/seances/{session}/questionnaire"),
        &cookie,
        &format!(
            "csrf={csrf}&inscription={}&moment=apres&q1=9&q2=&q3=3",
            waiting.id
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let report = get_as(&app, "/conseil/orientaklik/bilan", &cookie).await;
    assert!(report.body.contains("1.0 → 4.0 (+3.0)"), "{}", report.body);
    // The session is cancelled: everyone still on it is told, and nobody can register.
    use dklik_domain::orientation::RegistrationStatus as S;
    let on_it: Vec<dklik_domain::PersonId> = app
        .store
        .registrations(session)
        .await
        .expect("r")
        .into_iter()
        .filter(|r| matches!(r.status, S::Registered | S::Waiting))
        .map(|r| r.person_id)
        .collect();
    assert_eq!(on_it.len(), 2 + 6);
    let r = post_as(
        &app,
        &format!("/conseil/orientaklik/seances/{session}/annuler"),
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for p in &on_it {
        let j = app.store.journey(*p).await.expect("j");
        assert!(
            j.iter().any(|e| e.summary.contains("séance annulée")),
            "person {p} told"
        );
    }
    let late = register(&app, service, session, "Tard", "0699999999").await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("annulée") || late.body.contains("Choisissez une séance"));
    // The timeline of a registered person shows the steps.
    let page = get_as(
        &app,
        &format!("/conseil/personnes/{}", promoted.person_id),
        &cookie,
    )
    .await;
    for s in [
        "OrientaKlik : Soudure en réalité virtuelle",
        "OrientaKlik : présent",
        "place obtenue depuis la liste d&#39;attente",
    ] {
        assert!(page.body.contains(s), "{s}");
    }
}

#[tokio::test]
async fn reminders_go_the_day_before_by_email_and_text_message_once() {
    let app = app().await;
    let ((cookie, csrf), _) = staff(&app).await;
    let (service, _) = service_with_session(&app, &cookie, &csrf, 5).await;
    let tomorrow = dklik_app::today_paris() + time::Duration::days(1);
    let session = app
        .store
        .create_orientation_session(
            service,
            dklik_app::paris_instant(tomorrow, 14 * 60),
            dklik_app::paris_instant(tomorrow, 15 * 60),
            "Gare",
            5,
            1,
        )
        .await
        .expect("session");
    assert_eq!(
        register(&app, service, session, "Nora", "0611111111")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Sami chose texts only (an advisor recorded it): the reminder is not e-mailed to him.
    assert_eq!(
        register(&app, service, session, "Sami", "0622222222")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let sami = app
        .store
        .person_for_phone_login("06 22 22 22 22")
        .await
        .expect("q")
        .expect("Sami");
    dklik_app::privacy::set_message_choice(
        app.store.as_ref(),
        sami.id,
        "sms",
        false,
        None,
        "test",
        5,
    )
    .await
    .expect("choice");
    let dir = tempfile::tempdir().expect("tmp");
    let sms = dklik_app::orientation::FolderSms {
        dir: dir.path().to_path_buf(),
    };
    let today = dklik_app::today_paris();
    let n = dklik_app::orientation::send_reminders(app.store.as_ref(), &sms, today, 10)
        .await
        .expect("send");
    assert_eq!(n, 2);
    let mut texts: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| std::fs::read_to_string(e.expect("e").path()).expect("read"))
        .collect();
    texts.sort();
    assert_eq!(texts.len(), 2);
    let reminders: Vec<String> = app
        .store
        .outbox(50)
        .await
        .expect("o")
        .into_iter()
        .filter(|m| m.subject.contains("Rappel"))
        .map(|m| m.to)
        .collect();
    assert_eq!(
        reminders,
        vec!["nora@exemple.fr".to_string()],
        "Sami by text only"
    );
    assert!(
        texts[0].contains("06 11 11 11 11")
            && texts[0].contains("rappel")
            && texts[0].contains("demain"),
        "{}",
        texts[0]
    );
    assert!(app
        .store
        .outbox(50)
        .await
        .expect("o")
        .iter()
        .any(|m| m.subject.contains("Rappel")));
    assert_eq!(
        dklik_app::orientation::send_reminders(app.store.as_ref(), &sms, today, 11)
            .await
            .expect("again"),
        0
    );
    // An event tomorrow: its registrant is reminded too, by text (a phone only), once.
    let r = post_as(
        &app,
        "/conseil/agenda",
        &cookie,
        &format!(
            "csrf={csrf}&type_evenement=cafe_emploi&titre={}&description=&jour={}&debut=09%3A00&fin=12%3A00&lieu={}&latitude=51.0136&longitude=2.3029",
            enc("Café de l'emploi"),
            day_after(1),
            enc("Maison de l'emploi, Grande-Synthe"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let code = r
        .location
        .expect("loc")
        .rsplit('=')
        .next()
        .expect("code")
        .to_string();
    let yes = post_form(
        &app,
        &format!("/e/{code}/inscription"),
        "prenom=Mo&telephone=0633333333&consentement=oui",
    )
    .await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER, "{}", yes.body);
    let n = dklik_app::orientation::send_reminders(app.store.as_ref(), &sms, today, 12)
        .await
        .expect("events");
    assert_eq!(n, 1);
    let texts: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| std::fs::read_to_string(e.expect("e").path()).expect("read"))
        .filter(|t| t.contains("06 33 33 33 33"))
        .collect();
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].contains("Café de l'emploi") && texts[0].contains("demain"),
        "{}",
        texts[0]
    );
    assert_eq!(
        dklik_app::orientation::send_reminders(app.store.as_ref(), &sms, today, 13)
            .await
            .expect("again"),
        0
    );
}

#[tokio::test]
async fn events_have_a_page_a_poster_and_calendars_a_parser_reads() {
    let app = app().await;
    let ((cookie, csrf), (mobile, mobile_csrf)) = staff(&app).await;
    let offer = app
        .store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("o");
    let bad = post_as(&app, "/conseil/agenda", &mobile, &format!("csrf={mobile_csrf}&type_evenement=concert&titre=&jour=2020-01-01&debut=10h&fin=9h&lieu=&latitude=100&longitude=2&offres=ZZZZZZ")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "n&#39;existe pas",
        "le titre",
        "le lieu",
        "La fin est avant le début",
        "degrés décimaux",
        "ZZZZZZ",
    ] {
        assert!(bad.body.contains(m), "{m}: {}", bad.body);
    }
    let title = "Café de l'emploi : industrie, logistique; entrée libre";
    let r = post_as(
        &app,
        "/conseil/agenda",
        &cookie,
        &format!(
            "csrf={csrf}&type_evenement=cafe_emploi&titre={}&description={}&jour={}&debut=09%3A00&fin=12%3A00&lieu={}&latitude=51.0136&longitude=2.3029&offres={}&entreprises={}",
            enc(title),
            enc("Des recruteurs, des offres, un café."),
            day_after(5),
            enc("Maison de l'emploi, Grande-Synthe"),
            offer.code,
            offer.employer_id.0
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let code = r
        .location
        .expect("loc")
        .rsplit('=')
        .next()
        .expect("code")
        .to_string();
    let page = get(&app, &format!("/e/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = |t: &str| {
        t.replace('&', "&amp;")
            .replace('\'', "&#39;")
            .replace('"', "&quot;")
    };
    assert!(
        page.body.contains(&html(&offer.employer_name)) && page.body.contains(&html(&offer.title)),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("https://dklik.example/e/{code}")),
        "its own short link"
    );
    let poster = get(&app, &format!("/e/{code}/affiche")).await;
    assert!(
        poster.body.contains("<svg") && poster.body.contains(&format!("dklik.example/e/{code}"))
    );
    let agenda = get(&app, "/agenda").await;
    assert!(
        agenda.body.contains(&format!("/e/{code}")) && agenda.body.contains("<svg"),
        "a list and a plan"
    );
    // Someone comes.
    let no = post_form(&app, &format!("/e/{code}/inscription"), "prenom=Mo").await;
    assert_eq!(no.status, StatusCode::UNPROCESSABLE_ENTITY);
    let yes = post_form(
        &app,
        &format!("/e/{code}/inscription"),
        "prenom=Mo&telephone=0622222222&consentement=oui",
    )
    .await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER);
    let twice = post_form(
        &app,
        &format!("/e/{code}/inscription"),
        "prenom=Mo&telephone=0622222222&consentement=oui",
    )
    .await;
    assert!(twice.body.contains("déjà inscrit"));
    // The calendar, read back by an iCalendar parser.
    let ics = get(&app, "/agenda/cafe_emploi.ics").await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .starts_with("text/calendar"));
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(ics.body.as_bytes()));
    let cal = parser.next().expect("a calendar").expect("parses");
    assert_eq!(cal.events.len(), 1);
    let prop = |name: &str| {
        cal.events[0]
            .properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        prop("SUMMARY").replace("\\,", ",").replace("\\;", ";"),
        title
    );
    assert_eq!(prop("UID"), format!("dklik-evenement-{code}@dklik"));
    assert_eq!(
        prop("LOCATION").replace("\\,", ","),
        "Maison de l'emploi, Grande-Synthe"
    );
    assert!(prop("DTSTART").ends_with('Z') && prop("DTSTART").len() == 16);
    assert!(parser.next().is_none());
    let empty = get(&app, "/agenda/tournee.ics").await;
    let cal = ical::IcalParser::new(std::io::BufReader::new(empty.body.as_bytes()))
        .next()
        .expect("cal")
        .expect("parses");
    assert!(cal.events.is_empty());
    let unknown = get(&app, "/agenda/concerts.ics").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("cafe_emploi.ics"));
}

#[tokio::test]
async fn a_contact_is_recorded_once_and_becomes_a_record_with_consent() {
    let app = app().await;
    let (_, (mobile, csrf)) = staff(&app).await;
    let page = get_as(&app, "/equipe-mobile", &mobile).await;
    assert_eq!(page.status, StatusCode::OK);
    let submission = page
        .body
        .split("name=\"envoi\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("id")
        .to_string();
    assert_eq!(submission.len(), 32);
    let form = format!("csrf={csrf}&envoi={submission}&lieu_type=neighbourhood&lieu=Europe&canal=rue&nombre=4&besoins=emploi&besoins=formation&suite=rappel");
    let r = post_as(&app, "/equipe-mobile", &mobile, &form).await;
    assert_eq!(r.location.as_deref(), Some("/equipe-mobile?ok=1"));
    let again = post_as(&app, "/equipe-mobile", &mobile, &form).await;
    assert_eq!(
        again.location.as_deref(),
        Some("/equipe-mobile?ok=deja"),
        "a retried submission is not counted twice"
    );
    assert_eq!(app.store.outreach_contacts(10).await.expect("c").len(), 1);
    // From the page's script, in JSON.
    let json = common::send(
        &app,
        Request::post("/equipe-mobile")
            .header(header::COOKIE, &mobile)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.clone()))
            .expect("req"),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&json.body).expect("json");
    assert_eq!(v["new"], false);
    // Bad input.
    let bad = post_as(&app, "/equipe-mobile", &mobile, &format!("csrf={csrf}&envoi=abc&lieu_type=lune&lieu=&canal=pigeon&nombre=0&besoins=fortune&suite=")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "rechargez la page",
        "lieu inconnu",
        "Dites où",
        "canal inconnu",
        "besoin inconnu",
        "suite inconnue",
    ] {
        assert!(bad.body.contains(m), "{m}");
    }
    // A person who agrees to be contacted becomes a record, with the contact in the timeline.
    let second = "0123456789abcdef0123456789abcdef";
    let no_consent = post_as(&app, "/equipe-mobile", &mobile, &format!("csrf={csrf}&envoi={second}&lieu_type=stop&lieu=Gare&canal=bus_emploi&besoins=emploi&suite=rendez_vous&prenom=Karim&telephone=0633333333")).await;
    assert_eq!(no_consent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_consent.body.contains("Cochez la case"));
    let r = post_as(&app, "/equipe-mobile", &mobile, &format!("csrf={csrf}&envoi={second}&lieu_type=stop&lieu=Gare&canal=bus_emploi&besoins=emploi&suite=rendez_vous&prenom=Karim&telephone=0633333333&consentement=oui")).await;
    assert_eq!(r.location.as_deref(), Some("/equipe-mobile?ok=1"));
    let c = app
        .store
        .outreach_contacts(10)
        .await
        .expect("c")
        .into_iter()
        .find(|c| c.submission == second)
        .expect("c");
    let person = c.person_id.expect("a person record");
    let journey = app.store.journey(person).await.expect("j");
    assert!(
        journey
            .iter()
            .any(|e| e.kind == "outreach" && e.summary.contains("Gare")),
        "{journey:?}"
    );
    assert_eq!(
        app.store.consents(person).await.expect("c")[0].purpose,
        "orientation"
    );
    // Employers may not use it.
    let (rh, _) = sign_in(&app, "rh@t.fr", PASSWORD).await;
    assert_eq!(
        get_as(&app, "/equipe-mobile", &rh).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_agenda_map_uses_the_configured_tiles_and_allows_only_them() {
    let app = app().await;
    let ((cookie, csrf), _) = staff(&app).await;
    let r = post_as(&app, "/conseil/agenda", &cookie, &format!("csrf={csrf}&type_evenement=bus_emploi&titre=Bus&jour={}&debut=09%3A00&fin=12%3A00&lieu=Gare&latitude=51.03&longitude=2.37", day_after(2))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Without tiles: a plain plan, nothing from elsewhere.
    let plain = get(&app, "/agenda").await;
    assert!(plain.body.contains("<svg") && !plain.body.contains("<image"));
    // With tiles: the page names them, and its policy allows that host only.
    let state = dklik_web::AppState::new(
        app.store.clone(),
        "https://dklik.example",
        24,
        app.screens.clone(),
    );
    let state = dklik_web::AppState::with_map_tiles(
        state,
        Some("https://tuiles.example/{z}/{x}/{y}.png".into()),
    );
    let router = dklik_web::router(state).layer(axum::extract::connect_info::MockConnectInfo(
        std::net::SocketAddr::from(([192, 0, 2, 9], 4000)),
    ));
    let res = router
        .oneshot(Request::get("/agenda").body(Body::empty()).expect("req"))
        .await
        .expect("answer");
    let csp = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        csp.contains("img-src 'self' data: https://tuiles.example;"),
        "{csp}"
    );
    let body = String::from_utf8(
        axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body")
            .to_vec(),
    )
    .expect("utf8");
    assert!(
        body.contains("<image href=\"https://tuiles.example/"),
        "{body}"
    );
    // Elsewhere the policy is unchanged.
    assert!(get(&app, "/offres")
        .await
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .contains("img-src 'self' data:;"));
}
