//! Employers, sites and offers' states as advisors manage them in the browser.

use crate::db::{query, query_as, query_scalar, Row, Tx};
use crate::prelude::*;
use crate::SqlStore;
use dklik_app::employer_store::{
    CheckAnswer, CheckState, EmployerCard, EmployerStore, Invitation, ListedOffer, OfferCheck,
    StatusChange,
};
use dklik_domain::employer::{EmployerInput, NewSite};

fn card_of(r: &Row) -> Result<EmployerCard, StoreError> {
    Ok(EmployerCard {
        employer: Employer {
            id: r.id("id")?,
            name: r.get("name")?,
            description: r.get("description")?,
            fictional: r.get("fictional")?,
        },
        siret: r.get("siret")?,
        naf: r.get("naf")?,
        contact_name: r.get("contact_name")?,
        contact_email: r.get("contact_email")?,
        contact_phone: r.get("contact_phone")?,
        review_offers: r.get("review_offers")?,
    })
}

fn invitation_of(r: &Row) -> Result<Invitation, StoreError> {
    Ok(Invitation {
        employer_id: r.id("employer_id")?,
        email: r.get("email")?,
        display_name: r.get("display_name")?,
        invited_by: r.get("invited_by")?,
        created_at: r.get("created_at")?,
        expires_at: r.get("expires_at")?,
        used_at: r.get("used_at")?,
    })
}

const INVITATION_SELECT: &str = "SELECT employer_id, email, display_name, invited_by, \
     created_at, expires_at, used_at FROM invitations";

fn check_of(r: &Row) -> Result<OfferCheck, StoreError> {
    let answer: Option<String> = r.get("answer")?;
    Ok(OfferCheck {
        offer_id: r.id("offer_id")?,
        sent_to: r.get("sent_to")?,
        sent_at: r.get("sent_at")?,
        expires_at: r.get("expires_at")?,
        answered_at: r.get("answered_at")?,
        answer: answer
            .map(|a| CheckAnswer::parse(&a).ok_or_else(|| corrupt("réponse", a)))
            .transpose()?,
    })
}

/// Moves an offer to `to` inside `tx`, recording the change; `Conflict` when its state now
/// does not allow it. A (re)publication ends the questions still waiting about it.
async fn change_status_tx(
    tx: &mut Tx,
    id: OfferId,
    to: OfferStatus,
    on: ::time::Date,
    actor: &str,
    at: i64,
) -> Result<(), StoreError> {
    let current: OfferStatus = query("SELECT status FROM offers WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?
        .code(0)?;
    if !current.can_become(to) {
        return Err(StoreError::Conflict(format!(
            "Une offre « {} » ne peut pas devenir « {} ».",
            current.label_fr(),
            to.label_fr()
        )));
    }
    let day = date_to_text(on);
    let sql = match to {
        OfferStatus::Published => {
            "UPDATE offers SET status = $1, published_on = COALESCE(published_on, $2), \
             ended_on = NULL, updated_at = $3, revision = revision + 1 WHERE id = $4"
        }
        OfferStatus::Draft | OfferStatus::Review | OfferStatus::Paused => {
            "UPDATE offers SET status = $1, updated_at = $3, revision = revision + 1 WHERE id = $4 AND $2 = $2"
        }
        _ => "UPDATE offers SET status = $1, ended_on = $2, updated_at = $3, revision = revision + 1 \
              WHERE id = $4",
    };
    query(sql)
        .bind(to)
        .bind(day)
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    query(
        "INSERT INTO offer_status_changes (offer_id, from_status, to_status, actor, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(current)
    .bind(to)
    .bind(actor)
    .bind(at)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    if to == OfferStatus::Published {
        query(
            "UPDATE offer_checks SET answered_at = $1, answer = $2 \
             WHERE offer_id = $3 AND answered_at IS NULL",
        )
        .bind(at)
        .bind(CheckAnswer::Republished.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

#[::async_trait::async_trait]
impl EmployerStore for SqlStore {
    async fn create_employer(&self, e: &EmployerInput, at: i64) -> Result<EmployerId, StoreError> {
        let id: i64 = query_scalar(
            "INSERT INTO employers (name, description, fictional, created_at, siret, naf, \
             contact_name, contact_email, contact_phone, updated_at, review_offers) \
             VALUES ($1, $2, FALSE, $3, $4, $5, $6, $7, $8, $3, $9) RETURNING id",
        )
        .bind(&e.name)
        .bind(&e.description)
        .bind(at)
        .bind(e.siret.as_str())
        .bind(e.naf.as_deref())
        .bind(&e.contact_name)
        .bind(e.contact_email.as_deref())
        .bind(e.contact_phone.as_deref())
        .bind(e.review_offers)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)?;
        Ok(EmployerId(id))
    }

    async fn update_employer(
        &self,
        id: EmployerId,
        e: &EmployerInput,
        at: i64,
    ) -> Result<(), StoreError> {
        let n = query(
            "UPDATE employers SET name = $1, description = $2, siret = $3, naf = $4, \
             contact_name = $5, contact_email = $6, contact_phone = $7, updated_at = $8, \
             review_offers = $10 WHERE id = $9",
        )
        .bind(&e.name)
        .bind(&e.description)
        .bind(e.siret.as_str())
        .bind(e.naf.as_deref())
        .bind(&e.contact_name)
        .bind(e.contact_email.as_deref())
        .bind(e.contact_phone.as_deref())
        .bind(at)
        .bind(id)
        .bind(e.review_offers)
        .execute(&self.db)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn employer_card(&self, id: EmployerId) -> Result<Option<EmployerCard>, StoreError> {
        query(
            "SELECT id, name, description, fictional, siret, naf, contact_name, contact_email, \
             contact_phone, review_offers FROM employers WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db)
        .await
        .map_err(db_err)?
        .map(|r| card_of(&r))
        .transpose()
    }

    async fn add_site(&self, employer: EmployerId, s: &NewSite) -> Result<SiteId, StoreError> {
        let id: i64 = query_scalar(
            "INSERT INTO sites (employer_id, name, address, commune, insee, lat, lon) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(employer)
        .bind(&s.name)
        .bind(&s.address)
        .bind(&s.commune)
        .bind(s.insee.as_str())
        .bind(s.coordinates.lat())
        .bind(s.coordinates.lon())
        .fetch_one(&self.db)
        .await
        .map_err(|e| match e {
            ::sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
            other => db_err(other),
        })?;
        Ok(SiteId(id))
    }

    async fn employer_offers(&self, employer: EmployerId) -> Result<Vec<Offer>, StoreError> {
        self.offers_where_one("o.employer_id = $1 ORDER BY o.id DESC", Key::Id(employer.0))
            .await
    }

    async fn offers_in_status(&self, status: OfferStatus) -> Result<Vec<Offer>, StoreError> {
        self.offers_where_one(
            "o.status = $1 ORDER BY o.id",
            Key::Text(status.as_str().into()),
        )
        .await
    }

    async fn listed_offers(&self, after: i64, limit: u32) -> Result<Vec<ListedOffer>, StoreError> {
        query(concat!(
            "SELECT o.id, o.employer_id, o.code, o.title, o.status, s.commune FROM ",
            seen_offers!(),
            " o JOIN sites s ON s.id = o.site_id WHERE o.id > $1 ORDER BY o.id LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit.clamp(1, 10_000)))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(listed_offer)
        .collect()
    }

    async fn offers_to_handle(
        &self,
        status: OfferStatus,
        limit: u32,
    ) -> Result<(Vec<(ListedOffer, String)>, u64), StoreError> {
        let total: i64 = query_scalar(concat!(
            "SELECT COUNT(*) FROM ",
            seen_offers!(),
            " o WHERE status = $1"
        ))
        .bind(status.as_str())
        .fetch_one(&self.db)
        .await
        .map_err(db_err)?;
        let rows = query(concat!(
            "SELECT o.id, o.employer_id, o.code, o.title, o.status, s.commune, \
                 e.name AS employer_name FROM ",
            seen_offers!(),
            " o JOIN sites s ON s.id = o.site_id JOIN employers e ON e.id = o.employer_id \
                 WHERE o.status = $1 ORDER BY o.id LIMIT $2"
        ))
        .bind(status.as_str())
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| Ok((listed_offer(r)?, r.get::<String>("employer_name")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((rows, total.max(0) as u64))
    }

    async fn employers_version(&self) -> Result<(i64, i64), StoreError> {
        let r = query(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM employers) AS e, \
             (SELECT COALESCE(MAX(id), 0) FROM offers) AS o, \
             (SELECT COALESCE(MAX(updated_at), 0) FROM employers) AS edited, \
             (SELECT COALESCE(MAX(created_at), 0) FROM employers) AS made, \
             (SELECT COALESCE(MAX(updated_at), 0) FROM offers) AS changed, \
             (SELECT COALESCE(MAX(finished_at), 0) FROM offer_imports) AS switched",
        )
        .fetch_one(&self.db)
        .await
        .map_err(db_err)?;
        let times: [i64; 4] = [
            r.get("edited")?,
            r.get("made")?,
            r.get("changed")?,
            r.get("switched")?,
        ];
        // Both ids in one number (each far below 2^31 in any territory).
        let ids = (r.get::<i64>("e")? << 32) ^ r.get::<i64>("o")?;
        Ok((ids, times.into_iter().max().unwrap_or(0)))
    }

    async fn change_offer_status(
        &self,
        id: OfferId,
        to: OfferStatus,
        on: ::time::Date,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        change_status_tx(&mut tx, id, to, on, actor, at).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn offer_status_changes(&self, id: OfferId) -> Result<Vec<StatusChange>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = query_as(
            "SELECT from_status, to_status, actor, at FROM offer_status_changes \
             WHERE offer_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.db)
        .await?;
        rows.into_iter()
            .map(|(from, to, actor, at)| {
                Ok(StatusChange {
                    from: OfferStatus::parse(&from).map_err(|e| corrupt("état", e))?,
                    to: OfferStatus::parse(&to).map_err(|e| corrupt("état", e))?,
                    actor,
                    at,
                })
            })
            .collect()
    }

    async fn create_invitation(&self, token_hash: &str, i: &Invitation) -> Result<(), StoreError> {
        query(
            "INSERT INTO invitations (token_hash, employer_id, email, display_name, invited_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(i.employer_id)
        .bind(&i.email)
        .bind(&i.display_name)
        .bind(&i.invited_by)
        .bind(i.created_at)
        .bind(i.expires_at)
        .execute(&self.db)
        .await
        .map_err(|e| match e {
            ::sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
            other => db_err(other),
        })?;
        Ok(())
    }

    async fn invitation(&self, token_hash: &str) -> Result<Option<Invitation>, StoreError> {
        let sql = format!("{INVITATION_SELECT} WHERE token_hash = $1");
        query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .map(|r| invitation_of(&r))
            .transpose()
    }

    async fn invitations(&self, employer: EmployerId) -> Result<Vec<Invitation>, StoreError> {
        let sql = format!("{INVITATION_SELECT} WHERE employer_id = $1 ORDER BY created_at DESC");
        query(&sql)
            .bind(employer)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(invitation_of)
            .collect()
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let sql = format!(
            "{INVITATION_SELECT} WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
        );
        let inv = query(&sql)
            .bind(token_hash)
            .bind(at)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .map(|r| invitation_of(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let user: i64 = query_scalar(
            "INSERT INTO users (email, display_name, password_hash, role, employer_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&inv.email)
        .bind(&inv.display_name)
        .bind(password_hash)
        .bind(dklik_domain::Role::Employer)
        .bind(inv.employer_id)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("Un compte existe déjà pour {}.", inv.email))
            }
            other => other,
        })?;
        query("UPDATE invitations SET used_at = $1, user_id = $2 WHERE token_hash = $3")
            .bind(at)
            .bind(user)
            .bind(token_hash)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    async fn create_offer_check(&self, token_hash: &str, c: &OfferCheck) -> Result<(), StoreError> {
        query(
            "INSERT INTO offer_checks (token_hash, offer_id, sent_to, sent_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(c.offer_id)
        .bind(&c.sent_to)
        .bind(c.sent_at)
        .bind(c.expires_at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn offer_check(&self, token_hash: &str) -> Result<Option<OfferCheck>, StoreError> {
        query(
            "SELECT offer_id, sent_to, sent_at, expires_at, answered_at, answer \
             FROM offer_checks WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.db)
        .await
        .map_err(db_err)?
        .map(|r| check_of(&r))
        .transpose()
    }

    async fn answer_offer_check(
        &self,
        token_hash: Option<&str>,
        offer: OfferId,
        answer: CheckAnswer,
        on: ::time::Date,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let answered = match token_hash {
            Some(h) => query(
                "UPDATE offer_checks SET answered_at = $1, answer = $2 \
                 WHERE token_hash = $3 AND offer_id = $4 AND answered_at IS NULL \
                 AND expires_at > $1",
            )
            .bind(at)
            .bind(answer.as_str())
            .bind(h)
            .bind(offer),
            None => query(
                "UPDATE offer_checks SET answered_at = $1, answer = $2 \
                 WHERE offer_id = $4 AND answered_at IS NULL AND $3 = $3",
            )
            .bind(at)
            .bind(answer.as_str())
            .bind("")
            .bind(offer),
        }
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if answered == 0 && token_hash.is_some() {
            return Err(StoreError::NotFound);
        }
        if let Some(to) = answer.offer_status() {
            change_status_tx(&mut tx, offer, to, on, actor, at).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn check_states(&self) -> Result<Vec<CheckState>, StoreError> {
        let rows = query(concat!(
            "SELECT o.id, o.employer_id, o.published_on, \
             (SELECT max(c.at) FROM offer_status_changes c \
               WHERE c.offer_id = o.id AND c.to_status = $1) AS last_published_at, \
             (SELECT max(k.sent_at) FROM offer_checks k WHERE k.offer_id = o.id) AS last_sent_at, \
             (SELECT min(k.sent_at) FROM offer_checks k \
               WHERE k.offer_id = o.id AND k.answered_at IS NULL) AS waiting_since, \
             COALESCE(e.contact_email, (SELECT min(u.email) FROM users u \
               WHERE u.employer_id = o.employer_id AND NOT u.disabled)) AS email, \
             e.contact_phone AS phone \
             FROM ",
            seen_offers!(),
            " o JOIN employers e ON e.id = o.employer_id WHERE o.status = $1 ORDER BY o.id"
        ))
        .bind(OfferStatus::Published)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(CheckState {
                    offer_id: r.id("id")?,
                    employer_id: r.id("employer_id")?,
                    published_on: opt_date(r.get("published_on")?)?,
                    last_published_at: r.get("last_published_at")?,
                    last_sent_at: r.get("last_sent_at")?,
                    waiting_since: r.get("waiting_since")?,
                    email: r.get("email")?,
                    phone: r.get("phone")?,
                })
            })
            .collect()
    }

    async fn mark_france_travail_seen(&self, ids: &[String], at: i64) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        for id in ids {
            query(
                "INSERT INTO france_travail_seen (external_id, last_seen) VALUES ($1, $2) \
                 ON CONFLICT (external_id) DO UPDATE SET last_seen = excluded.last_seen",
            )
            .bind(id.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn france_travail_gone(&self, since: i64) -> Result<Vec<Offer>, StoreError> {
        let sql = format!(
            "o.status IN ({}, {}) AND o.external_id IN \
             (SELECT external_id FROM france_travail_seen WHERE last_seen < $1) ORDER BY o.id",
            crate::codes::sql_word(OfferStatus::Published),
            crate::codes::sql_word(OfferStatus::Paused)
        );
        self.offers_where_one(&sql, Key::Id(since)).await
    }
}

/// An offer as the staff's lists read it (`id`, `employer_id`, `code`, `title`, `status`,
/// `commune`).
fn listed_offer(r: &Row) -> Result<ListedOffer, StoreError> {
    Ok(ListedOffer {
        id: OfferId(r.get("id")?),
        employer: EmployerId(r.get("employer_id")?),
        code: r.get("code")?,
        title: r.get("title")?,
        commune: r.get("commune")?,
        status: r.code::<OfferStatus>("status")?,
    })
}
