//! `dklik_app::Store` for [`SqlStore`]: ROME, offers, employers and sites, people, requests and
//! the inbox, consents and privacy, the audit journal. The row mappings and helpers live in the
//! modules of their area (`offers`, `people`, `accounts`, `common`).

use crate::codes::sql_list;
use crate::db::{query, query_scalar, FromRow, QueryBuilder};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;

#[::async_trait::async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.db.backend()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        crate::migrate::migrate(&self.db).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        query("SELECT 1").execute(&self.db).await.map_err(db_err)?;
        Ok(())
    }

    async fn save_rome(
        &self,
        r: &RomeReference,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, StoreError> {
        crate::rome_saving::save_rome(&self.db, r, progress).await
    }

    async fn rome_counts(&self) -> Result<RomeCounts, StoreError> {
        Ok(RomeCounts {
            jobs: self
                .count(concat!("SELECT COUNT(*) FROM ", seen_rome!("rome_jobs")))
                .await?,
            appellations: self
                .count(concat!(
                    "SELECT COUNT(*) FROM ",
                    seen_rome!("rome_appellations")
                ))
                .await?,
            competences: self
                .count(&format!(
                    concat!(
                        "SELECT COUNT(*) FROM ",
                        seen_rome!("rome_items"),
                        " WHERE kind IN {}"
                    ),
                    sql_list(&[
                        ItemKind::SavoirFaire,
                        ItemKind::MacroCompetence,
                        ItemKind::SavoirEtre
                    ])
                ))
                .await?,
            savoir_etre: self.count_kind(ItemKind::SavoirEtre).await?,
            savoirs: self.count_kind(ItemKind::Savoir).await?,
            contexts: self.count_kind(ItemKind::Context).await?,
            job_items: self
                .count(concat!(
                    "SELECT COUNT(*) FROM ",
                    seen_rome!("rome_job_items")
                ))
                .await?,
            mobility: self
                .count(concat!(
                    "SELECT COUNT(*) FROM ",
                    seen_rome!("rome_mobility")
                ))
                .await?,
        })
    }

    async fn rome_items(&self, codes: &[OgrCode]) -> Result<Vec<RomeItem>, StoreError> {
        self.rows_in(
            concat!(
                "SELECT code, kind, label, macro_code, category, definition FROM ",
                seen_rome!("rome_items"),
                " WHERE code"
            ),
            codes.iter().map(|c| Key::Id(c.0)).collect(),
            "ORDER BY code",
        )
        .await?
        .iter()
        .map(RomeItem::from_row)
        .collect()
    }

    async fn rome_savoir_etre(&self) -> Result<Vec<RomeItem>, StoreError> {
        let rows = query(concat!(
            "SELECT code, kind, label, macro_code, category, definition FROM ",
            seen_rome!("rome_items"),
            " WHERE kind = $1 ORDER BY code"
        ))
        .bind(ItemKind::SavoirEtre)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        rows.iter().map(RomeItem::from_row).collect()
    }

    async fn rome_jobs(&self, codes: &[RomeCode]) -> Result<Vec<RomeJob>, StoreError> {
        let rows = self
            .rows_in(
                concat!(
                    "SELECT code, label, parent FROM ",
                    seen_rome!("rome_jobs"),
                    " WHERE code"
                ),
                codes
                    .iter()
                    .map(|c| Key::Text(c.as_str().to_string()))
                    .collect(),
                "ORDER BY code",
            )
            .await?;
        rows.iter()
            .map(|r| {
                let parent: Option<String> = r.get("parent")?;
                Ok(RomeJob {
                    code: RomeCode::parse(&r.get::<String>("code")?)
                        .map_err(|e| corrupt("rome", e))?,
                    label: r.get("label")?,
                    parent: parent.and_then(|p| RomeCode::parse(&p).ok()),
                })
            })
            .collect()
    }

    async fn rome_appellations(
        &self,
        romes: &[RomeCode],
    ) -> Result<Vec<RomeAppellation>, StoreError> {
        let rows = self
            .rows_in(
                concat!(
                    "SELECT code, label, short_label, rome FROM ",
                    seen_rome!("rome_appellations"),
                    " WHERE rome"
                ),
                romes
                    .iter()
                    .map(|c| Key::Text(c.as_str().to_string()))
                    .collect(),
                "ORDER BY code",
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RomeAppellation {
                    code: OgrCode(r.get("code")?),
                    label: r.get("label")?,
                    short_label: r.get("short_label")?,
                    rome: RomeCode::parse(&r.get::<String>("rome")?)
                        .map_err(|e| corrupt("rome", e))?,
                })
            })
            .collect()
    }

    async fn rome_domains(&self) -> Result<Vec<RomeDomain>, StoreError> {
        let rows = query("SELECT code, label FROM rome_domains ORDER BY code")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(RomeDomain {
                    code: r.get("code")?,
                    label: r.get("label")?,
                })
            })
            .collect()
    }

    async fn save_offers(&self, offers: &[OfferToSave]) -> Result<SaveOutcome, StoreError> {
        crate::offer_saving::save_offers(&self.db, offers).await
    }

    async fn offer(&self, id: OfferId) -> Result<Option<Offer>, StoreError> {
        Ok(self
            .offers_where_one("o.id = $1", Key::Id(id.0))
            .await?
            .pop())
    }

    async fn offer_by_code(&self, code: &ShortCode) -> Result<Option<Offer>, StoreError> {
        Ok(self
            .offers_where_one("o.code = $1", Key::Text(code.as_str().to_string()))
            .await?
            .pop())
    }

    async fn offer_by_external_id(&self, external_id: &str) -> Result<Option<Offer>, StoreError> {
        Ok(self
            .offers_where_one("o.external_id = $1", Key::Text(external_id.to_string()))
            .await?
            .pop())
    }

    async fn published_offers(&self, with_items: bool) -> Result<Vec<Offer>, StoreError> {
        // Read by pages along the primary key (each page cheap, and the rows and items of one
        // page only in memory at a time), then put in the list's order.
        const PAGE: usize = 2_000;
        let sql =
            format!("{OFFER_SELECT} WHERE o.status = $1 AND o.id > $2 ORDER BY o.id LIMIT {PAGE}");
        let mut offers: Vec<Offer> = Vec::new();
        let mut last = 0i64;
        loop {
            let mut page = query(&sql)
                .bind(OfferStatus::Published)
                .bind(last)
                .fetch_all(&self.db)
                .await
                .map_err(db_err)?
                .iter()
                .map(Offer::from_row)
                .collect::<Result<Vec<_>, _>>()?;
            let Some(end) = page.last().map(|o| o.id.0) else {
                break;
            };
            last = end;
            if with_items {
                self.attach_items(&mut page).await?;
            }
            let full = page.len() == PAGE;
            offers.extend(page);
            if !full {
                break;
            }
        }
        offers.sort_by(|a, b| {
            b.published_on
                .cmp(&a.published_on)
                .then(b.id.0.cmp(&a.id.0))
        });
        Ok(offers)
    }

    async fn offers_version(&self) -> Result<(i64, i64), StoreError> {
        let row = query(
            concat!(
                "SELECT CAST(COALESCE(SUM(CASE WHEN status = $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS n, \
                 CAST(COALESCE(MAX(updated_at), 0) AS BIGINT) AS at, \
                 (SELECT COALESCE(MAX(finished_at), 0) FROM offer_imports) AS switched FROM ",
                seen_offers!(),
                " o"
            ),
        )
        .bind(OfferStatus::Published)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)?;
        let at: i64 = row.get("at")?;
        Ok((row.get("n")?, at.max(row.get("switched")?)))
    }

    async fn list_offers(&self, f: &OfferFilter) -> Result<OfferPage, StoreError> {
        let mut qb = QueryBuilder::new(concat!(
            "SELECT COUNT(*) FROM ",
            seen_offers!(),
            " o JOIN sites s ON s.id = o.site_id"
        ));
        push_offer_filter(&mut qb, f);
        let total: i64 = qb
            .build_query_scalar()
            .fetch_one(&self.db)
            .await
            .map_err(db_err)?;
        let mut qb = QueryBuilder::new(OFFER_SELECT);
        push_offer_filter(&mut qb, f);
        qb.push(" ORDER BY o.published_on DESC, o.id DESC LIMIT ")
            .push_bind(f.limit.clamp(1, 500) as i64)
            .push(" OFFSET ")
            .push_bind(f.offset as i64);
        let rows = qb.build().fetch_all(&self.db).await.map_err(db_err)?;
        let mut offers = rows
            .iter()
            .map(Offer::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_items(&mut offers).await?;
        Ok(OfferPage {
            offers,
            total: total.max(0) as u64,
        })
    }

    async fn offer_facets(&self) -> Result<Facets, StoreError> {
        let communes = query(concat!(
            "SELECT s.insee, MIN(s.commune) AS commune, COUNT(*) AS n FROM ",
            seen_offers!(),
            " o JOIN sites s ON s.id = o.site_id WHERE o.status = $1 \
                 GROUP BY s.insee ORDER BY MIN(s.commune)"
        ))
        .bind(OfferStatus::Published)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok((
                r.get::<String>("insee")?,
                r.get::<String>("commune")?,
                r.get::<i64>("n")?.max(0) as u64,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let families = query(concat!(
            "SELECT f.family, COALESCE(d.label, '') AS label, f.n FROM \
             (SELECT substr(rome, 1, 1) AS family, COUNT(*) AS n FROM ",
            seen_offers!(),
            " o WHERE status = $1 GROUP BY substr(rome, 1, 1)) f \
             LEFT JOIN rome_domains d ON d.code = f.family ORDER BY f.family"
        ))
        .bind(OfferStatus::Published)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            let fam: String = r.get("family")?;
            Ok((
                fam.chars().next().unwrap_or('?'),
                r.get::<String>("label")?,
                r.get::<i64>("n")?.max(0) as u64,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Facets { communes, families })
    }

    async fn set_offer_status(
        &self,
        id: OfferId,
        status: OfferStatus,
        on: ::time::Date,
    ) -> Result<(), StoreError> {
        use dklik_app::employer_store::EmployerStore as _;
        self.change_offer_status(id, status, on, "système", unix_now())
            .await
    }

    async fn employers(&self) -> Result<Vec<EmployerSummary>, StoreError> {
        let rows = query(concat!(
            "SELECT e.id, e.name, e.description, e.fictional, \
             COALESCE(SUM(CASE WHEN o.status = $1 THEN 1 ELSE 0 END), 0) AS n \
             FROM employers e LEFT JOIN ",
            seen_offers!(),
            " o ON o.employer_id = e.id \
             GROUP BY e.id, e.name, e.description, e.fictional ORDER BY e.name"
        ))
        .bind(OfferStatus::Published)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(EmployerSummary {
                    employer: Employer {
                        id: EmployerId(r.get("id")?),
                        name: r.get("name")?,
                        description: r.get("description")?,
                        fictional: r.get("fictional")?,
                    },
                    published_offers: r.get::<i64>("n")?.max(0) as u64,
                })
            })
            .collect()
    }

    async fn employer(&self, id: EmployerId) -> Result<Option<Employer>, StoreError> {
        let r = query("SELECT id, name, description, fictional FROM employers WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.map(|r| {
            Ok(Employer {
                id: EmployerId(r.get("id")?),
                name: r.get("name")?,
                description: r.get("description")?,
                fictional: r.get("fictional")?,
            })
        })
        .transpose()
    }

    async fn sites(&self, employer: EmployerId) -> Result<Vec<Site>, StoreError> {
        let rows = query(
            "SELECT id, employer_id, name, address, commune, insee, lat, lon FROM sites WHERE employer_id = $1 ORDER BY id",
        )
        .bind(employer.0)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Site {
                    id: SiteId(r.get("id")?),
                    employer_id: EmployerId(r.get("employer_id")?),
                    name: r.get("name")?,
                    address: r.get("address")?,
                    commune: r.get("commune")?,
                    insee: InseeCode::parse(&r.get::<String>("insee")?)
                        .map_err(|e| corrupt("insee", e))?,
                    coordinates: Coordinates::new(r.get("lat")?, r.get("lon")?)
                        .map_err(|e| corrupt("coordonnées", e))?,
                })
            })
            .collect()
    }

    async fn add_interest(
        &self,
        i: &NewInterest,
        at: i64,
        callback_due: ::time::Date,
    ) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let (id, _, _) = insert_interest_tx(&mut tx, i, at, callback_due).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn interests(&self, limit: u32) -> Result<Vec<Interest>, StoreError> {
        let sql = format!("{INBOX_SELECT} ORDER BY i.id DESC LIMIT $1");
        let rows = query(&sql)
            .bind(limit as i64)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok(InboxRow::from_row(r)?.interest))
            .collect()
    }

    async fn inbox(&self, f: &InboxFilter) -> Result<Vec<InboxRow>, StoreError> {
        let mut qb = QueryBuilder::new(INBOX_SELECT);
        qb.push(" WHERE p.id = i.person_id");
        push_inbox_filter(
            &mut qb,
            f,
            i64::from(f.offset) + i64::from(f.limit.clamp(1, 1000)),
        );
        qb.push(" ORDER BY i.callback_due, i.id LIMIT ")
            .push_bind(f.limit.clamp(1, 1000) as i64)
            .push(" OFFSET ")
            .push_bind(i64::from(f.offset));
        let rows = qb.build().fetch_all(&self.db).await.map_err(db_err)?;
        rows.iter().map(InboxRow::from_row).collect()
    }

    async fn inbox_count(&self, f: &InboxFilter, cap: u64) -> Result<u64, StoreError> {
        let mut qb =
            QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 AS one FROM interests i WHERE 1 = 1");
        push_inbox_filter(&mut qb, f, i64::try_from(cap).unwrap_or(i64::MAX));
        qb.push(" LIMIT ")
            .push_bind(i64::try_from(cap).unwrap_or(i64::MAX))
            .push(") AS kept");
        let n: i64 = qb
            .build_query_scalar()
            .fetch_one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(n.max(0) as u64)
    }

    async fn interest(&self, id: i64) -> Result<Option<InboxRow>, StoreError> {
        let sql = format!("{INBOX_SELECT} WHERE i.id = $1");
        let r = query(&sql)
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(InboxRow::from_row).transpose()
    }

    async fn assign_interest(&self, id: i64, user: Option<i64>, at: i64) -> Result<(), StoreError> {
        let n = query("UPDATE interests SET assigned_to = $1, updated_at = $2 WHERE id = $3")
            .bind(user)
            .bind(at)
            .bind(id)
            .execute(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn set_interest_status(
        &self,
        id: i64,
        status: InterestStatus,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let current: InterestStatus = query("SELECT status FROM interests WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?
            .code(0)?;
        if !current.can_become(status) {
            return Err(StoreError::Conflict(format!(
                "Une demande « {} » ne peut pas passer à « {} ».",
                current.label_fr(),
                status.label_fr()
            )));
        }
        query("UPDATE interests SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        query("UPDATE people SET last_activity_at = $1 WHERE id = (SELECT person_id FROM interests WHERE id = $2)")
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn claim_job_run(&self, job: &str, day: ::time::Date) -> Result<bool, StoreError> {
        let n = query("INSERT INTO job_runs (job, day) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(job)
            .bind(date_to_text(day))
            .execute(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn person(&self, id: PersonId) -> Result<Option<Person>, StoreError> {
        let sql = format!("{PERSON_SELECT} WHERE id = $1");
        let r = query(&sql)
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(Person::from_row).transpose()
    }

    async fn person_by_email(&self, email: &str) -> Result<Option<Person>, StoreError> {
        let sql = format!(
            "{PERSON_SELECT} WHERE email = $1 AND anonymised_at IS NULL ORDER BY id LIMIT 1"
        );
        let r = query(&sql)
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(Person::from_row).transpose()
    }

    async fn consents(&self, person_id: PersonId) -> Result<Vec<Consent>, StoreError> {
        let rows = query(
            "SELECT id, person_id, purpose, wording_version, given_at, withdrawn_at FROM consents \
             WHERE person_id = $1 ORDER BY id",
        )
        .bind(person_id)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Consent {
                    id: r.get("id")?,
                    person_id: r.id("person_id")?,
                    purpose: r.get("purpose")?,
                    wording_version: r.get("wording_version")?,
                    given_at: r.get("given_at")?,
                    withdrawn_at: r.get("withdrawn_at")?,
                })
            })
            .collect()
    }

    async fn person_interests(&self, person_id: PersonId) -> Result<Vec<Interest>, StoreError> {
        let sql = format!("{INBOX_SELECT} WHERE i.person_id = $1 ORDER BY i.id");
        let rows = query(&sql)
            .bind(person_id)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok(InboxRow::from_row(r)?.interest))
            .collect()
    }

    async fn erase_person(&self, id: PersonId, at: i64) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let n = query(
            "UPDATE people SET first_name = NULL, phone = NULL, email = NULL, age_band = NULL, \
             gender = NULL, anonymised_at = $1 WHERE id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        query("UPDATE interests SET channel_detail = '' WHERE person_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        query("DELETE FROM sessions WHERE person_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        query("DELETE FROM one_time_tokens WHERE person_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // The record and every free text about the person go; the neighbourhood, the
        // QPV flag, skills levels and the timeline's steps stay for anonymous figures.
        for sql in [
            "DELETE FROM person_profiles WHERE person_id = $1",
            "UPDATE test_results SET notes = '' WHERE person_id = $1",
            "UPDATE observed_activities SET review = NULL, tutor = '' WHERE person_id = $1",
            "UPDATE observations SET comment = '' WHERE activity_id IN (SELECT id FROM observed_activities WHERE person_id = $1)",
            "UPDATE endorsements SET endorser_name = NULL, endorser_role = NULL, comment = NULL, context = '' WHERE person_id = $1",
            "UPDATE person_skills SET source = '' WHERE person_id = $1",
        ] {
            query(sql).bind(id).execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn inactive_people(&self, before: i64) -> Result<Vec<PersonId>, StoreError> {
        let ids: Vec<i64> = query_scalar(
            "SELECT id FROM people WHERE anonymised_at IS NULL AND last_activity_at < $1 ORDER BY id",
        )
        .bind(before)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        Ok(ids.into_iter().map(PersonId).collect())
    }

    async fn add_audit(
        &self,
        actor_user_id: Option<i64>,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO audit_log (at, actor_user_id, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(at)
        .bind(actor_user_id)
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(detail)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn audit_log(
        &self,
        subject: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut qb = QueryBuilder::new(
            "SELECT id, at, actor_user_id, actor, action, subject, detail FROM audit_log",
        );
        if let Some(s) = subject {
            qb.push(" WHERE subject = ").push_bind(s.to_string());
        }
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(limit.clamp(1, 10_000) as i64);
        let rows = qb.build().fetch_all(&self.db).await.map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.get("id")?,
                    at: r.get("at")?,
                    actor_user_id: r.get("actor_user_id")?,
                    actor: r.get("actor")?,
                    action: r.get("action")?,
                    subject: r.get("subject")?,
                    detail: r.get("detail")?,
                })
            })
            .collect()
    }
}

/// The inbox's conditions on `interests i` (after a WHERE); `window`: the rows the caller reads
/// at most, in the inbox's order.
fn push_inbox_filter(qb: &mut QueryBuilder, f: &InboxFilter, window: i64) {
    if let Some(u) = f.assigned_to {
        qb.push(" AND i.assigned_to = ").push_bind(u);
    }
    if f.unassigned {
        qb.push(" AND i.assigned_to IS NULL");
    }
    if let Some(st) = f.status {
        qb.push(" AND i.status = ").push_bind(st);
    }
    let alone = f.assigned_to.is_none() && !f.unassigned && f.status.is_none();
    if let (Some(day), true) = (f.overdue_on, alone) {
        // The late requests alone: the first `window` of each waiting state, each read in order
        // from its index, then merged (the two states' rows together would all be sorted).
        let day = date_to_text(day);
        qb.push(" AND i.id IN (");
        for (n, st) in [InterestStatus::New, InterestStatus::Unreachable]
            .into_iter()
            .enumerate()
        {
            if n > 0 {
                qb.push(" UNION ALL ");
            }
            qb.push("SELECT id FROM (SELECT id FROM interests WHERE status = ")
                .push_bind(st)
                .push(" AND callback_due < ")
                .push_bind(day.clone())
                .push(" ORDER BY callback_due, id LIMIT ")
                .push_bind(window)
                .push(format!(") AS w{n}"));
        }
        qb.push(")");
        return;
    }
    if let Some(day) = f.overdue_on {
        qb.push(" AND i.status IN (")
            .push_bind(InterestStatus::New)
            .push(", ")
            .push_bind(InterestStatus::Unreachable)
            .push(") AND i.callback_due < ")
            .push_bind(date_to_text(day));
    }
}
