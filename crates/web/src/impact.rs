//! The programme lead's dashboard (`/pilotage`): the funnel per channel, reach by
//! neighbourhood and OrientaKlik figures, each as a server-drawn SVG chart with its data table,
//! and the evaluators' CSV exports. The numbers come from `dklik_app::impact::Report`, the
//! same as `dklik report`.

use crate::access::Identity;
use crate::error::AppError;
use crate::skills::me;
use crate::SharedState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use dklik_app::impact::{self as app_imp, Report, ReportParams};
use dklik_domain::impact::{self as imp, Dimension, FUNNEL_COLUMNS};
use dklik_domain::{FieldError, Role};

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Filters {
    du: String,
    au: String,
    canal: String,
    ventilation: String,
}

/// One chart with the table of its data beside it.
struct Chart {
    svg: String,
    caption: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "impact.html")]
struct ImpactPage {
    me: String,
    csrf: String,
    errors: Vec<FieldError>,
    du: String,
    au: String,
    canal: String,
    ventilation: String,
    channels: Vec<(&'static str, &'static str)>,
    dimensions: Vec<(&'static str, &'static str)>,
    funnel: Chart,
    breakdown: Chart,
    reach: Chart,
    reach_places: Chart,
    outreach: Chart,
    orientation: Chart,
    sms: Chart,
    exports: Vec<(String, String)>,
    admin: bool,
    key_error: String,
}

fn today() -> time::Date {
    dklik_app::today_paris()
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0} %", x * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn num(v: Option<u64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "–".into())
}

/// Escapes text for SVG and HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A horizontal bar chart as accessible SVG: a title and a description the screen reader
/// announces, the value written beside each bar. No script, no external font.
pub fn bar_chart(id: &str, title: &str, desc: &str, bars: &[(String, u64)]) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let row_h = 28;
    let label_w = 230;
    let bar_w = 330;
    let height = 16 + bars.len().max(1) * row_h;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         viewBox=\"0 0 640 {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" class=\"chart\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    );
    if bars.is_empty() {
        s.push_str("<text x=\"8\" y=\"28\" font-size=\"15\" fill=\"#1a1a1a\">Aucune donnée sur la période.</text>");
    }
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 8 + i * row_h;
        let w = (*v as f64 / max as f64 * bar_w as f64).round() as u64;
        let short: String = if label.chars().count() > 30 {
            format!("{}…", label.chars().take(29).collect::<String>())
        } else {
            label.clone()
        };
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"14\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text>\
             <rect x=\"{}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"#005a9c\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"14\" fill=\"#1a1a1a\">{v}</text>",
            label_w - 8,
            y + 18,
            esc(&short),
            label_w,
            y + 4,
            row_h - 8,
            label_w + w as usize + 6,
            y + 18,
        ));
    }
    s.push_str("</svg>");
    s
}

/// A chart's data in one sentence, for its description ("Mois 2026-06 : 40, …").
fn describe(bars: &[(String, u64)]) -> String {
    bars.iter()
        .map(|(l, v)| format!("{l} : {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn funnel_charts(report: &Report, dim: Dimension) -> (Chart, Chart) {
    let t = report.funnel(dim);
    let totals: Vec<(String, u64)> = FUNNEL_COLUMNS
        .iter()
        .zip(t.total.counts)
        .map(|(c, v)| (c.to_string(), v.unwrap_or(0)))
        .collect();
    let desc = format!(
        "Du {} au {} : {}",
        report.params.from,
        report.params.to,
        describe(&totals)
    );
    let rates = t.total.rates();
    // Displays count in thousands where people count in tens: the chart draws the people's
    // steps, the table gives every step.
    let people_steps = &totals[dklik_domain::impact::FIRST_PEOPLE_COLUMN..];
    let funnel = Chart {
        svg: bar_chart(
            "graphe-entonnoir",
            "Entonnoir : de l'intérêt à l'embauche",
            &desc,
            people_steps,
        ),
        caption: "Entonnoir sur la période, avec le taux de passage d'une étape à la suivante"
            .into(),
        headers: vec![
            "Étape".into(),
            "Nombre".into(),
            "Passage depuis l'étape d'avant".into(),
        ],
        rows: totals
            .iter()
            .enumerate()
            .map(|(i, (c, v))| {
                vec![
                    c.clone(),
                    v.to_string(),
                    if i == 0 {
                        "–".into()
                    } else {
                        pct(rates[i - 1])
                    },
                ]
            })
            .collect(),
    };
    let mut headers = vec![dim.label_fr().to_string()];
    headers.extend(FUNNEL_COLUMNS.iter().map(|c| c.to_string()));
    headers.push("Intérêt → embauche".into());
    let mut rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .chain([&t.total])
        .map(|r| {
            let mut line = vec![r.label.clone()];
            line.extend(r.counts.iter().map(|c| num(*c)));
            line.push(match (r.counts[2], r.counts[6]) {
                (Some(a), Some(b)) if a > 0 => pct(Some(b as f64 / a as f64)),
                _ => "–".into(),
            });
            line
        })
        .collect();
    if t.rows.is_empty() {
        rows.clear();
    }
    let bars: Vec<(String, u64)> = t
        .rows
        .iter()
        .map(|r| (r.label.clone(), r.counts[2].unwrap_or(0)))
        .collect();
    let breakdown = Chart {
        svg: bar_chart(
            "graphe-ventilation",
            &format!("Intérêts par {}", dim.label_fr().to_lowercase()),
            &describe(&bars),
            &bars,
        ),
        caption: format!("Entonnoir par {}", dim.label_fr().to_lowercase()),
        headers,
        rows,
    };
    (funnel, breakdown)
}

fn reach_charts(report: &Report) -> (Chart, Chart) {
    let rows = report.reach();
    let months = imp::reach_by_month(&rows, report.params.period());
    let chart = Chart {
        svg: bar_chart(
            "graphe-portee",
            "Nouvelles personnes par mois",
            &describe(&months),
            &months,
        ),
        caption: "Personnes dont le premier contact avec le programme tombe dans le mois".into(),
        headers: vec!["Mois".into(), "Nouvelles personnes".into()],
        rows: months
            .iter()
            .map(|(m, n)| vec![m.clone(), n.to_string()])
            .collect(),
    };
    let mut by: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for r in &rows {
        let hood = match r.qpv {
            Some(true) => format!("{} (QPV)", r.neighbourhood),
            _ => r.neighbourhood.clone(),
        };
        *by.entry((hood, imp::channel_label(&r.channel).to_string()))
            .or_default() += r.people;
    }
    let places = Chart {
        svg: String::new(),
        caption: "Nouvelles personnes par quartier et canal du premier contact".into(),
        headers: vec!["Quartier".into(), "Canal".into(), "Personnes".into()],
        rows: by
            .into_iter()
            .map(|((h, c), n)| vec![h, c, n.to_string()])
            .collect(),
    };
    (chart, places)
}

fn outreach_chart(report: &Report) -> Chart {
    let mut by: std::collections::BTreeMap<String, u64> = Default::default();
    for r in &report.data.outreach {
        *by.entry(r.place.clone()).or_default() += r.people;
    }
    let bars: Vec<(String, u64)> = by.into_iter().collect();
    Chart {
        svg: bar_chart(
            "graphe-rencontres",
            "Personnes rencontrées par l'équipe mobile, sans dossier",
            &describe(&bars),
            &bars,
        ),
        caption: "Rencontres de l'équipe mobile comptées sans dossier, par mois et par lieu".into(),
        headers: vec!["Mois".into(), "Lieu".into(), "Personnes".into()],
        rows: report
            .data
            .outreach
            .iter()
            .map(|r| vec![r.month.clone(), r.place.clone(), r.people.to_string()])
            .collect(),
    }
}

fn orientation_chart(report: &Report) -> Chart {
    let rows = report.orientation();
    let bars: Vec<(String, u64)> = rows
        .iter()
        .map(|r| (r.service.clone(), r.present))
        .collect();
    Chart {
        svg: bar_chart(
            "graphe-orientation",
            "Présents par activité OrientaKlik",
            &describe(&bars),
            &bars,
        ),
        caption: "OrientaKlik : présence, regard sur le métier avant et après (1 à 5), et suite du parcours".into(),
        headers: [
            "Activité",
            "Séances",
            "Inscrits",
            "Présents",
            "Taux de présence",
            "Avant",
            "Après",
            "Évolution",
            "Suite (test, immersion, mise en relation)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                let f = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "–".into());
                vec![
                    r.service.clone(),
                    r.sessions.to_string(),
                    r.registered.to_string(),
                    r.present.to_string(),
                    pct(r.attendance()),
                    f(r.before),
                    f(r.after),
                    r.change()
                        .map(|x| format!("{x:+.1}"))
                        .unwrap_or_else(|| "–".into()),
                    format!("{} ({})", r.went_on, pct(r.went_on_share())),
                ]
            })
            .collect(),
    }
}

/// Euros from millionths, as people read them ("12,35 €").
fn euros(micro: i64) -> String {
    let cents = (micro as f64 / 10_000.0).round() as i64;
    format!("{},{:02} €", cents / 100, (cents % 100).abs())
}

fn sms_chart(months: &[dklik_app::sms::SmsMonth]) -> Chart {
    let used: Vec<&dklik_app::sms::SmsMonth> = months
        .iter()
        .filter(|m| m.figures != Default::default())
        .collect();
    let bars: Vec<(String, u64)> = used
        .iter()
        .map(|m| {
            let f = &m.figures;
            (m.month.clone(), f.sent + f.delivered + f.failed)
        })
        .collect();
    Chart {
        svg: bar_chart(
            "graphe-sms",
            "SMS envoyés par mois",
            &describe(&bars),
            &bars,
        ),
        caption: "SMS aux personnes par mois : remis, échoués, taux de remise et coût".into(),
        headers: [
            "Mois",
            "Envoyés",
            "Remis",
            "Échoués",
            "Sans accusé",
            "En file",
            "Taux de remise",
            "Parties facturées",
            "Coût",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: used
            .iter()
            .map(|m| {
                let f = &m.figures;
                vec![
                    m.month.clone(),
                    (f.sent + f.delivered + f.failed).to_string(),
                    f.delivered.to_string(),
                    f.failed.to_string(),
                    f.sent.to_string(),
                    f.queued.to_string(),
                    pct(f.delivery_rate()),
                    f.parts.to_string(),
                    euros(f.cost_micro_eur),
                ]
            })
            .collect(),
    }
}

fn query_of(p: &ReportParams) -> String {
    format!(
        "du={}&au={}&canal={}",
        p.from,
        p.to,
        p.channel.as_deref().unwrap_or("")
    )
}

async fn render(
    st: &SharedState,
    ident: &Identity,
    f: &Filters,
    key_error: String,
) -> Result<Response, AppError> {
    let u = me(ident)?;
    let (params, errors) = match ReportParams::parse(&f.du, &f.au, &f.canal, today()) {
        Ok(p) => (p, vec![]),
        Err(e) => (
            ReportParams::parse("", "", "", today()).map_err(|_| AppError::NotFound)?,
            e.errors,
        ),
    };
    let dim = Dimension::parse(&f.ventilation).unwrap_or(Dimension::Channel);
    let report = Report::load(st.store.as_ref(), params.clone()).await?;
    let (funnel, breakdown) = funnel_charts(&report, dim);
    let (reach, reach_places) = reach_charts(&report);
    let q = query_of(&params);
    let page = ImpactPage {
        me: u.display_name.clone(),
        csrf: ident.csrf().to_string(),
        du: if errors.iter().any(|e| e.field == "du") {
            f.du.clone()
        } else {
            params.from.to_string()
        },
        au: if errors.iter().any(|e| e.field == "au") {
            f.au.clone()
        } else {
            params.to.to_string()
        },
        canal: params.channel.clone().unwrap_or_default(),
        ventilation: dim.as_str().into(),
        channels: imp::CHANNELS.to_vec(),
        dimensions: Dimension::ALL
            .iter()
            .map(|d| (d.as_str(), d.label_fr()))
            .collect(),
        funnel,
        breakdown,
        reach,
        reach_places,
        outreach: outreach_chart(&report),
        orientation: orientation_chart(&report),
        sms: sms_chart(&dklik_app::sms::monthly(st.store.as_ref(), params.from, params.to).await?),
        exports: app_imp::export_names()
            .into_iter()
            .map(|n| (format!("/pilotage/export/{n}.csv?{q}"), format!("{n}.csv")))
            .collect(),
        admin: u.role == Role::Admin,
        key_error,
        errors,
    };
    let status = if page.key_error.is_empty() {
        crate::forms::status_of(&page.errors)
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /pilotage`
pub async fn dashboard(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(f): Query<Filters>,
) -> Result<Response, AppError> {
    render(&st, &ident, &f, String::new()).await
}

fn csv_response(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

fn refused(errors: &[FieldError]) -> Response {
    let text = errors
        .iter()
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let mut res = (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response();
    res.extensions_mut().insert(crate::error::OwnText);
    res
}

/// `GET /pilotage/export/NAME.csv`: one aggregated table, small counts hidden.
pub async fn export(
    State(st): State<SharedState>,
    Path(file): Path<String>,
    Query(f): Query<Filters>,
) -> Result<Response, AppError> {
    let name = file.strip_suffix(".csv").ok_or(AppError::NotFound)?;
    if !app_imp::export_names().iter().any(|n| n == name) {
        return Err(AppError::NotFound);
    }
    let params = match ReportParams::parse(&f.du, &f.au, &f.canal, today()) {
        Ok(p) => p,
        Err(e) => return Ok(refused(&e.errors)),
    };
    let report = Report::load(st.store.as_ref(), params).await?;
    let body = app_imp::export(&report, name, time::OffsetDateTime::now_utc())
        .ok_or(AppError::NotFound)?;
    Ok(csv_response(name, body))
}

/// `POST /pilotage/export-personnes`: the pseudonymised person table (administrators only;
/// the key travels in the body, never in an address that logs would keep).
pub async fn export_people(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let d = crate::skills::FormData::parse(&body);
    let f = Filters {
        du: d.get("du"),
        au: d.get("au"),
        canal: d.get("canal"),
        ventilation: String::new(),
    };
    let params = match ReportParams::parse(&f.du, &f.au, &f.canal, today()) {
        Ok(p) => p,
        Err(e) => return render(&st, &ident, &f, e.errors[0].message.clone()).await,
    };
    let key = d.get("cle");
    let key = match app_imp::check_key(&key) {
        Ok(k) => k.to_string(),
        Err(e) => return render(&st, &ident, &f, e.errors[0].message.clone()).await,
    };
    let report = Report::load(st.store.as_ref(), params.clone()).await?;
    st.store
        .add_audit(
            Some(u.id),
            &dklik_app::inbox::actor_label(u),
            "export",
            "personnes",
            &format!(
                "table pseudonymisée du {} au {} (clé {})",
                params.from,
                params.to,
                app_imp::key_fingerprint(&key)
            ),
            dklik_app::unix_now(),
        )
        .await?;
    Ok(csv_response(
        "personnes",
        report.people_csv(&key, time::OffsetDateTime::now_utc()),
    ))
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADMIN, ADVISORS};
    use crate::routes::{get, post};
    vec![
        get("/pilotage", Who::Roles(ADVISORS), dashboard),
        get("/pilotage/export/{file}", Who::Roles(ADVISORS), export),
        post(
            "/pilotage/export-personnes",
            Who::Roles(ADMIN),
            export_people,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_have_a_title_a_description_and_escaped_labels() {
        let svg = bar_chart(
            "g",
            "Titre <x>",
            "Description",
            &[("Café & co".into(), 4), ("B".into(), 2)],
        );
        assert!(svg.contains("<title id=\"g-t\">Titre &lt;x&gt;</title>"));
        assert!(svg.contains("aria-labelledby=\"g-t g-d\""));
        assert!(svg.contains("Café &amp; co"));
        // The biggest bar is full width, the other half of it.
        assert!(svg.contains("width=\"330\""), "{svg}");
        assert!(svg.contains("width=\"165\""), "{svg}");
        assert!(bar_chart("e", "t", "d", &[]).contains("Aucune donnée"));
    }
}
