//! The employer's display report (`/entreprise/diffusion`, and `.csv`): where and how often
//! its offers were shown on the buses' screens and scanned.

use crate::access::Identity;
use crate::error::AppError;
use crate::SharedState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    jours: String,
}

/// Where and how often the employer's offers were shown and scanned (HTML, or CSV).
pub async fn display_report(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<ReportQuery>,
    csv: bool,
) -> Result<Response, AppError> {
    let eid = ident
        .user()
        .and_then(|u| u.employer_id)
        .ok_or(AppError::NotFound)?;
    let days: i64 = q.jours.parse().unwrap_or(30).clamp(1, 366);
    let now = dklik_app::unix_now();
    let rows = st
        .store
        .display_report(eid, now - days * 86_400, now + 1)
        .await?;
    if csv {
        let mut out = String::from("code_offre;offre;arret;affichages;vehicules;scans\r\n");
        for r in &rows {
            out.push_str(&dklik_domain::csv::line(
                &[
                    r.offer_code.clone(),
                    r.offer_title.clone(),
                    r.stop_name.clone(),
                    r.impressions.to_string(),
                    r.vehicles.to_string(),
                    r.scans.to_string(),
                ],
                ';',
            ));
            out.push_str("\r\n");
        }
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"diffusion-{days}-jours.csv\""),
                ),
            ],
            out,
        )
            .into_response());
    }
    crate::account::TablePage {
        title: format!("Vos offres sur les écrans des bus ({days} derniers jours)"),
        intro: vec![
            "Chaque ligne : une offre, un arrêt, combien de fois elle a été affichée et scannée."
                .into(),
        ],
        links: vec![
            ("/entreprise".into(), "Mes offres".into()),
            (
                format!("/entreprise/diffusion.csv?jours={days}"),
                "Télécharger en CSV".into(),
            ),
        ],
        headers: vec!["Code", "Offre", "Arrêt", "Affichages", "Bus", "Scans"],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.offer_code.clone(),
                    r.offer_title.clone(),
                    r.stop_name.clone(),
                    r.impressions.to_string(),
                    r.vehicles.to_string(),
                    r.scans.to_string(),
                ]
            })
            .collect(),
        empty: "Vos offres n'ont pas encore été affichées sur cette période.",
        forms: vec![],
        csrf: ident.csrf().to_string(),
    }
    .respond()
}

pub async fn display_report_html(
    st: State<SharedState>,
    id: Extension<Identity>,
    q: Query<ReportQuery>,
) -> Result<Response, AppError> {
    display_report(st, id, q, false).await
}

pub async fn display_report_csv(
    st: State<SharedState>,
    id: Extension<Identity>,
    q: Query<ReportQuery>,
) -> Result<Response, AppError> {
    display_report(st, id, q, true).await
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, EMPLOYER};
    use crate::routes::get;
    vec![
        get(
            "/entreprise/diffusion",
            Who::Roles(EMPLOYER),
            display_report_html,
        ),
        get(
            "/entreprise/diffusion.csv",
            Who::Roles(EMPLOYER),
            display_report_csv,
        ),
    ]
}
