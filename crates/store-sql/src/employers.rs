//! Employers, sites and offers' states as advisors manage them in the browser.

use crate::db::{query, query_as, query_scalar, Row};
use crate::prelude::*;
use crate::SqlStore;
use dklik_app::employer_store::{EmployerCard, EmployerStore, StatusChange};
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
    })
}

#[::async_trait::async_trait]
impl EmployerStore for SqlStore {
    async fn create_employer(&self, e: &EmployerInput, at: i64) -> Result<EmployerId, StoreError> {
        let id: i64 = query_scalar(
            "INSERT INTO employers (name, description, fictional, created_at, siret, naf, \
             contact_name, contact_email, contact_phone, updated_at) \
             VALUES ($1, $2, FALSE, $3, $4, $5, $6, $7, $8, $3) RETURNING id",
        )
        .bind(&e.name)
        .bind(&e.description)
        .bind(at)
        .bind(e.siret.as_str())
        .bind(e.naf.as_deref())
        .bind(&e.contact_name)
        .bind(e.contact_email.as_deref())
        .bind(e.contact_phone.as_deref())
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
             contact_name = $5, contact_email = $6, contact_phone = $7, updated_at = $8 \
             WHERE id = $9",
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
             contact_phone FROM employers WHERE id = $1",
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

    async fn change_offer_status(
        &self,
        id: OfferId,
        to: OfferStatus,
        on: ::time::Date,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let current: OfferStatus = query("SELECT status FROM offers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
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
        let sql = if to == OfferStatus::Published {
            "UPDATE offers SET status = $1, published_on = COALESCE(published_on, $2), \
             updated_at = $3 WHERE id = $4"
        } else {
            "UPDATE offers SET status = $1, ended_on = $2, updated_at = $3 WHERE id = $4"
        };
        query(sql)
            .bind(to)
            .bind(day)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
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
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
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
}
