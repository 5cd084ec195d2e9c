//! `dklik_app::SmsStore` for [`SqlStore`]: the text messages' queue and states, and the
//! delivery receipts taken into account once.

use crate::db::{query, query_as, query_scalar, FromRow, QueryBuilder, Row};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;
use dklik_app::sms_store::{
    NewSms, NewsReader, ReceiptOutcome, SmsMessage, SmsPeriod, SmsState, SmsStore,
};
use dklik_domain::sms::Encoding;
use dklik_domain::NewInterest;

const SMS_SELECT: &str = "SELECT id, to_phone, body, purpose, person_id, state, encoding, parts, \
    provider, provider_ref, cost_micro_eur, attempts, next_attempt_at, created_at, sent_at, \
    done_at, last_error FROM sms_messages";

impl FromRow for SmsMessage {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        let state: String = r.get("state")?;
        Ok(SmsMessage {
            id: r.get("id")?,
            to: r.get("to_phone")?,
            body: r.get("body")?,
            purpose: r.get("purpose")?,
            person: r.id("person_id")?,
            state: SmsState::parse(&state)
                .ok_or_else(|| StoreError::Backend(format!("état de SMS inconnu : {state}")))?,
            encoding: r.get("encoding")?,
            parts: r.get::<i64>("parts")?.clamp(0, i64::from(u32::MAX)) as u32,
            provider: r.get("provider")?,
            provider_ref: r.get("provider_ref")?,
            cost_micro_eur: r.get("cost_micro_eur")?,
            attempts: r.get::<i64>("attempts")?.clamp(0, i64::from(u32::MAX)) as u32,
            next_attempt_at: r.get("next_attempt_at")?,
            created_at: r.get("created_at")?,
            sent_at: r.get("sent_at")?,
            done_at: r.get("done_at")?,
            last_error: r.get("last_error")?,
        })
    }
}

#[::async_trait::async_trait]
impl SmsStore for SqlStore {
    async fn queue_sms(
        &self,
        m: &NewSms,
        encoding: Encoding,
        parts: u32,
        at: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let id: i64 = query_scalar(
            "INSERT INTO sms_messages (to_phone, body, purpose, person_id, state, encoding, parts, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8) RETURNING id",
        )
        .bind(&m.to)
        .bind(&m.body)
        .bind(m.purpose.as_str())
        .bind(m.person.map(|p| p.0))
        .bind(encoding.as_str())
        .bind(i64::from(parts))
        .bind(m.not_before.max(at))
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn due_sms(&self, now: i64, limit: u32) -> Result<Vec<SmsMessage>, StoreError> {
        query(&format!(
            "{SMS_SELECT} WHERE state = 'queued' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(now)
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(SmsMessage::from_row)
        .collect()
    }

    async fn sms_sent(
        &self,
        id: i64,
        provider: &str,
        provider_ref: &str,
        cost_micro_eur: Option<i64>,
        at: i64,
    ) -> Result<(), StoreError> {
        query(
            "UPDATE sms_messages SET state = 'sent', provider = $2, provider_ref = $3, \
             cost_micro_eur = $4, sent_at = $5, attempts = attempts + 1, last_error = NULL \
             WHERE id = $1 AND state = 'queued'",
        )
        .bind(id)
        .bind(provider)
        .bind(provider_ref)
        .bind(cost_micro_eur)
        .bind(at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn sms_retry(&self, id: i64, error: &str, next_at: i64) -> Result<(), StoreError> {
        query(
            "UPDATE sms_messages SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 \
             WHERE id = $1 AND state = 'queued'",
        )
        .bind(id)
        .bind(error)
        .bind(next_at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn sms_failed(&self, id: i64, error: &str, at: i64) -> Result<(), StoreError> {
        query(
            "UPDATE sms_messages SET state = 'failed', attempts = attempts + 1, last_error = $2, \
             done_at = $3 WHERE id = $1 AND state = 'queued'",
        )
        .bind(id)
        .bind(error)
        .bind(at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn sms_receipt(
        &self,
        provider: &str,
        provider_ref: &str,
        receipt: &str,
        delivered: bool,
        at: i64,
    ) -> Result<ReceiptOutcome, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let known: Option<i64> = query_scalar(
            "SELECT MIN(id) FROM sms_messages WHERE provider = $1 AND provider_ref = $2",
        )
        .bind(provider)
        .bind(provider_ref)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(id) = known else {
            return Ok(ReceiptOutcome::Unknown);
        };
        let fresh = query(
            "INSERT INTO sms_receipts (provider, receipt, at) VALUES ($1, $2, $3) \
             ON CONFLICT (provider, receipt) DO NOTHING",
        )
        .bind(provider)
        .bind(receipt)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if fresh == 0 {
            return Ok(ReceiptOutcome::Replayed);
        }
        // A delivered message stays delivered (receipts may arrive out of order).
        query(
            "UPDATE sms_messages SET state = $2, done_at = $3 WHERE id = $1 AND state <> 'delivered'",
        )
        .bind(id)
        .bind(if delivered { "delivered" } else { "failed" })
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(ReceiptOutcome::Applied)
    }

    async fn sms_message(&self, id: i64) -> Result<Option<SmsMessage>, StoreError> {
        query(&format!("{SMS_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(SmsMessage::from_row)
            .transpose()
    }

    async fn sms_counts(&self) -> Result<Vec<(SmsState, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = crate::db::query_as(
            "SELECT state, COUNT(*) FROM sms_messages GROUP BY state ORDER BY state",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| SmsState::parse(&s).map(|s| (s, n.max(0) as u64)))
            .collect())
    }

    async fn sms_news_readers(&self, since: i64) -> Result<Vec<NewsReader>, StoreError> {
        let rows = query(
            "SELECT p.id, p.phone, COALESCE(p.first_name, '') AS first_name, h.lat, h.lon \
             FROM people p JOIN neighbourhoods h ON h.id = p.neighbourhood_id \
             WHERE p.anonymised_at IS NULL AND p.phone IS NOT NULL \
             AND EXISTS (SELECT 1 FROM consents c WHERE c.person_id = p.id AND c.purpose = $1 \
                         AND c.withdrawn_at IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM sms_messages m WHERE m.person_id = p.id \
                             AND m.purpose = 'information' AND m.created_at >= $2) \
             ORDER BY p.id",
        )
        .bind(dklik_domain::privacy::PURPOSE_SMS_NEWS)
        .bind(since)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(NewsReader {
                    person: r.id("id")?,
                    phone: r.get("phone")?,
                    first_name: r.get("first_name")?,
                    at: (r.get("lat")?, r.get("lon")?),
                })
            })
            .collect()
    }

    async fn sms_periods(&self, bounds: &[i64]) -> Result<Vec<SmsPeriod>, StoreError> {
        let n = bounds.len().saturating_sub(1);
        let mut out = vec![SmsPeriod::default(); n];
        if n == 0 {
            return Ok(out);
        }
        let mut qb = QueryBuilder::new("SELECT CASE");
        for (k, b) in bounds[1..].iter().enumerate() {
            qb.push(" WHEN created_at < ")
                .push_bind(*b)
                .push(" THEN ")
                .push_bind(k as i64);
        }
        qb.push(
            " END AS period, state, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN provider IS NULL THEN 0 ELSE parts END) AS BIGINT) AS parts, \
             CAST(SUM(cost_micro_eur) AS BIGINT) AS cost FROM sms_messages WHERE created_at >= ",
        )
        .push_bind(bounds[0])
        .push(" AND created_at < ")
        .push_bind(bounds[n])
        .push(" GROUP BY 1, state");
        let rows = qb.build().fetch_all(&self.db).await.map_err(db_err)?;
        for r in &rows {
            let k: i64 = r.get("period")?;
            let Some(p) = usize::try_from(k).ok().and_then(|k| out.get_mut(k)) else {
                continue;
            };
            let count = r.get::<i64>("n")?.max(0) as u64;
            let state: String = r.get("state")?;
            match SmsState::parse(&state) {
                Some(SmsState::Queued) => {
                    p.queued += count;
                    continue;
                }
                Some(SmsState::Sent) => p.sent += count,
                Some(SmsState::Delivered) => p.delivered += count,
                Some(SmsState::Failed) => p.failed += count,
                None => continue,
            }
            p.parts += r.get::<Option<i64>>("parts")?.unwrap_or(0).max(0) as u64;
            p.cost_micro_eur += r.get::<Option<i64>>("cost")?.unwrap_or(0);
        }
        Ok(out)
    }

    async fn sms_stop(&self, phone: &str, at: i64) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let fresh = query(
            "INSERT INTO sms_stops (phone, at) VALUES ($1, $2) ON CONFLICT (phone) DO NOTHING",
        )
        .bind(phone)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        query(
            "UPDATE sms_messages SET state = 'failed', done_at = $2, \
             last_error = 'la personne a répondu STOP' WHERE to_phone = $1 AND state = 'queued'",
        )
        .bind(phone)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // STOP also withdraws the consent to information texts of whoever has this number.
        if let Some(national) = dklik_domain::sms::national(phone) {
            query(
                "UPDATE consents SET withdrawn_at = $3 WHERE purpose = $2 AND withdrawn_at IS NULL \
                 AND person_id IN (SELECT id FROM people WHERE phone = $1)",
            )
            .bind(national)
            .bind(dklik_domain::privacy::PURPOSE_SMS_NEWS)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(fresh > 0)
    }

    async fn sms_stopped(&self, phone: &str) -> Result<bool, StoreError> {
        let n: i64 = query_scalar("SELECT COUNT(*) FROM sms_stops WHERE phone = $1")
            .bind(phone)
            .fetch_one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(n > 0)
    }

    async fn sms_request(
        &self,
        i: &NewInterest,
        at: i64,
        callback_due: ::time::Date,
    ) -> Result<(i64, bool), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        if let Some(key) = &i.submission {
            let first: Option<i64> = query_scalar("SELECT id FROM interests WHERE submission = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
            if let Some(id) = first {
                return Ok((id, false));
            }
        }
        let (id, _, _) = crate::people::insert_interest_tx(&mut tx, i, at, callback_due).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((id, true))
    }

    async fn sms_requests_since(&self, phone: &str, since: i64) -> Result<u64, StoreError> {
        let n: i64 = query_scalar(
            "SELECT COUNT(*) FROM interests i JOIN people p ON p.id = i.person_id \
             WHERE i.channel = 'sms' AND i.created_at >= $2 AND p.phone = $1",
        )
        .bind(phone)
        .bind(since)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)?;
        Ok(n.max(0) as u64)
    }

    async fn sms_agree(&self, phone: &str, since: i64, at: i64) -> Result<u64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let waiting: Vec<(i64, i64)> = query_as(
            "SELECT i.id, i.person_id FROM interests i JOIN people p ON p.id = i.person_id \
             WHERE i.channel = 'sms' AND i.created_at >= $2 AND p.phone = $1 \
             AND i.consent_version = $3 ORDER BY i.id",
        )
        .bind(phone)
        .bind(since)
        .bind(dklik_domain::interest::CONSENT_AWAITED)
        .fetch_all(&mut *tx)
        .await?;
        let mut people: Vec<i64> = Vec::new();
        for (id, person) in &waiting {
            query("UPDATE interests SET consent_version = $1, updated_at = $2 WHERE id = $3")
                .bind(dklik_domain::interest::SMS_CONSENT_VERSION)
                .bind(at)
                .bind(*id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            if !people.contains(person) {
                people.push(*person);
            }
        }
        for person in people {
            query(
                "INSERT INTO consents (person_id, purpose, wording_version, given_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(person)
            .bind(dklik_domain::privacy::PURPOSE_CALLBACK)
            .bind(dklik_domain::interest::SMS_CONSENT_VERSION)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(waiting.len() as u64)
    }
}
