//! `dklik_app::PeopleStore` for [`SqlStore`]: a person's codes, verified contacts, likely
//! duplicates and merges, staff login failures.

use crate::db::{query, query_as, query_scalar, FromRow, Row, Tx};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;
pub(crate) use dklik_app::people_store::{
    CodePurpose, DuplicatePair, DuplicateReason, LoginFailures, PeopleStore, PersonCode,
};

/// Runs statements that each take (other, keep), in a transaction.
pub(crate) async fn run_pairs(
    tx: &mut Tx,
    statements: &[&str],
    other: PersonId,
    keep: PersonId,
) -> Result<(), StoreError> {
    for sql in statements {
        query(sql)
            .bind(other)
            .bind(keep)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// What a merge runs, in order; each statement takes $1 = the record merged away and
/// $2 = the record kept. Rows that would collide with the kept record's (same session,
/// test item, event or offer) are removed with what hangs on them; the rest move.
pub(crate) const MERGE_STATEMENTS: &[&str] = &[
    "UPDATE interests SET person_id = $2 WHERE person_id = $1",
    "UPDATE consents SET person_id = $2 WHERE person_id = $1",
    "UPDATE journey_events SET person_id = $2 WHERE person_id = $1",
    "UPDATE person_skills SET person_id = $2 WHERE person_id = $1",
    "UPDATE endorsements SET person_id = $2 WHERE person_id = $1",
    "UPDATE observed_activities SET person_id = $2 WHERE person_id = $1",
    "UPDATE questionnaire_results SET person_id = $2 WHERE person_id = $1",
    "UPDATE outreach_contacts SET person_id = $2 WHERE person_id = $1",
    "UPDATE person_profiles SET person_id = $2 WHERE person_id = $1 \
     AND NOT EXISTS (SELECT 1 FROM person_profiles k WHERE k.person_id = $2)",
    "DELETE FROM person_profiles WHERE person_id = $1 AND $2 = $2",
    "UPDATE test_attendance SET person_id = $2 WHERE person_id = $1 AND NOT EXISTS \
     (SELECT 1 FROM test_attendance k WHERE k.person_id = $2 AND k.session_id = test_attendance.session_id)",
    "DELETE FROM test_attendance WHERE person_id = $1 AND $2 = $2",
    "UPDATE test_results SET person_id = $2 WHERE person_id = $1 AND NOT EXISTS \
     (SELECT 1 FROM test_results k WHERE k.person_id = $2 AND k.session_id = test_results.session_id \
      AND k.target = test_results.target)",
    "DELETE FROM test_results WHERE person_id = $1 AND $2 = $2",
    "UPDATE registrations SET person_id = $2 WHERE person_id = $1 AND NOT EXISTS \
     (SELECT 1 FROM registrations k WHERE k.person_id = $2 AND k.session_id = registrations.session_id)",
    "DELETE FROM surveys WHERE registration_id IN (SELECT id FROM registrations WHERE person_id = $1) AND $2 = $2",
    "DELETE FROM registrations WHERE person_id = $1 AND $2 = $2",
    "UPDATE event_registrations SET person_id = $2 WHERE person_id = $1 AND NOT EXISTS \
     (SELECT 1 FROM event_registrations k WHERE k.person_id = $2 AND k.event_id = event_registrations.event_id)",
    "DELETE FROM event_registrations WHERE person_id = $1 AND $2 = $2",
    "UPDATE introductions SET person_id = $2 WHERE person_id = $1 AND NOT EXISTS \
     (SELECT 1 FROM introductions k WHERE k.person_id = $2 AND k.offer_id = introductions.offer_id)",
    "DELETE FROM introduction_steps WHERE introduction_id IN (SELECT id FROM introductions WHERE person_id = $1) AND $2 = $2",
    "DELETE FROM introductions WHERE person_id = $1 AND $2 = $2",
    "DELETE FROM sessions WHERE person_id IN ($1, $2)",
    "DELETE FROM one_time_tokens WHERE person_id = $1 AND $2 = $2",
    "DELETE FROM person_codes WHERE person_id IN ($1, $2)",
    // The kept record takes what it lacks; a contact it takes is verified only if it
    // was on the other record.
    "UPDATE people SET \
     email_verified_at = CASE WHEN email IS NULL THEN (SELECT o.email_verified_at FROM people o WHERE o.id = $1) ELSE email_verified_at END, \
     phone_verified_at = CASE WHEN phone IS NULL THEN (SELECT o.phone_verified_at FROM people o WHERE o.id = $1) ELSE phone_verified_at END \
     WHERE id = $2",
    "UPDATE people SET \
     first_name = COALESCE(first_name, (SELECT o.first_name FROM people o WHERE o.id = $1)), \
     phone = COALESCE(phone, (SELECT o.phone FROM people o WHERE o.id = $1)), \
     email = COALESCE(email, (SELECT o.email FROM people o WHERE o.id = $1)), \
     neighbourhood_id = COALESCE(neighbourhood_id, (SELECT o.neighbourhood_id FROM people o WHERE o.id = $1)), \
     qpv = COALESCE(qpv, (SELECT o.qpv FROM people o WHERE o.id = $1)), \
     age_band = COALESCE(age_band, (SELECT o.age_band FROM people o WHERE o.id = $1)), \
     gender = COALESCE(gender, (SELECT o.gender FROM people o WHERE o.id = $1)), \
     created_at = CASE WHEN created_at < (SELECT o.created_at FROM people o WHERE o.id = $1) THEN created_at \
                  ELSE (SELECT o.created_at FROM people o WHERE o.id = $1) END, \
     last_activity_at = CASE WHEN last_activity_at > (SELECT o.last_activity_at FROM people o WHERE o.id = $1) \
                  THEN last_activity_at ELSE (SELECT o.last_activity_at FROM people o WHERE o.id = $1) END \
     WHERE id = $2",
];

pub(crate) const DUPLICATE_SELECT: &str =
    "SELECT a.id AS a, COALESCE(a.first_name, '') AS a_name, a.created_at AS a_at, \
    b.id AS b, COALESCE(b.first_name, '') AS b_name, b.created_at AS b_at";

#[::async_trait::async_trait]
impl PeopleStore for SqlStore {
    async fn issue_person_code(
        &self,
        person_id: PersonId,
        purpose: CodePurpose,
        code_mac: &str,
        new_email: Option<&str>,
        at: i64,
        expires_at: i64,
        max_per_hour: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let recent: i64 = query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM person_codes \
             WHERE person_id = $1 AND purpose = $2 AND created_at > $3",
        )
        .bind(person_id)
        .bind(purpose)
        .bind(at - 3600)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if recent >= max_per_hour {
            tx.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        query(
            "UPDATE person_codes SET ended_at = $3 \
             WHERE person_id = $1 AND purpose = $2 AND ended_at IS NULL",
        )
        .bind(person_id)
        .bind(purpose)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        query(
            "INSERT INTO person_codes (person_id, purpose, code_mac, new_email, attempts, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(person_id)
        .bind(purpose)
        .bind(code_mac)
        .bind(new_email)
        .bind(at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn try_person_code(
        &self,
        person_id: PersonId,
        purpose: CodePurpose,
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<PersonCode>, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        // The try is counted before the code is compared: parallel guesses cannot
        // get more than `max_attempts` comparisons.
        let row: Option<(i64, String, Option<String>, i64)> = query_as(
            "UPDATE person_codes SET attempts = attempts + 1 \
             WHERE person_id = $1 AND purpose = $2 AND ended_at IS NULL AND expires_at > $3 \
             AND attempts < $4 RETURNING id, code_mac, new_email, attempts",
        )
        .bind(person_id)
        .bind(purpose)
        .bind(now)
        .bind(max_attempts)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, _, _, attempts)) = &row {
            if *attempts >= max_attempts {
                query("UPDATE person_codes SET ended_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(row.map(|(id, code_mac, new_email, attempts)| PersonCode {
            id,
            person_id,
            code_mac,
            new_email,
            attempts,
        }))
    }

    async fn use_person_code(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        // A code ended by its last allowed try can still be the right one: it is
        // used if nothing else used it in the same second.
        let n = query(
            "UPDATE person_codes SET ended_at = $2, expires_at = $2 \
             WHERE id = $1 AND expires_at > $2 AND (ended_at IS NULL OR ended_at = $2)",
        )
        .bind(id)
        .bind(now)
        .execute(&self.db)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn person_for_login(&self, email: &str) -> Result<Option<Person>, StoreError> {
        let sql = format!(
            "{PERSON_SELECT} WHERE email = $1 AND anonymised_at IS NULL \
             ORDER BY CASE WHEN email_verified_at IS NULL THEN 1 ELSE 0 END, id LIMIT 1"
        );
        let r = query(&sql)
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(Person::from_row).transpose()
    }

    async fn person_for_phone_login(&self, phone: &str) -> Result<Option<Person>, StoreError> {
        let sql = format!(
            "{PERSON_SELECT} WHERE phone = $1 AND anonymised_at IS NULL \
             ORDER BY CASE WHEN phone_verified_at IS NULL THEN 1 ELSE 0 END, id LIMIT 1"
        );
        let r = query(&sql)
            .bind(phone)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(Person::from_row).transpose()
    }

    async fn set_message_choice(
        &self,
        person: PersonId,
        contact_by: Option<&str>,
        sms_news: bool,
        at: i64,
    ) -> Result<(), StoreError> {
        use ::dklik_domain::privacy::{PURPOSE_SMS_NEWS, SMS_NEWS_CONSENT_VERSION};
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let n = query("UPDATE people SET contact_by = $2 WHERE id = $1 AND anonymised_at IS NULL")
            .bind(person)
            .bind(contact_by)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let active: i64 = query_scalar(ACTIVE_CONSENTS)
            .bind(person)
            .bind(PURPOSE_SMS_NEWS)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        if sms_news && active == 0 {
            query(
                "INSERT INTO consents (person_id, purpose, wording_version, given_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(person)
            .bind(PURPOSE_SMS_NEWS)
            .bind(SMS_NEWS_CONSENT_VERSION)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        } else if !sms_news && active > 0 {
            query(
                "UPDATE consents SET withdrawn_at = $3 WHERE person_id = $1 AND purpose = $2 \
                 AND withdrawn_at IS NULL",
            )
            .bind(person)
            .bind(PURPOSE_SMS_NEWS)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn wants_sms_news(&self, person: PersonId) -> Result<bool, StoreError> {
        let n: i64 = query_scalar(ACTIVE_CONSENTS)
            .bind(person)
            .bind(::dklik_domain::privacy::PURPOSE_SMS_NEWS)
            .fetch_one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(n > 0)
    }

    async fn verify_contact(
        &self,
        person_id: PersonId,
        email: bool,
        phone: bool,
        at: i64,
    ) -> Result<(), StoreError> {
        query(
            "UPDATE people SET \
             email_verified_at = CASE WHEN $2 AND email IS NOT NULL THEN $4 ELSE email_verified_at END, \
             phone_verified_at = CASE WHEN $3 AND phone IS NOT NULL THEN $4 ELSE phone_verified_at END \
             WHERE id = $1",
        )
        .bind(person_id)
        .bind(email)
        .bind(phone)
        .bind(at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn change_person_email(
        &self,
        person_id: PersonId,
        email: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let n = query(
            "UPDATE people SET email = $2, email_verified_at = $3, last_activity_at = $3 \
             WHERE id = $1 AND anonymised_at IS NULL",
        )
        .bind(person_id)
        .bind(email)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        for sql in [
            "DELETE FROM sessions WHERE person_id = $1",
            "UPDATE person_codes SET ended_at = expires_at WHERE person_id = $1 AND ended_at IS NULL",
        ] {
            query(sql)
                .bind(person_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn delete_person_sessions(&self, person_id: PersonId) -> Result<(), StoreError> {
        query("DELETE FROM sessions WHERE person_id = $1")
            .bind(person_id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn duplicates(
        &self,
        person: Option<PersonId>,
        since: i64,
        limit: u32,
    ) -> Result<Vec<DuplicatePair>, StoreError> {
        let live = "a.anonymised_at IS NULL AND b.anonymised_at IS NULL AND a.id < b.id \
                    AND b.created_at >= $3";
        let only = if person.is_some() {
            " AND (a.id = $2 OR b.id = $2)"
        } else {
            " AND $2 = $2"
        };
        let queries = [
            (
                DuplicateReason::Phone,
                format!(
                    "{DUPLICATE_SELECT} FROM people a JOIN people b ON b.phone = a.phone \
                         WHERE a.phone IS NOT NULL AND {live}{only} ORDER BY b.id DESC LIMIT $1"
                ),
            ),
            (
                DuplicateReason::Email,
                format!(
                    "{DUPLICATE_SELECT} FROM people a JOIN people b ON b.email = a.email \
                         WHERE a.email IS NOT NULL AND {live}{only} ORDER BY b.id DESC LIMIT $1"
                ),
            ),
            (
                DuplicateReason::NameAndCommune,
                format!(
                    "{DUPLICATE_SELECT} FROM people a \
                         JOIN people b ON lower(b.first_name) = lower(a.first_name) \
                         JOIN person_profiles pa ON pa.person_id = a.id \
                         JOIN person_profiles pb ON pb.person_id = b.id \
                         WHERE a.first_name IS NOT NULL AND pa.commune <> '' \
                         AND lower(pa.commune) = lower(pb.commune) AND {live}{only} \
                         ORDER BY b.id DESC LIMIT $1"
                ),
            ),
        ];
        let mut out: Vec<DuplicatePair> = Vec::new();
        for (reason, sql) in queries {
            let rows = query(&sql)
                .bind(i64::from(limit))
                .bind(person.map_or(0, |p| p.0))
                .bind(since)
                .fetch_all(&self.db)
                .await
                .map_err(db_err)?;
            for r in &rows {
                let pair = DuplicatePair {
                    a: r.id("a")?,
                    a_name: r.get("a_name")?,
                    a_created_at: r.get("a_at")?,
                    b: r.id("b")?,
                    b_name: r.get("b_name")?,
                    b_created_at: r.get("b_at")?,
                    reason,
                };
                if !out.iter().any(|p| p.a == pair.a && p.b == pair.b) {
                    out.push(pair);
                }
            }
        }
        out.sort_by(|x, y| y.b.cmp(&x.b).then(y.a.cmp(&x.a)));
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn merge_people(
        &self,
        keep: PersonId,
        other: PersonId,
        at: i64,
    ) -> Result<(), StoreError> {
        if keep == other {
            return Err(StoreError::Conflict(
                "Une fiche ne se fusionne pas avec elle-même.".into(),
            ));
        }
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let live: i64 = query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM people WHERE id IN ($1, $2) AND anonymised_at IS NULL",
        )
        .bind(keep)
        .bind(other)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if live != 2 {
            return Err(StoreError::NotFound);
        }
        run_pairs(&mut tx, MERGE_STATEMENTS, other, keep).await?;
        query(
            "UPDATE people SET first_name = NULL, phone = NULL, email = NULL, age_band = NULL, \
             gender = NULL, email_verified_at = NULL, phone_verified_at = NULL, \
             anonymised_at = $2, merged_into = $3 WHERE id = $1",
        )
        .bind(other)
        .bind(at)
        .bind(keep)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn login_failures(&self, email: &str, addr: &str) -> Result<LoginFailures, StoreError> {
        let row: Option<(i64, Option<i64>)> = query_as(
            "SELECT failures, locked_until FROM login_failures WHERE email = $1 AND addr = $2",
        )
        .bind(email)
        .bind(addr)
        .fetch_optional(&self.db)
        .await?;
        Ok(row
            .map(|(failures, locked_until)| LoginFailures {
                failures,
                locked_until,
            })
            .unwrap_or_default())
    }

    async fn set_login_failures(
        &self,
        email: &str,
        addr: &str,
        f: LoginFailures,
        at: i64,
    ) -> Result<(), StoreError> {
        if f == LoginFailures::default() {
            query("DELETE FROM login_failures WHERE email = $1 AND addr = $2")
                .bind(email)
                .bind(addr)
                .execute(&self.db)
                .await
                .map_err(db_err)?;
            return Ok(());
        }
        // Failures a day old are forgotten: a scan of many addresses leaves no lasting rows.
        query("DELETE FROM login_failures WHERE updated_at < $1")
            .bind(at - 86_400)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        query(
            "INSERT INTO login_failures (email, addr, failures, locked_until, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email, addr) DO UPDATE SET \
             failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at",
        )
        .bind(email)
        .bind(addr)
        .bind(f.failures)
        .bind(f.locked_until)
        .bind(at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}

pub(crate) const INBOX_SELECT: &str = "SELECT i.id, i.offer_id, i.person_id, p.first_name, p.phone, p.email, \
    i.best_time, i.consent_version, i.channel, i.channel_detail, i.created_at, i.status, i.assigned_to, \
    i.callback_due, o.code AS offer_code, o.title AS offer_title, u.display_name AS assigned_name, i.unverified, i.message \
    FROM interests i JOIN people p ON p.id = i.person_id LEFT JOIN offers o ON o.id = i.offer_id \
    LEFT JOIN users u ON u.id = i.assigned_to";

impl FromRow for InboxRow {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(InboxRow {
            interest: Interest {
                id: r.get("id")?,
                offer_id: r.get::<Option<i64>>("offer_id")?.map(OfferId),
                person_id: r.id("person_id")?,
                first_name: r.get::<Option<String>>("first_name")?.unwrap_or_default(),
                phone: r.get("phone")?,
                email: r.get("email")?,
                best_time: BestTime::parse(&r.get::<String>("best_time")?).unwrap_or(BestTime::Any),
                consent_version: r.get("consent_version")?,
                channel: Channel::from_stored(&r.get::<String>("channel")?),
                channel_detail: r.get("channel_detail")?,
                created_at: r.get("created_at")?,
                status: r.code::<InterestStatus>("status")?,
                assigned_to: r.get("assigned_to")?,
                callback_due: opt_date(r.get("callback_due")?)?,
                message: r.get("message")?,
            },
            offer_code: r.get("offer_code")?,
            offer_title: r.get("offer_title")?,
            assigned_name: r.get("assigned_name")?,
            unverified: r.get("unverified")?,
        })
    }
}

/// The person a form's contact belongs to, inside a transaction. Nothing typed in a
/// form ever changes an existing record: anyone can type someone else's phone.
/// - A record that already holds every contact typed (and none that differs) is
///   reused as it is: `(id, true)`, the caller marks what it attaches as unverified.
/// - Otherwise a new record is made with what was typed: `(id, false)`; when it shares
///   a phone or an e-mail with another record, advisors see both as likely duplicates
///   and may merge them.
pub(crate) async fn find_or_create_person_tx(
    tx: &mut Tx,
    first_name: &str,
    phone: Option<&str>,
    email: Option<&str>,
    at: i64,
) -> Result<(PersonId, bool), StoreError> {
    let candidates: Vec<(i64, Option<String>, Option<String>)> = query_as(
        "SELECT id, phone, email FROM people WHERE anonymised_at IS NULL AND \
         ((email IS NOT NULL AND email = $1) OR (phone IS NOT NULL AND phone = $2)) \
         ORDER BY id",
    )
    .bind(email)
    .bind(phone)
    .fetch_all(&mut **tx)
    .await?;
    let holds = |typed: Option<&str>, stored: &Option<String>| match typed {
        None => true,
        Some(t) => stored.as_deref() == Some(t),
    };
    if let Some((id, _, _)) = candidates
        .iter()
        .find(|(_, p, e)| holds(phone, p) && holds(email, e))
    {
        return Ok((PersonId(*id), true));
    }
    let id = query_scalar(
        "INSERT INTO people (first_name, phone, email, created_at, last_activity_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(first_name)
    .bind(phone)
    .bind(email)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok((PersonId(id), false))
}

/// One step of a person's path, inside a transaction.
pub(crate) async fn insert_journey_event_tx(
    tx: &mut Tx,
    e: &::dklik_domain::JourneyEvent,
) -> Result<i64, StoreError> {
    query_scalar(
        "INSERT INTO journey_events (person_id, at, kind, channel, summary, ref, actor, \
         stage, offer_id, impression) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(e.person_id)
    .bind(e.at)
    .bind(&e.kind)
    .bind(&e.channel)
    .bind(&e.summary)
    .bind(&e.reference)
    .bind(&e.actor)
    .bind(&e.stage)
    .bind(e.offer_id)
    .bind(&e.impression)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)
}

/// A call-back request inside a transaction: the person (found or created), their
/// consent, the request and its step in the person's path. Returns (request, person,
/// whether the person was an existing record the request was attached to).
pub(crate) async fn insert_interest_tx(
    tx: &mut Tx,
    i: &NewInterest,
    at: i64,
    callback_due: ::time::Date,
) -> Result<(i64, PersonId, bool), StoreError> {
    if let Some(key) = &i.submission {
        // Sent again (a request kept on disk, written twice): the first one stands.
        let first: Option<(i64, i64, bool)> =
            query_as("SELECT id, person_id, unverified FROM interests WHERE submission = $1")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((id, person, attached)) = first {
            return Ok((id, PersonId(person), attached));
        }
    }
    let (person_id, attached) = find_or_create_person_tx(
        tx,
        &i.first_name,
        i.phone.as_deref(),
        i.email.as_deref(),
        at,
    )
    .await?;
    // A request by text message is kept before the person answers OUI: no consent yet.
    if i.consent_version != ::dklik_domain::interest::CONSENT_AWAITED {
        query(
            "INSERT INTO consents (person_id, purpose, wording_version, given_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(person_id)
        .bind(::dklik_domain::privacy::PURPOSE_CALLBACK)
        .bind(&i.consent_version)
        .bind(at)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    let id: i64 = query_scalar(
        "INSERT INTO interests (offer_id, person_id, best_time, consent_version, channel, \
         channel_detail, created_at, status, callback_due, updated_at, unverified, submission, \
         message) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $7, $9, $11, $12) RETURNING id",
    )
    .bind(i.offer_id.map(|o| o.0))
    .bind(person_id)
    .bind(i.best_time)
    .bind(&i.consent_version)
    .bind(i.channel)
    .bind(&i.channel_detail)
    .bind(at)
    .bind(date_to_text(callback_due))
    .bind(attached)
    .bind(InterestStatus::New)
    .bind(i.submission.as_deref())
    .bind(i.message.as_deref())
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    insert_journey_event_tx(
        tx,
        &::dklik_domain::JourneyEvent {
            id: 0,
            person_id,
            at,
            kind: "interest".into(),
            channel: i.channel.as_str().into(),
            summary: if i.channel_detail.is_empty() {
                "Demande de rappel".to_string()
            } else {
                format!("Demande de rappel ({})", i.channel_detail)
            },
            reference: format!("interest:{id}"),
            actor: "la personne elle-même".into(),
            stage: ::dklik_domain::impact::Stage::Interest.as_str().into(),
            offer_id: i.offer_id,
            impression: i.impression.clone(),
        },
    )
    .await?;
    Ok((id, person_id, attached))
}

/// A person's consents of one purpose not withdrawn ($1 the person, $2 the purpose).
const ACTIVE_CONSENTS: &str =
    "SELECT COUNT(*) FROM consents WHERE person_id = $1 AND purpose = $2 \
    AND withdrawn_at IS NULL";

pub(crate) const PERSON_SELECT: &str =
    "SELECT id, first_name, phone, email, created_at, last_activity_at, anonymised_at, \
     email_verified_at, phone_verified_at, contact_by FROM people";

impl FromRow for Person {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(Person {
            id: r.id("id")?,
            first_name: r.get("first_name")?,
            phone: r.get("phone")?,
            email: r.get("email")?,
            created_at: r.get("created_at")?,
            last_activity_at: r.get("last_activity_at")?,
            anonymised_at: r.get("anonymised_at")?,
            email_verified_at: r.get("email_verified_at")?,
            phone_verified_at: r.get("phone_verified_at")?,
            contact_by: r.get("contact_by")?,
        })
    }
}
