//! `dklik_app::ScreenStore` for [`SqlStore`]: the GTFS feed, impressions and scans, the
//! screens' settings and the proof of display.

use crate::db::{query, query_scalar};
#[allow(unused_imports)]
use crate::store::*;
use crate::SqlStore;
pub(crate) use dklik_app::screen_store::ScreenStore;

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
        tx.commit().await.map_err(db_err)?;
        Ok(written)
    }

    async fn load_gtfs(&self) -> Result<::dklik_transit::gtfs::Feed, StoreError> {
        use ::dklik_transit::gtfs::*;
        let g = |e: ::sqlx::Error| db_err(e);
        let mut f = Feed::default();
        for r in query("SELECT id, name, timezone FROM gtfs_agencies")
            .fetch_all(&self.db)
            .await
            .map_err(g)?
        {
            f.agencies.push(Agency {
                id: r.try_get("id").map_err(g)?,
                name: r.try_get("name").map_err(g)?,
                timezone: r.try_get("timezone").map_err(g)?,
            });
        }
        for r in query("SELECT id, agency_id, short_name, long_name, route_type, color, text_color FROM gtfs_routes ORDER BY id")
            .fetch_all(&self.db).await.map_err(g)?
        {
            f.routes.push(Route {
                id: r.try_get("id").map_err(g)?, agency_id: r.try_get("agency_id").map_err(g)?,
                short_name: r.try_get("short_name").map_err(g)?, long_name: r.try_get("long_name").map_err(g)?,
                route_type: r.try_get::<i64, _>("route_type").map_err(g)? as i32,
                color: r.try_get("color").map_err(g)?, text_color: r.try_get("text_color").map_err(g)?,
            });
        }
        for r in query("SELECT id, code, name, lat, lon, location_type, parent_station FROM gtfs_stops ORDER BY id")
            .fetch_all(&self.db).await.map_err(g)?
        {
            f.stops.push(Stop {
                id: r.try_get("id").map_err(g)?, code: r.try_get("code").map_err(g)?, name: r.try_get("name").map_err(g)?,
                lat: r.try_get("lat").map_err(g)?, lon: r.try_get("lon").map_err(g)?,
                location_type: r.try_get::<i64, _>("location_type").map_err(g)? as i32,
                parent_station: r.try_get("parent_station").map_err(g)?,
            });
        }
        for r in query("SELECT id, route_id, service_id, shape_id, headsign, direction_id FROM gtfs_trips ORDER BY id")
            .fetch_all(&self.db).await.map_err(g)?
        {
            f.trips.push(Trip {
                id: r.try_get("id").map_err(g)?, route_id: r.try_get("route_id").map_err(g)?,
                service_id: r.try_get("service_id").map_err(g)?, shape_id: r.try_get("shape_id").map_err(g)?,
                headsign: r.try_get("headsign").map_err(g)?, direction_id: r.try_get::<i64, _>("direction_id").map_err(g)? as i32,
            });
        }
        for r in query("SELECT trip_id, stop_id, sequence, arrival, departure FROM gtfs_stop_times ORDER BY trip_id, sequence")
            .fetch_all(&self.db).await.map_err(g)?
        {
            f.stop_times.push(StopTime {
                trip_id: r.try_get("trip_id").map_err(g)?, stop_id: r.try_get("stop_id").map_err(g)?,
                sequence: r.try_get::<i64, _>("sequence").map_err(g)? as u32,
                arrival: r.try_get::<i64, _>("arrival").map_err(g)? as u32,
                departure: r.try_get::<i64, _>("departure").map_err(g)? as u32,
            });
        }
        for r in query(
            "SELECT service_id, days, start_date, end_date FROM gtfs_calendars ORDER BY service_id",
        )
        .fetch_all(&self.db)
        .await
        .map_err(g)?
        {
            let bits: i64 = r.try_get("days").map_err(g)?;
            let mut days = [false; 7];
            for (i, d) in days.iter_mut().enumerate() {
                *d = bits & (1 << i) != 0;
            }
            f.calendars.push(Calendar {
                service_id: r.try_get("service_id").map_err(g)?,
                days,
                start: r.try_get::<i64, _>("start_date").map_err(g)? as u32,
                end: r.try_get::<i64, _>("end_date").map_err(g)? as u32,
            });
        }
        for r in query(
            "SELECT service_id, date, added FROM gtfs_calendar_dates ORDER BY service_id, date",
        )
        .fetch_all(&self.db)
        .await
        .map_err(g)?
        {
            f.calendar_dates.push(CalendarDate {
                service_id: r.try_get("service_id").map_err(g)?,
                date: r.try_get::<i64, _>("date").map_err(g)? as u32,
                added: r.try_get("added").map_err(g)?,
            });
        }
        for r in query(
            "SELECT shape_id, sequence, lat, lon FROM gtfs_shapes ORDER BY shape_id, sequence",
        )
        .fetch_all(&self.db)
        .await
        .map_err(g)?
        {
            f.shapes.push(ShapePoint {
                shape_id: r.try_get("shape_id").map_err(g)?,
                sequence: r.try_get::<i64, _>("sequence").map_err(g)? as u32,
                lat: r.try_get("lat").map_err(g)?,
                lon: r.try_get("lon").map_err(g)?,
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
        let r = query(
            "SELECT code, vehicle, trip_id, stop_id, stop_name, offer_id, slide, shown_at, duration_s, scans, screen, source \
             FROM impressions WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&self.db)
        .await
        .map_err(db_err)?;
        let g = |e: ::sqlx::Error| db_err(e);
        r.map(|r| {
            Ok(Impression {
                code: r.try_get("code").map_err(g)?,
                vehicle: r.try_get("vehicle").map_err(g)?,
                trip_id: r.try_get("trip_id").map_err(g)?,
                stop_id: r.try_get("stop_id").map_err(g)?,
                stop_name: r.try_get("stop_name").map_err(g)?,
                offer_id: r
                    .try_get::<Option<i64>, _>("offer_id")
                    .map_err(g)?
                    .map(OfferId),
                slide: r.try_get("slide").map_err(g)?,
                shown_at: r.try_get("shown_at").map_err(g)?,
                duration_s: r.try_get("duration_s").map_err(g)?,
                scans: r.try_get("scans").map_err(g)?,
                screen: r.try_get("screen").map_err(g)?,
                source: r.try_get("source").map_err(g)?,
            })
        })
        .transpose()
    }

    async fn campaigns(&self) -> Result<Vec<CampaignRecord>, StoreError> {
        let g = |e: ::sqlx::Error| db_err(e);
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
            let id: i64 = r.try_get("id").map_err(g)?;
            let mut offer_ids = Vec::new();
            for l in &links {
                if l.try_get::<i64, _>("campaign_id").map_err(g)? == id {
                    offer_ids.push(OfferId(l.try_get("offer_id").map_err(g)?));
                }
            }
            let lines: String = r.try_get("lines").map_err(g)?;
            out.push(CampaignRecord {
                id,
                name: r.try_get("name").map_err(g)?,
                offer_ids,
                from: text_to_date(&r.try_get::<String, _>("from_day").map_err(g)?)?,
                to: text_to_date(&r.try_get::<String, _>("to_day").map_err(g)?)?,
                from_minute: r.try_get::<i64, _>("from_minute").map_err(g)? as u16,
                to_minute: r.try_get::<i64, _>("to_minute").map_err(g)? as u16,
                weight: r.try_get("weight").map_err(g)?,
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
        let g = |e: ::sqlx::Error| db_err(e);
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
                id: r.try_get("id").map_err(g)?,
                site_id: SiteId(r.try_get("site_id").map_err(g)?),
                site_name: r.try_get("site_name").map_err(g)?,
                employer_name: r.try_get("employer_name").map_err(g)?,
                lat: r.try_get("lat").map_err(g)?,
                lon: r.try_get("lon").map_err(g)?,
                radius_m: r.try_get("radius_m").map_err(g)?,
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
        let g = |e: ::sqlx::Error| db_err(e);
        query("SELECT id, vehicle, label FROM screens ORDER BY vehicle, id")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok(ScreenRecord {
                    id: r.try_get("id").map_err(g)?,
                    vehicle: r.try_get("vehicle").map_err(g)?,
                    label: r.try_get("label").map_err(g)?,
                })
            })
            .collect()
    }

    async fn screen(&self, id: &str) -> Result<Option<ScreenRecord>, StoreError> {
        let g = |e: ::sqlx::Error| db_err(e);
        query("SELECT id, vehicle, label FROM screens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .map(|r| {
                Ok(ScreenRecord {
                    id: r.try_get("id").map_err(g)?,
                    vehicle: r.try_get("vehicle").map_err(g)?,
                    label: r.try_get("label").map_err(g)?,
                })
            })
            .transpose()
    }

    async fn add_screen(&self, s: &ScreenRecord, at: i64) -> Result<(), StoreError> {
        query("INSERT INTO screens (id, vehicle, label, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&s.id)
            .bind(&s.vehicle)
            .bind(&s.label)
            .bind(at)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_screen(&self, id: &str) -> Result<(), StoreError> {
        self.delete_by_id(
            "DELETE FROM screens WHERE id = $1",
            Key::Text(id.to_string()),
        )
        .await
    }

    async fn screen_messages(&self) -> Result<Vec<ScreenMessage>, StoreError> {
        let g = |e: ::sqlx::Error| db_err(e);
        query("SELECT id, text, from_day, to_day FROM screen_messages ORDER BY from_day, id")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok(ScreenMessage {
                    id: r.try_get("id").map_err(g)?,
                    text: r.try_get("text").map_err(g)?,
                    from: text_to_date(&r.try_get::<String, _>("from_day").map_err(g)?)?,
                    to: text_to_date(&r.try_get::<String, _>("to_day").map_err(g)?)?,
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
        let g = |e: ::sqlx::Error| db_err(e);
        rows.iter()
            .map(|r| {
                Ok(DisplayReportRow {
                    offer_code: r.try_get("offer_code").map_err(g)?,
                    offer_title: r.try_get("offer_title").map_err(g)?,
                    stop_name: r.try_get("stop_name").map_err(g)?,
                    impressions: r.try_get("impressions").map_err(g)?,
                    vehicles: r.try_get("vehicles").map_err(g)?,
                    scans: r.try_get("scans").map_err(g)?,
                })
            })
            .collect()
    }
}
