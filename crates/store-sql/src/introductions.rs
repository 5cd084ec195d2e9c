//! `dklik_app::IntroductionStore` for [`SqlStore`]: introductions of people to posts, their
//! steps, and the positions they fill.

use crate::codes::{sql_list, sql_word};
use crate::db::{query, query_scalar, FromRow, Row};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;
pub(crate) use dklik_app::introduction_store::{
    IntroChange, IntroStep, Introduction, IntroductionStore, NewIntroduction, OpenProposals,
};
pub(crate) use dklik_domain::matching::IntroStatus;
use dklik_domain::InterestStatus;

pub(crate) const INTRO_SELECT: &str = "SELECT i.id, i.person_id, TRIM(COALESCE(p.first_name, '') || ' ' || COALESCE(pp.last_name, '')) AS person_name, \
    i.offer_id, o.code AS offer_code, o.title AS offer_title, o.employer_id, i.status, i.score, i.created_by, \
    i.created_at, i.updated_at, i.due_at, i.reason, i.feedback, i.hired_at, i.followups_done \
    FROM introductions i JOIN offers o ON o.id = i.offer_id JOIN people p ON p.id = i.person_id \
    LEFT JOIN person_profiles pp ON pp.person_id = i.person_id";

impl FromRow for Introduction {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(Introduction {
            id: r.get("id")?,
            person_id: r.id("person_id")?,
            person_name: r.get("person_name")?,
            offer_id: r.id("offer_id")?,
            offer_code: r.get("offer_code")?,
            offer_title: r.get("offer_title")?,
            employer_id: r.id("employer_id")?,
            status: r.code::<IntroStatus>("status")?,
            score: r.get("score")?,
            created_by: r.get("created_by")?,
            created_at: r.get("created_at")?,
            updated_at: r.get("updated_at")?,
            due_at: r.get("due_at")?,
            reason: r.get("reason")?,
            feedback: r.get("feedback")?,
            hired_at: r.get("hired_at")?,
            followups_done: r.get("followups_done")?,
        })
    }
}

impl SqlStore {
    pub(crate) async fn intro_list(
        &self,
        sql: &str,
        key: Option<i64>,
    ) -> Result<Vec<Introduction>, StoreError> {
        let q = query(sql);
        let q = match key {
            Some(k) => q.bind(k),
            None => q,
        };
        q.fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(Introduction::from_row)
            .collect()
    }
}

#[::async_trait::async_trait]
impl IntroductionStore for SqlStore {
    async fn create_introduction(&self, n: &NewIntroduction) -> Result<i64, StoreError> {
        let (person_id, offer_id, score, created_by, at, due_at, actor) = (
            n.person_id,
            n.offer_id,
            n.score,
            n.created_by,
            n.at,
            n.due_at,
            n.actor.as_str(),
        );
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let id: i64 = query_scalar(
            "INSERT INTO introductions (person_id, offer_id, status, score, created_by, created_at, updated_at, due_at, \
             reason, feedback, followups_done) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, '', '', 0) RETURNING id",
        )
        .bind(person_id)
        .bind(offer_id)
        .bind(IntroStatus::Suggested)
        .bind(score)
        .bind(created_by)
        .bind(at)
        .bind(due_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("Cette personne est déjà mise en relation avec ce poste.".into()),
            other => other,
        })?;
        query(
            "INSERT INTO introduction_steps (introduction_id, from_status, to_status, at, actor, note) \
             VALUES ($1, $2, $2, $3, $4, 'proposée')",
        )
        .bind(id)
        .bind(IntroStatus::Suggested)
        .bind(at)
        .bind(actor)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn introduction(&self, id: i64) -> Result<Option<Introduction>, StoreError> {
        let sql = format!("{INTRO_SELECT} WHERE i.id = $1");
        Ok(self.intro_list(&sql, Some(id)).await?.pop())
    }

    async fn person_introductions(
        &self,
        person_id: PersonId,
    ) -> Result<Vec<Introduction>, StoreError> {
        let sql =
            format!("{INTRO_SELECT} WHERE i.person_id = $1 ORDER BY i.created_at DESC, i.id DESC");
        self.intro_list(&sql, Some(person_id.0)).await
    }

    async fn employer_introductions(
        &self,
        employer: Option<i64>,
    ) -> Result<Vec<Introduction>, StoreError> {
        match employer {
            Some(e) => {
                let sql = format!(
                    "{INTRO_SELECT} WHERE o.employer_id = $1 ORDER BY i.updated_at DESC, i.id DESC"
                );
                self.intro_list(&sql, Some(e)).await
            }
            None => {
                let sql = format!("{INTRO_SELECT} ORDER BY i.updated_at DESC, i.id DESC");
                self.intro_list(&sql, None).await
            }
        }
    }

    async fn introduction_steps(&self, id: i64) -> Result<Vec<IntroStep>, StoreError> {
        query(
            "SELECT from_status, to_status, at, actor, note FROM introduction_steps WHERE introduction_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(IntroStep {
                from: r.code::<IntroStatus>("from_status")?,
                to: r.code::<IntroStatus>("to_status")?,
                at: r.get("at")?,
                actor: r.get("actor")?,
                note: r.get("note")?,
            })
        })
        .collect()
    }

    async fn change_introduction(&self, c: &IntroChange) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let offer: Option<i64> = query_scalar(
            "UPDATE introductions SET status = $1, updated_at = $2, due_at = $3, \
             reason = CASE WHEN $4 = '' THEN reason ELSE $4 END, \
             feedback = CASE WHEN $5 = '' THEN feedback ELSE $5 END, \
             hired_at = CASE WHEN $1 = $8 THEN $2 ELSE hired_at END \
             WHERE id = $6 AND status = $7 RETURNING offer_id",
        )
        .bind(c.to)
        .bind(c.at)
        .bind(c.due_at)
        .bind(&c.reason)
        .bind(&c.feedback)
        .bind(c.id)
        .bind(c.from)
        .bind(IntroStatus::Hired)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(offer) = offer else {
            return Err(StoreError::Conflict(
                "Cette mise en relation a changé entre-temps : rechargez la page.".into(),
            ));
        };
        if c.to == IntroStatus::Hired {
            let left: Option<i64> = query_scalar(
                "UPDATE offers SET positions = positions - 1, updated_at = $1, revision = revision + 1 WHERE id = $2 AND positions > 0 \
                 AND status = $3 RETURNING positions",
            )
            .bind(c.at)
            .bind(offer)
            .bind(OfferStatus::Published)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            match left {
                None => {
                    return Err(StoreError::Conflict(
                        "Ce poste est déjà pourvu : plus de place ouverte.".into(),
                    ))
                }
                Some(0) => {
                    query("UPDATE offers SET status = $3, ended_on = $1, revision = revision + 1 WHERE id = $2")
                        .bind(date_to_text(
                            ::time::OffsetDateTime::from_unix_timestamp(c.at)
                                .map(|t| t.date())
                                .unwrap_or(::time::Date::MIN),
                        ))
                        .bind(offer)
                        .bind(OfferStatus::Filled)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                Some(_) => {}
            }
        }
        query(
            "INSERT INTO introduction_steps (introduction_id, from_status, to_status, at, actor, note) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id)
        .bind(c.from)
        .bind(c.to)
        .bind(c.at)
        .bind(&c.actor)
        .bind(&c.note)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn overdue_introductions(&self, now: i64) -> Result<Vec<Introduction>, StoreError> {
        let with_deadline: Vec<IntroStatus> = IntroStatus::ALL
            .into_iter()
            .filter(|s| s.deadline_days().is_some())
            .collect();
        let sql = format!(
            "{INTRO_SELECT} WHERE i.due_at IS NOT NULL AND i.due_at < $1 \
             AND i.status IN {} ORDER BY i.due_at",
            sql_list(&with_deadline)
        );
        self.intro_list(&sql, Some(now)).await
    }

    async fn due_followups(&self, now: i64) -> Result<Vec<Introduction>, StoreError> {
        let sql = format!(
            "{INTRO_SELECT} WHERE i.status = {} AND i.hired_at IS NOT NULL AND \
             ((i.followups_done = 0 AND i.hired_at + 30 * 86400 <= $1) OR (i.followups_done = 1 AND i.hired_at + 90 * 86400 <= $1)) \
             ORDER BY i.hired_at",
            sql_word(IntroStatus::Hired)
        );
        self.intro_list(&sql, Some(now)).await
    }

    async fn mark_followup(&self, id: i64, done: i64) -> Result<(), StoreError> {
        query("UPDATE introductions SET followups_done = $1 WHERE id = $2")
            .bind(done)
            .bind(id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn open_proposals(&self) -> Result<OpenProposals, StoreError> {
        let open: Vec<IntroStatus> = IntroStatus::ALL
            .into_iter()
            .filter(|s| s.deadline_days().is_some())
            .collect();
        let waiting = sql_list(&[InterestStatus::New, InterestStatus::FollowUp]);
        let counts = |rows: Vec<Row>,
                      key: &str|
         -> Result<std::collections::HashMap<i64, u32>, StoreError> {
            rows.iter()
                .map(|r| {
                    Ok((
                        r.get::<i64>(key)?,
                        u32::try_from(r.get::<i64>("n")?).unwrap_or(u32::MAX),
                    ))
                })
                .collect()
        };
        let per_offer = query(&format!(
            "SELECT offer_id, COUNT(*) AS n FROM (\
               SELECT offer_id FROM introductions WHERE status IN {open} \
               UNION ALL SELECT offer_id FROM interests WHERE offer_id IS NOT NULL AND status IN {waiting}\
             ) u GROUP BY offer_id",
            open = sql_list(&open)
        ))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        let per_person = query(&format!(
            "SELECT person_id, COUNT(*) AS n FROM introductions WHERE status IN {} GROUP BY person_id",
            sql_list(&open)
        ))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        Ok(OpenProposals {
            per_offer: counts(per_offer, "offer_id")?,
            per_person: counts(per_person, "person_id")?,
        })
    }
}
