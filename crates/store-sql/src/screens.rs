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
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        for table in [
            "gtfs_agencies",
            "gtfs_routes",
            "gtfs_stops",
            "gtfs_trips",
            "gtfs_stop_times",
            "gtfs_calendars",
            "gtfs_calendar_dates",
            "gtfs_shapes",
        ] {
            query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let mut done = 0u64;
        let mut written = 0u64;
        written += insert_chunks(
            &mut tx,
            &mut done,
            progress,
            &f.agencies,
            "INSERT INTO gtfs_agencies (id, name, timezone) ",
            "",
            |mut b, a| {
                b.push_bind(a.id.clone())
                    .push_bind(a.name.clone())
                    .push_bind(a.timezone.clone());
            },
        )
        .await?;
        written += insert_chunks(&mut tx, &mut done, progress, &f.routes,
            "INSERT INTO gtfs_routes (id, agency_id, short_name, long_name, route_type, color, text_color) ", "",
            |mut b, r| { b.push_bind(r.id.clone()).push_bind(r.agency_id.clone()).push_bind(r.short_name.clone())
                .push_bind(r.long_name.clone()).push_bind(i64::from(r.route_type)).push_bind(r.color.clone())
                .push_bind(r.text_color.clone()); }).await?;
        written += insert_chunks(
            &mut tx,
            &mut done,
            progress,
            &f.stops,
            "INSERT INTO gtfs_stops (id, code, name, lat, lon, location_type, parent_station) ",
            "",
            |mut b, s| {
                b.push_bind(s.id.clone())
                    .push_bind(s.code.clone())
                    .push_bind(s.name.clone())
                    .push_bind(s.lat)
                    .push_bind(s.lon)
                    .push_bind(i64::from(s.location_type))
                    .push_bind(s.parent_station.clone());
            },
        )
        .await?;
        written += insert_chunks(
            &mut tx,
            &mut done,
            progress,
            &f.trips,
            "INSERT INTO gtfs_trips (id, route_id, service_id, shape_id, headsign, direction_id) ",
            "",
            |mut b, t| {
                b.push_bind(t.id.clone())
                    .push_bind(t.route_id.clone())
                    .push_bind(t.service_id.clone())
                    .push_bind(t.shape_id.clone())
                    .push_bind(t.headsign.clone())
                    .push_bind(i64::from(t.direction_id));
            },
        )
        .await?;
        written += insert_chunks(
            &mut tx,
            &mut done,
            progress,
            &f.stop_times,
            "INSERT INTO gtfs_stop_times (trip_id, stop_id, sequence, arrival, departure) ",
            "",
            |mut b, s| {
                b.push_bind(s.trip_id.clone())
                    .push_bind(s.stop_id.clone())
                    .push_bind(i64::from(s.sequence))
                    .push_bind(i64::from(s.arrival))
                    .push_bind(i64::from(s.departure));
            },
        )
        .await?;
        written += insert_chunks(
            &mut tx,
            &mut done,
            progress,
            &f.calendars,
            "INSERT INTO gtfs_calendars (service_id, days, start_date, end_date) ",
            "",
            |mut b, c| {
                b.push_bind(c.service_id.clone())
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
        written += insert_chunks(
            &mut tx,
            &mut done,
            progress,
            &f.calendar_dates,
            "INSERT INTO gtfs_calendar_dates (service_id, date, added) ",
            " ON CONFLICT (service_id, date) DO NOTHING",
            |mut b, c| {
                b.push_bind(c.service_id.clone())
                    .push_bind(i64::from(c.date))
                    .push_bind(c.added);
            },
        )
        .await?;
        written += insert_chunks(
            &mut tx,
            &mut done,
            progress,
            &f.shapes,
            "INSERT INTO gtfs_shapes (shape_id, sequence, lat, lon) ",
            " ON CONFLICT (shape_id, sequence) DO NOTHING",
            |mut b, p| {
                b.push_bind(p.shape_id.clone())
                    .push_bind(i64::from(p.sequence))
                    .push_bind(p.lat)
                    .push_bind(p.lon);
            },
        )
        .await?;
        // The version moves on every import (even two in the same second).
        query(
            "INSERT INTO gtfs_version (id, imported_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET imported_at = \
             CASE WHEN excluded.imported_at > gtfs_version.imported_at \
             THEN excluded.imported_at ELSE gtfs_version.imported_at + 1 END",
        )
        .bind(crate::common::unix_now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(written)
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
        for r in query("SELECT id, name, timezone FROM gtfs_agencies")
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
        for r in query("SELECT id, agency_id, short_name, long_name, route_type, color, text_color FROM gtfs_routes ORDER BY id")
            .fetch_all(&self.db).await.map_err(db_err)?
        {
            f.routes.push(Route {
                id: r.get("id")?, agency_id: r.get("agency_id")?,
                short_name: r.get("short_name")?, long_name: r.get("long_name")?,
                route_type: r.get::<i64>("route_type")? as i32,
                color: r.get("color")?, text_color: r.get("text_color")?,
            });
        }
        for r in query("SELECT id, code, name, lat, lon, location_type, parent_station FROM gtfs_stops ORDER BY id")
            .fetch_all(&self.db).await.map_err(db_err)?
        {
            f.stops.push(Stop {
                id: r.get("id")?, code: r.get("code")?, name: r.get("name")?,
                lat: r.get("lat")?, lon: r.get("lon")?,
                location_type: r.get::<i64>("location_type")? as i32,
                parent_station: r.get("parent_station")?,
            });
        }
        for r in query("SELECT id, route_id, service_id, shape_id, headsign, direction_id FROM gtfs_trips ORDER BY id")
            .fetch_all(&self.db).await.map_err(db_err)?
        {
            f.trips.push(Trip {
                id: r.get("id")?, route_id: r.get("route_id")?,
                service_id: r.get("service_id")?, shape_id: r.get("shape_id")?,
                headsign: r.get("headsign")?, direction_id: r.get::<i64>("direction_id")? as i32,
            });
        }
        for r in query("SELECT trip_id, stop_id, sequence, arrival, departure FROM gtfs_stop_times ORDER BY trip_id, sequence")
            .fetch_all(&self.db).await.map_err(db_err)?
        {
            f.stop_times.push(StopTime {
                trip_id: r.get("trip_id")?, stop_id: r.get("stop_id")?,
                sequence: r.get::<i64>("sequence")? as u32,
                arrival: r.get::<i64>("arrival")? as u32,
                departure: r.get::<i64>("departure")? as u32,
            });
        }
        for r in query(
            "SELECT service_id, days, start_date, end_date FROM gtfs_calendars ORDER BY service_id",
        )
        .fetch_all(&self.db)
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
            "SELECT service_id, date, added FROM gtfs_calendar_dates ORDER BY service_id, date",
        )
        .fetch_all(&self.db)
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
            "SELECT shape_id, sequence, lat, lon FROM gtfs_shapes ORDER BY shape_id, sequence",
        )
        .fetch_all(&self.db)
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
        query(
            "UPDATE impressions SET line = (SELECT r.short_name FROM gtfs_trips t \
             JOIN gtfs_routes r ON r.id = t.route_id WHERE t.id = impressions.trip_id) \
             WHERE shown_at >= $1 AND shown_at <= $2 AND line IS NULL AND trip_id IS NOT NULL",
        )
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
