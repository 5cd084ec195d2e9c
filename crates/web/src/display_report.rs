//! Proof of play for a month: per offer and line, the slides put on screens, the showings the
//! screens confirmed, their seconds on screen, the scans and the call-back requests made from
//! them. The employer sees its own offers (`/entreprise/diffusion`), the admins every
//! employer's (`/admin/diffusion`); each as a page that prints cleanly and as CSV.

use crate::access::Identity;
use crate::error::AppError;
use crate::pages::message_page;
use crate::SharedState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use dklik_app::store::PlayRow;
use dklik_domain::EmployerId;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    /// The month, YYYY-MM (this month when absent).
    #[serde(default)]
    mois: String,
}

/// A month: its first day and the instants it covers in Paris.
struct Month {
    year: i32,
    month: time::Month,
    from: i64,
    to: i64,
}

impl Month {
    fn of(year: i32, month: time::Month) -> Option<Month> {
        let offset = dklik_app::now_paris().offset();
        let first = time::Date::from_calendar_date(year, month, 1).ok()?;
        let next = if month == time::Month::December {
            time::Date::from_calendar_date(year + 1, time::Month::January, 1).ok()?
        } else {
            time::Date::from_calendar_date(year, month.next(), 1).ok()?
        };
        Some(Month {
            year,
            month,
            from: first.midnight().assume_offset(offset).unix_timestamp(),
            to: next.midnight().assume_offset(offset).unix_timestamp(),
        })
    }

    /// "2026-11", or this month for "".
    fn parse(s: &str) -> Option<Month> {
        let s = s.trim();
        if s.is_empty() {
            let d = dklik_app::today_paris();
            return Month::of(d.year(), d.month());
        }
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let y: i32 = y.parse().ok().filter(|y| (2000..=2100).contains(y))?;
        let m = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
        Month::of(y, m)
    }

    fn key(&self) -> String {
        format!("{}-{:02}", self.year, u8::from(self.month))
    }

    fn name(&self) -> String {
        format!(
            "{} {}",
            dklik_app::MONTHS_FR[usize::from(u8::from(self.month)) - 1],
            self.year
        )
    }

    fn previous(&self) -> Option<Month> {
        match self.month {
            time::Month::January => Month::of(self.year - 1, time::Month::December),
            m => Month::of(self.year, m.previous()),
        }
    }

    fn next(&self) -> Option<Month> {
        match self.month {
            time::Month::December => Month::of(self.year + 1, time::Month::January),
            m => Month::of(self.year, m.next()),
        }
    }
}

/// "1 h 02 min 30 s".
fn duration_fr(s: i64) -> String {
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h} h {m:02} min {s:02} s")
    } else if m > 0 {
        format!("{m} min {s:02} s")
    } else {
        format!("{s} s")
    }
}

#[derive(Template)]
#[template(path = "proof_of_play.html")]
struct ProofPage {
    /// For the admins: every employer, with its column.
    all: bool,
    month: String,
    base: &'static str,
    previous: String,
    next: String,
    key: String,
    rows: Vec<PlayRow>,
    total: PlayRow,
    durations: Vec<String>,
    total_duration: String,
}

async fn report(
    st: &SharedState,
    employer: Option<EmployerId>,
    q: &ReportQuery,
    csv: bool,
) -> Result<Response, AppError> {
    let base = if employer.is_some() {
        "/entreprise/diffusion"
    } else {
        "/admin/diffusion"
    };
    let Some(month) = Month::parse(&q.mois) else {
        return Ok(message_page(
            StatusCode::BAD_REQUEST,
            "Mois non reconnu",
            &["Le mois s'écrit année-mois, par exemple 2026-11."],
            false,
            "",
        ));
    };
    let rows = st
        .store
        .proof_of_play(month.from, month.to, employer)
        .await?;
    if csv {
        let mut out = String::from(
            "mois;entreprise;code_offre;offre;ligne;affichages;passages_confirmes;secondes_a_l_ecran;scans;demandes_de_rappel\r\n",
        );
        for r in &rows {
            out.push_str(&dklik_domain::csv::line(
                &[
                    month.key(),
                    r.employer_name.clone(),
                    r.offer_code.clone(),
                    r.offer_title.clone(),
                    r.line.clone(),
                    r.impressions.to_string(),
                    r.plays.to_string(),
                    r.played_s.to_string(),
                    r.scans.to_string(),
                    r.callbacks.to_string(),
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
                    format!("attachment; filename=\"diffusion-{}.csv\"", month.key()),
                ),
            ],
            out,
        )
            .into_response());
    }
    let mut total = PlayRow {
        offer_code: String::new(),
        offer_title: String::new(),
        employer_name: String::new(),
        line: String::new(),
        impressions: 0,
        plays: 0,
        played_s: 0,
        scans: 0,
        callbacks: 0,
    };
    for r in &rows {
        total.impressions += r.impressions;
        total.plays += r.plays;
        total.played_s += r.played_s;
        total.scans += r.scans;
        total.callbacks += r.callbacks;
    }
    let page = ProofPage {
        all: employer.is_none(),
        month: month.name(),
        base,
        previous: month.previous().map(|m| m.key()).unwrap_or_default(),
        next: month
            .next()
            .filter(|m| m.from <= dklik_app::unix_now())
            .map(|m| m.key())
            .unwrap_or_default(),
        key: month.key(),
        durations: rows.iter().map(|r| duration_fr(r.played_s)).collect(),
        total_duration: duration_fr(total.played_s),
        rows,
        total,
    };
    Ok(Html(page.render()?).into_response())
}

fn employer_of(ident: &Identity) -> Result<EmployerId, AppError> {
    ident
        .user()
        .and_then(|u| u.employer_id)
        .ok_or(AppError::NotFound)
}

pub async fn employer_html(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    report(&st, Some(employer_of(&ident)?), &q, false).await
}

pub async fn employer_csv(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    report(&st, Some(employer_of(&ident)?), &q, true).await
}

pub async fn admin_html(
    State(st): State<SharedState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    report(&st, None, &q, false).await
}

pub async fn admin_csv(
    State(st): State<SharedState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    report(&st, None, &q, true).await
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADMIN, EMPLOYER};
    use crate::routes::get;
    vec![
        get("/entreprise/diffusion", Who::Roles(EMPLOYER), employer_html),
        get(
            "/entreprise/diffusion.csv",
            Who::Roles(EMPLOYER),
            employer_csv,
        ),
        get("/admin/diffusion", Who::Roles(ADMIN), admin_html),
        get("/admin/diffusion.csv", Who::Roles(ADMIN), admin_csv),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_and_bounded() {
        let m = Month::parse("2026-11").expect("month");
        assert_eq!(m.key(), "2026-11");
        assert_eq!(m.name(), "novembre 2026");
        assert_eq!(m.to - m.from, 30 * 86_400);
        assert_eq!(m.next().expect("next").key(), "2026-12");
        assert_eq!(
            Month::parse("2026-12").expect("m").next().expect("n").key(),
            "2027-01"
        );
        assert_eq!(
            Month::parse("2026-01")
                .expect("m")
                .previous()
                .expect("p")
                .key(),
            "2025-12"
        );
        for bad in [
            "2026-13", "26-11", "2026-1", "novembre", "1999-01", "2026-00",
        ] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(duration_fr(3750), "1 h 02 min 30 s");
        assert_eq!(duration_fr(70), "1 min 10 s");
    }
}
