//! `dklik replay`: drives simulated buses along a GTFS timetable and sends their positions to
//! a DKLIK server through its real intake, as GTFS-realtime protobuf (or JSON).

use anyhow::{bail, Context, Result};
use dklik_transit::realtime::{gtfs_rt, VehicleReport};
use dklik_transit::replay::Simulator;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An `http://host:port` address split for a plain HTTP/1.1 request.
fn split_url(url: &str) -> Result<(String, String)> {
    let rest = url.strip_prefix("http://").context(
        "le simulateur envoie en http:// (un serveur DKLIK local ou derrière un relais)",
    )?;
    let (host, path) = match rest.split_once('/') {
        Some((h, p)) => (h.to_string(), format!("/{p}")),
        None => (rest.to_string(), String::new()),
    };
    Ok((host, path.trim_end_matches('/').to_string()))
}

/// One POST, answered status and body.
pub async fn post(
    base: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: &[u8],
) -> Result<(u16, String)> {
    let (host, prefix) = split_url(base)?;
    let mut s = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(&host),
    )
    .await
    .context("connexion trop lente")?
    .with_context(|| format!("connexion à {host} impossible"))?;
    let head = format!(
        "POST {prefix}{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut resp = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut resp))
        .await
        .context("réponse trop lente")??;
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Ok((status, body))
}

/// Sends one round of positions; returns the server's answer.
pub async fn send_round(
    base: &str,
    token: &str,
    reports: &[VehicleReport],
    json: bool,
) -> Result<String> {
    let (status, body) = if json {
        let list: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| {
                serde_json::json!({"vehicle": r.vehicle, "lat": r.lat, "lon": r.lon, "timestamp": r.timestamp,
                    "trip_id": r.trip_id, "route_id": r.route_id})
            })
            .collect();
        post(
            base,
            "/api/v1/positions",
            token,
            "application/json",
            serde_json::to_string(&list)?.as_bytes(),
        )
        .await?
    } else {
        let now = dklik_app::unix_now().max(0) as u64;
        post(
            base,
            "/api/v1/positions/gtfs-rt",
            token,
            "application/x-protobuf",
            &gtfs_rt::encode(reports, now),
        )
        .await?
    };
    if status != 200 {
        bail!("le serveur a répondu {status} : {body}");
    }
    Ok(body)
}

pub struct ReplayArgs {
    pub day: time::Date,
    /// Seconds after midnight to start from.
    pub from: u32,
    pub speed: f64,
    pub minutes: Option<u32>,
    pub once: bool,
    pub json: bool,
    /// Print nothing per round (the demo).
    pub quiet: bool,
}

/// Runs the replay until its duration is over (or forever), one round every 2 seconds.
pub async fn run(
    feed: &dklik_transit::gtfs::Feed,
    base: &str,
    token: &str,
    a: &ReplayArgs,
) -> Result<()> {
    let d = a.day;
    let day = d.year() as u32 * 10_000 + u32::from(u8::from(d.month())) * 100 + u32::from(d.day());
    let sim = Simulator::new(feed, day, d.weekday().number_days_from_monday() as usize);
    if sim.trip_count() == 0 {
        bail!("aucune course ce jour-là dans ce réseau (vérifiez la date et les calendriers)");
    }
    if !a.quiet {
        eprintln!(
            "{} courses ce jour-là ; vitesse ×{}",
            sim.trip_count(),
            a.speed
        );
    }
    let started = std::time::Instant::now();
    loop {
        let elapsed = started.elapsed().as_secs_f64() * a.speed;
        let t = a.from + elapsed as u32;
        // Times are "now": the server refuses stale positions. At a speed above 1 buses seem to
        // go faster; above about 3 the server's jump filter refuses them.
        let now = dklik_app::unix_now();
        let mut reports = sim.positions_at(t);
        for r in &mut reports {
            r.timestamp = Some(now);
        }
        if !reports.is_empty() {
            let answer = send_round(base, token, &reports, a.json).await?;
            if !a.quiet {
                println!("{} {} bus : {answer}", hhmm(t), reports.len());
            }
        }
        if a.once || a.minutes.is_some_and(|m| elapsed >= f64::from(m) * 60.0) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn hhmm(t: u32) -> String {
    format!("{:02}:{:02}", t / 3600, t % 3600 / 60)
}
