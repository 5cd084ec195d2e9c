//! Screens that say they are alive: each screen page sends a heartbeat every 30 seconds with
//! the slide it shows and the slides it showed since; the admins see per screen when it was
//! last seen, what it shows, its uptime over 24 hours and 7 days and the slides shown today; a
//! screen silent for 10 minutes while its line runs (the GTFS says when) is flagged, on the page
//! and in a daily e-mail. Also the part of the page a screen may use ([`Region`]).

use crate::store::{Heartbeat, ScreenHealthRow, ScreenRecord, Store, StoreError};
use dklik_domain::Role;
use dklik_transit::gtfs::Feed;
use std::collections::HashMap;

/// Seconds between two heartbeats of a screen page.
pub const HEARTBEAT_SECONDS: i64 = 30;
/// A screen silent this long while its line runs is flagged.
pub const SILENCE_SECONDS: i64 = 600;

/// The part of its page a screen may use, so that the operator's own passenger information
/// beside it is never covered when DKLIK is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// The whole page.
    Whole,
    /// The right third.
    RightThird,
    /// The left third.
    LeftThird,
    /// The right half.
    RightHalf,
    /// The left half.
    LeftHalf,
    /// The bottom third.
    BottomThird,
    /// The top third.
    TopThird,
}

impl Region {
    /// Every region, in the order of the form.
    pub const ALL: [Region; 7] = [
        Region::Whole,
        Region::RightThird,
        Region::LeftThird,
        Region::RightHalf,
        Region::LeftHalf,
        Region::BottomThird,
        Region::TopThird,
    ];

    /// Its stored name.
    pub fn name(self) -> &'static str {
        match self {
            Region::Whole => "",
            Region::RightThird => "tiers-droit",
            Region::LeftThird => "tiers-gauche",
            Region::RightHalf => "moitie-droite",
            Region::LeftHalf => "moitie-gauche",
            Region::BottomThird => "tiers-bas",
            Region::TopThird => "tiers-haut",
        }
    }

    /// Said to the admins.
    pub fn label(self) -> &'static str {
        match self {
            Region::Whole => "Tout l'écran",
            Region::RightThird => "Le tiers droit",
            Region::LeftThird => "Le tiers gauche",
            Region::RightHalf => "La moitié droite",
            Region::LeftHalf => "La moitié gauche",
            Region::BottomThird => "Le tiers du bas",
            Region::TopThird => "Le tiers du haut",
        }
    }

    /// From its stored name.
    pub fn parse(name: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// What a screen page sends (JSON).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeatIn {
    /// What it shows now: an impression's code, "message" or "general".
    #[serde(default)]
    pub slide: String,
    /// Slides shown since the last heartbeat: impression code → times.
    #[serde(default)]
    pub plays: HashMap<String, i64>,
}

/// Why a heartbeat was refused.
#[derive(Debug, thiserror::Error)]
pub enum BeatError {
    /// Malformed, said in French.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn is_code(s: &str) -> bool {
    s.len() == 8
        && s.bytes()
            .all(|b| dklik_domain::offer::SHORT_CODE_ALPHABET.contains(&b))
}

/// Takes a heartbeat of the page `/ecran/{page}`; whether the page is a registered screen (a
/// bare vehicle's page is not one: nothing is kept for it). The plays are capped to what the
/// time since the last heartbeat allows.
pub async fn record(
    store: &dyn Store,
    page: &str,
    beat: BeatIn,
    slide_seconds: i64,
    now: i64,
) -> Result<bool, BeatError> {
    let slide = beat.slide.trim();
    if !(slide == "general" || slide == "message" || is_code(slide)) {
        return Err(BeatError::Invalid(
            "« slide » : le code de l'affichage montré, « message » ou « general ».".into(),
        ));
    }
    if beat.plays.len() > 50 {
        return Err(BeatError::Invalid(
            "« plays » : 50 affichages au plus par signal.".into(),
        ));
    }
    let mut plays: Vec<(String, i64)> = Vec::new();
    for (code, n) in &beat.plays {
        if !is_code(code) || !(1..=100).contains(n) {
            return Err(BeatError::Invalid(
                "« plays » : des codes d'affichage de 8 caractères, vus de 1 à 100 fois.".into(),
            ));
        }
        plays.push((code.clone(), *n));
    }
    plays.sort();
    // At most what a heartbeat's interval can show (with room for a late beat).
    let mut budget = (2 * HEARTBEAT_SECONDS) / slide_seconds.max(1) + 1;
    for p in &mut plays {
        p.1 = p.1.min(budget);
        budget -= p.1;
    }
    plays.retain(|p| p.1 > 0);
    let Some(screen) = store.screen(page).await? else {
        return Ok(false);
    };
    let day = crate::now_paris().date().to_string();
    Ok(store
        .screen_heartbeat(&Heartbeat {
            screen: screen.id,
            vehicle: screen.vehicle,
            at: now,
            slide: slide.to_string(),
            day,
            plays,
            slide_seconds,
        })
        .await?)
}

/// The seconds of `[from, to)` covered by the stretches (which may overlap it partly).
pub fn covered(stretches: &[(i64, i64)], from: i64, to: i64) -> i64 {
    let mut v: Vec<(i64, i64)> = stretches
        .iter()
        .map(|&(a, b)| (a.max(from), b.min(to)))
        .filter(|(a, b)| a < b)
        .collect();
    v.sort_unstable();
    let (mut total, mut end) = (0i64, i64::MIN);
    for (a, b) in v {
        let a = a.max(end);
        if b > a {
            total += b - a;
            end = b;
        }
    }
    total
}

/// The parts of `[from, to)` the stretches do not cover, in order.
pub fn gaps(stretches: &[(i64, i64)], from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = stretches.to_vec();
    v.sort_unstable();
    let mut out = Vec::new();
    let mut at = from;
    for (a, b) in v {
        if b <= at {
            continue;
        }
        if a >= to {
            break;
        }
        if a > at {
            out.push((at, a));
        }
        at = at.max(b);
    }
    if at < to {
        out.push((at, to));
    }
    out
}

/// When the line runs between two instants, as Unix-second stretches (the whole network
/// when the screen has no line). Empty when the feed has no trip then.
pub fn service_windows(feed: &Feed, line: Option<&str>, from: i64, to: i64) -> Vec<(i64, i64)> {
    let Ok(start) = time::OffsetDateTime::from_unix_timestamp(from) else {
        return Vec::new();
    };
    let offset = crate::now_paris().offset();
    // The service day before too: its trips past midnight run into the window.
    let mut day = start
        .to_offset(offset)
        .date()
        .previous_day()
        .unwrap_or(start.date());
    let mut out = Vec::new();
    loop {
        let midnight = day.midnight().assume_offset(offset).unix_timestamp();
        if midnight > to {
            break;
        }
        let number = day.year() as u32 * 10_000
            + u32::from(u8::from(day.month())) * 100
            + u32::from(day.day());
        let weekday = day.weekday().number_days_from_monday() as usize;
        if let Some((a, b)) = dklik_transit::journey::service_span(feed, line, number, weekday) {
            let (a, b) = (
                (midnight + i64::from(a)).max(from),
                (midnight + i64::from(b)).min(to),
            );
            if a < b {
                out.push((a, b));
            }
        }
        match day.next_day() {
            Some(d) => day = d,
            None => break,
        }
    }
    out
}

/// Silences of at least 10 minutes while the line ran, within `[from, to)`: the parts of the
/// service windows the screen's stretches leave uncovered.
pub fn silences(
    stretches: &[(i64, i64)],
    service: &[(i64, i64)],
    from: i64,
    to: i64,
) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for &(a, b) in service {
        for g in gaps(stretches, a.max(from), b.min(to)) {
            if g.1 - g.0 >= SILENCE_SECONDS {
                out.push(g);
            }
        }
    }
    out
}

/// One registered screen as the admins see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenStatus {
    /// The screen.
    pub screen: ScreenRecord,
    /// Its last heartbeat, if any.
    pub health: Option<ScreenHealthRow>,
    /// Share of the last 24 hours it was on (0 to 1).
    pub uptime_day: f64,
    /// Share of the last 7 days it was on.
    pub uptime_week: f64,
    /// Slides shown today (Paris).
    pub shown_today: i64,
    /// Silent for 10 minutes or more now, while its line runs: since when.
    pub silent_since: Option<i64>,
}

/// Every registered screen's status at `now`.
pub async fn statuses(
    store: &dyn Store,
    feed: &Feed,
    now: i64,
) -> Result<Vec<ScreenStatus>, StoreError> {
    let screens = store.screens().await?;
    let health: HashMap<String, ScreenHealthRow> = store
        .screen_health()
        .await?
        .into_iter()
        .map(|h| (h.screen.clone(), h))
        .collect();
    let mut presence: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    for (s, a, b) in store.screen_presence(now - 7 * 86_400).await? {
        presence.entry(s).or_default().push((a, b));
    }
    let today = crate::now_paris().date().to_string();
    let mut service_cache: HashMap<Option<String>, Vec<(i64, i64)>> = HashMap::new();
    Ok(screens
        .into_iter()
        .map(|s| {
            let stretches = presence.get(&s.id).map(Vec::as_slice).unwrap_or(&[]);
            let h = health.get(&s.id).cloned();
            let service = service_cache
                .entry(s.line.clone())
                .or_insert_with(|| service_windows(feed, s.line.as_deref(), now - 86_400, now));
            let last = h.as_ref().map_or(now - 86_400, |h| h.last_seen);
            let silent_since = silences(&[], service, last.max(now - 86_400), now)
                .last()
                .filter(|g| g.1 == now)
                .map(|g| g.0);
            ScreenStatus {
                uptime_day: covered(stretches, now - 86_400, now) as f64 / 86_400.0,
                uptime_week: covered(stretches, now - 7 * 86_400, now) as f64 / (7.0 * 86_400.0),
                shown_today: h
                    .as_ref()
                    .filter(|h| h.day == today)
                    .map_or(0, |h| h.shown_today),
                silent_since,
                health: h,
                screen: s,
            }
        })
        .collect())
}

/// The daily e-mail to admins: each screen silent 10 minutes or more while its line ran in the
/// last 24 hours, with when. Sends nothing when every screen answered. How many screens.
pub async fn daily(store: &dyn Store, feed: &Feed, now: i64) -> Result<usize, StoreError> {
    let screens = store.screens().await?;
    if screens.is_empty() {
        return Ok(0);
    }
    let mut presence: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    for (s, a, b) in store.screen_presence(now - 86_400).await? {
        presence.entry(s).or_default().push((a, b));
    }
    let hm = crate::short_time_fr;
    let mut lines = Vec::new();
    for s in &screens {
        let service = service_windows(feed, s.line.as_deref(), now - 86_400, now);
        let stretches = presence.get(&s.id).map(Vec::as_slice).unwrap_or(&[]);
        let silent = silences(stretches, &service, now - 86_400, now);
        if silent.is_empty() {
            continue;
        }
        let minutes: i64 = silent.iter().map(|g| (g.1 - g.0) / 60).sum();
        let when: Vec<String> = silent
            .iter()
            .take(5)
            .map(|g| format!("de {} à {}", hm(g.0), hm(g.1)))
            .collect();
        lines.push(format!(
            "- {} ({}, véhicule {}{}) : {} min sans signal pendant le service ({}{})",
            s.id,
            if s.label.is_empty() {
                "sans libellé"
            } else {
                &s.label
            },
            s.vehicle,
            s.line
                .as_deref()
                .map(|l| format!(", ligne {l}"))
                .unwrap_or_default(),
            minutes,
            when.join(", "),
            if silent.len() > 5 { ", …" } else { "" }
        ));
    }
    store.prune_screen_presence(now - 8 * 86_400).await?;
    if lines.is_empty() {
        return Ok(0);
    }
    let body = format!(
        "Bonjour,\n\nCes écrans n'ont pas donné signe de vie pendant 10 minutes ou plus alors que leur ligne roulait, ces dernières 24 heures :\n\n{}\n\nL'état de chaque écran : /admin/ecrans\n",
        lines.join("\n")
    );
    for u in store
        .users()
        .await?
        .iter()
        .filter(|u| !u.disabled && u.role == Role::Admin)
    {
        store
            .enqueue_mail(
                &u.email,
                &format!("DKLIK : {} écran(s) silencieux", lines.len()),
                &body,
                now,
            )
            .await?;
    }
    Ok(lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_cover_and_leave_gaps() {
        let s = [(100, 200), (150, 300), (500, 600)];
        assert_eq!(covered(&s, 0, 1000), 300);
        assert_eq!(covered(&s, 250, 550), 100);
        assert_eq!(gaps(&s, 0, 1000), vec![(0, 100), (300, 500), (600, 1000)]);
        assert_eq!(gaps(&s, 120, 280), vec![]);
        assert_eq!(gaps(&[], 5, 9), vec![(5, 9)]);
        // Only gaps of 10 minutes inside the service count.
        let service = [(0, 2000)];
        assert_eq!(
            silences(&[(0, 1000), (1500, 2000)], &service, 0, 5000),
            vec![]
        );
        assert_eq!(silences(&[(0, 100)], &service, 0, 5000), vec![(100, 2000)]);
    }

    #[test]
    fn regions_round_trip() {
        for r in Region::ALL {
            assert_eq!(Region::parse(r.name()), Some(r));
        }
        assert_eq!(Region::parse("nulle-part"), None);
    }
}
