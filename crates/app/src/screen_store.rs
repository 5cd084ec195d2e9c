//! The storage contract of the bus network and the screens: the GTFS feed, impressions and
//! scans, what the programme team sets (campaigns, fences, screens, messages) and the proof of
//! display. Part of [`crate::Store`]; implemented once for both databases by
//! `dklik_store_sql::impl_screen_store!`.

use crate::store::{
    CampaignRecord, DisplayReportRow, FenceRecord, Heartbeat, Impression, Notifications, PlayRow,
    ScreenHealthRow, ScreenMessage, ScreenRecord, StoreError, Takeover,
};
use async_trait::async_trait;
use dklik_domain::{EmployerId, OfferId, SiteId};

/// Screens, campaigns, fences, service messages and impressions.
#[async_trait]
pub trait ScreenStore: Send + Sync {
    // --- Public transport (GTFS static) ---
    /// Replaces the stored feed by this one, in one transaction. Returns the rows written.
    async fn save_gtfs(
        &self,
        feed: &dklik_transit::gtfs::Feed,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, StoreError>;
    /// The stored feed (empty when none was imported), sorted as the reader sorts it.
    async fn load_gtfs(&self) -> Result<dklik_transit::gtfs::Feed, StoreError>;
    /// A number that changes with each feed imported (0 before any).
    async fn gtfs_version(&self) -> Result<i64, StoreError>;

    // --- Several servers on one database ---
    /// Tells the other servers that a vehicle's screens changed (no-op on SQLite: one server).
    async fn notify_screens(&self, payload: &str) -> Result<(), StoreError>;
    /// Listens to what the other servers say; None when the backend has only one server.
    async fn listen_screens(&self) -> Result<Option<Box<dyn Notifications>>, StoreError>;

    // --- Bus screens ---
    /// Records impressions; one already recorded (same code) is left alone. Returns how many
    /// were new.
    async fn record_impressions(&self, rows: &[Impression]) -> Result<u64, StoreError>;
    /// An impression by its code.
    async fn impression(&self, code: &str) -> Result<Option<Impression>, StoreError>;
    /// The last time this offer was shown on a screen since `since` (Unix seconds), if it was.
    async fn offer_shown_since(
        &self,
        offer: OfferId,
        since: i64,
    ) -> Result<Option<Impression>, StoreError>;
    /// Counts a scan of an impression's QR code; false when the code is unknown.
    async fn record_scan(&self, code: &str, at: i64) -> Result<bool, StoreError>;
    // --- What the programme team sets for the screens ---
    /// Every campaign.
    async fn campaigns(&self) -> Result<Vec<CampaignRecord>, StoreError>;
    /// The id is ignored; returns the new one.
    async fn add_campaign(&self, c: &CampaignRecord, at: i64) -> Result<i64, StoreError>;
    /// Removes a campaign.
    async fn delete_campaign(&self, id: i64) -> Result<(), StoreError>;
    /// Every fence.
    async fn fences(&self) -> Result<Vec<FenceRecord>, StoreError>;
    /// Sets the fence around a site (one per site; a new radius replaces the old one).
    async fn set_fence(&self, site: SiteId, radius_m: f64, at: i64) -> Result<(), StoreError>;
    /// Removes a fence.
    async fn delete_fence(&self, id: i64) -> Result<(), StoreError>;
    /// Every screen.
    async fn screens(&self) -> Result<Vec<ScreenRecord>, StoreError>;
    /// A screen by its address.
    async fn screen(&self, id: &str) -> Result<Option<ScreenRecord>, StoreError>;
    /// `Conflict` when the id is taken.
    async fn add_screen(&self, s: &ScreenRecord, at: i64) -> Result<(), StoreError>;
    /// Removes a screen.
    async fn delete_screen(&self, id: &str) -> Result<(), StoreError>;
    /// Every service message.
    async fn screen_messages(&self) -> Result<Vec<ScreenMessage>, StoreError>;
    /// Adds a service message.
    async fn add_screen_message(&self, m: &ScreenMessage, at: i64) -> Result<i64, StoreError>;
    /// Removes a service message.
    async fn delete_screen_message(&self, id: i64) -> Result<(), StoreError>;

    /// Per offer and stop, between two instants (Unix seconds), for one employer.
    async fn display_report(
        &self,
        employer: EmployerId,
        from: i64,
        to: i64,
    ) -> Result<Vec<DisplayReportRow>, StoreError>;

    /// Takes a screen's heartbeat: its last slide, slides shown today, when it was on, and the
    /// plays of its vehicle's impressions. Whether the screen is registered (nothing is kept for
    /// another). Heartbeats closer than 20 s to the last one count no play.
    async fn screen_heartbeat(&self, beat: &Heartbeat) -> Result<bool, StoreError>;
    /// Every registered screen's last heartbeat.
    async fn screen_health(&self) -> Result<Vec<ScreenHealthRow>, StoreError>;
    /// When the screens were on since `since`: (screen, from, to).
    async fn screen_presence(&self, since: i64) -> Result<Vec<(String, i64, i64)>, StoreError>;
    /// Forgets the stretches ended before `before`; how many.
    async fn prune_screen_presence(&self, before: i64) -> Result<u64, StoreError>;

    /// Records a service message; its number.
    async fn add_takeover(&self, t: &Takeover) -> Result<i64, StoreError>;
    /// The service messages running after `since` (on or to come), in order of start.
    async fn takeovers(&self, since: i64) -> Result<Vec<Takeover>, StoreError>;
    /// Ends a service message now; whether it was running.
    async fn end_takeover(&self, id: i64, at: i64) -> Result<bool, StoreError>;

    /// Proof of play between two instants, per offer and line; one employer's or all.
    async fn proof_of_play(
        &self,
        from: i64,
        to: i64,
        employer: Option<EmployerId>,
    ) -> Result<Vec<PlayRow>, StoreError>;
}
