//! The access table, checked: every route of the router is in it, and every route answers
//! every role (and anonymous callers) as the table says.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{app, send, staff_accounts, App, PASSWORD};
use dklik_domain::{InterestStatus, Role};
use dklik_web::Who;

#[test]
fn each_route_is_declared_once() {
    let table = dklik_web::access_table();
    assert!(table.len() >= 100, "{}", table.len());
    for (i, (m, p, _)) in table.iter().enumerate() {
        assert!(
            !table[i + 1..].iter().any(|(m2, p2, _)| m2 == m && p2 == p),
            "{m} {p} is declared twice"
        );
        assert_eq!(dklik_web::lookup(m, p).map(|w| w == table[i].2), Some(true));
    }
    assert_eq!(dklik_web::lookup("HEAD", "/offres"), Some(Who::Anyone));
    assert_eq!(dklik_web::lookup("DELETE", "/offres"), None);
}

/// How a caller presents itself.
enum Caller {
    Anonymous,
    Session { cookie: String, csrf: String },
    Bearer(String),
}

async fn caller(app: &App, role: Option<Role>) -> Caller {
    let store = app.store.as_ref();
    match role {
        None => Caller::Anonymous,
        Some(Role::Screen | Role::Feed) => {
            let r = role.unwrap_or(Role::Screen);
            let (_, token) = dklik_app::auth::create_api_token(store, "t", r, 1)
                .await
                .expect("token");
            Caller::Bearer(token)
        }
        Some(Role::Person) => {
            // The code path itself is tested elsewhere; here a session is opened directly, as
            // many times as the walk needs (codes are limited to 5 an hour per person).
            let now = dklik_app::unix_now();
            let person = store
                .person_for_login("lea@t.fr")
                .await
                .expect("q")
                .expect("person");
            let token = dklik_app::auth::random_token().expect("token");
            let csrf = dklik_app::auth::random_token().expect("csrf");
            store
                .create_session(
                    &dklik_app::auth::token_hash(&token),
                    None,
                    Some(person.id),
                    &csrf,
                    now,
                    now + 3600,
                )
                .await
                .expect("session");
            Caller::Session {
                cookie: format!("dklik_session={token}"),
                csrf,
            }
        }
        Some(r) => {
            let email = match r {
                Role::Admin => "admin@t.fr",
                Role::Advisor => "conseil@t.fr",
                Role::MobileTeam => "mobile@t.fr",
                _ => "rh@t.fr",
            };
            let (_, s) =
                dklik_app::auth::login(store, email, PASSWORD, "127.0.0.1", dklik_app::unix_now())
                    .await
                    .expect("login");
            Caller::Session {
                cookie: format!("dklik_session={}", s.token),
                csrf: s.csrf,
            }
        }
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says() {
    let app = app().await;
    let store = app.store.clone();
    let offer = store
        .offer_by_external_id("DEMO-001")
        .await
        .expect("q")
        .expect("offer");
    staff_accounts(&app, offer.employer_id).await;
    let form = dklik_domain::interest::InterestForm {
        first_name: "Léa".into(),
        phone: String::new(),
        email: "lea@t.fr".into(),
        best_time: "matin".into(),
        consent: true,
    };
    let interest = dklik_app::interests::submit_interest(
        store.as_ref(),
        &form,
        Some(offer.id),
        dklik_app::interests::Source {
            channel: dklik_domain::Channel::Website,
            detail: "",
            impression: None,
        },
        1,
    )
    .await
    .expect("interest");
    let person = store
        .interest(interest)
        .await
        .expect("q")
        .expect("row")
        .interest
        .person_id;
    let mut roles: Vec<Option<Role>> = vec![None];
    roles.extend(Role::ALL.iter().copied().map(Some));
    let mut checked = 0;
    for role in roles {
        for (method, path, who) in dklik_web::access_table() {
            let id = if path.starts_with("/conseil/demandes") {
                interest.to_string()
            } else if path.starts_with("/conseil/personnes") {
                person.to_string()
            } else if path.starts_with("/api/v1/employers") {
                offer.employer_id.0.to_string()
            } else {
                "999999".into()
            };
            let uri = path
                .replace("{code}", offer.code.as_str())
                .replace("{id}", &id);
            let c = caller(&app, role).await;
            let mut req = Request::builder().method(*method).uri(&uri);
            let mut body = String::new();
            match &c {
                Caller::Anonymous => {}
                Caller::Session { cookie, csrf } => {
                    req = req.header(header::COOKIE, cookie);
                    body = format!("csrf={csrf}");
                }
                Caller::Bearer(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            }
            if *method == "POST" {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            }
            let r = send(&app, req.body(Body::from(body)).expect("request")).await;
            let allowed = match who {
                Who::Anyone => true,
                Who::Roles(rs) => role.is_some_and(|r| rs.contains(&r)),
            };
            let to_login = r.status == StatusCode::SEE_OTHER
                && r.location
                    .as_deref()
                    .is_some_and(|l| l.starts_with("/connexion?suite="));
            let denied = r.status == StatusCode::FORBIDDEN
                || r.status == StatusCode::UNAUTHORIZED
                || to_login;
            assert_eq!(
                !denied,
                allowed,
                "{method} {uri} as {role:?}: {} {:?}\n{}",
                r.status,
                r.location,
                r.body.chars().take(300).collect::<String>()
            );
            assert!(
                r.status.as_u16() < 500,
                "{method} {uri} as {role:?}: {}",
                r.status
            );
            if denied && role.is_none() && !path.starts_with("/api/") {
                assert!(
                    to_login,
                    "anonymous callers of {path} are sent to the login page"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, dklik_web::access_table().len() * 8);
    // The walk changed nothing it should not have: the request is still new.
    let row = store.interest(interest).await.expect("q").expect("row");
    assert_eq!(row.interest.status, InterestStatus::New);
}
