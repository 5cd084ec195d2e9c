//! The programme lead's dashboard and the evaluators' exports, fed by real steps: a poster
//! scan, a call-back request, an advisor's call, a record opened for a partner's referral.

mod common;

use axum::http::StatusCode;
use common::{app, demo_staff, europe, get, get_as, post_as, post_form, sign_in, PASSWORD};
use dklik_app::impact::{Report, ReportParams};
use dklik_domain::impact::Dimension;

#[tokio::test]
async fn the_dashboard_counts_each_channel_and_the_exports_hide_small_numbers() {
    let app = app().await;
    let offer = demo_staff(&app).await;
    let (advisor, csrf) = sign_in(&app, "conseil@t.fr", PASSWORD).await;
    let (admin, admin_csrf) = sign_in(&app, "admin@t.fr", PASSWORD).await;
    let code = offer.code.to_string();
    // A poster scanned, the page reloaded (one scan, not two), then a call-back request.
    for _ in 0..2 {
        assert_eq!(
            get(&app, &format!("/offres/{code}?src=affiche"))
                .await
                .status,
            StatusCode::OK
        );
    }
    let r = post_form(
        &app,
        &format!("/offres/{code}/interet"),
        "prenom=Nadia&telephone=0612345600&moment=matin&consentement=oui&src=affiche",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let interest = app.store.interests(1).await.expect("i")[0].clone();
    // The advisor calls back.
    let r = post_as(
        &app,
        &format!("/conseil/demandes/{}/etat", interest.id),
        &advisor,
        &format!("csrf={csrf}&etat=contacted"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A record for someone a partner sent: age band only with the person's agreement.
    let hood = europe(&app).await;
    let form = format!("csrf={csrf}&prenom=Karim&telephone=0611220000&quartier={hood}&origine=partenaire&tranche_age=16-25&genre=h&consentement=oui");
    let r = post_as(&app, "/conseil/personnes/nouvelle", &advisor, &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("qu&#39;avec l&#39;accord de la personne")
            || r.body.contains("qu'avec l'accord de la personne"),
        "{}",
        r.body
    );
    let r = post_as(
        &app,
        "/conseil/personnes/nouvelle",
        &advisor,
        &format!("{form}&accord_stats=oui"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post_as(
        &app,
        "/conseil/personnes/nouvelle",
        &advisor,
        &format!("csrf={csrf}&prenom=X&origine=radio&consentement=oui"),
    )
    .await;
    assert!(
        r.body.contains("comment la personne nous a connus"),
        "{}",
        r.body
    );

    let today = dklik_app::today_paris();
    let q = format!("du={}&au={}", today - time::Duration::days(7), today);
    // The dashboard: one SVG chart per figure, with its data table, for advisors.
    let page = get_as(&app, &format!("/pilotage?{q}&ventilation=canal"), &advisor).await;
    assert_eq!(page.status, StatusCode::OK);
    for id in [
        "graphe-entonnoir",
        "graphe-ventilation",
        "graphe-portee",
        "graphe-orientation",
    ] {
        assert!(
            page.body.contains(&format!(
                "id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\""
            )),
            "{id}"
        );
    }
    let row = |label: &str| {
        page.body
            .split(&format!("<th scope=\"row\">{label}</th>"))
            .nth(1)
            .and_then(|s| s.split("</tr>").next())
            .unwrap_or_else(|| panic!("no row {label}"))
            .replace("</td>", "")
            .split("<td>")
            .skip(1)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // Poster: 1 scan, 1 interest, 1 contacted.
    assert_eq!(
        row("Affiche (QR code)")[..7],
        ["0", "1", "1", "1", "0", "0", "0"]
    );
    // Reach: the poster's person and the partner's, this month.
    assert!(
        page.body.contains(
            "<th scope=\"row\">Europe (QPV)</th><td>Orientation par un partenaire</td><td>1</td>"
        ),
        "reach by neighbourhood"
    );
    // Bad filters are explained in French, the page still answers.
    let bad = get_as(&app, "/pilotage?du=hier&canal=radio", &advisor).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("n&#39;est pas une date") || bad.body.contains("n'est pas une date"));
    assert!(
        bad.body.contains("Ce canal n&#39;existe pas")
            || bad.body.contains("Ce canal n'existe pas")
    );

    // Exports: small counts hidden, parameters in the header, the same as the engine's.
    let csv = get_as(
        &app,
        &format!("/pilotage/export/entonnoir-canal.csv?{q}"),
        &advisor,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("# table: entonnoir-canal"));
    assert!(csv.body.contains(&format!(
        "# période: du {} au {today} inclus",
        today - time::Duration::days(7)
    )));
    let poster = csv
        .body
        .lines()
        .find(|l| l.starts_with("affiche,"))
        .expect("poster line");
    assert_eq!(poster, "affiche,Affiche (QR code),0,1,<5,<5,0,0,0,,,,,,");
    let report = Report::load(
        app.store.as_ref(),
        ReportParams::parse(
            &(today - time::Duration::days(7)).to_string(),
            &today.to_string(),
            "",
            today,
        )
        .expect("p"),
    )
    .await
    .expect("report");
    let drop_time = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("# produit le"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        drop_time(&csv.body),
        drop_time(&report.funnel_csv(Dimension::Channel, time::OffsetDateTime::now_utc()))
    );
    assert_eq!(
        get_as(&app, "/pilotage/export/inconnu.csv", &advisor)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let bad = get_as(&app, "/pilotage/export/portee.csv?du=2026-02-30", &advisor).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The person table: administrators only, with a key long enough, pseudonyms only.
    let r = post_as(
        &app,
        "/pilotage/export-personnes",
        &admin,
        &format!("csrf={admin_csrf}&{q}&cle=court"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("au moins 12 caractères"), "{}", r.body);
    let r = post_as(
        &app,
        "/pilotage/export-personnes",
        &admin,
        &format!("csrf={admin_csrf}&{q}&cle=cl%C3%A9+d%27%C3%A9valuation+2026"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body: Vec<&str> = r.body.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(body.len(), 3, "a header and two people: {}", r.body);
    assert!(
        !r.body.contains("Nadia") && !r.body.contains("0612345600") && !r.body.contains("Karim")
    );
    assert!(
        body.iter()
            .any(|l| l.contains(",partenaire,") && l.contains(",Europe,oui,16-25,h,")),
        "{body:?}"
    );
    let r = post_as(
        &app,
        "/pilotage/export-personnes",
        &advisor,
        &format!("csrf={csrf}&{q}&cle=cl%C3%A9+d%27%C3%A9valuation+2026"),
    )
    .await;
    assert_ne!(r.status, StatusCode::OK, "advisors get aggregates only");
    let journal = get_as(&app, "/admin/journal", &admin).await;
    assert!(
        journal.body.contains("table pseudonymisée"),
        "the export is in the audit log"
    );
}
