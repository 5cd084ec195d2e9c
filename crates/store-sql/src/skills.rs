//! `dklik_app::SkillsStore` for [`SqlStore`]: people's skills, tests, observed activities,
//! endorsements and the ROME catalogue they are picked from.

use crate::codes::sql_word;
use crate::db::{query, query_scalar, FromRow, QueryBuilder, Row, Tx};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;
pub(crate) use dklik_app::skills_store::{
    Attendance, Endorsement, ListedPerson, Observation, ObservedActivity, PersonRow,
    QuestionnaireResult, RomeCatalogue, SessionPerson, SkillsStore, TestResult, TestSession,
};
pub(crate) use dklik_domain::rome::RomeJobItem;
pub(crate) use dklik_domain::{
    ActivityKind, Days, Evidence, JourneyEvent, Mobility, Modality, Neighbourhood, PersonInput,
    PersonProfile, SkillEvidence, SkillTest, TestItem, TestTarget,
};

pub(crate) fn level_of(n: i64) -> Result<Level, StoreError> {
    Level::new(n as u8).map_err(|e| corrupt("niveau", e))
}

impl FromRow for SkillEvidence {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(SkillEvidence {
            id: r.get("id")?,
            person_id: r.id("person_id")?,
            item: OgrCode(r.get("item")?),
            level: level_of(r.get("level")?)?,
            evidence: r.code::<Evidence>("evidence")?,
            source: r.get("source")?,
            recorded_by: r.get("recorded_by")?,
            at: r.get("at")?,
        })
    }
}

impl FromRow for PersonProfile {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(PersonProfile {
            person_id: r.id("person_id")?,
            last_name: r.get("last_name")?,
            commune: r.get("commune")?,
            neighbourhood_id: r.get("neighbourhood_id")?,
            qpv: r.get::<Option<bool>>("qpv")?.unwrap_or(false),
            mobility: Mobility::parse(&r.get::<String>("mobility")?)
                .map_err(|e| corrupt("mobilité", e))?,
            days: Days::from_bits(r.get::<i64>("days")? as u8).map_err(|e| corrupt("jours", e))?,
            periods: r.get("periods")?,
            constraints: r.get("constraints")?,
            notes: r.get("notes")?,
            updated_at: r.get("updated_at")?,
            age_band: r.get("age_band")?,
            gender: r.get("gender")?,
        })
    }
}

pub(crate) const PROFILE_SELECT: &str = "SELECT pp.person_id, pp.last_name, pp.commune, p.neighbourhood_id, p.qpv, \
    pp.mobility, pp.days, pp.periods, pp.constraints, pp.notes, pp.updated_at, p.age_band, p.gender, p.first_name \
    FROM person_profiles pp JOIN people p ON p.id = pp.person_id";

impl FromRow for Endorsement {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(Endorsement {
            id: r.get("id")?,
            person_id: r.id("person_id")?,
            item: OgrCode(r.get("item")?),
            context: r.get("context")?,
            created_at: r.get("created_at")?,
            expires_at: r.get("expires_at")?,
            used_at: r.get("used_at")?,
            endorser_name: r.get("endorser_name")?,
            endorser_role: r.get("endorser_role")?,
            comment: r.get("comment")?,
        })
    }
}

pub(crate) const ENDORSEMENT_SELECT: &str =
    "SELECT id, person_id, item, context, created_at, expires_at, used_at, \
    endorser_name, endorser_role, comment FROM endorsements";

impl FromRow for TestSession {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(TestSession {
            id: r.get("id")?,
            test_id: r.get("test_id")?,
            test_name: r.get("test_name")?,
            starts_at: r.get("starts_at")?,
            place: r.get("place")?,
            capacity: r.get::<i64>("capacity")? as u32,
            registered: r.get::<i64>("registered")? as u32,
        })
    }
}

/// A test session, with the people expected counted (all but the absent).
pub(crate) fn session_select() -> String {
    format!(
        "SELECT s.id, s.test_id, t.name AS test_name, s.starts_at, s.place, s.capacity, \
         CAST((SELECT COUNT(*) FROM test_attendance a WHERE a.session_id = s.id AND a.status <> {}) AS BIGINT) AS registered \
         FROM test_sessions s JOIN skill_tests t ON t.id = s.test_id",
        sql_word(Attendance::Absent)
    )
}

impl FromRow for ObservedActivity {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(ObservedActivity {
            id: r.get("id")?,
            person_id: r.id("person_id")?,
            kind: r.code::<ActivityKind>("kind")?,
            title: r.get("title")?,
            place: r.get("place")?,
            tutor: r.get("tutor")?,
            starts_on: text_to_date(&r.get::<String>("starts_on")?)?,
            ends_on: text_to_date(&r.get::<String>("ends_on")?)?,
            review: r.get("review")?,
            days: Vec::new(),
            observations: Vec::new(),
        })
    }
}

pub(crate) const ACTIVITY_SELECT: &str =
    "SELECT id, person_id, kind, title, place, tutor, starts_on, ends_on, review \
    FROM observed_activities";

impl SqlStore {
    /// Fills an activity's days and observations.
    pub(crate) async fn activity_details(
        &self,
        a: &mut ObservedActivity,
    ) -> Result<(), StoreError> {
        for r in query("SELECT day, present FROM activity_days WHERE activity_id = $1 ORDER BY day")
            .bind(a.id)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
        {
            a.days
                .push((text_to_date(&r.get::<String>("day")?)?, r.get("present")?));
        }
        for r in query(
            "SELECT id, item, level, comment, observer, at FROM observations WHERE activity_id = $1 ORDER BY at, id",
        )
        .bind(a.id)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        {
            a.observations.push(Observation {
                id: r.get("id")?,
                item: OgrCode(r.get("item")?),
                level: level_of(r.get("level")?)?,
                comment: r.get("comment")?,
                observer: r.get("observer")?,
                at: r.get("at")?,
            });
        }
        Ok(())
    }

    pub(crate) async fn write_person_fields(
        tx: &mut Tx,
        id: PersonId,
        p: &PersonInput,
        at: i64,
    ) -> Result<(), StoreError> {
        if p.age_band.is_some() || p.gender.is_some() {
            // The agreement to give them is recorded once, with its wording.
            query(
                "INSERT INTO consents (person_id, purpose, wording_version, given_at) \
                 SELECT $1, $2, $3, $4 WHERE NOT EXISTS \
                 (SELECT 1 FROM consents WHERE person_id = $1 AND purpose = $2 AND withdrawn_at IS NULL)",
            )
            .bind(id)
            .bind(::dklik_domain::privacy::PURPOSE_STATS)
            .bind(::dklik_domain::skills::STATS_CONSENT_VERSION)
            .bind(at)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        }
        query(
            "INSERT INTO person_profiles (person_id, last_name, commune, mobility, days, periods, constraints, notes, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (person_id) DO UPDATE SET last_name = excluded.last_name, commune = excluded.commune, \
             mobility = excluded.mobility, days = excluded.days, periods = excluded.periods, \
             constraints = excluded.constraints, notes = excluded.notes, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(&p.last_name)
        .bind(&p.commune)
        .bind(p.mobility.to_words())
        .bind(i64::from(p.days.bits()))
        .bind(p.periods)
        .bind(&p.constraints)
        .bind(&p.notes)
        .bind(at)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn insert_evidence(
        tx: &mut Tx,
        rows: &[SkillEvidence],
    ) -> Result<(), StoreError> {
        for e in rows {
            query(
                "INSERT INTO person_skills (person_id, item, level, evidence, source, recorded_by, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(e.person_id)
            .bind(e.item.0)
            .bind(i64::from(e.level.get()))
            .bind(e.evidence)
            .bind(&e.source)
            .bind(&e.recorded_by)
            .bind(e.at)
            .execute(&mut **tx)
            .await
            .map_err(|e| match e {
                ::sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::Conflict("élément ROME ou personne inconnu".into())
                }
                other => db_err(other),
            })?;
        }
        Ok(())
    }
}

#[::async_trait::async_trait]
impl SkillsStore for SqlStore {
    async fn rome_catalogue(&self) -> Result<RomeCatalogue, StoreError> {
        let jobs = query(concat!(
            "SELECT code, label, parent FROM ",
            seen_rome!("rome_jobs"),
            " ORDER BY code"
        ))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            let parent: Option<String> = r.get("parent")?;
            Ok(RomeJob {
                code: RomeCode::parse(&r.get::<String>("code")?).map_err(|e| corrupt("rome", e))?,
                label: r.get("label")?,
                parent: parent.and_then(|p| RomeCode::parse(&p).ok()),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let items = query(concat!(
            "SELECT code, kind, label, macro_code, category, definition FROM ",
            seen_rome!("rome_items"),
            " WHERE kind <> $1 ORDER BY code"
        ))
        .bind(ItemKind::Context)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(RomeItem::from_row)
        .collect::<Result<Vec<_>, _>>()?;
        let appellations = query(concat!(
            "SELECT code, label, short_label, rome FROM ",
            seen_rome!("rome_appellations"),
            " ORDER BY code"
        ))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(RomeAppellation {
                code: OgrCode(r.get("code")?),
                label: r.get("label")?,
                short_label: r.get("short_label")?,
                rome: RomeCode::parse(&r.get::<String>("rome")?).map_err(|e| corrupt("rome", e))?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let job_items = query(concat!(
            "SELECT rome, item, core FROM ",
            seen_rome!("rome_job_items"),
            " ORDER BY rome, item"
        ))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(RomeJobItem {
                rome: RomeCode::parse(&r.get::<String>("rome")?).map_err(|e| corrupt("rome", e))?,
                item: OgrCode(r.get("item")?),
                core: r.get("core")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(RomeCatalogue {
            jobs,
            items,
            appellations,
            job_items,
        })
    }

    async fn neighbourhoods(&self) -> Result<Vec<Neighbourhood>, StoreError> {
        query("SELECT id, name, commune, insee, qpv, lat, lon, fictional FROM neighbourhoods ORDER BY commune, name")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok(Neighbourhood {
                    id: r.get("id")?,
                    name: r.get("name")?,
                    commune: r.get("commune")?,
                    insee: r.get("insee")?,
                    qpv: r.get("qpv")?,
                    lat: r.get("lat")?,
                    lon: r.get("lon")?,
                    fictional: r.get("fictional")?,
                })
            })
            .collect()
    }

    async fn save_neighbourhoods(&self, list: &[Neighbourhood]) -> Result<u64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let mut n = 0;
        for q in list {
            n += query(
                "INSERT INTO neighbourhoods (name, commune, insee, qpv, lat, lon, fictional) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (insee, name) DO UPDATE SET commune = excluded.commune, qpv = excluded.qpv, \
                 lat = excluded.lat, lon = excluded.lon, fictional = excluded.fictional",
            )
            .bind(&q.name)
            .bind(&q.commune)
            .bind(&q.insee)
            .bind(q.qpv)
            .bind(q.lat)
            .bind(q.lon)
            .bind(q.fictional)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    async fn create_person(&self, p: &PersonInput, at: i64) -> Result<PersonId, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let id = PersonId(query_scalar(
            "INSERT INTO people (first_name, phone, email, created_at, last_activity_at, neighbourhood_id, qpv, \
             age_band, gender) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&p.first_name)
        .bind(&p.phone)
        .bind(p.email.as_ref().map(|e| e.to_lowercase()))
        .bind(at)
        .bind(p.neighbourhood_id)
        .bind(p.qpv)
        .bind(&p.age_band)
        .bind(&p.gender)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?);
        Self::write_person_fields(&mut tx, id, p, at).await?;
        query(
            "INSERT INTO consents (person_id, purpose, wording_version, given_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(::dklik_domain::privacy::PURPOSE_SUPPORT)
        .bind(::dklik_domain::privacy::SUPPORT_CONSENT_VERSION)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn update_person(
        &self,
        id: PersonId,
        p: &PersonInput,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let n = query(
            "UPDATE people SET first_name = $1, phone = $2, email = $3, neighbourhood_id = $4, qpv = $5, \
             last_activity_at = $6, age_band = $8, gender = $9 WHERE id = $7 AND anonymised_at IS NULL",
        )
        .bind(&p.first_name)
        .bind(&p.phone)
        .bind(p.email.as_ref().map(|e| e.to_lowercase()))
        .bind(p.neighbourhood_id)
        .bind(p.qpv)
        .bind(at)
        .bind(id)
        .bind(&p.age_band)
        .bind(&p.gender)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Self::write_person_fields(&mut tx, id, p, at).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn person_profile(&self, id: PersonId) -> Result<Option<PersonProfile>, StoreError> {
        let sql = format!("{PROFILE_SELECT} WHERE pp.person_id = $1");
        query(&sql)
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(PersonProfile::from_row)
            .transpose()
    }

    async fn search_people(&self, query: &str, limit: u32) -> Result<Vec<PersonRow>, StoreError> {
        let words: Vec<String> = query
            .split_whitespace()
            .take(5)
            .map(|w| format!("%{}%", w.to_lowercase().replace(['%', '_'], "")))
            .collect();
        let mut qb = QueryBuilder::new(
            "SELECT p.id, p.first_name, p.phone, p.email, p.created_at, p.last_activity_at, p.anonymised_at, \
             p.email_verified_at, p.phone_verified_at, p.contact_by \
             FROM people p LEFT JOIN person_profiles pp ON pp.person_id = p.id WHERE p.anonymised_at IS NULL",
        );
        for w in &words {
            qb.push(" AND (LOWER(COALESCE(p.first_name, '')) LIKE ")
                .push_bind(w.clone())
                .push(" OR LOWER(COALESCE(pp.last_name, '')) LIKE ")
                .push_bind(w.clone())
                .push(" OR LOWER(COALESCE(p.email, '')) LIKE ")
                .push_bind(w.clone())
                .push(" OR REPLACE(COALESCE(p.phone, ''), ' ', '') LIKE ")
                .push_bind(w.replace(' ', ""))
                .push(" OR LOWER(COALESCE(pp.commune, '')) LIKE ")
                .push_bind(w.clone())
                .push(")");
        }
        qb.push(" ORDER BY p.last_activity_at DESC, p.id DESC LIMIT ")
            .push_bind(i64::from(limit.clamp(1, 500)));
        let people = qb
            .build()
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(Person::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        // The profiles of the whole page in one query (one per person was 200 queries).
        let mut profiles: ::std::collections::HashMap<i64, PersonProfile> = self
            .rows_in(
                &format!("{PROFILE_SELECT} WHERE pp.person_id"),
                people.iter().map(|p| Key::Id(p.id.0)).collect(),
                "",
            )
            .await?
            .iter()
            .map(|r| PersonProfile::from_row(r).map(|p| (p.person_id.0, p)))
            .collect::<Result<_, _>>()?;
        Ok(people
            .into_iter()
            .map(|person| PersonRow {
                profile: profiles.remove(&person.id.0),
                person,
            })
            .collect())
    }

    async fn listed_people(&self, after: i64, limit: u32) -> Result<Vec<ListedPerson>, StoreError> {
        query(
            "SELECT p.id, p.first_name, p.phone, p.email, p.qpv, p.last_activity_at, \
             pp.last_name, pp.commune FROM people p LEFT JOIN person_profiles pp ON pp.person_id = p.id \
             WHERE p.anonymised_at IS NULL AND p.id > $1 ORDER BY p.id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit.clamp(1, 10_000)))
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(ListedPerson {
                id: r.id("id")?,
                first_name: r.get::<Option<String>>("first_name")?.unwrap_or_default(),
                last_name: r.get::<Option<String>>("last_name")?.unwrap_or_default(),
                phone: r.get("phone")?,
                email: r.get("email")?,
                commune: r.get::<Option<String>>("commune")?.unwrap_or_default(),
                qpv: r.get("qpv")?,
                last_activity_at: r.get("last_activity_at")?,
            })
        })
        .collect()
    }

    async fn people_version(&self) -> Result<(i64, i64), StoreError> {
        // Each a look-up in an index (migration 0018), not a scan.
        let r = query(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM people) AS id, \
             (SELECT COALESCE(MAX(last_activity_at), 0) FROM people) AS active, \
             (SELECT COALESCE(MAX(anonymised_at), 0) FROM people WHERE anonymised_at IS NOT NULL) AS gone, \
             (SELECT COALESCE(MAX(updated_at), 0) FROM person_profiles) AS edited",
        )
        .fetch_one(&self.db)
        .await
        .map_err(db_err)?;
        let times: [i64; 3] = [r.get("active")?, r.get("gone")?, r.get("edited")?];
        Ok((r.get("id")?, times.into_iter().max().unwrap_or(0)))
    }

    async fn add_journey_event(&self, e: &JourneyEvent) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let id = insert_journey_event_tx(&mut tx, e).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn journey(&self, person_id: PersonId) -> Result<Vec<JourneyEvent>, StoreError> {
        query(
            "SELECT id, person_id, at, kind, channel, summary, ref, actor, stage, offer_id, \
             impression FROM journey_events \
             WHERE person_id = $1 ORDER BY at, id",
        )
        .bind(person_id)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(JourneyEvent {
                id: r.get("id")?,
                person_id: r.id("person_id")?,
                at: r.get("at")?,
                kind: r.get("kind")?,
                channel: r.get("channel")?,
                summary: r.get("summary")?,
                reference: r.get("ref")?,
                actor: r.get("actor")?,
                stage: r.get("stage")?,
                offer_id: r.id("offer_id")?,
                impression: r.get("impression")?,
            })
        })
        .collect()
    }

    async fn add_skill_evidence(&self, rows: &[SkillEvidence]) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        Self::insert_evidence(&mut tx, rows).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn matching_people(
        &self,
    ) -> Result<Vec<::dklik_app::skills_store::MatchingPerson>, StoreError> {
        let sql = format!("{PROFILE_SELECT} WHERE p.anonymised_at IS NULL ORDER BY pp.person_id");
        let rows = query(&sql).fetch_all(&self.db).await.map_err(db_err)?;
        let mut people = Vec::with_capacity(rows.len());
        let mut at: ::std::collections::HashMap<PersonId, usize> =
            ::std::collections::HashMap::new();
        for r in &rows {
            let profile = PersonProfile::from_row(r)?;
            at.insert(profile.person_id, people.len());
            people.push(::dklik_app::skills_store::MatchingPerson {
                first_name: r.get::<Option<String>>("first_name")?.unwrap_or_default(),
                profile,
                evidence: Vec::new(),
                endorsed: Vec::new(),
            });
        }
        for r in query(
            "SELECT s.id, s.person_id, s.item, s.level, s.evidence, s.source, s.recorded_by, s.at \
             FROM person_skills s JOIN person_profiles pp ON pp.person_id = s.person_id \
             ORDER BY s.person_id, s.at, s.id",
        )
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        {
            let e = SkillEvidence::from_row(r)?;
            if let Some(i) = at.get(&e.person_id) {
                people[*i].evidence.push(e);
            }
        }
        for r in query(
            "SELECT person_id, item, endorser_name, endorser_role FROM endorsements \
             WHERE used_at IS NOT NULL ORDER BY person_id, id",
        )
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        {
            let pid: PersonId = r.id("person_id")?;
            if let Some(i) = at.get(&pid) {
                people[*i].endorsed.push((
                    OgrCode(r.get("item")?),
                    r.get::<Option<String>>("endorser_name")?
                        .unwrap_or_default(),
                    r.get::<Option<String>>("endorser_role")?
                        .unwrap_or_default(),
                ));
            }
        }
        Ok(people)
    }

    async fn skill_evidence(&self, person_id: PersonId) -> Result<Vec<SkillEvidence>, StoreError> {
        query(
            "SELECT id, person_id, item, level, evidence, source, recorded_by, at FROM person_skills \
             WHERE person_id = $1 ORDER BY at, id",
        )
        .bind(person_id)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(SkillEvidence::from_row)
        .collect()
    }

    async fn delete_skill_evidence(&self, person_id: PersonId, id: i64) -> Result<(), StoreError> {
        let n = query("DELETE FROM person_skills WHERE id = $1 AND person_id = $2")
            .bind(id)
            .bind(person_id)
            .execute(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_offer_items(
        &self,
        offer: OfferId,
        items: &[RequiredItem],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let n = query("UPDATE offers SET updated_at = $1, revision = revision + 1 WHERE id = $2")
            .bind(unix_now())
            .bind(offer.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        query("DELETE FROM offer_items WHERE offer_id = $1")
            .bind(offer.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for (pos, it) in items.iter().enumerate() {
            query(
                "INSERT INTO offer_items (offer_id, code, kind, label, level, importance, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(offer.0)
            .bind(it.code.0)
            .bind(it.kind)
            .bind(&it.label)
            .bind(i64::from(it.level.get()))
            .bind(it.importance)
            .bind(pos as i64)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn create_endorsement(
        &self,
        person_id: PersonId,
        item: OgrCode,
        token_hash: &str,
        context: &str,
        at: i64,
        expires_at: i64,
    ) -> Result<i64, StoreError> {
        query_scalar(
            "INSERT INTO endorsements (person_id, item, token_hash, context, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(person_id)
        .bind(item.0)
        .bind(token_hash)
        .bind(context)
        .bind(at)
        .bind(expires_at)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)
    }

    async fn endorsement_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<Endorsement>, StoreError> {
        let sql = format!("{ENDORSEMENT_SELECT} WHERE token_hash = $1");
        query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(Endorsement::from_row)
            .transpose()
    }

    async fn complete_endorsement(
        &self,
        id: i64,
        name: &str,
        role: &str,
        comment: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = query(
            "UPDATE endorsements SET used_at = $1, endorser_name = $2, endorser_role = $3, comment = $4 \
             WHERE id = $5 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(name)
        .bind(role)
        .bind(comment)
        .bind(id)
        .execute(&self.db)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn endorsements(&self, person_id: PersonId) -> Result<Vec<Endorsement>, StoreError> {
        let sql = format!("{ENDORSEMENT_SELECT} WHERE person_id = $1 ORDER BY created_at, id");
        query(&sql)
            .bind(person_id)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(Endorsement::from_row)
            .collect()
    }

    async fn create_test(&self, t: &SkillTest, at: i64) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let id: i64 = query_scalar(
            "INSERT INTO skill_tests (name, description, modality, duration_min, capacity, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&t.name)
        .bind(&t.description)
        .bind(t.modality)
        .bind(i64::from(t.duration_min))
        .bind(i64::from(t.capacity))
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("Un test s'appelle déjà « {} ».", t.name)),
            other => other,
        })?;
        for (pos, it) in t.items.iter().enumerate() {
            query(
                "INSERT INTO skill_test_items (test_id, target, label, rubric, position) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(it.target.as_key())
            .bind(&it.label)
            .bind(::serde_json::to_string(&it.rubric).unwrap_or_default())
            .bind(pos as i64)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        for e in &t.employers {
            query("INSERT INTO skill_test_employers (test_id, employer_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*e)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn tests(&self) -> Result<Vec<SkillTest>, StoreError> {
        let mut tests = query(
            "SELECT id, name, description, modality, duration_min, capacity FROM skill_tests ORDER BY name",
        )
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(SkillTest {
                id: r.get("id")?,
                name: r.get("name")?,
                description: r.get("description")?,
                modality: r.code::<Modality>("modality")?,
                duration_min: r.get::<i64>("duration_min")? as u32,
                capacity: r.get::<i64>("capacity")? as u32,
                items: Vec::new(),
                employers: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let items = query("SELECT test_id, target, label, rubric FROM skill_test_items ORDER BY test_id, position")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        let employers =
            query("SELECT test_id, employer_id FROM skill_test_employers ORDER BY employer_id")
                .fetch_all(&self.db)
                .await
                .map_err(db_err)?;
        for t in &mut tests {
            for r in &items {
                if r.get::<i64>("test_id")? != t.id {
                    continue;
                }
                let rubric: [String; 4] = ::serde_json::from_str(&r.get::<String>("rubric")?)
                    .map_err(|e| corrupt("grille", e))?;
                t.items.push(TestItem {
                    target: TestTarget::parse_key(&r.get::<String>("target")?)
                        .map_err(|e| corrupt("cible", e))?,
                    label: r.get("label")?,
                    rubric,
                });
            }
            for r in &employers {
                if r.get::<i64>("test_id")? == t.id {
                    t.employers.push(r.get("employer_id")?);
                }
            }
        }
        Ok(tests)
    }

    async fn create_test_session(
        &self,
        test_id: i64,
        starts_at: i64,
        place: &str,
        capacity: u32,
        at: i64,
    ) -> Result<i64, StoreError> {
        query_scalar(
            "INSERT INTO test_sessions (test_id, starts_at, place, capacity, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(test_id)
        .bind(starts_at)
        .bind(place)
        .bind(i64::from(capacity))
        .bind(at)
        .fetch_one(&self.db)
        .await
        .map_err(|e| match e {
            ::sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
            other => db_err(other),
        })
    }

    async fn test_sessions(&self, test_id: Option<i64>) -> Result<Vec<TestSession>, StoreError> {
        let rows = match test_id {
            Some(t) => {
                let sql = format!(
                    "{} WHERE s.test_id = $1 ORDER BY s.starts_at, s.id",
                    session_select()
                );
                query(&sql).bind(t).fetch_all(&self.db).await
            }
            None => {
                let sql = format!("{} ORDER BY s.starts_at, s.id", session_select());
                query(&sql).fetch_all(&self.db).await
            }
        }
        .map_err(db_err)?;
        rows.iter().map(TestSession::from_row).collect()
    }

    async fn register_for_test(
        &self,
        session: i64,
        person_id: PersonId,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        // Serialise registrations to one session: on PostgreSQL the row lock, on SQLite
        // the write lock taken by this first write.
        let cap: Option<i64> = query_scalar(
            "UPDATE test_sessions SET capacity = capacity WHERE id = $1 RETURNING capacity",
        )
        .bind(session)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(cap) = cap else {
            return Err(StoreError::NotFound);
        };
        let taken: i64 = query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM test_attendance WHERE session_id = $1 AND status <> $2",
        )
        .bind(session)
        .bind(Attendance::Absent)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if taken >= cap {
            return Err(StoreError::Conflict("La session est complète.".into()));
        }
        query(
            "INSERT INTO test_attendance (session_id, person_id, status, at) VALUES ($1, $2, $4, $3)",
        )
        .bind(session)
        .bind(person_id)
        .bind(at)
        .bind(Attendance::Registered)
        .execute(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("Cette personne est déjà inscrite à cette session.".into()),
            other => other,
        })?;
        tx.commit().await.map_err(db_err)
    }

    async fn set_test_attendance(
        &self,
        session: i64,
        person_id: PersonId,
        status: Attendance,
        at: i64,
    ) -> Result<(), StoreError> {
        let n = query(
            "UPDATE test_attendance SET status = $1, at = $2 WHERE session_id = $3 AND person_id = $4",
        )
        .bind(status)
        .bind(at)
        .bind(session)
        .bind(person_id)
        .execute(&self.db)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn session_people(&self, session: i64) -> Result<Vec<SessionPerson>, StoreError> {
        query(
            "SELECT a.person_id, COALESCE(p.first_name, '') AS first_name, COALESCE(pp.last_name, '') AS last_name, a.status \
             FROM test_attendance a JOIN people p ON p.id = a.person_id \
             LEFT JOIN person_profiles pp ON pp.person_id = a.person_id \
             WHERE a.session_id = $1 ORDER BY a.at, a.person_id",
        )
        .bind(session)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            let first: String = r.get("first_name")?;
            let last: String = r.get("last_name")?;
            Ok(SessionPerson {
                person_id: r.id("person_id")?,
                name: format!("{first} {last}").trim().to_string(),
                status: r.code("status")?,
            })
        })
        .collect()
    }

    async fn save_test_results(
        &self,
        results: &[TestResult],
        evidence: &[SkillEvidence],
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        for r in results {
            let status: Option<String> = query_scalar(
                "SELECT status FROM test_attendance WHERE session_id = $1 AND person_id = $2",
            )
            .bind(r.session_id)
            .bind(r.person_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            if status.as_deref() != Some("present") {
                return Err(StoreError::Conflict(
                    "Cette personne n'a pas passé ce test : marquez-la présente avant de saisir ses résultats.".into(),
                ));
            }
            query(
                "INSERT INTO test_results (session_id, person_id, target, level, evaluator, on_day, notes, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (session_id, person_id, target) DO UPDATE SET level = excluded.level, \
                 evaluator = excluded.evaluator, on_day = excluded.on_day, notes = excluded.notes, at = excluded.at",
            )
            .bind(r.session_id)
            .bind(r.person_id)
            .bind(r.target.as_key())
            .bind(i64::from(r.level.get()))
            .bind(&r.evaluator)
            .bind(date_to_text(r.on_day))
            .bind(&r.notes)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        Self::insert_evidence(&mut tx, evidence).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn test_results(&self, person_id: PersonId) -> Result<Vec<TestResult>, StoreError> {
        query(
            "SELECT session_id, person_id, target, level, evaluator, on_day, notes FROM test_results \
             WHERE person_id = $1 ORDER BY on_day, session_id, target",
        )
        .bind(person_id)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(TestResult {
                session_id: r.get("session_id")?,
                person_id: r.id("person_id")?,
                target: TestTarget::parse_key(&r.get::<String>("target")?)
                    .map_err(|e| corrupt("cible", e))?,
                level: level_of(r.get("level")?)?,
                evaluator: r.get("evaluator")?,
                on_day: text_to_date(&r.get::<String>("on_day")?)?,
                notes: r.get("notes")?,
            })
        })
        .collect()
    }

    async fn create_activity(&self, a: &ObservedActivity, at: i64) -> Result<i64, StoreError> {
        query_scalar(
            "INSERT INTO observed_activities (person_id, kind, title, place, tutor, starts_on, ends_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(a.person_id)
        .bind(a.kind)
        .bind(&a.title)
        .bind(&a.place)
        .bind(&a.tutor)
        .bind(date_to_text(a.starts_on))
        .bind(date_to_text(a.ends_on))
        .bind(at)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)
    }

    async fn activities(&self, person_id: PersonId) -> Result<Vec<ObservedActivity>, StoreError> {
        let sql = format!("{ACTIVITY_SELECT} WHERE person_id = $1 ORDER BY starts_on, id");
        let rows = query(&sql)
            .bind(person_id)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut a = ObservedActivity::from_row(r)?;
            self.activity_details(&mut a).await?;
            out.push(a);
        }
        Ok(out)
    }

    async fn activity(&self, id: i64) -> Result<Option<ObservedActivity>, StoreError> {
        let sql = format!("{ACTIVITY_SELECT} WHERE id = $1");
        let Some(r) = query(&sql)
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let mut a = ObservedActivity::from_row(&r)?;
        self.activity_details(&mut a).await?;
        Ok(Some(a))
    }

    async fn set_activity_day(
        &self,
        id: i64,
        day: ::time::Date,
        present: bool,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO activity_days (activity_id, day, present) VALUES ($1, $2, $3) \
             ON CONFLICT (activity_id, day) DO UPDATE SET present = excluded.present",
        )
        .bind(id)
        .bind(date_to_text(day))
        .bind(present)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn add_observation(
        &self,
        activity: i64,
        o: &Observation,
        evidence: &SkillEvidence,
    ) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let id: i64 = query_scalar(
            "INSERT INTO observations (activity_id, item, level, comment, observer, at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(activity)
        .bind(o.item.0)
        .bind(i64::from(o.level.get()))
        .bind(&o.comment)
        .bind(&o.observer)
        .bind(o.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match e {
            ::sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Conflict("activité ou élément ROME inconnu".into())
            }
            other => db_err(other),
        })?;
        Self::insert_evidence(&mut tx, std::slice::from_ref(evidence)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn set_activity_review(&self, id: i64, review: &str, at: i64) -> Result<(), StoreError> {
        let n = query("UPDATE observed_activities SET review = $1, reviewed_at = $2 WHERE id = $3")
            .bind(review)
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

    async fn save_questionnaire(&self, r: &QuestionnaireResult) -> Result<bool, StoreError> {
        let n = query(
            "INSERT INTO questionnaire_results (token, answers, skills, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (token) DO NOTHING",
        )
        .bind(&r.token)
        .bind(&r.answers)
        .bind(&r.skills)
        .bind(r.created_at)
        .execute(&self.db)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn questionnaire(&self, token: &str) -> Result<Option<QuestionnaireResult>, StoreError> {
        query("SELECT token, answers, skills, created_at, person_id FROM questionnaire_results WHERE token = $1")
            .bind(token)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .map(|r| {
                Ok(QuestionnaireResult {
                    token: r.get("token")?,
                    answers: r.get("answers")?,
                    skills: r.get("skills")?,
                    created_at: r.get("created_at")?,
                    person_id: r.id("person_id")?,
                })
            })
            .transpose()
    }

    async fn send_questionnaire(
        &self,
        token: &str,
        i: &NewInterest,
        at: i64,
        callback_due: ::time::Date,
        skills: &[SkillEvidence],
        step: &JourneyEvent,
    ) -> Result<PersonId, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let (_, person_id, attached) = insert_interest_tx(&mut tx, i, at, callback_due).await?;
        let n = query(
            "UPDATE questionnaire_results SET person_id = $1 WHERE token = $2 AND person_id IS NULL",
        )
        .bind(person_id)
        .bind(token)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            // Already sent (or sent twice at once): nothing of this one is kept.
            tx.rollback().await.map_err(db_err)?;
            return Err(StoreError::Conflict(
                "Ce questionnaire a déjà été envoyé.".into(),
            ));
        }
        // An existing record is not changed from a public form: the advisor reads the
        // card (tied above) and adds the skills once they know who sent it.
        if !attached {
            let rows: Vec<SkillEvidence> = skills
                .iter()
                .map(|e| SkillEvidence {
                    person_id,
                    ..e.clone()
                })
                .collect();
            Self::insert_evidence(&mut tx, &rows).await?;
        }
        insert_journey_event_tx(
            &mut tx,
            &JourneyEvent {
                person_id,
                ..step.clone()
            },
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(person_id)
    }
}
