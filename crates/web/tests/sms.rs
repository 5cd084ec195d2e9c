//! Text messages through the providers, against a loopback server that answers as Brevo's
//! transactional SMS and Twilio's Messages API do (taken, refused, a server error, no answer in
//! time), and their delivery receipts posted back (the secret, once, a replay, an unknown
//! message). The queue is in the database: a server started again finds it.

mod common;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use common::{app_tuned, post_form, send};
use dklik_app::sms::{self, Brevo, ProviderSettings, Providers, Twilio};
use dklik_app::sms_store::SmsState;
use dklik_app::SmsStore as _;
use dklik_domain::sms::Purpose;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a fake provider answers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Take,
    Status(u16),
    Slow,
}

struct Fake {
    brevo: Mode,
    twilio: Mode,
    /// (provider, headers, body) of each call.
    calls: Vec<(String, HeaderMap, String)>,
}

type Shared = Arc<Mutex<Fake>>;

async fn answer(mode: Mode, taken: serde_json::Value) -> Response {
    match mode {
        Mode::Take => (StatusCode::CREATED, axum::Json(taken)).into_response(),
        Mode::Status(code) => (
            StatusCode::from_u16(code).expect("status"),
            axum::Json(serde_json::json!({"code": "invalid_parameter", "message": "refusé par le faux fournisseur"})),
        )
            .into_response(),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (StatusCode::CREATED, axum::Json(taken)).into_response()
        }
    }
}

async fn brevo(State(f): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let mode = {
        let mut f = f.lock().expect("lock");
        f.calls.push(("brevo".into(), headers, body));
        f.brevo
    };
    answer(mode, serde_json::json!({"messageId": 1511882900176220u64})).await
}

async fn twilio(
    State(f): State<Shared>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    assert_eq!(sid, "AC0123456789");
    let (mode, n) = {
        let mut f = f.lock().expect("lock");
        f.calls.push(("twilio".into(), headers, body));
        (f.twilio, f.calls.len())
    };
    answer(
        mode,
        serde_json::json!({"sid": format!("SM9f3c{n}"), "status": "queued", "num_segments": "1", "price": null}),
    )
    .await
}

async fn fake() -> (Shared, String) {
    let shared: Shared = Arc::new(Mutex::new(Fake {
        brevo: Mode::Take,
        twilio: Mode::Take,
        calls: Vec::new(),
    }));
    let app = Router::new()
        .route("/brevo/v3/transactionalSMS/send", post(brevo))
        .route(
            "/twilio/2010-04-01/Accounts/{sid}/Messages.json",
            post(twilio),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (shared, format!("http://{addr}"))
}

fn providers(base: &str) -> Providers {
    let settings = |p: &str, price: i64| ProviderSettings {
        base_url: format!("{base}/{p}"),
        sender: "DKLIK".into(),
        receipts_url: Some(format!(
            "https://dklik.example/sms/accuses/{p}?cle=cle-secrete-de-test"
        )),
        part_price_micro_eur: Some(price),
        timeout: Duration::from_secs(1),
    };
    Providers(vec![
        Arc::new(Brevo::new(settings("brevo", 45_000), "cle-brevo")),
        Arc::new(Twilio::new(
            settings("twilio", 80_000),
            "AC0123456789",
            "jeton-twilio",
        )),
    ])
}

fn modes(f: &Shared, brevo: Mode, twilio: Mode) {
    let mut f = f.lock().expect("lock");
    f.brevo = brevo;
    f.twilio = twilio;
    f.calls.clear();
}

/// The secret the providers' posts carry in the tests.
const SECRET: &str = "cle-secrete-de-test";

/// The app taking the providers' posts with [`SECRET`].
async fn app_with_secret() -> common::App {
    app_tuned(|s| {
        let sms = s.sms.clone();
        dklik_web::AppState::with_sms(s, sms, Some(SECRET.into()))
    })
    .await
}

/// Monday 30 November 2026, 10:00 in Paris.
const MONDAY_10H: i64 = 1_796_029_200;

#[tokio::test]
async fn messages_go_to_the_first_provider_that_takes_them_and_wait_when_none_does() {
    let app = app_tuned(|s| s).await;
    let store = app.store.as_ref();
    let (f, base) = fake().await;
    let p = providers(&base);
    let now = MONDAY_10H;
    let queue = |text: &'static str, purpose: Purpose, at: i64| async move {
        sms::queue(store, "06 12 34 56 78", text, purpose, None, at)
            .await
            .expect("queued")
    };

    // Brevo takes it: its documented request, the reference and the cost recorded.
    let id = queue(
        "Bonjour Inès, rendez-vous demain à 9 h.",
        Purpose::Transactional,
        now,
    )
    .await;
    modes(&f, Mode::Take, Mode::Take);
    assert_eq!(sms::send_due(store, &p, now).await.expect("send"), 1);
    let m = store.sms_message(id).await.expect("read").expect("there");
    assert_eq!(m.state, SmsState::Sent);
    assert_eq!(
        (
            m.provider.as_deref(),
            m.provider_ref.as_deref(),
            m.cost_micro_eur,
            m.parts,
            m.encoding.as_str()
        ),
        (
            Some("brevo"),
            Some("1511882900176220"),
            Some(45_000),
            1,
            "gsm7"
        )
    );
    {
        let f = f.lock().expect("lock");
        let (who, headers, body) = &f.calls[0];
        assert_eq!(who, "brevo");
        assert_eq!(headers["api-key"], "cle-brevo");
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["sender"], "DKLIK");
        assert_eq!(v["recipient"], "33612345678");
        assert_eq!(v["content"], "Bonjour Inès, rendez-vous demain à 9 h.");
        assert_eq!(v["type"], "transactional");
        assert_eq!(v["unicodeEnabled"], false);
        assert_eq!(
            v["webUrl"],
            "https://dklik.example/sms/accuses/brevo?cle=cle-secrete-de-test"
        );
    }

    // Brevo fails (500): Twilio takes it, with Basic authentication and its form; a text with
    // an emoji goes as UCS-2.
    let id = queue("Prêt pour demain ? 👍", Purpose::Transactional, now).await;
    modes(&f, Mode::Status(500), Mode::Take);
    assert_eq!(sms::send_due(store, &p, now).await.expect("send"), 1);
    let m = store.sms_message(id).await.expect("read").expect("there");
    assert_eq!(
        (m.provider.as_deref(), m.provider_ref.as_deref()),
        (Some("twilio"), Some("SM9f3c2"))
    );
    assert_eq!(
        (m.encoding.as_str(), m.cost_micro_eur),
        ("ucs2", Some(80_000))
    );
    {
        let f = f.lock().expect("lock");
        assert_eq!(f.calls.len(), 2, "Brevo first, then Twilio");
        let v: serde_json::Value = serde_json::from_str(&f.calls[0].2).expect("json");
        assert_eq!(v["unicodeEnabled"], true);
        let (_, headers, body) = &f.calls[1];
        // base64("AC0123456789:jeton-twilio")
        assert_eq!(
            headers["authorization"],
            "Basic QUMwMTIzNDU2Nzg5OmpldG9uLXR3aWxpbw=="
        );
        let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for (k, v) in [
            ("To", "+33612345678"),
            ("From", "DKLIK"),
            ("Body", "Prêt pour demain ? 👍"),
            (
                "StatusCallback",
                "https://dklik.example/sms/accuses/twilio?cle=cle-secrete-de-test",
            ),
        ] {
            assert!(form.contains(&(k.into(), v.into())), "{k}: {form:?}");
        }
    }

    // Brevo does not answer in time and Twilio is overloaded: the message waits 30 s, then
    // goes when one answers again.
    let id = queue("Votre code : 482913", Purpose::Transactional, now).await;
    modes(&f, Mode::Slow, Mode::Status(503));
    assert_eq!(sms::send_due(store, &p, now).await.expect("send"), 0);
    let m = store.sms_message(id).await.expect("read").expect("there");
    assert_eq!(
        (m.state, m.attempts, m.next_attempt_at),
        (SmsState::Queued, 1, now + 30)
    );
    let why = m.last_error.expect("said");
    assert!(
        why.contains("Brevo ne répond pas") && why.contains("Twilio répond 503"),
        "{why}"
    );
    // The admin page says a text waits, and why.
    common::demo_staff(&app).await;
    let (admin, _) = common::sign_in(&app, "admin@t.fr", common::PASSWORD).await;
    let page = common::get_as(&app, "/admin", &admin).await;
    assert!(
        page.body.contains("En attente d'un fournisseur")
            && page.body.contains("…5678 – 1 essai(s)")
            && page.body.contains("Twilio répond 503"),
        "{}",
        page.body
    );
    assert_eq!(
        sms::send_due(store, &p, now + 10).await.expect("send"),
        0,
        "not due yet"
    );
    modes(&f, Mode::Status(503), Mode::Take);
    assert_eq!(sms::send_due(store, &p, now + 31).await.expect("send"), 1);
    assert_eq!(
        store.sms_message(id).await.expect("r").expect("t").state,
        SmsState::Sent
    );

    // Both refuse for good (400): given up at once, both reasons kept.
    let id = queue("Message refusé", Purpose::Transactional, now).await;
    modes(&f, Mode::Status(400), Mode::Status(401));
    sms::send_due(store, &p, now + 40).await.expect("send");
    let m = store.sms_message(id).await.expect("r").expect("t");
    assert_eq!(m.state, SmsState::Failed);
    let why = m.last_error.expect("said");
    assert!(
        why.contains("Brevo répond 400") && why.contains("Twilio répond 401"),
        "{why}"
    );

    // An information message needs the person's consent to them.
    let evening = now + 11 * 3600;
    let news = "Nouvelle offre près de chez vous : cariste à Loon-Plage";
    let e = sms::queue(
        store,
        "06 12 34 56 78",
        news,
        Purpose::Information,
        None,
        evening,
    )
    .await
    .expect_err("nobody agreed");
    assert!(matches!(e, sms::QueueError::NoConsent), "{e}");
    let offer = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer");
    let request = dklik_app::interests::submit_interest(
        store,
        &dklik_domain::interest::InterestForm {
            first_name: "Inès".into(),
            phone: "06 12 34 56 78".into(),
            email: String::new(),
            best_time: "matin".into(),
            consent: true,
        },
        Some(offer.id),
        dklik_app::interests::Source {
            channel: dklik_domain::Channel::Website,
            detail: "",
            impression: None,
        },
        now,
    )
    .await
    .expect("request");
    let person = store
        .interest(request)
        .await
        .expect("q")
        .expect("r")
        .interest
        .person_id;
    assert!(matches!(
        sms::queue(
            store,
            "06 12 34 56 78",
            news,
            Purpose::Information,
            Some(person),
            evening
        )
        .await,
        Err(sms::QueueError::NoConsent)
    ));
    store
        .set_message_choice(person, None, true, now)
        .await
        .expect("agreed");
    // Queued at 21:00, it waits for 08:00 and carries STOP.
    let id = sms::queue(
        store,
        "06 12 34 56 78",
        news,
        Purpose::Information,
        Some(person),
        evening,
    )
    .await
    .expect("queued");
    let m = store.sms_message(id).await.expect("r").expect("t");
    assert_eq!(m.next_attempt_at, now + 22 * 3600, "Tuesday 08:00");
    assert!(m.body.ends_with("STOP : répondez STOP"), "{}", m.body);
    modes(&f, Mode::Take, Mode::Take);
    assert_eq!(
        sms::send_due(store, &p, evening + 60).await.expect("send"),
        0,
        "not at night"
    );

    // Not a mobile, an empty text: refused with a sentence.
    for (phone, text) in [("03 28 00 00 00", "Bonjour"), ("06 12 34 56 78", "  ")] {
        let e = sms::queue(store, phone, text, Purpose::Transactional, None, now)
            .await
            .expect_err("refused");
        assert!(!e.to_string().is_empty());
    }

    // The queue is in the database: a server started again finds the waiting message.
    let again = dklik_store_sql::SqlStore::connect(&app.db_url)
        .await
        .expect("reopen");
    let due = again.due_sms(now + 22 * 3600, 10).await.expect("due");
    assert_eq!(due.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
}

#[tokio::test]
async fn receipts_move_a_message_once_and_need_the_secret() {
    let secret = SECRET;
    let app = app_with_secret().await;
    let store = app.store.as_ref();
    let now = MONDAY_10H;
    let mut ids = Vec::new();
    for (provider, reference) in [("twilio", "SM1"), ("brevo", "777")] {
        let id = sms::queue(
            store,
            "07 11 22 33 44",
            "Bonjour",
            Purpose::Transactional,
            None,
            now,
        )
        .await
        .expect("queued");
        store
            .sms_sent(id, provider, reference, None, now)
            .await
            .expect("sent");
        ids.push(id);
    }
    let twilio = |key: &str| format!("/sms/accuses/twilio?cle={key}");
    let form = "MessageSid=SM1&MessageStatus=delivered&To=%2B33711223344";
    assert_eq!(
        post_form(&app, &twilio("fausse"), form).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_form(&app, "/sms/accuses/twilio", form).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        store
            .sms_message(ids[0])
            .await
            .expect("r")
            .expect("t")
            .state,
        SmsState::Sent
    );
    let ok = post_form(&app, &twilio(secret), form).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.body.contains("Pris en compte"));
    assert_eq!(
        store
            .sms_message(ids[0])
            .await
            .expect("r")
            .expect("t")
            .state,
        SmsState::Delivered
    );
    let replay = post_form(&app, &twilio(secret), form).await;
    assert!(
        replay.body.contains("Déjà pris en compte"),
        "{}",
        replay.body
    );
    // A late "undelivered" for a delivered message does not undo it (out of order).
    post_form(
        &app,
        &twilio(secret),
        "MessageSid=SM1&MessageStatus=undelivered",
    )
    .await;
    assert_eq!(
        store
            .sms_message(ids[0])
            .await
            .expect("r")
            .expect("t")
            .state,
        SmsState::Delivered
    );
    // An intermediate state changes nothing; an unknown message is ignored without an error.
    let sent = post_form(&app, &twilio(secret), "MessageSid=SM1&MessageStatus=sent").await;
    assert!(sent.body.contains("rien à changer"));
    let unknown = post_form(
        &app,
        &twilio(secret),
        "MessageSid=SM404&MessageStatus=delivered",
    )
    .await;
    assert!(unknown.body.contains("inconnu") && unknown.status == StatusCode::OK);
    let unreadable = post_form(&app, &twilio(secret), "MessageStatus=delivered").await;
    assert_eq!(unreadable.status, StatusCode::BAD_REQUEST);

    // Brevo posts JSON: a hard bounce makes the message failed.
    let req = axum::http::Request::post(format!("/sms/accuses/brevo?cle={secret}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            r#"{"messageId": 777, "msg_status": "hard_bounce", "to": "33711223344"}"#,
        ))
        .expect("request");
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        store
            .sms_message(ids[1])
            .await
            .expect("r")
            .expect("t")
            .state,
        SmsState::Failed
    );
    assert_eq!(
        post_form(&app, &format!("/sms/accuses/autre?cle={secret}"), form)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let counts = store.sms_counts().await.expect("counts");
    assert!(
        counts.contains(&(SmsState::Delivered, 1)) && counts.contains(&(SmsState::Failed, 1)),
        "{counts:?}"
    );
}

#[tokio::test]
async fn without_a_secret_no_receipt_is_taken() {
    let app = app_tuned(|s| s).await;
    let r = post_form(
        &app,
        "/sms/accuses/twilio?cle=n-importe-quoi",
        "MessageSid=SM1&MessageStatus=delivered",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stop_texted_back_stops_every_text_to_that_number() {
    let secret = SECRET;
    let app = app_with_secret().await;
    let store = app.store.as_ref();
    let now = MONDAY_10H;
    let waiting = sms::queue(
        store,
        "06 12 34 56 78",
        "Rappel : demain 9 h",
        Purpose::Transactional,
        None,
        now + 3600,
    )
    .await
    .expect("queued");
    // Without the secret: refused; a text that is not STOP stops nothing.
    let url = format!("/sms/recus/twilio?cle={secret}");
    assert_eq!(
        post_form(
            &app,
            "/sms/recus/twilio?cle=faux",
            "From=%2B33612345678&Body=STOP"
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let other = post_form(
        &app,
        &url,
        "From=%2B33612345678&Body=Bonjour+je+cherche+du+travail",
    )
    .await;
    assert!(
        other.body.contains("transmis aux conseillers"),
        "{}",
        other.body
    );
    assert!(!store.sms_stopped("33612345678").await.expect("q"));
    // "Stop svp 🙏" from Twilio (a form): recorded, the queued text given up, no more queued.
    let stop = post_form(
        &app,
        &url,
        "From=%2B33612345678&Body=Stop+svp+%F0%9F%99%8F&MessageSid=SM7",
    )
    .await;
    assert_eq!(stop.status, StatusCode::OK, "{}", stop.body);
    assert!(stop.body.contains("STOP enregistré"));
    assert_eq!(
        store
            .sms_message(waiting)
            .await
            .expect("r")
            .expect("t")
            .state,
        SmsState::Failed
    );
    let e = sms::queue(
        store,
        "+33 6 12 34 56 78",
        "Nouvelle offre",
        Purpose::Information,
        None,
        now,
    )
    .await
    .expect_err("stopped");
    assert!(e.to_string().contains("STOP"), "{e}");
    // Brevo posts JSON; a sender that is not a French mobile is ignored; no sender: 400.
    let json = |body: &'static str| {
        axum::http::Request::post(format!("/sms/recus/brevo?cle={secret}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    let r = send(&app, json(r#"{"from": "33711223344", "text": "STOP"}"#)).await;
    assert!(r.body.contains("STOP enregistré"), "{}", r.body);
    assert!(store.sms_stopped("33711223344").await.expect("q"));
    let r = send(&app, json(r#"{"from": "+447700900123", "text": "STOP"}"#)).await;
    assert!(r.body.contains("Ignoré"), "{}", r.body);
    let r = send(&app, json(r#"{"text": "STOP"}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_code_texted_in_reaches_the_advisors_inbox_with_its_reply() {
    let app = app_with_secret().await;
    let offer = common::demo_staff(&app).await;
    let store = app.store.as_ref();
    let url = format!("/sms/recus/twilio?cle={SECRET}");
    // Twilio's form: the code in lower case with spaces.
    let code = offer.code.as_str().to_lowercase();
    let body = format!(
        "From=%2B33612345678&To=%2B33757000000&MessageSid=SMa1&Body={}",
        common::enc(&format!("{} {}", &code[..3], &code[3..]))
    );
    let r = post_form(&app, &url, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("enregistrée(s) : 1"), "{}", r.body);
    // The provider posts it again: counted once.
    let r = post_form(&app, &url, &body).await;
    assert!(r.body.contains("Déjà pris en compte"), "{}", r.body);
    // The reply waits in the queue for the sender.
    let queued = store.due_sms(i64::MAX / 2, 50).await.expect("due");
    assert_eq!(
        queued.iter().filter(|m| m.to == "33612345678").count(),
        1,
        "one reply"
    );
    // Brevo's JSON: words for an advisor, with an emoji.
    let r = send(
        &app,
        axum::http::Request::post(format!("/sms/recus/brevo?cle={SECRET}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                r#"{"from": "33698765432", "text": "Je n'ai pas de voiture, il y a un bus ? 🚌", "messageId": 77}"#,
            ))
            .expect("request"),
    )
    .await;
    assert!(r.body.contains("transmis aux conseillers"), "{}", r.body);
    // The advisor's inbox: both, marked as waiting for OUI; the message quoted.
    let (cookie, _) = common::sign_in(&app, "conseil@t.fr", common::PASSWORD).await;
    let inbox = common::get_as(&app, "/conseil/demandes", &cookie).await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(
        inbox.body.contains("Par SMS (prénom inconnu)"),
        "{}",
        inbox.body
    );
    assert!(inbox.body.contains("Source : SMS"));
    assert!(inbox.body.contains("il y a un bus ? 🚌"), "{}", inbox.body);
    assert!(inbox.body.contains("Accord attendu"));
    // OUI: the agreement is recorded; the request's page no longer says it is awaited.
    let r = post_form(&app, &url, "From=%2B33612345678&MessageSid=SMa2&Body=oui").await;
    assert!(r.body.contains("Accord enregistré pour 1"), "{}", r.body);
    let rows = store
        .inbox(&dklik_app::InboxFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("inbox");
    let coded = rows
        .iter()
        .find(|r| r.interest.offer_id == Some(offer.id))
        .expect("the request");
    let page = common::get_as(
        &app,
        &format!("/conseil/demandes/{}", coded.interest.id),
        &cookie,
    )
    .await;
    assert!(!page.body.contains("Accord attendu"), "{}", page.body);
    assert!(page.body.contains("06 12 34 56 78"));
    // SMS is a channel of the funnel: the two people who texted are counted under it.
    let dash = common::get_as(&app, "/pilotage?ventilation=canal", &cookie).await;
    let row = dash
        .body
        .split("<tr>")
        .find(|r| r.contains("<th scope=\"row\">SMS au numéro du programme</th>"))
        .unwrap_or_else(|| panic!("no SMS row in the funnel: {}", dash.body));
    assert!(row.contains("<td>2</td>"), "{row}");
    let csv = common::get_as(&app, "/pilotage/export/entonnoir-canal.csv", &cookie).await;
    assert!(
        csv.body.contains("SMS au numéro du programme"),
        "{}",
        csv.body
    );
}

#[tokio::test]
async fn the_programme_number_is_on_posters_and_slides_only_when_set() {
    let plain = app_tuned(|s| s).await;
    let offer = common::demo_staff(&plain).await;
    let poster = format!("/offres/{}/affiche", offer.code);
    let r = common::get(&plain, &poster).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&format!("/o/{}", offer.code)));
    assert!(!r.body.contains("Pas de smartphone"), "no number, no line");
    let with =
        app_tuned(|s| dklik_web::AppState::with_sms_number(s, Some("06 39 98 00 12".into()))).await;
    let offer = common::demo_staff(&with).await;
    let r = common::get(&with, &format!("/offres/{}/affiche", offer.code)).await;
    assert!(
        r.body.contains(&format!(
            "Pas de smartphone ? Envoyez {} au 06 39 98 00 12",
            offer.code
        )),
        "{}",
        r.body
    );
    // The slides' preview shows the line in place of the bare code.
    let (cookie, _) = common::sign_in(&with, "admin@t.fr", common::PASSWORD).await;
    let r = common::get_as(&with, "/admin/ecrans/apercu", &cookie).await;
    assert!(
        r.body.contains(&format!(
            "Envoyez <strong>{}</strong> au 06 39 98 00 12",
            offer.code
        )),
        "{}",
        r.body
    );
    // An unknown code: the helpful page, not a poster.
    let r = common::get(&with, "/offres/ZZZZZZ/affiche").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_dashboard_gives_the_delivery_rate_and_cost_of_each_month() {
    let app = app_tuned(|s| s).await;
    common::demo_staff(&app).await;
    let store = app.store.as_ref();
    let now = dklik_app::unix_now();
    let mut ids = Vec::new();
    for phone in ["06 12 34 56 78", "06 98 76 54 32", "07 11 22 33 44"] {
        ids.push(
            sms::queue(
                store,
                phone,
                "Rappel : demain 9 h",
                Purpose::Transactional,
                None,
                now,
            )
            .await
            .expect("queued"),
        );
    }
    store
        .sms_sent(ids[0], "brevo", "r1", Some(45_000), now)
        .await
        .expect("sent");
    store
        .sms_sent(ids[1], "twilio", "r2", Some(80_000), now)
        .await
        .expect("sent");
    store
        .sms_receipt("brevo", "r1", "r1:delivered", true, now)
        .await
        .expect("delivered");
    store
        .sms_receipt("twilio", "r2", "r2:undelivered", false, now)
        .await
        .expect("failed");
    let (cookie, _) = common::sign_in(&app, "admin@t.fr", common::PASSWORD).await;
    let page = common::get_as(&app, "/pilotage", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let month = dklik_domain::impact::month_of(now);
    let row = page
        .body
        .split("<tr>")
        .find(|r| r.contains(&format!("<th scope=\"row\">{month}</th>")) && r.contains("€"))
        .unwrap_or_else(|| panic!("no SMS row for {month}: {}", page.body));
    // 2 sent, 1 delivered, 1 failed, 1 still queued; 50 %; 0,13 € (0.045 + 0.08).
    let cells: Vec<&str> = row
        .split("<td>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap_or(""))
        .collect();
    assert_eq!(
        cells,
        vec!["2", "1", "1", "0", "1", "50 %", "2", "0,13 €"],
        "{row}"
    );
}

#[tokio::test]
async fn a_mobile_number_is_enough_to_open_my_space() {
    let kept = Arc::new(dklik_store_tests::cases::KeptTexts::default());
    let sender = kept.clone();
    let app = app_tuned(move |s| dklik_web::AppState::with_sms(s, sender, None)).await;
    let offer = common::demo_staff(&app).await;
    // A request with a phone only.
    let r = post_form(
        &app,
        &format!("/offres/{}/interet", offer.code),
        "prenom=Nour&telephone=06+12+34+56+78&moment=soir&consentement=oui",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The form asks for a mobile or an e-mail; a landline is refused in French.
    let page = common::get(&app, "/mon-espace").await;
    assert!(page
        .body
        .contains("numéro de portable ou votre adresse e-mail"));
    let landline = post_form(&app, "/mon-espace", "contact=03+28+00+00+00").await;
    assert_eq!(landline.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        landline.body.contains("ne reçoit pas de SMS"),
        "{}",
        landline.body
    );
    let junk = post_form(&app, "/mon-espace", "contact=bonjour").await;
    assert_eq!(junk.status, StatusCode::UNPROCESSABLE_ENTITY);
    // An unknown mobile: the same answer, no text sent.
    let unknown = post_form(&app, "/mon-espace", "contact=07+99+99+99+99").await;
    assert!(unknown.body.contains("un SMS vient de partir"));
    assert!(kept.0.lock().expect("lock").is_empty());
    // The known one, typed another way: a code by text.
    let asked = post_form(&app, "/mon-espace", "contact=%2B33612345678").await;
    assert!(
        asked.body.contains("Le code reçu par SMS"),
        "{}",
        asked.body
    );
    let (to, text) = kept.0.lock().expect("lock").pop().expect("a text");
    assert_eq!(to, "06 12 34 56 78");
    let code = dklik_store_tests::cases::code_in_text(&text);
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{text}");
    let wrong = post_form(&app, "/mon-espace/code", "contact=0612345678&code=000000").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = post_form(
        &app,
        "/mon-espace/code",
        &format!("contact=06.12.34.56.78&code={code}"),
    )
    .await;
    assert_eq!(
        ok.location.as_deref(),
        Some("/mon-espace/donnees"),
        "{}",
        ok.body
    );
    let cookie = ok
        .headers
        .get(axum::http::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_string();
    let data = common::get_as(&app, "/mon-espace/donnees", &cookie).await;
    assert!(data.body.contains("Nour") && data.body.contains("06 12 34 56 78"));
    // Using the code proved the number.
    let pid = app
        .store
        .person_for_phone_login("06 12 34 56 78")
        .await
        .expect("q")
        .expect("person");
    assert!(pid.phone_verified_at.is_some());
    // The person chooses texts, and new offers by text (a consent recorded).
    let csrf = common::csrf_of(&app, &cookie).await;
    let form = common::get_as(&app, "/mon-espace/messages", &cookie).await;
    assert!(
        form.body.contains("Recevoir les messages par"),
        "{}",
        form.body
    );
    let no_mail = common::post_as(
        &app,
        "/mon-espace/messages",
        &cookie,
        &format!("csrf={csrf}&par=email&sms_infos=non"),
    )
    .await;
    assert_eq!(no_mail.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_mail.body.contains("Pas d&#39;adresse e-mail"),
        "{}",
        no_mail.body
    );
    let ok = common::post_as(
        &app,
        "/mon-espace/messages",
        &cookie,
        &format!("csrf={csrf}&par=sms&sms_infos=oui"),
    )
    .await;
    assert_eq!(
        ok.location.as_deref(),
        Some("/mon-espace/donnees?ok=messages")
    );
    let data = common::get_as(&app, "/mon-espace/donnees?ok=messages", &cookie).await;
    assert!(data.body.contains("Votre choix est enregistré") && data.body.contains("par SMS"));
    assert!(app.store.wants_sms_news(pid.id).await.expect("q"));
    let forged = common::post_as(&app, "/mon-espace/messages", &cookie, "par=&sms_infos=non").await;
    assert_ne!(
        forged.status,
        StatusCode::SEE_OTHER,
        "no CSRF token, no change"
    );
    assert!(app.store.wants_sms_news(pid.id).await.expect("q"));
    // An advisor records that the person no longer wants news.
    let (staff, staff_csrf) = common::sign_in(&app, "conseil@t.fr", common::PASSWORD).await;
    let url = format!("/conseil/personnes/{}/messages", pid.id);
    let page = common::get_as(&app, &url, &staff).await;
    assert!(page.body.contains("06 12 34 56 78"), "{}", page.body);
    let r = common::post_as(
        &app,
        &url,
        &staff,
        &format!("csrf={staff_csrf}&par=sms&sms_infos=non"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!app.store.wants_sms_news(pid.id).await.expect("q"));
    let audit = app
        .store
        .audit_log(Some(&format!("person:{}", pid.id)), 20)
        .await
        .expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "change" && a.detail.contains("SMS d'information : non")),
        "{audit:?}"
    );
    // The person's own page is not the advisors', and the reverse.
    let r = common::get_as(&app, &url, &cookie).await;
    assert_ne!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn a_person_who_could_not_be_reached_is_told_the_way_they_chose() {
    let kept = Arc::new(dklik_store_tests::cases::KeptTexts::default());
    let sender = kept.clone();
    let app = app_tuned(move |s| {
        let s = dklik_web::AppState::with_sms(s, sender, None);
        dklik_web::AppState::with_sms_number(s, Some("06 39 98 00 12".into()))
    })
    .await;
    let offer = common::demo_staff(&app).await;
    let ask = |form: &'static str| {
        let app = &app;
        let code = offer.code.to_string();
        async move {
            let r = post_form(app, &format!("/offres/{code}/interet"), form).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
    };
    ask("prenom=Nour&telephone=06+12+34+56+78&moment=soir&consentement=oui").await;
    ask("prenom=Louis&email=louis%40t.fr&moment=matin&consentement=oui").await;
    let rows = app
        .store
        .inbox(&dklik_app::InboxFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("inbox");
    let id_of = |name: &str| {
        rows.iter()
            .find(|r| r.interest.first_name == name)
            .expect("request")
            .interest
            .id
    };
    let (cookie, csrf) = common::sign_in(&app, "conseil@t.fr", common::PASSWORD).await;
    let set = |id: i64, etat: &'static str| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move {
            let r = common::post_as(
                app,
                &format!("/conseil/demandes/{id}/etat"),
                &cookie,
                &format!("csrf={csrf}&etat={etat}"),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
    };
    let mails_before = app.store.outbox(50).await.expect("o").len();
    set(id_of("Nour"), "unreachable").await;
    set(id_of("Louis"), "unreachable").await;
    let texts = kept.0.lock().expect("lock").clone();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_eq!(texts[0].0, "06 12 34 56 78");
    assert!(
        texts[0].1.contains("Bonjour Nour")
            && texts[0].1.contains(&offer.title)
            && texts[0].1.contains("écrire au 06 39 98 00 12"),
        "{}",
        texts[0].1
    );
    let mails = app.store.outbox(50).await.expect("o");
    assert_eq!(mails.len(), mails_before + 1);
    assert!(mails
        .iter()
        .any(|m| m.to == "louis@t.fr" && m.subject.contains("essayé de vous appeler")));
    // Reached later: nothing more is sent.
    set(id_of("Nour"), "contacted").await;
    assert_eq!(kept.0.lock().expect("lock").len(), 1);
}
