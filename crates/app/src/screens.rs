//! Bus screens at run time: the trigger engine fed with the stored network and the published
//! offers, what each vehicle shows now, proof of display, and live updates for screen pages.

use crate::store::{Impression, Store, StoreError};
use dklik_domain::{OfferFilter, OfferId};
use dklik_screens::engine::LocalTime;
use dklik_screens::{Engine, EngineConfig, HiringOffer, Position, Rejection, Slide, StopPoint};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::broadcast;

/// A slide as shown, with the impression that proves it and its QR link.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShownSlide {
    pub impression: String,
    pub slide: Slide,
}

/// What one vehicle's screens show now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScreenState {
    pub vehicle: String,
    pub stop_name: String,
    pub slides: Vec<ShownSlide>,
    /// Unix seconds of the position that caused it.
    pub at: i64,
}

/// Slide time on screens, in seconds (configurable; 10 by default).
pub const DEFAULT_SLIDE_SECONDS: i64 = 10;

pub struct ScreenHub {
    engine: Mutex<Engine>,
    current: RwLock<HashMap<String, Arc<ScreenState>>>,
    tx: broadcast::Sender<Arc<ScreenState>>,
    pub slide_seconds: i64,
    /// This server's name in messages to the others sharing the database.
    origin: String,
}

/// What a server tells the others when a vehicle's screens change.
#[derive(Serialize, Deserialize)]
struct Shared {
    origin: String,
    state: ScreenState,
}

/// Every published offer, with its site's place, as the engine wants them.
pub async fn published_offers(store: &dyn Store) -> Result<Vec<HiringOffer>, StoreError> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = store
            .list_offers(&OfferFilter {
                limit: 500,
                offset,
                ..Default::default()
            })
            .await?;
        let n = page.offers.len() as u32;
        out.extend(page.offers.into_iter().map(|o| HiringOffer {
            offer_id: o.id.0,
            code: o.code.to_string(),
            title: o.title,
            employer_id: o.employer_id.0,
            employer: o.employer_name,
            site_id: o.site.id.0,
            lat: o.site.coordinates.lat(),
            lon: o.site.coordinates.lon(),
        }));
        if n < 500 {
            break;
        }
        offset += n;
    }
    Ok(out)
}

/// The code of an impression: 8 characters from the same unambiguous alphabet as offer codes,
/// derived from what was shown where and when, so that recording it twice counts once.
pub fn impression_code(vehicle: &str, at: i64, slide_index: usize, offer: Option<i64>) -> String {
    let h = Sha256::digest(format!("{vehicle}|{at}|{slide_index}|{offer:?}").as_bytes());
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
    let d = paris.date();
    LocalTime {
        day: d.year() as u32 * 10_000 + u32::from(u8::from(d.month())) * 100 + u32::from(d.day()),
        minute: u16::from(paris.hour()) * 60 + u16::from(paris.minute()),
    }
}

impl ScreenHub {
    /// Builds the engine from the stored network and the published offers.
    pub async fn load(
        store: &dyn Store,
        cfg: EngineConfig,
        slide_seconds: i64,
    ) -> Result<Self, StoreError> {
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
        let engine = Engine::new(stops, trips, offers, vec![], vec![], cfg);
        let (tx, _) = broadcast::channel(1024);
        Ok(Self {
            engine: Mutex::new(engine),
            current: RwLock::new(HashMap::new()),
            tx,
            slide_seconds,
            origin: crate::auth::random_token().map_err(|e| StoreError::Backend(e.to_string()))?,
        })
    }

    /// Re-reads the published offers (a closed offer leaves the screens at the next trigger).
    pub async fn refresh_offers(&self, store: &dyn Store) -> Result<(), StoreError> {
        let offers = published_offers(store).await?;
        if let Ok(mut e) = self.engine.lock() {
            e.set_offers(offers);
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
            state: (*state).clone(),
        }) {
            if let Err(e) = store.notify_screens(&payload).await {
                eprintln!("écrans : message aux autres serveurs impossible : {e}");
            }
        }
        Ok(Some(state))
    }

    /// Applies a change told by another server (its impressions are already recorded).
    pub fn apply_shared(&self, payload: &str) {
        let Ok(shared) = serde_json::from_str::<Shared>(payload) else {
            eprintln!("écrans : message illisible d'un autre serveur");
            return;
        };
        if shared.origin == self.origin {
            return;
        }
        let state = Arc::new(shared.state);
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

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ScreenState>> {
        self.tx.subscribe()
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

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("position refusée : {0:?}")]
    Rejected(Rejection),
    #[error("moteur occupé")]
    Busy,
    #[error(transparent)]
    Store(StoreError),
}
