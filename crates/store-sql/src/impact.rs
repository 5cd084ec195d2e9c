//! `dklik_app::ImpactStore` for [`SqlStore`]: the facts the impact figures are computed from.

use crate::codes::SurveyPhase;
use crate::db::{query, Row};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::screens::CURRENT_FEED;
use crate::SqlStore;
pub(crate) use dklik_app::impact_store::ImpactStore;
pub(crate) use dklik_domain::impact as imp;

#[::async_trait::async_trait]
impl ImpactStore for SqlStore {
    async fn add_link_visit(
        &self,
        at: i64,
        channel: &str,
        offer_code: Option<&str>,
        target: &str,
    ) -> Result<(), StoreError> {
        query(concat!(
            "INSERT INTO link_visits (at, channel, offer_id, target) \
                 VALUES ($1, $2, (SELECT id FROM ",
            seen_offers!(),
            " o WHERE code = $3), $4)"
        ))
        .bind(at)
        .bind(channel)
        .bind(offer_code)
        .bind(target)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn impact_events(&self, to: i64) -> Result<Vec<imp::PathEvent>, StoreError> {
        query(&format!(
            "SELECT e.id, e.person_id, e.at, e.stage, e.channel, e.offer_id, i.vehicle, \
             COALESCE(i.line, r.short_name) AS line, i.stop_name AS stop \
             FROM journey_events e LEFT JOIN impressions i ON i.code = e.impression \
             LEFT JOIN gtfs_trips t ON t.feed = {CURRENT_FEED} AND t.id = i.trip_id \
             LEFT JOIN gtfs_routes r ON r.feed = t.feed AND r.id = t.route_id \
             WHERE e.at < $1 ORDER BY e.at, e.id"
        ))
        .bind(to)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            let stage: String = r.get("stage")?;
            Ok(imp::PathEvent {
                id: r.get("id")?,
                person_id: r.id("person_id")?,
                at: r.get("at")?,
                stage: imp::Stage::parse(&stage),
                channel: r.get("channel")?,
                offer_id: r.id("offer_id")?,
                vehicle: r.get("vehicle")?,
                line: r.get("line")?,
                stop: r.get("stop")?,
            })
        })
        .collect()
    }

    async fn impact_people(&self) -> Result<Vec<imp::PersonFacts>, StoreError> {
        query(
            "SELECT p.id, n.name AS neighbourhood, p.qpv, p.age_band, p.gender \
             FROM people p LEFT JOIN neighbourhoods n ON n.id = p.neighbourhood_id ORDER BY p.id",
        )
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(imp::PersonFacts {
                id: r.id("id")?,
                neighbourhood: r.get("neighbourhood")?,
                qpv: r.get("qpv")?,
                age_band: r.get("age_band")?,
                gender: r.get("gender")?,
            })
        })
        .collect()
    }

    async fn impact_offers(&self) -> Result<Vec<imp::OfferFacts>, StoreError> {
        query(concat!(
            "SELECT o.id, m.name AS employer, o.rome FROM ",
            seen_offers!(),
            " o JOIN employers m ON m.id = o.employer_id ORDER BY o.id"
        ))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(imp::OfferFacts {
                id: r.id("id")?,
                employer: r.get("employer")?,
                rome: r.get("rome")?,
            })
        })
        .collect()
    }

    async fn impact_displays(&self, p: imp::Period) -> Result<Vec<imp::DisplayCount>, StoreError> {
        query(&format!(
            "SELECT i.offer_id, COALESCE(i.line, r.short_name, '') AS line, i.stop_name AS stop, \
             COUNT(*) AS n, CAST(COALESCE(SUM(i.scans), 0) AS BIGINT) AS scans \
             FROM impressions i LEFT JOIN gtfs_trips t ON t.feed = {CURRENT_FEED} AND t.id = i.trip_id \
             LEFT JOIN gtfs_routes r ON r.feed = t.feed AND r.id = t.route_id \
             WHERE i.shown_at >= $1 AND i.shown_at < $2 \
             GROUP BY i.offer_id, COALESCE(i.line, r.short_name, ''), i.stop_name \
             ORDER BY i.offer_id, line, stop"
        ))
        .bind(p.from)
        .bind(p.to)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(imp::DisplayCount {
                offer_id: r.id("offer_id")?,
                line: r.get("line")?,
                stop: r.get("stop")?,
                impressions: r.get::<i64>("n")?.max(0) as u64,
                scans: r.get::<i64>("scans")?.max(0) as u64,
            })
        })
        .collect()
    }

    async fn impact_visits(&self, p: imp::Period) -> Result<Vec<imp::VisitCount>, StoreError> {
        query(
            "SELECT channel, offer_id, COUNT(*) AS n FROM link_visits \
             WHERE at >= $1 AND at < $2 GROUP BY channel, offer_id ORDER BY channel, offer_id",
        )
        .bind(p.from)
        .bind(p.to)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(imp::VisitCount {
                channel: r.get("channel")?,
                offer_id: r.id("offer_id")?,
                visits: r.get::<i64>("n")?.max(0) as u64,
            })
        })
        .collect()
    }

    async fn impact_outreach(&self, p: imp::Period) -> Result<Vec<imp::OutreachCount>, StoreError> {
        let rows = query(
            "SELECT at, place_kind, place_label, people_count FROM outreach_contacts \
             WHERE person_id IS NULL AND at >= $1 AND at < $2 ORDER BY at, id",
        )
        .bind(p.from)
        .bind(p.to)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        let mut by: ::std::collections::BTreeMap<(String, String, String), u64> =
            Default::default();
        for r in &rows {
            let at: i64 = r.get("at")?;
            let n: i64 = r.get("people_count")?;
            *by.entry((
                imp::month_of(at),
                r.get("place_kind")?,
                r.get("place_label")?,
            ))
            .or_default() += n.max(0) as u64;
        }
        Ok(by
            .into_iter()
            .map(|((month, place_kind, place), people)| imp::OutreachCount {
                month,
                place_kind,
                place,
                people,
            })
            .collect())
    }

    async fn impact_orientation(
        &self,
        p: imp::Period,
    ) -> Result<Vec<imp::OrientationFact>, StoreError> {
        let mean = |r: &Row, prefix: &str| -> Result<Option<f64>, StoreError> {
            let mut sum = 0i64;
            for q in ["q1", "q2", "q3"] {
                match r
                    .try_get::<Option<i64>, _>(format!("{prefix}{q}").as_str())
                    .map_err(db_err)?
                {
                    Some(v) => sum += v,
                    None => return Ok(None),
                }
            }
            Ok(Some(sum as f64 / 3.0))
        };
        query(
            "SELECT v.id AS service_id, v.name AS service, s.starts_at, r.person_id, r.status, \
             b.q1 AS bq1, b.q2 AS bq2, b.q3 AS bq3, a.q1 AS aq1, a.q2 AS aq2, a.q3 AS aq3 \
             FROM registrations r JOIN orientation_sessions s ON s.id = r.session_id \
             JOIN orientation_services v ON v.id = s.service_id \
             LEFT JOIN surveys b ON b.registration_id = r.id AND b.phase = $3 \
             LEFT JOIN surveys a ON a.registration_id = r.id AND a.phase = $4 \
             WHERE s.starts_at >= $1 AND s.starts_at < $2 ORDER BY s.starts_at, r.id",
        )
        .bind(p.from)
        .bind(p.to)
        .bind(SurveyPhase::Before)
        .bind(SurveyPhase::After)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(imp::OrientationFact {
                service_id: r.get("service_id")?,
                service: r.get("service")?,
                session_at: r.get("starts_at")?,
                person_id: r.id("person_id")?,
                status: r.get("status")?,
                before: mean(r, "b")?,
                after: mean(r, "a")?,
            })
        })
        .collect()
    }
}
