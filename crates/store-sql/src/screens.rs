//! `dklik_app::ScreenStore` for [`SqlStore`]: the GTFS feed, impressions and scans, the
//! screens' settings and the proof of display.

use crate::db::{query, query_scalar, FromRow, Row};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;
pub(crate) use dklik_app::screen_store::ScreenStore;

const IMPRESSION_SELECT: &str = "SELECT code, vehicle, trip_id, stop_id, stop_name, offer_id, \
    slide, shown_at, duration_s, scans, screen, source FROM impressions";

impl FromRow for Impression {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(Impression {
            code: r.get("code")?,
            vehicle: r.get("vehicle")?,
            trip_id: r.get("trip_id")?,
            stop_id: r.get("stop_id")?,
            stop_name: r.get("stop_name")?,
            offer_id: r.get::<Option<i64>>("offer_id")?.map(OfferId),
            slide: r.get("slide")?,
            shown_at: r.get("shown_at")?,
            duration_s: r.get("duration_s")?,
            scans: r.get("scans")?,
            screen: r.get("screen")?,
            source: r.get("source")?,
        })
    }
}

#[::async_trait::async_trait]
impl ScreenStore for SqlStore {
    async fn save_gtfs(
        &self,
        f: &::dklik_transit::gtfs::Feed,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, StoreError> {
        // Written beside the feed in use, in steps, under a feed number of its own (the time it
        // started, in milliseconds); nothing reads it before the switch at the end.
        let db = &self.db;
        let in_use = current_feed(db).await?;
        let feed = unix_now_ms().max(in_use + 1);
        // Feeds neither in use nor being written (started 2 hours ago or more): the one the
        // last import replaced, or one whose import died.
        remove_feeds(db, "feed <> $1 AND feed < $2", in_use, feed - 2 * 3_600_000).await?;
        match self.write_feed(f, feed, progress).await {
            Ok(written) => {
                let mut tx = db.begin_write().await.map_err(db_err)?;
                // The version moves on every import (even two in the same second).
                query(
                    "INSERT INTO gtfs_version (id, imported_at, feed) VALUES (1, $1, $2) \
                     ON CONFLICT (id) DO UPDATE SET feed = excluded.feed, imported_at = \
                     CASE WHEN excluded.imported_at > gtfs_version.imported_at \
                     THEN excluded.imported_at ELSE gtfs_version.imported_at + 1 END",
                )
                .bind(crate::common::unix_now())
                .bind(feed)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(written)
            }
            Err(e) => {
                // Never read; removed now (or by the next import's sweep).
                let _ = remove_feeds(db, "feed = $1 AND feed = $2", feed, feed).await;
                Err(e)
            }
        }
    }

    async fn gtfs_version(&self) -> Result<i64, StoreError> {
        Ok(
            query_scalar::<i64>("SELECT imported_at FROM gtfs_version WHERE id = 1")
                .fetch_optional(&self.db)
                .await
                .map_err(db_err)?
                .unwrap_or(0),
        )
    }

    async fn load_gtfs(&self) -> Result<::dklik_transit::gtfs::Feed, StoreError> {
        use ::dklik_transit::gtfs::*;
        let mut f = Feed::default();
        let feed = current_feed(&self.db).await?;
        for r in query("SELECT id, name, timezone FROM gtfs_agencies WHERE feed = $1")
            .bind(feed)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
        {
            f.agencies.push(Agency {
                id: r.get("id")?,
                name: r.get("name")?,
                timezone: r.get("timezone")?,
            });
        }
        for r in query("SELECT id, agency_id, short_name, long_name, route_type, color, text_color FROM gtfs_routes WHERE feed = $1 ORDER BY id")
            .bind(feed).fetch_all(&self.db).await.map_err(db_err)?
        {
            f.routes.push(Route {
                id: r.get("id")?, agency_id: r.get("agency_id")?,
                short_name: r.get("short_name")?, long_name: r.get("long_name")?,
                route_type: r.get::<i64>("route_type")? as i32,
                color: r.get("color")?, text_color: r.get("text_color")?,
            });
        }
        for r in query("SELECT id, code, name, lat, lon, location_type, parent_station FROM gtfs_stops WHERE feed = $1 ORDER BY id")
            .bind(feed).fetch_all(&self.db).await.map_err(db_err)?
        {
            f.stops.push(Stop {
                id: r.get("id")?, code: r.get("code")?, name: r.get("name")?,
                lat: r.get("lat")?, lon: r.get("lon")?,
                location_type: r.get::<i64>("location_type")? as i32,
                parent_station: r.get("parent_station")?,
            });
        }
        for r in query("SELECT id, route_id, service_id, shape_id, headsign, direction_id FROM gtfs_trips WHERE feed = $1 ORDER BY id")
            .bind(feed).fetch_all(&self.db).await.map_err(db_err)?
        {
            f.trips.push(Trip {
                id: r.get("id")?, route_id: r.get("route_id")?,
                service_id: r.get("service_id")?, shape_id: r.get("shape_id")?,
                headsign: r.get("headsign")?, direction_id: r.get::<i64>("direction_id")? as i32,
            });
        }
        for r in query("SELECT trip_id, stop_id, sequence, arrival, departure FROM gtfs_stop_times WHERE feed = $1 ORDER BY trip_id, sequence")
            .bind(feed).fetch_all(&self.db).await.map_err(db_err)?
        {
            f.stop_times.push(StopTime {
                trip_id: r.get("trip_id")?, stop_id: r.get("stop_id")?,
                sequence: r.get::<i64>("sequence")? as u32,
                arrival: r.get::<i64>("arrival")? as u32,
                departure: r.get::<i64>("departure")? as u32,
            });
        }
        for r in query(
            "SELECT service_id, days, start_date, end_date FROM gtfs_calendars WHERE feed = $1 ORDER BY service_id",
        )
        .bind(feed).fetch_all(&self.db)
        .await
        .map_err(db_err)?
        {
            let bits: i64 = r.get("days")?;
            let mut days = [false; 7];
            for (i, d) in days.iter_mut().enumerate() {
                *d = bits & (1 << i) != 0;
            }
            f.calendars.push(Calendar {
                service_id: r.get("service_id")?,
                days,
                start: r.get::<i64>("start_date")? as u32,
                end: r.get::<i64>("end_date")? as u32,
            });
        }
        for r in query(
            "SELECT service_id, date, added FROM gtfs_calendar_dates WHERE feed = $1 ORDER BY service_id, date",
        )
        .bind(feed).fetch_all(&self.db)
        .await
        .map_err(db_err)?
        {
            f.calendar_dates.push(CalendarDate {
                service_id: r.get("service_id")?,
                date: r.get::<i64>("date")? as u32,
                added: r.get("added")?,
            });
        }
        for r in query(
            "SELECT shape_id, sequence, lat, lon FROM gtfs_shapes WHERE feed = $1 ORDER BY shape_id, sequence",
        )
        .bind(feed).fetch_all(&self.db)
        .await
        .map_err(db_err)?
        {
            f.shapes.push(ShapePoint {
                shape_id: r.get("shape_id")?,
                sequence: r.get::<i64>("sequence")? as u32,
                lat: r.get("lat")?,
                lon: r.get("lon")?,
            });
        }
        Ok(f)
    }

    async fn notify_screens(&self, payload: &str) -> Result<(), StoreError> {
        crate::connect::notify_screens(&self.db, payload).await
    }

    async fn listen_screens(
        &self,
    ) -> Result<Option<Box<dyn ::dklik_app::Notifications>>, StoreError> {
        crate::connect::listen_screens(&self.db).await
    }

    async fn record_impressions(&self, rows: &[Impression]) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let (mut written, mut done) = (0u64, 0u64);
        let progress = &|_: u64| {};
        written += insert_chunks(&mut tx, &mut done, progress, rows,
            "INSERT INTO impressions (code, vehicle, trip_id, stop_id, stop_name, offer_id, slide, shown_at, duration_s, screen, source) ",
            " ON CONFLICT (code) DO NOTHING",
            |mut b, i| { b.push_bind(i.code.clone()).push_bind(i.vehicle.clone()).push_bind(i.trip_id.clone())
                .push_bind(i.stop_id.clone()).push_bind(i.stop_name.clone()).push_bind(i.offer_id.map(|o| o.0))
                .push_bind(i.slide.clone()).push_bind(i.shown_at).push_bind(i.duration_s)
                .push_bind(i.screen.clone()).push_bind(i.source.clone()); }).await?;
        let _ = done;
        // The line, from the feed in use now: figures by line survive a new feed.
        let (from, to) = rows.iter().fold((i64::MAX, i64::MIN), |(a, b), i| {
            (a.min(i.shown_at), b.max(i.shown_at))
        });
        query(&format!(
            "UPDATE impressions SET line = (SELECT r.short_name FROM gtfs_trips t \
                 JOIN gtfs_routes r ON r.feed = t.feed AND r.id = t.route_id \
                 WHERE t.feed = {CURRENT_FEED} AND t.id = impressions.trip_id) \
                 WHERE shown_at >= $1 AND shown_at <= $2 AND line IS NULL AND trip_id IS NOT NULL"
        ))
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(written)
    }

    async fn impression(&self, code: &str) -> Result<Option<Impression>, StoreError> {
        let sql = format!("{IMPRESSION_SELECT} WHERE code = $1");
        let r = query(&sql)
            .bind(code)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(Impression::from_row).transpose()
    }

    async fn offer_shown_since(
        &self,
        offer: OfferId,
        since: i64,
    ) -> Result<Option<Impression>, StoreError> {
        let sql = format!(
            "{IMPRESSION_SELECT} WHERE offer_id = $1 AND shown_at >= $2 \
             ORDER BY shown_at DESC LIMIT 1"
        );
        let r = query(&sql)
            .bind(offer.0)
            .bind(since)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(Impression::from_row).transpose()
    }

    async fn campaigns(&self) -> Result<Vec<CampaignRecord>, StoreError> {
        let rows = query(
            "SELECT id, name, from_day, to_day, from_minute, to_minute, weight, lines FROM campaigns ORDER BY from_day DESC, id",
        )
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        let links = query("SELECT campaign_id, offer_id FROM campaign_offers ORDER BY offer_id")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.get("id")?;
            let mut offer_ids = Vec::new();
            for l in &links {
                if l.get::<i64>("campaign_id")? == id {
                    offer_ids.push(OfferId(l.get("offer_id")?));
                }
            }
            let lines: String = r.get("lines")?;
            out.push(CampaignRecord {
                id,
                name: r.get("name")?,
                offer_ids,
                from: text_to_date(&r.get::<String>("from_day")?)?,
                to: text_to_date(&r.get::<String>("to_day")?)?,
                from_minute: r.get::<i64>("from_minute")? as u16,
                to_minute: r.get::<i64>("to_minute")? as u16,
                weight: r.get("weight")?,
                lines: lines
                    .split(',')
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            });
        }
        Ok(out)
    }

    async fn add_campaign(&self, c: &CampaignRecord, at: i64) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let id: i64 = query_scalar(
            "INSERT INTO campaigns (name, from_day, to_day, from_minute, to_minute, weight, lines, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&c.name)
        .bind(date_to_text(c.from))
        .bind(date_to_text(c.to))
        .bind(i64::from(c.from_minute))
        .bind(i64::from(c.to_minute))
        .bind(c.weight)
        .bind(c.lines.join(","))
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        for o in &c.offer_ids {
            query("INSERT INTO campaign_offers (campaign_id, offer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(o.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn delete_campaign(&self, id: i64) -> Result<(), StoreError> {
        self.delete_by_id("DELETE FROM campaigns WHERE id = $1", Key::Id(id))
            .await
    }

    async fn fences(&self) -> Result<Vec<FenceRecord>, StoreError> {
        query(
            "SELECT f.id, f.site_id, s.name AS site_name, e.name AS employer_name, s.lat, s.lon, f.radius_m \
             FROM fences f JOIN sites s ON s.id = f.site_id JOIN employers e ON e.id = s.employer_id ORDER BY e.name, s.name",
        )
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(FenceRecord {
                id: r.get("id")?,
                site_id: SiteId(r.get("site_id")?),
                site_name: r.get("site_name")?,
                employer_name: r.get("employer_name")?,
                lat: r.get("lat")?,
                lon: r.get("lon")?,
                radius_m: r.get("radius_m")?,
            })
        })
        .collect()
    }

    async fn set_fence(&self, site: SiteId, radius_m: f64, at: i64) -> Result<(), StoreError> {
        query(
            "INSERT INTO fences (site_id, radius_m, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (site_id) DO UPDATE SET radius_m = excluded.radius_m",
        )
        .bind(site.0)
        .bind(radius_m)
        .bind(at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_fence(&self, id: i64) -> Result<(), StoreError> {
        self.delete_by_id("DELETE FROM fences WHERE id = $1", Key::Id(id))
            .await
    }

    async fn screens(&self) -> Result<Vec<ScreenRecord>, StoreError> {
        query("SELECT id, vehicle, label, line, region FROM screens ORDER BY vehicle, id")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(screen_of)
            .collect()
    }

    async fn screen(&self, id: &str) -> Result<Option<ScreenRecord>, StoreError> {
        query("SELECT id, vehicle, label, line, region FROM screens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(screen_of)
            .transpose()
    }

    async fn add_screen(&self, s: &ScreenRecord, at: i64) -> Result<(), StoreError> {
        query("INSERT INTO screens (id, vehicle, label, line, region, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&s.id)
            .bind(&s.vehicle)
            .bind(&s.label)
            .bind(s.line.clone())
            .bind(&s.region)
            .bind(at)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_screen(&self, id: &str) -> Result<(), StoreError> {
        for table in ["screen_health", "screen_presence"] {
            query(&format!("DELETE FROM {table} WHERE screen = $1"))
                .bind(id)
                .execute(&self.db)
                .await
                .map_err(db_err)?;
        }
        self.delete_by_id(
            "DELETE FROM screens WHERE id = $1",
            Key::Text(id.to_string()),
        )
        .await
    }

    async fn screen_messages(&self) -> Result<Vec<ScreenMessage>, StoreError> {
        query("SELECT id, text, from_day, to_day FROM screen_messages ORDER BY from_day, id")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok(ScreenMessage {
                    id: r.get("id")?,
                    text: r.get("text")?,
                    from: text_to_date(&r.get::<String>("from_day")?)?,
                    to: text_to_date(&r.get::<String>("to_day")?)?,
                })
            })
            .collect()
    }

    async fn add_screen_message(&self, m: &ScreenMessage, at: i64) -> Result<i64, StoreError> {
        query_scalar(
            "INSERT INTO screen_messages (text, from_day, to_day, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&m.text)
        .bind(date_to_text(m.from))
        .bind(date_to_text(m.to))
        .bind(at)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)
    }

    async fn delete_screen_message(&self, id: i64) -> Result<(), StoreError> {
        self.delete_by_id("DELETE FROM screen_messages WHERE id = $1", Key::Id(id))
            .await
    }

    async fn record_scan(&self, code: &str, at: i64) -> Result<bool, StoreError> {
        let n = query(
            "UPDATE impressions SET scans = scans + 1, first_scan_at = COALESCE(first_scan_at, $1) WHERE code = $2",
        )
        .bind(at)
        .bind(code)
        .execute(&self.db)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn display_report(
        &self,
        employer: EmployerId,
        from: i64,
        to: i64,
    ) -> Result<Vec<DisplayReportRow>, StoreError> {
        let rows = query(
            "SELECT o.code AS offer_code, o.title AS offer_title, i.stop_name, COUNT(*) AS impressions, \
             COUNT(DISTINCT i.vehicle) AS vehicles, CAST(COALESCE(SUM(i.scans), 0) AS BIGINT) AS scans \
             FROM impressions i JOIN offers o ON o.id = i.offer_id \
             WHERE o.employer_id = $1 AND i.shown_at >= $2 AND i.shown_at < $3 \
             GROUP BY o.code, o.title, i.stop_name ORDER BY o.code, COUNT(*) DESC, i.stop_name",
        )
        .bind(employer.0)
        .bind(from)
        .bind(to)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(DisplayReportRow {
                    offer_code: r.get("offer_code")?,
                    offer_title: r.get("offer_title")?,
                    stop_name: r.get("stop_name")?,
                    impressions: r.get("impressions")?,
                    vehicles: r.get("vehicles")?,
                    scans: r.get("scans")?,
                })
            })
            .collect()
    }

    async fn screen_heartbeat(&self, beat: &Heartbeat) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let known: Option<String> = query_scalar("SELECT vehicle FROM screens WHERE id = $1")
            .bind(&beat.screen)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if known.is_none() {
            return Ok(false);
        }
        let last: Option<i64> =
            query_scalar("SELECT last_seen FROM screen_health WHERE screen = $1")
                .bind(&beat.screen)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        // Plays count only from a beat at a normal pace (a page cannot inflate them).
        let counted = last.is_none_or(|l| beat.at - l >= 20);
        let shown: i64 = if counted {
            beat.plays.iter().map(|(_, n)| *n).sum()
        } else {
            0
        };
        query(
            "INSERT INTO screen_health (screen, last_seen, slide, day, shown_today) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (screen) DO UPDATE SET last_seen = excluded.last_seen, slide = excluded.slide, \
             shown_today = CASE WHEN screen_health.day = excluded.day THEN screen_health.shown_today + excluded.shown_today \
             ELSE excluded.shown_today END, day = excluded.day",
        )
        .bind(&beat.screen)
        .bind(beat.at)
        .bind(&beat.slide)
        .bind(&beat.day)
        .bind(shown)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let stretch = query(
            "SELECT id, to_at FROM screen_presence WHERE screen = $1 ORDER BY to_at DESC LIMIT 1",
        )
        .bind(&beat.screen)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let joined = match &stretch {
            Some(r) => {
                let (id, to): (i64, i64) = (r.get("id")?, r.get("to_at")?);
                if beat.at >= to && beat.at - to <= 90 {
                    query("UPDATE screen_presence SET to_at = $1 WHERE id = $2")
                        .bind(beat.at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    true
                } else {
                    beat.at < to
                }
            }
            None => false,
        };
        if !joined {
            // A first beat stands for the half-minute before it.
            query("INSERT INTO screen_presence (screen, from_at, to_at) VALUES ($1, $2, $3)")
                .bind(&beat.screen)
                .bind(beat.at - 30)
                .bind(beat.at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        if counted {
            for (code, n) in &beat.plays {
                query(
                    "UPDATE impressions SET plays = plays + $1, played_s = played_s + $2 \
                     WHERE code = $3 AND vehicle = $4",
                )
                .bind(*n)
                .bind(*n * beat.slide_seconds)
                .bind(code)
                .bind(&beat.vehicle)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn screen_health(&self) -> Result<Vec<ScreenHealthRow>, StoreError> {
        query(
            "SELECT h.screen, h.last_seen, h.slide, h.day, h.shown_today FROM screen_health h \
               JOIN screens s ON s.id = h.screen ORDER BY h.screen",
        )
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(ScreenHealthRow {
                screen: r.get("screen")?,
                last_seen: r.get("last_seen")?,
                slide: r.get("slide")?,
                day: r.get("day")?,
                shown_today: r.get("shown_today")?,
            })
        })
        .collect()
    }

    async fn screen_presence(&self, since: i64) -> Result<Vec<(String, i64, i64)>, StoreError> {
        query("SELECT screen, from_at, to_at FROM screen_presence WHERE to_at >= $1 ORDER BY screen, from_at")
            .bind(since)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| Ok((r.get("screen")?, r.get("from_at")?, r.get("to_at")?)))
            .collect()
    }

    async fn prune_screen_presence(&self, before: i64) -> Result<u64, StoreError> {
        Ok(query("DELETE FROM screen_presence WHERE to_at < $1")
            .bind(before)
            .execute(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected())
    }

    async fn add_takeover(&self, t: &Takeover) -> Result<i64, StoreError> {
        query_scalar(
            "INSERT INTO screen_takeovers (text, scope, target, from_at, until_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&t.text)
        .bind(t.scope.as_str())
        .bind(&t.target)
        .bind(t.from)
        .bind(t.until)
        .bind(&t.created_by)
        .bind(t.created_at)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)
    }

    async fn takeovers(&self, since: i64) -> Result<Vec<Takeover>, StoreError> {
        query(
            "SELECT id, text, scope, target, from_at, until_at, created_by, created_at, ended_at \
             FROM screen_takeovers WHERE until_at > $1 ORDER BY from_at, id",
        )
        .bind(since)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            let scope: String = r.get("scope")?;
            Ok(Takeover {
                id: r.get("id")?,
                text: r.get("text")?,
                scope: TakeoverScope::parse(&scope)
                    .ok_or_else(|| StoreError::Backend(format!("portée inconnue : {scope}")))?,
                target: r.get("target")?,
                from: r.get("from_at")?,
                until: r.get("until_at")?,
                created_by: r.get("created_by")?,
                created_at: r.get("created_at")?,
                ended_at: r.get("ended_at")?,
            })
        })
        .collect()
    }

    async fn end_takeover(&self, id: i64, at: i64) -> Result<bool, StoreError> {
        Ok(query(
            "UPDATE screen_takeovers SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL AND until_at > $1",
        )
        .bind(at)
        .bind(id)
        .execute(&self.db)
        .await
        .map_err(db_err)?
        .rows_affected()
            == 1)
    }

    async fn proof_of_play(
        &self,
        from: i64,
        to: i64,
        employer: Option<EmployerId>,
    ) -> Result<Vec<PlayRow>, StoreError> {
        query(
            "SELECT o.code AS offer_code, o.title AS offer_title, e.name AS employer_name, \
             COALESCE(i.line, '') AS line, COUNT(*) AS impressions, \
             CAST(COALESCE(SUM(i.plays), 0) AS BIGINT) AS plays, \
             CAST(COALESCE(SUM(i.played_s), 0) AS BIGINT) AS played_s, \
             CAST(COALESCE(SUM(i.scans), 0) AS BIGINT) AS scans, \
             CAST(COALESCE(SUM(c.n), 0) AS BIGINT) AS callbacks \
             FROM impressions i JOIN offers o ON o.id = i.offer_id JOIN employers e ON e.id = o.employer_id \
             LEFT JOIN (SELECT impression, COUNT(*) AS n FROM journey_events \
                        WHERE kind = 'interest' AND impression IS NOT NULL GROUP BY impression) c \
                    ON c.impression = i.code \
             WHERE i.shown_at >= $1 AND i.shown_at < $2 AND ($3 < 0 OR o.employer_id = $3) \
             GROUP BY o.code, o.title, e.name, COALESCE(i.line, '') \
             ORDER BY e.name, o.code, COALESCE(i.line, '')",
        )
        .bind(from)
        .bind(to)
        .bind(employer.map_or(-1, |e| e.0))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(PlayRow {
                offer_code: r.get("offer_code")?,
                offer_title: r.get("offer_title")?,
                employer_name: r.get("employer_name")?,
                line: r.get("line")?,
                impressions: r.get("impressions")?,
                plays: r.get("plays")?,
                played_s: r.get("played_s")?,
                scans: r.get("scans")?,
                callbacks: r.get("callbacks")?,
            })
        })
        .collect()
    }
}

fn screen_of(r: &crate::db::Row) -> Result<ScreenRecord, StoreError> {
    Ok(ScreenRecord {
        id: r.get("id")?,
        vehicle: r.get("vehicle")?,
        label: r.get("label")?,
        line: r.get("line")?,
        region: r.get("region")?,
    })
}

impl SqlStore {
    /// Writes a whole feed under the number `feed`, in steps.
    async fn write_feed(
        &self,
        f: &::dklik_transit::gtfs::Feed,
        feed: i64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, StoreError> {
        let db = &self.db;
        let mut done = 0u64;
        let mut written = 0u64;
        written += insert_in_steps(
            db,
            &mut done,
            progress,
            &f.agencies,
            "INSERT INTO gtfs_agencies (feed, id, name, timezone) ",
            "",
            |mut b, a| {
                b.push_bind(feed)
                    .push_bind(a.id.clone())
                    .push_bind(a.name.clone())
                    .push_bind(a.timezone.clone());
            },
        )
        .await?;
        written += insert_in_steps(db, &mut done, progress, &f.routes,
            "INSERT INTO gtfs_routes (feed, id, agency_id, short_name, long_name, route_type, color, text_color) ", "",
            |mut b, r| { b.push_bind(feed).push_bind(r.id.clone()).push_bind(r.agency_id.clone()).push_bind(r.short_name.clone())
                .push_bind(r.long_name.clone()).push_bind(i64::from(r.route_type)).push_bind(r.color.clone())
                .push_bind(r.text_color.clone()); }).await?;
        written += insert_in_steps(
            db,
            &mut done,
            progress,
            &f.stops,
            "INSERT INTO gtfs_stops (feed, id, code, name, lat, lon, location_type, parent_station) ",
            "",
            |mut b, s| {
                b.push_bind(feed).push_bind(s.id.clone())
                    .push_bind(s.code.clone())
                    .push_bind(s.name.clone())
                    .push_bind(s.lat)
                    .push_bind(s.lon)
                    .push_bind(i64::from(s.location_type))
                    .push_bind(s.parent_station.clone());
            },
        )
        .await?;
        written += insert_in_steps(
            db,
            &mut done,
            progress,
            &f.trips,
            "INSERT INTO gtfs_trips (feed, id, route_id, service_id, shape_id, headsign, direction_id) ",
            "",
            |mut b, t| {
                b.push_bind(feed).push_bind(t.id.clone())
                    .push_bind(t.route_id.clone())
                    .push_bind(t.service_id.clone())
                    .push_bind(t.shape_id.clone())
                    .push_bind(t.headsign.clone())
                    .push_bind(i64::from(t.direction_id));
            },
        )
        .await?;
        written += insert_in_steps(
            db,
            &mut done,
            progress,
            &f.stop_times,
            "INSERT INTO gtfs_stop_times (feed, trip_id, stop_id, sequence, arrival, departure) ",
            "",
            |mut b, s| {
                b.push_bind(feed)
                    .push_bind(s.trip_id.clone())
                    .push_bind(s.stop_id.clone())
                    .push_bind(i64::from(s.sequence))
                    .push_bind(i64::from(s.arrival))
                    .push_bind(i64::from(s.departure));
            },
        )
        .await?;
        written += insert_in_steps(
            db,
            &mut done,
            progress,
            &f.calendars,
            "INSERT INTO gtfs_calendars (feed, service_id, days, start_date, end_date) ",
            "",
            |mut b, c| {
                b.push_bind(feed)
                    .push_bind(c.service_id.clone())
                    .push_bind(c.days.iter().enumerate().fold(0i64, |acc, (i, d)| {
                        if *d {
                            acc | (1 << i)
                        } else {
                            acc
                        }
                    }))
                    .push_bind(i64::from(c.start))
                    .push_bind(i64::from(c.end));
            },
        )
        .await?;
        written += insert_in_steps(
            db,
            &mut done,
            progress,
            &f.calendar_dates,
            "INSERT INTO gtfs_calendar_dates (feed, service_id, date, added) ",
            " ON CONFLICT (feed, service_id, date) DO NOTHING",
            |mut b, c| {
                b.push_bind(feed)
                    .push_bind(c.service_id.clone())
                    .push_bind(i64::from(c.date))
                    .push_bind(c.added);
            },
        )
        .await?;
        written += insert_in_steps(
            db,
            &mut done,
            progress,
            &f.shapes,
            "INSERT INTO gtfs_shapes (feed, shape_id, sequence, lat, lon) ",
            " ON CONFLICT (feed, shape_id, sequence) DO NOTHING",
            |mut b, p| {
                b.push_bind(feed)
                    .push_bind(p.shape_id.clone())
                    .push_bind(i64::from(p.sequence))
                    .push_bind(p.lat)
                    .push_bind(p.lon);
            },
        )
        .await?;
        Ok(written)
    }
}

/// The number of the GTFS feed in use (0 before any import since migration 0022).
async fn current_feed(db: &crate::db::Db) -> Result<i64, StoreError> {
    Ok(
        query_scalar::<i64>("SELECT feed FROM gtfs_version WHERE id = 1")
            .fetch_optional(db)
            .await
            .map_err(db_err)?
            .unwrap_or(0),
    )
}

/// The feed in use, in SQL (for the joins that name an impression's line).
pub(crate) const CURRENT_FEED: &str = "COALESCE((SELECT feed FROM gtfs_version WHERE id = 1), 0)";

/// Removes the rows of the feeds that `which` names (`$1`, `$2` bound to `a`, `b`), in steps.
async fn remove_feeds(db: &crate::db::Db, which: &str, a: i64, b: i64) -> Result<(), StoreError> {
    // Each table by its key, 2,000 rows a step.
    for (table, key) in [
        ("gtfs_stop_times", "trip_id, sequence"),
        ("gtfs_shapes", "shape_id, sequence"),
        ("gtfs_trips", "id"),
        ("gtfs_stops", "id"),
        ("gtfs_routes", "id"),
        ("gtfs_calendar_dates", "service_id, date"),
        ("gtfs_calendars", "service_id"),
        ("gtfs_agencies", "id"),
    ] {
        let sql = format!(
            "DELETE FROM {table} WHERE {which} AND (feed, {key}) IN \
             (SELECT DISTINCT feed, {key} FROM {table} WHERE {which} LIMIT 2000)"
        );
        delete_in_steps(db, &sql, &[a, b]).await?;
    }
    Ok(())
}

fn unix_now_ms() -> i64 {
    ::std::time::SystemTime::now()
        .duration_since(::std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
