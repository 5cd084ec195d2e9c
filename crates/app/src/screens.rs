//! Bus screens at run time: the trigger engine fed with the stored network and the published
//! offers, what each vehicle shows now, proof of display, and live updates for screen pages.

use crate::store::{Impression, Store, StoreError, Takeover};
use dklik_domain::OfferId;
use dklik_screens::engine::LocalTime;
use dklik_screens::{
    Campaign, Engine, EngineConfig, Fence, HiringOffer, Position, Rejection, Slide, StopPoint,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::broadcast;

/// A slide as shown, with the impression that proves it and its QR link.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShownSlide {
    /// The impression's code (in the QR link).
    pub impression: String,
    /// What the slide shows.
    pub slide: Slide,
}

/// What one vehicle's screens show now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScreenState {
    /// The vehicle.
    pub vehicle: String,
    /// The stop approached.
    pub stop_name: String,
    /// The slides to show.
    pub slides: Vec<ShownSlide>,
    /// Unix seconds of the position that caused it.
    pub at: i64,
}

/// Slide time on screens, in seconds (configurable; 10 by default).
pub const DEFAULT_SLIDE_SECONDS: i64 = 10;

/// The screens' state: the engine, each vehicle's slides, and a channel to the open screens.
pub struct ScreenHub {
    engine: Mutex<Engine>,
    current: RwLock<HashMap<String, Arc<ScreenState>>>,
    tx: broadcast::Sender<Arc<ScreenState>>,
    /// How long a slide stays.
    pub slide_seconds: i64,
    /// The general message, shown when the team set no message for today.
    default_fallback: Vec<String>,
    /// This server's name in messages to the others sharing the database.
    origin: String,
    /// The GTFS feed's version the engine was made from.
    network: Mutex<Option<i64>>,
    /// The service messages running or to come.
    takeovers: tokio::sync::watch::Sender<Arc<Vec<Takeover>>>,
    /// How long a screen keeps an offer slide without news from the server, in seconds.
    pub offer_ttl_s: i64,
    /// The offers' version (`Store::offers_version`) the engine's offers were read at.
    offers_seen: Mutex<Option<(i64, i64)>>,
}

/// An offer slide older than this leaves the screen (2 hours by default).
pub const DEFAULT_OFFER_TTL_S: i64 = 2 * 3600;

/// What a server tells the others: a vehicle's screens changed, or the service messages.
#[derive(Serialize, Deserialize)]
struct Shared {
    origin: String,
    #[serde(default)]
    state: Option<ScreenState>,
    #[serde(default)]
    takeovers: Option<Vec<Takeover>>,
}

/// Every published offer, with its site's place, as the engine wants them.
pub async fn published_offers(store: &dyn Store) -> Result<Vec<HiringOffer>, StoreError> {
    Ok(store
        .published_offers(false)
        .await?
        .into_iter()
        .map(|o| HiringOffer {
            offer_id: o.id.0,
            code: o.code.to_string(),
            title: o.title,
            employer_id: o.employer_id.0,
            employer: o.employer_name,
            site_id: o.site.id.0,
            lat: o.site.coordinates.lat(),
            lon: o.site.coordinates.lon(),
        })
        .collect())
}

/// The service messages running or to come at `now` (those ended early left out).
pub async fn running_takeovers(store: &dyn Store, now: i64) -> Result<Vec<Takeover>, StoreError> {
    Ok(store
        .takeovers(now)
        .await?
        .into_iter()
        .filter(|t| t.ended_at.is_none())
        .collect())
}

/// What the programme team set, as the engine wants it.
pub struct EngineSettings {
    /// Campaigns in force.
    pub campaigns: Vec<Campaign>,
    /// Fences around sites.
    pub fences: Vec<Fence>,
    /// Messages running on `today`, in the order they were written.
    pub fallback: Vec<String>,
}

fn day_number(d: time::Date) -> u32 {
    d.year() as u32 * 10_000 + u32::from(u8::from(d.month())) * 100 + u32::from(d.day())
}

/// Reads the campaigns, fences and the messages running on `today`.
pub async fn engine_settings(
    store: &dyn Store,
    today: time::Date,
) -> Result<EngineSettings, StoreError> {
    let campaigns = store
        .campaigns()
        .await?
        .into_iter()
        .map(|c| Campaign {
            offer_ids: c.offer_ids.iter().map(|o| o.0).collect(),
            from_day: day_number(c.from),
            to_day: day_number(c.to),
            from_minute: c.from_minute,
            to_minute: c.to_minute,
            weight: c.weight,
            lines: c.lines,
        })
        .collect();
    let fences = store
        .fences()
        .await?
        .into_iter()
        .map(|f| Fence {
            site_id: f.site_id.0,
            lat: f.lat,
            lon: f.lon,
            radius_m: f.radius_m,
        })
        .collect();
    let fallback = store
        .screen_messages()
        .await?
        .into_iter()
        .filter(|m| m.from <= today && today <= m.to)
        .map(|m| m.text)
        .collect();
    Ok(EngineSettings {
        campaigns,
        fences,
        fallback,
    })
}

/// The code of an impression: 8 characters from the same unambiguous alphabet as offer codes,
/// derived from what was shown where and when, so that recording it twice counts once.
pub fn impression_code(vehicle: &str, at: i64, slide_index: usize, offer: Option<i64>) -> String {
    code_of(&format!("{vehicle}|{at}|{slide_index}|{offer:?}"))
}

/// 8 characters of the offer-code alphabet drawn from a hash of `key`.
fn code_of(key: &str) -> String {
    let h = Sha256::digest(key.as_bytes());
    let mut n = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    let alphabet = dklik_domain::offer::SHORT_CODE_ALPHABET;
    let mut s = String::with_capacity(8);
    for _ in 0..8 {
        s.push(alphabet[(n % alphabet.len() as u64) as usize] as char);
        n /= alphabet.len() as u64;
    }
    s
}

fn local_time(now: i64) -> LocalTime {
    let paris = time::OffsetDateTime::from_unix_timestamp(now)
        .map(|t| t.to_offset(crate::now_paris().offset()))
        .unwrap_or_else(|_| crate::now_paris());
    LocalTime {
        day: day_number(paris.date()),
        minute: u16::from(paris.hour()) * 60 + u16::from(paris.minute()),
    }
}

/// The engine made from the stored network, the published offers and the team's settings.
async fn engine_from(store: &dyn Store, cfg: EngineConfig) -> Result<Engine, StoreError> {
    let feed = store.load_gtfs().await?;
    let stops = feed
        .stops
        .iter()
        .filter(|s| s.location_type == 0)
        .map(|s| StopPoint {
            id: s.id.clone(),
            name: s.name.clone(),
            lat: s.lat,
            lon: s.lon,
        })
        .collect();
    let mut trips: HashMap<String, Vec<String>> = HashMap::new();
    for st in &feed.stop_times {
        trips
            .entry(st.trip_id.clone())
            .or_default()
            .push(st.stop_id.clone());
    }
    let offers = published_offers(store).await?;
    let settings = engine_settings(store, crate::now_paris().date()).await?;
    let mut engine = Engine::new(
        stops,
        trips,
        offers,
        settings.fences,
        settings.campaigns,
        cfg,
    );
    if !settings.fallback.is_empty() {
        engine.set_fallback(settings.fallback);
    }
    Ok(engine)
}

impl ScreenHub {
    /// Builds the engine from the stored network and the published offers.
    pub async fn load(
        store: &dyn Store,
        cfg: EngineConfig,
        slide_seconds: i64,
    ) -> Result<Self, StoreError> {
        let version = store.gtfs_version().await?;
        let default_fallback = cfg.fallback.clone();
        let engine = engine_from(store, cfg).await?;
        let (tx, _) = broadcast::channel(1024);
        let now = crate::unix_now();
        let running: Vec<Takeover> = running_takeovers(store, now).await?;
        Ok(Self {
            engine: Mutex::new(engine),
            current: RwLock::new(HashMap::new()),
            tx,
            slide_seconds,
            default_fallback,
            origin: crate::auth::random_token().map_err(|e| StoreError::Backend(e.to_string()))?,
            network: Mutex::new(Some(version)),
            takeovers: tokio::sync::watch::Sender::new(Arc::new(running)),
            offer_ttl_s: DEFAULT_OFFER_TTL_S,
            offers_seen: Mutex::new(None),
        })
    }

    /// The same hub with another time-to-live for offer slides (seconds, at least a minute).
    pub fn with_offer_ttl(mut self, seconds: i64) -> Self {
        self.offer_ttl_s = seconds.max(60);
        self
    }

    /// The service messages running or to come.
    pub fn takeovers(&self) -> Arc<Vec<Takeover>> {
        self.takeovers.borrow().clone()
    }

    /// Told each time the service messages change.
    pub fn watch_takeovers(&self) -> tokio::sync::watch::Receiver<Arc<Vec<Takeover>>> {
        self.takeovers.subscribe()
    }

    fn set_takeovers(&self, list: Vec<Takeover>) {
        self.takeovers.send_if_modified(|cur| {
            if cur.as_slice() == list.as_slice() {
                false
            } else {
                *cur = Arc::new(list);
                true
            }
        });
    }

    /// Re-reads the service messages (running or to come) and tells the open screen pages and
    /// the other servers on the same database.
    pub async fn reload_takeovers(&self, store: &dyn Store, now: i64) -> Result<(), StoreError> {
        let list: Vec<Takeover> = running_takeovers(store, now).await?;
        self.set_takeovers(list.clone());
        if let Ok(payload) = serde_json::to_string(&Shared {
            origin: self.origin.clone(),
            state: None,
            takeovers: Some(list),
        }) {
            if let Err(e) = store.notify_screens(&payload).await {
                tracing::warn!("écrans : message aux autres serveurs impossible : {e}");
            }
        }
        Ok(())
    }

    /// Makes the engine again from the stored network when another GTFS feed was imported
    /// since (checked with the offers every 30 seconds); whether it did. The vehicles' screens
    /// and showing counts start afresh with the new network.
    pub async fn follow_network(&self, store: &dyn Store) -> Result<bool, StoreError> {
        let now = store.gtfs_version().await?;
        let known = self.network.lock().ok().and_then(|v| *v);
        if known == Some(now) {
            return Ok(false);
        }
        let cfg = match self.engine.lock() {
            Ok(e) => e.config().clone(),
            Err(_) => return Ok(false),
        };
        let engine = engine_from(store, cfg).await?;
        if let Ok(mut e) = self.engine.lock() {
            *e = engine;
        }
        if let Ok(mut v) = self.network.lock() {
            *v = Some(now);
        }
        Ok(true)
    }

    /// Re-reads the published offers and the team's settings (campaigns, fences, messages): a
    /// closed offer leaves the screens at the next trigger.
    pub async fn refresh_offers(&self, store: &dyn Store) -> Result<(), StoreError> {
        // The offers are read again only when they changed (at 100,000 offers a reading costs
        // seconds); the team's settings, small, every time.
        let version = store.offers_version().await?;
        let seen = self.offers_seen.lock().ok().and_then(|v| *v);
        let offers = if seen == Some(version) {
            None
        } else {
            Some(published_offers(store).await?)
        };
        let settings = engine_settings(store, crate::now_paris().date()).await?;
        let now = crate::unix_now();
        // Messages that ended, or began, since the last look.
        let running: Vec<Takeover> = running_takeovers(store, now).await?;
        self.set_takeovers(running);
        if let Some(offers) = &offers {
            self.drop_closed(&offers.iter().map(|o| o.offer_id).collect());
        }
        let read = offers.is_some();
        if let Ok(mut e) = self.engine.lock() {
            if let Some(offers) = offers {
                e.set_offers(offers);
            }
            e.set_campaigns(settings.campaigns);
            e.set_fences(settings.fences);
            if !settings.fallback.is_empty() || self.default_fallback.is_empty() {
                e.set_fallback(settings.fallback);
            } else {
                e.set_fallback(self.default_fallback.clone());
            }
        }
        if let Ok(mut v) = self.offers_seen.lock() {
            *v = Some(version);
        }
        if read {
            crate::release_memory();
        }
        Ok(())
    }

    /// Takes a position: when the screens change, records the impressions and tells the pages.
    pub async fn ingest(
        &self,
        store: &dyn Store,
        p: &Position,
        now: i64,
    ) -> Result<Option<Arc<ScreenState>>, IngestError> {
        let trigger = {
            let mut e = self.engine.lock().map_err(|_| IngestError::Busy)?;
            e.update(p, now, local_time(now))
                .map_err(IngestError::Rejected)?
        };
        let Some(t) = trigger else { return Ok(None) };
        let slides: Vec<ShownSlide> = t
            .slides
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let offer = match s {
                    Slide::Offer { offer_id, .. } => Some(*offer_id),
                    Slide::Fallback { .. } => None,
                };
                ShownSlide {
                    impression: impression_code(&t.vehicle, t.at, i, offer),
                    slide: s.clone(),
                }
            })
            .collect();
        let rows: Vec<Impression> = slides
            .iter()
            .map(|s| Impression {
                code: s.impression.clone(),
                vehicle: t.vehicle.clone(),
                trip_id: t.trip_id.clone(),
                stop_id: t.stop_id.clone(),
                stop_name: t.stop_name.clone(),
                offer_id: match s.slide {
                    Slide::Offer { offer_id, .. } => Some(OfferId(offer_id)),
                    Slide::Fallback { .. } => None,
                },
                slide: match s.slide {
                    Slide::Offer { .. } => "offer".into(),
                    Slide::Fallback { .. } => "fallback".into(),
                },
                shown_at: t.at,
                duration_s: self.slide_seconds,
                scans: 0,
                screen: None,
                source: "dklik".into(),
            })
            .collect();
        store
            .record_impressions(&rows)
            .await
            .map_err(IngestError::Store)?;
        let state = Arc::new(ScreenState {
            vehicle: t.vehicle.clone(),
            stop_name: t.stop_name.clone(),
            slides,
            at: t.at,
        });
        if let Ok(mut cur) = self.current.write() {
            cur.insert(t.vehicle.clone(), state.clone());
        }
        // Nobody listening is fine.
        let _ = self.tx.send(state.clone());
        // The other servers on the same database update their screen pages too.
        if let Ok(payload) = serde_json::to_string(&Shared {
            origin: self.origin.clone(),
            state: Some((*state).clone()),
            takeovers: None,
        }) {
            if let Err(e) = store.notify_screens(&payload).await {
                tracing::warn!(
                    "écrans : message aux autres serveurs impossible : {}",
                    dklik_domain::privacy::redact(&e.to_string())
                );
            }
        }
        Ok(Some(state))
    }

    /// Takes many positions; a store failure stops the batch (the rest would fail alike).
    pub async fn ingest_many(
        &self,
        store: &dyn Store,
        positions: &[Position],
        now: i64,
    ) -> Result<IngestSummary, IngestError> {
        let mut sum = IngestSummary::default();
        for p in positions {
            match self.ingest(store, p, now).await {
                Ok(c) => {
                    sum.accepted += 1;
                    sum.screens_changed += u64::from(c.is_some());
                }
                Err(IngestError::Rejected(r)) => {
                    let key = serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default();
                    *sum.rejected.entry(key).or_default() += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(sum)
    }

    /// Takes the offers no longer published off the screens showing them at once (a page
    /// with no offer left shows the general card).
    fn drop_closed(&self, published: &std::collections::HashSet<i64>) {
        let changed: Vec<Arc<ScreenState>> = {
            let Ok(mut cur) = self.current.write() else {
                return;
            };
            let mut changed = Vec::new();
            for state in cur.values_mut() {
                let keep = |s: &ShownSlide| match s.slide {
                    Slide::Offer { offer_id, .. } => published.contains(&offer_id),
                    Slide::Fallback { .. } => true,
                };
                if state.slides.iter().all(keep) {
                    continue;
                }
                let mut next = (**state).clone();
                next.slides.retain(keep);
                *state = Arc::new(next);
                changed.push(state.clone());
            }
            changed
        };
        for s in changed {
            let _ = self.tx.send(s);
        }
    }

    /// Applies a change told by another server (its impressions are already recorded).
    pub fn apply_shared(&self, payload: &str) {
        let Ok(shared) = serde_json::from_str::<Shared>(payload) else {
            tracing::warn!("écrans : message illisible d'un autre serveur");
            return;
        };
        if shared.origin == self.origin {
            return;
        }
        if let Some(list) = shared.takeovers {
            self.set_takeovers(list);
        }
        let Some(state) = shared.state else { return };
        let state = Arc::new(state);
        if let Ok(mut cur) = self.current.write() {
            cur.insert(state.vehicle.clone(), state.clone());
        }
        let _ = self.tx.send(state);
    }

    /// Listens to the other servers until the listener fails for good.
    pub async fn follow_others(&self, store: &dyn Store) -> Result<(), StoreError> {
        let Some(mut l) = store.listen_screens().await? else {
            return Ok(());
        };
        loop {
            let payload = l.next().await?;
            self.apply_shared(&payload);
        }
    }

    /// A vehicle's slides now.
    pub fn current(&self, vehicle: &str) -> Option<Arc<ScreenState>> {
        self.current.read().ok()?.get(vehicle).cloned()
    }

    /// The vehicles whose screens show something, most recent first.
    pub fn vehicles(&self) -> Vec<Arc<ScreenState>> {
        let mut v: Vec<Arc<ScreenState>> = self
            .current
            .read()
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by(|a, b| b.at.cmp(&a.at).then(a.vehicle.cmp(&b.vehicle)));
        v
    }

    /// New slides, as they come.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ScreenState>> {
        self.tx.subscribe()
    }

    /// Every stop of the network.
    pub fn stops(&self) -> Vec<StopPoint> {
        self.engine
            .lock()
            .map(|e| e.stops().to_vec())
            .unwrap_or_default()
    }

    /// The stop, and the offers within walking distance of it, nearest first.
    pub fn stop_with_offers(&self, stop_id: &str) -> Option<(StopPoint, Vec<(HiringOffer, u32)>)> {
        let e = self.engine.lock().ok()?;
        let stop = e.stops().iter().find(|s| s.id == stop_id)?.clone();
        let offers = e
            .offers_near_stop(stop_id)
            .into_iter()
            .map(|(o, d)| (o.clone(), d))
            .collect();
        Some((stop, offers))
    }

    /// Accepted positions and refused ones by reason.
    pub fn counters(&self) -> (u64, HashMap<Rejection, u64>) {
        self.engine
            .lock()
            .map(|e| {
                let (a, r) = e.counters();
                (a, r.clone())
            })
            .unwrap_or_default()
    }
}

/// What became of a batch of positions.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct IngestSummary {
    /// Positions accepted.
    pub accepted: u64,
    /// Refused positions by reason: out_of_range, stale, future, out_of_order, duplicate,
    /// impossible_jump, off_network.
    pub rejected: std::collections::BTreeMap<String, u64>,
    /// Vehicles whose screens now show other slides.
    pub screens_changed: u64,
}

/// Decoded feed reports as positions; a report without time is taken as of `now`.
pub fn positions_of(
    reports: Vec<dklik_transit::realtime::VehicleReport>,
    now: i64,
) -> Vec<Position> {
    reports
        .into_iter()
        .map(|r| Position {
            vehicle: r.vehicle,
            trip_id: r.trip_id,
            route_id: r.route_id,
            stop_id: r.stop_id,
            lat: r.lat,
            lon: r.lon,
            timestamp: r.timestamp.unwrap_or(now),
        })
        .collect()
}

/// Why a feed was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Refused, with the reason in French.
    #[error("position refusée : {0:?}")]
    Rejected(Rejection),
    /// Too many feeds at once; try again.
    #[error("moteur occupé")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

/// One slide that another signage player reports having shown (`POST /api/v1/impressions`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct PlayerImpression {
    /// The physical screen; when registered, its vehicle is known.
    #[serde(default)]
    pub screen: Option<String>,
    /// The vehicle, if the player knows it.
    #[serde(default)]
    pub vehicle: Option<String>,
    /// The player's own id of the slide; with the screen and the time, it makes the
    /// impression unique, so a batch sent twice is counted once.
    #[schemars(length(min = 1, max = 200))]
    pub slide_id: String,
    /// The DKLIK offer shown (its code), if the slide was an offer.
    #[serde(default)]
    pub offer_code: Option<String>,
    /// The GTFS trip.
    #[serde(default)]
    pub trip_id: Option<String>,
    /// The stop.
    #[serde(default)]
    pub stop_id: Option<String>,
    /// Unix seconds.
    #[serde(deserialize_with = "dklik_domain::numbers::whole_i64")]
    #[schemars(range(min = 0, max = 4_102_444_800_i64))]
    pub shown_at: i64,
    /// Seconds on screen.
    #[serde(deserialize_with = "dklik_domain::numbers::whole_i64")]
    #[schemars(range(min = 1, max = 3600))]
    pub duration_s: i64,
}

/// The latest instant a report may carry (2100-01-01): a later one is not a time a player
/// can have seen.
pub const LATEST_INSTANT: i64 = 4_102_444_800;

/// One vehicle's position, as an operator's simple JSON feed sends it.
#[derive(Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Position")]
pub struct PositionIn {
    /// The vehicle (its fleet number or the feed's own id).
    #[schemars(length(min = 1, max = 100))]
    vehicle: String,
    /// Latitude (WGS84).
    lat: f64,
    /// Longitude (WGS84).
    lon: f64,
    /// Unix seconds.
    #[serde(deserialize_with = "dklik_domain::numbers::whole_i64")]
    #[schemars(range(min = 0, max = 4_102_444_800_i64))]
    timestamp: i64,
    /// The GTFS trip it runs, if known.
    #[serde(default)]
    trip_id: Option<String>,
    /// The GTFS route, if known.
    #[serde(default)]
    route_id: Option<String>,
    /// The GTFS stop it is at or heads to, if known.
    #[serde(default)]
    stop_id: Option<String>,
}

/// One position, or a list of at most 10,000 (more: 422).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PositionsIn {
    /// Several positions.
    Many(Vec<PositionIn>),
    /// One position.
    One(PositionIn),
}

/// Why a positions body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PositionsRefused {
    /// Not JSON of the expected shape (HTTP 400).
    #[error("JSON illisible : {0}")]
    Unreadable(String),
    /// Read, but some positions are wrong or too many (HTTP 422): said in French, the first ten.
    #[error("{0}")]
    Invalid(String),
}

/// At most this many positions in one body.
pub const MAX_POSITIONS_PER_BODY: usize = 10_000;

/// Reads an operator's simple JSON feed: one position or a list, each with a vehicle of 1 to
/// 100 characters and a timestamp in Unix seconds; anything else is refused, in French.
pub fn read_positions_json(body: &[u8]) -> Result<Vec<Position>, PositionsRefused> {
    let parsed: PositionsIn =
        serde_json::from_slice(body).map_err(|e| PositionsRefused::Unreadable(e.to_string()))?;
    let list = match parsed {
        PositionsIn::Many(v) => v,
        PositionsIn::One(p) => vec![p],
    };
    if list.len() > MAX_POSITIONS_PER_BODY {
        return Err(PositionsRefused::Invalid(
            "10 000 positions au plus par envoi".into(),
        ));
    }
    let bad: Vec<String> = list
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            if p.vehicle.is_empty() || p.vehicle.chars().count() > 100 {
                Some(format!(
                    "position n° {} : le véhicule a de 1 à 100 caractères",
                    i + 1
                ))
            } else if !(0..=LATEST_INSTANT).contains(&p.timestamp) {
                Some(format!(
                    "position n° {} : timestamp en secondes Unix, de 0 à 4102444800",
                    i + 1
                ))
            } else {
                None
            }
        })
        .take(10)
        .collect();
    if !bad.is_empty() {
        return Err(PositionsRefused::Invalid(bad.join(" ; ")));
    }
    Ok(list
        .into_iter()
        .map(|p| Position {
            vehicle: p.vehicle,
            trip_id: p.trip_id,
            route_id: p.route_id,
            stop_id: p.stop_id,
            lat: p.lat,
            lon: p.lon,
            timestamp: p.timestamp,
        })
        .collect())
}

impl PlayerImpression {
    /// What the API's schema says of one impression, checked before anything is written.
    pub fn schema_problem(&self) -> Option<String> {
        if self.slide_id.is_empty() || self.slide_id.chars().count() > 200 {
            return Some("slide_id de 1 à 200 caractères".into());
        }
        if !(0..=LATEST_INSTANT).contains(&self.shown_at) {
            return Some("shown_at en secondes Unix, de 0 à 4102444800".into());
        }
        if !(1..=3600).contains(&self.duration_s) {
            return Some("duration_s de 1 à 3600".into());
        }
        None
    }
}

/// What became of a batch of reported impressions.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Impressions received.
    pub received: u64,
    /// New impressions written.
    pub recorded: u64,
    /// Already recorded by an earlier send.
    pub already: u64,
    /// (position in the batch, reason).
    pub refused: Vec<(usize, String)>,
}

/// At most this many impressions per batch.
pub const MAX_BATCH: usize = 5_000;
/// Reports older than this are refused (players send within hours, not months).
const MAX_REPORT_AGE_S: i64 = 31 * 86_400;

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Checks and records impressions reported by other players: valid ones are written (once),
/// each refused one is listed with its reason in French.
pub async fn record_player_impressions(
    store: &dyn Store,
    hub: &ScreenHub,
    items: &[PlayerImpression],
    now: i64,
) -> Result<BatchOutcome, StoreError> {
    let screens: HashMap<String, String> = store
        .screens()
        .await?
        .into_iter()
        .map(|s| (s.id, s.vehicle))
        .collect();
    let mut out = BatchOutcome {
        received: items.len() as u64,
        ..Default::default()
    };
    let mut rows = Vec::new();
    let mut offers: HashMap<String, Option<OfferId>> = HashMap::new();
    for (i, p) in items.iter().enumerate() {
        let screen = p.screen.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let vehicle = p
            .vehicle
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let vehicle = match (screen.and_then(|s| screens.get(s)), vehicle) {
            (Some(reg), Some(v)) if reg != v => {
                out.refused.push((
                    i,
                    format!(
                        "l'écran {} est enregistré sur le véhicule {reg}, pas {v}",
                        screen.unwrap_or_default()
                    ),
                ));
                continue;
            }
            (Some(reg), _) => reg.clone(),
            (None, Some(v)) => v.to_string(),
            (None, None) => {
                out.refused
                    .push((i, "indiquez le véhicule ou un écran enregistré".into()));
                continue;
            }
        };
        let problem = if !valid_id(&vehicle) || screen.is_some_and(|s| !valid_id(s)) {
            Some("identifiant d'écran ou de véhicule invalide (lettres, chiffres, - _ . :, 64 au plus)")
        } else if !valid_id(p.slide_id.trim()) {
            Some("slide_id manquant ou invalide (lettres, chiffres, - _ . :, 64 au plus)")
        } else if p.shown_at > now + 300 {
            Some("shown_at est dans le futur : l'horloge du lecteur est fausse")
        } else if p.shown_at < now - MAX_REPORT_AGE_S {
            Some("shown_at a plus de 31 jours")
        } else if !(1..=3600).contains(&p.duration_s) {
            Some("duration_s va de 1 à 3600 secondes")
        } else if [&p.trip_id, &p.stop_id]
            .iter()
            .any(|x| x.as_deref().is_some_and(|x| x.len() > 128))
        {
            Some("trip_id ou stop_id trop long")
        } else {
            None
        };
        if let Some(m) = problem {
            out.refused.push((i, m.into()));
            continue;
        }
        let offer_id = match p
            .offer_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(c) => {
                if !offers.contains_key(c) {
                    let found = match dklik_domain::ShortCode::parse(c) {
                        Ok(code) => store.offer_by_code(&code).await?.map(|o| o.id),
                        Err(_) => None,
                    };
                    offers.insert(c.to_string(), found);
                }
                match offers.get(c).copied().flatten() {
                    Some(id) => Some(id),
                    None => {
                        out.refused
                            .push((i, format!("aucune offre n'a le code {c}")));
                        continue;
                    }
                }
            }
        };
        let stop_name = p
            .stop_id
            .as_deref()
            .and_then(|s| hub.stop_with_offers(s))
            .map(|(s, _)| s.name)
            .unwrap_or_default();
        let key = format!(
            "player|{}|{}|{}",
            screen.unwrap_or(&vehicle),
            p.slide_id.trim(),
            p.shown_at
        );
        rows.push(Impression {
            code: code_of(&key),
            vehicle,
            trip_id: p.trip_id.clone(),
            stop_id: p.stop_id.clone(),
            stop_name,
            offer_id,
            slide: p.slide_id.trim().to_string(),
            shown_at: p.shown_at,
            duration_s: p.duration_s,
            scans: 0,
            screen: screen.map(str::to_string),
            source: "player".into(),
        });
    }
    // The same impression twice in one batch counts once too.
    let mut seen = std::collections::HashSet::new();
    let before = rows.len();
    rows.retain(|r| seen.insert(r.code.clone()));
    let dup_in_batch = (before - rows.len()) as u64;
    out.recorded = store.record_impressions(&rows).await?;
    out.already = rows.len() as u64 - out.recorded + dup_in_batch;
    Ok(out)
}
