//! `dklik_app::OrientationStore` for [`SqlStore`]: the orientation catalogue, sessions and
//! registrations (with the waiting list), events, outreach contacts and surveys.

use crate::codes::{sql_list, sql_word, EventState, SessionState, SurveyPhase, HOLDING_A_PLACE};
use crate::db::{query, query_scalar, FromRow, QueryBuilder, Row, Tx};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;
pub(crate) use dklik_app::orientation_store::{
    Contact, EventReminder, OrientationStore, OutreachContact, Registrant, Registration, Reminder,
    ServiceFilter, SurveyPair,
};
pub(crate) use dklik_domain::orientation::{
    Event, EventKind, OrientationService, OrientationSession, PlaceKind, RegistrationStatus,
    ServiceKind, SessionId,
};

pub(crate) const SERVICE_SELECT: &str =
    "SELECT id, name, kind, audience, description, duration_min, place_kind, place, \
    equipment, capacity, provider, fictional FROM orientation_services";

impl FromRow for OrientationService {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(OrientationService {
            id: r.get("id")?,
            name: r.get("name")?,
            kind: r.code::<ServiceKind>("kind")?,
            audience: r.get("audience")?,
            description: r.get("description")?,
            duration_min: r.get::<i64>("duration_min")? as u32,
            place_kind: r.code::<PlaceKind>("place_kind")?,
            place: r.get("place")?,
            equipment: r.get("equipment")?,
            capacity: r.get::<i64>("capacity")? as u32,
            provider: r.get("provider")?,
            trades: Vec::new(),
            fictional: r.get("fictional")?,
        })
    }
}

/// A session, with its places taken and its waiting list counted.
pub(crate) fn osession_select() -> String {
    format!(
        "SELECT s.id, s.service_id, v.name AS service_name, s.starts_at, s.ends_at, \
         s.place, s.capacity, s.status, \
         CAST((SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status IN {}) AS BIGINT) AS taken, \
         CAST((SELECT COUNT(*) FROM registrations r WHERE r.session_id = s.id AND r.status = {}) AS BIGINT) AS waiting \
         FROM orientation_sessions s JOIN orientation_services v ON v.id = s.service_id",
        sql_list(&HOLDING_A_PLACE),
        sql_word(RegistrationStatus::Waiting)
    )
}

impl FromRow for OrientationSession {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(OrientationSession {
            id: r.id("id")?,
            service_id: r.get("service_id")?,
            service_name: r.get("service_name")?,
            starts_at: r.get("starts_at")?,
            ends_at: r.get("ends_at")?,
            place: r.get("place")?,
            capacity: r.get::<i64>("capacity")? as u32,
            cancelled: r.code::<SessionState>("status")? == SessionState::Cancelled,
            registered: r.get::<i64>("taken")? as u32,
            waiting: r.get::<i64>("waiting")? as u32,
        })
    }
}

pub(crate) const REGISTRATION_SELECT: &str =
    "SELECT r.id, r.session_id, r.person_id, COALESCE(p.first_name, '') AS first_name, \
    p.phone, p.email, p.contact_by, r.status, r.channel, r.created_at \
    FROM registrations r JOIN people p ON p.id = r.person_id";

impl FromRow for Registration {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(Registration {
            id: r.get("id")?,
            session_id: r.id("session_id")?,
            person_id: r.id("person_id")?,
            first_name: r.get("first_name")?,
            phone: r.get("phone")?,
            email: r.get("email")?,
            contact_by: r.get("contact_by")?,
            status: r.code::<RegistrationStatus>("status")?,
            channel: r.get("channel")?,
            created_at: r.get("created_at")?,
        })
    }
}

pub(crate) const EVENT_SELECT: &str = "SELECT e.id, e.code, e.kind, e.title, e.description, e.starts_at, e.ends_at, e.place, \
    e.lat, e.lon, e.status, \
    CAST((SELECT COUNT(*) FROM event_registrations x WHERE x.event_id = e.id) AS BIGINT) AS registrations \
    FROM events e";

impl FromRow for Event {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(Event {
            id: r.get("id")?,
            code: r.get("code")?,
            kind: r.code::<EventKind>("kind")?,
            title: r.get("title")?,
            description: r.get("description")?,
            starts_at: r.get("starts_at")?,
            ends_at: r.get("ends_at")?,
            place: r.get("place")?,
            lat: r.get("lat")?,
            lon: r.get("lon")?,
            cancelled: r.code::<EventState>("status")? == EventState::Cancelled,
            employers: Vec::new(),
            offers: Vec::new(),
            registrations: r.get::<i64>("registrations")? as u32,
        })
    }
}

pub(crate) const OUTREACH_SELECT: &str =
    "SELECT id, submission, at, recorded_by, place_kind, place_ref, place_label, channel, \
    people_count, person_id, needs, next_step, notes FROM outreach_contacts";

impl FromRow for OutreachContact {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(OutreachContact {
            id: r.get("id")?,
            submission: r.get("submission")?,
            at: r.get("at")?,
            recorded_by: r.get("recorded_by")?,
            place_kind: r.get("place_kind")?,
            place_ref: r.get("place_ref")?,
            place_label: r.get("place_label")?,
            channel: r.get("channel")?,
            people_count: r.get::<i64>("people_count")? as u32,
            person_id: r.id("person_id")?,
            needs: r.get("needs")?,
            next_step: r.get("next_step")?,
            notes: r.get("notes")?,
        })
    }
}

impl SqlStore {
    pub(crate) async fn attach_trades(
        &self,
        list: &mut [OrientationService],
    ) -> Result<(), StoreError> {
        let rows = query("SELECT service_id, rome FROM service_trades ORDER BY rome")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        for s in list.iter_mut() {
            for r in &rows {
                if r.get::<i64>("service_id")? == s.id {
                    if let Ok(c) = RomeCode::parse(&r.get::<String>("rome")?) {
                        s.trades.push(c);
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn event_details(&self, e: &mut Event) -> Result<(), StoreError> {
        e.employers = query_scalar(
            "SELECT m.name FROM event_employers x JOIN employers m ON m.id = x.employer_id \
             WHERE x.event_id = $1 ORDER BY m.name",
        )
        .bind(e.id)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        for r in query(
            "SELECT o.code, o.title FROM event_offers x JOIN offers o ON o.id = x.offer_id \
             WHERE x.event_id = $1 ORDER BY o.title",
        )
        .bind(e.id)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        {
            e.offers.push((r.get("code")?, r.get("title")?));
        }
        Ok(())
    }
}

/// The person of a contact (found by email or phone, or created) with their consent,
/// inside a transaction.
pub(crate) async fn contact_person_tx(
    tx: &mut Tx,
    c: &Contact,
    at: i64,
) -> Result<(PersonId, bool), StoreError> {
    let (id, attached) = find_or_create_person_tx(
        tx,
        &c.first_name,
        c.phone.as_deref(),
        c.email.as_deref(),
        at,
    )
    .await?;
    query("INSERT INTO consents (person_id, purpose, wording_version, given_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(&c.purpose)
        .bind(&c.consent_version)
        .bind(at)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok((id, attached))
}

/// A registration to a session inside a transaction: the checks come first, then the
/// person (a contact's record is found or made only once the session takes people).
/// Returns (registration, status, person).
pub(crate) async fn register_tx(
    tx: &mut Tx,
    session: SessionId,
    who: Registrant<'_>,
    channel: &str,
    at: i64,
) -> Result<(i64, RegistrationStatus, PersonId), StoreError> {
    // Registrations to one session wait for each other: the row lock on
    // PostgreSQL, the write lock this first write takes on SQLite.
    let row = query(
        "UPDATE orientation_sessions SET capacity = capacity WHERE id = $1 \
             RETURNING capacity, status, starts_at",
    )
    .bind(session)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound)?;
    let cap: i64 = row.get("capacity")?;
    if row.code::<SessionState>("status")? == SessionState::Cancelled {
        return Err(StoreError::Conflict("Cette séance est annulée.".into()));
    }
    if row.get::<i64>("starts_at")? <= at {
        return Err(StoreError::Conflict("Cette séance a déjà commencé.".into()));
    }
    let person_id = match who {
        Registrant::Person(id) => id,
        Registrant::Contact(c) => contact_person_tx(tx, c, at).await?.0,
    };
    let existing: Option<(i64, RegistrationStatus)> =
        query("SELECT id, status FROM registrations WHERE session_id = $1 AND person_id = $2")
            .bind(session)
            .bind(person_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?
            .map(|r| Ok::<_, StoreError>((r.get(0)?, r.code(1)?)))
            .transpose()?;
    let taken: i64 = query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM registrations WHERE session_id = $1 \
             AND status IN {}",
        sql_list(&HOLDING_A_PLACE)
    ))
    .bind(session)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    let status = if taken < cap {
        RegistrationStatus::Registered
    } else {
        RegistrationStatus::Waiting
    };
    let id = match existing {
            Some((_, s)) if s != RegistrationStatus::Cancelled => {
                return Err(StoreError::Conflict("Cette personne est déjà inscrite à cette séance.".into()))
            }
            Some((id, _)) => {
                query("UPDATE registrations SET status = $1, channel = $2, created_at = $3, updated_at = $3 WHERE id = $4")
                    .bind(status)
                    .bind(channel)
                    .bind(at)
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                id
            }
            None => query_scalar(
                "INSERT INTO registrations (session_id, person_id, status, channel, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(session)
            .bind(person_id)
            .bind(status)
            .bind(channel)
            .bind(at)
            .fetch_one(&mut **tx)
            .await
            .map_err(db_err)?,
        };
    query("UPDATE people SET last_activity_at = $1 WHERE id = $2")
        .bind(at)
        .bind(person_id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok((id, status, person_id))
}

/// A registration to an event inside a transaction, the checks first; returns the person.
pub(crate) async fn register_event_tx(
    tx: &mut Tx,
    event_id: i64,
    who: Registrant<'_>,
    at: i64,
) -> Result<PersonId, StoreError> {
    let status: EventState = query("SELECT status FROM events WHERE id = $1")
        .bind(event_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?
        .code(0)?;
    match status {
        EventState::Cancelled => {
            return Err(StoreError::Conflict("Cet événement est annulé.".into()))
        }
        EventState::Planned => {}
    }
    let person_id = match who {
        Registrant::Person(id) => id,
        Registrant::Contact(c) => contact_person_tx(tx, c, at).await?.0,
    };
    query("INSERT INTO event_registrations (event_id, person_id, at) VALUES ($1, $2, $3)")
        .bind(event_id)
        .bind(person_id)
        .bind(at)
        .execute(&mut **tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict("Vous êtes déjà inscrit à cet événement.".into())
            }
            other => other,
        })?;
    Ok(person_id)
}

#[::async_trait::async_trait]
impl OrientationStore for SqlStore {
    async fn create_service(&self, s: &OrientationService, at: i64) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let id: i64 = query_scalar(
            "INSERT INTO orientation_services (name, kind, audience, description, duration_min, place_kind, \
             place, equipment, capacity, provider, fictional, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(&s.name)
        .bind(s.kind)
        .bind(&s.audience)
        .bind(&s.description)
        .bind(i64::from(s.duration_min))
        .bind(s.place_kind)
        .bind(&s.place)
        .bind(&s.equipment)
        .bind(i64::from(s.capacity))
        .bind(&s.provider)
        .bind(s.fictional)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("Un service s'appelle déjà « {} ».", s.name)),
            other => other,
        })?;
        for t in &s.trades {
            query("INSERT INTO service_trades (service_id, rome) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(t)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn services(&self, f: &ServiceFilter) -> Result<Vec<OrientationService>, StoreError> {
        let mut qb = QueryBuilder::new(SERVICE_SELECT);
        qb.push(" WHERE 1 = 1");
        if let Some(k) = f.kind {
            qb.push(" AND kind = ").push_bind(k);
        }
        if let Some(p) = f.place_kind {
            qb.push(" AND place_kind = ").push_bind(p);
        }
        if let Some(fam) = f.family {
            qb.push(
                " AND id IN (SELECT service_id FROM service_trades WHERE substr(rome, 1, 1) = ",
            )
            .push_bind(fam.to_string())
            .push(")");
        }
        qb.push(" ORDER BY name");
        let mut list = qb
            .build()
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(OrientationService::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_trades(&mut list).await?;
        Ok(list)
    }

    async fn service(&self, id: i64) -> Result<Option<OrientationService>, StoreError> {
        let sql = format!("{SERVICE_SELECT} WHERE id = $1");
        let Some(r) = query(&sql)
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let mut v = vec![OrientationService::from_row(&r)?];
        self.attach_trades(&mut v).await?;
        Ok(v.pop())
    }

    async fn create_orientation_session(
        &self,
        service_id: i64,
        starts_at: i64,
        ends_at: i64,
        place: &str,
        capacity: u32,
        at: i64,
    ) -> Result<SessionId, StoreError> {
        query_scalar(
            "INSERT INTO orientation_sessions (service_id, starts_at, ends_at, place, capacity, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $7, $6) RETURNING id",
        )
        .bind(service_id)
        .bind(starts_at)
        .bind(ends_at)
        .bind(place)
        .bind(i64::from(capacity))
        .bind(at)
        .bind(SessionState::Open)
        .fetch_one(&self.db)
        .await
        .map(SessionId)
        .map_err(|e| match e {
            ::sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
            other => db_err(other),
        })
    }

    async fn orientation_sessions(
        &self,
        service_id: Option<i64>,
        from: i64,
    ) -> Result<Vec<OrientationSession>, StoreError> {
        let rows = match service_id {
            Some(s) => {
                let sql = format!(
                    "{} WHERE s.service_id = $1 AND s.ends_at >= $2 ORDER BY s.starts_at, s.id",
                    osession_select()
                );
                query(&sql).bind(s).bind(from).fetch_all(&self.db).await
            }
            None => {
                let sql = format!(
                    "{} WHERE s.ends_at >= $1 ORDER BY s.starts_at, s.id",
                    osession_select()
                );
                query(&sql).bind(from).fetch_all(&self.db).await
            }
        }
        .map_err(db_err)?;
        rows.iter().map(OrientationSession::from_row).collect()
    }

    async fn orientation_session(
        &self,
        id: SessionId,
    ) -> Result<Option<OrientationSession>, StoreError> {
        let sql = format!("{} WHERE s.id = $1", osession_select());
        query(&sql)
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(OrientationSession::from_row)
            .transpose()
    }

    async fn find_or_create_person(&self, c: &Contact, at: i64) -> Result<PersonId, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let (id, _) = contact_person_tx(&mut tx, c, at).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn register(
        &self,
        session: SessionId,
        person_id: PersonId,
        channel: &str,
        at: i64,
    ) -> Result<(i64, RegistrationStatus), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let (id, status, _) =
            register_tx(&mut tx, session, Registrant::Person(person_id), channel, at).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((id, status))
    }

    async fn register_contact(
        &self,
        session: SessionId,
        c: &Contact,
        channel: &str,
        at: i64,
    ) -> Result<(i64, RegistrationStatus, PersonId), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let out = register_tx(&mut tx, session, Registrant::Contact(c), channel, at).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn cancel_registration(&self, id: i64, at: i64) -> Result<Option<i64>, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let row = query("SELECT session_id, status FROM registrations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        let session: SessionId = row.id("session_id")?;
        let status: RegistrationStatus = row.code("status")?;
        if status == RegistrationStatus::Cancelled {
            return Ok(None);
        }
        // The session row first: promotions wait for registrations in progress.
        query("UPDATE orientation_sessions SET capacity = capacity WHERE id = $1")
            .bind(session)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        query("UPDATE registrations SET status = $3, updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .bind(RegistrationStatus::Cancelled)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut promoted = None;
        if status == RegistrationStatus::Registered {
            let next: Option<i64> = query_scalar(
                "SELECT id FROM registrations WHERE session_id = $1 AND status = $2 \
                 ORDER BY created_at, id LIMIT 1",
            )
            .bind(session)
            .bind(RegistrationStatus::Waiting)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            if let Some(n) = next {
                query("UPDATE registrations SET status = $3, updated_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(n)
                    .bind(RegistrationStatus::Registered)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                promoted = Some(n);
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(promoted)
    }

    async fn cancel_orientation_session(
        &self,
        id: SessionId,
        at: i64,
    ) -> Result<Vec<Registration>, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let n = query("UPDATE orientation_sessions SET status = $2 WHERE id = $1 AND status = $3")
            .bind(id)
            .bind(SessionState::Cancelled)
            .bind(SessionState::Open)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict(
                "Séance inconnue ou déjà annulée.".into(),
            ));
        }
        let sql = format!(
            "{REGISTRATION_SELECT} WHERE r.session_id = $1 AND r.status IN ($2, $3) ORDER BY r.id"
        );
        let people = query(&sql)
            .bind(id)
            .bind(RegistrationStatus::Registered)
            .bind(RegistrationStatus::Waiting)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(Registration::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        query("UPDATE registrations SET status = $3, updated_at = $1 WHERE session_id = $2 AND status IN ($4, $5)")
            .bind(at)
            .bind(id)
            .bind(RegistrationStatus::Cancelled)
            .bind(RegistrationStatus::Registered)
            .bind(RegistrationStatus::Waiting)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(people)
    }

    async fn registrations(&self, session: SessionId) -> Result<Vec<Registration>, StoreError> {
        let sql =
            format!("{REGISTRATION_SELECT} WHERE r.session_id = $1 ORDER BY r.created_at, r.id");
        query(&sql)
            .bind(session)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(Registration::from_row)
            .collect()
    }

    async fn registration(&self, id: i64) -> Result<Option<Registration>, StoreError> {
        let sql = format!("{REGISTRATION_SELECT} WHERE r.id = $1");
        query(&sql)
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(Registration::from_row)
            .transpose()
    }

    async fn person_registrations(
        &self,
        person_id: PersonId,
    ) -> Result<Vec<Registration>, StoreError> {
        let sql =
            format!("{REGISTRATION_SELECT} WHERE r.person_id = $1 ORDER BY r.created_at, r.id");
        query(&sql)
            .bind(person_id)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(Registration::from_row)
            .collect()
    }

    async fn set_registration_status(
        &self,
        id: i64,
        status: RegistrationStatus,
        at: i64,
    ) -> Result<(), StoreError> {
        if !matches!(
            status,
            RegistrationStatus::Present | RegistrationStatus::Absent
        ) {
            return Err(StoreError::Conflict(
                "Seule la présence se note ici.".into(),
            ));
        }
        let n = query(&format!(
            "UPDATE registrations SET status = $1, updated_at = $2 WHERE id = $3 \
             AND status IN {}",
            sql_list(&HOLDING_A_PLACE)
        ))
        .bind(status)
        .bind(at)
        .bind(id)
        .execute(&self.db)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict(
                "Cette personne n'a pas de place à cette séance (liste d'attente ou annulée)."
                    .into(),
            ));
        }
        Ok(())
    }

    async fn due_reminders(&self, from: i64, to: i64) -> Result<Vec<Reminder>, StoreError> {
        query(
            "SELECT r.id, COALESCE(p.first_name, '') AS first_name, p.phone, p.email, p.contact_by, \
             v.name AS service, \
             s.starts_at, s.place FROM registrations r JOIN people p ON p.id = r.person_id \
             JOIN orientation_sessions s ON s.id = r.session_id JOIN orientation_services v ON v.id = s.service_id \
             WHERE r.status = $3 AND r.reminded_at IS NULL AND s.status = $4 \
             AND s.starts_at >= $1 AND s.starts_at < $2 AND p.anonymised_at IS NULL ORDER BY r.id",
        )
        .bind(from)
        .bind(to)
        .bind(RegistrationStatus::Registered)
        .bind(SessionState::Open)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(Reminder {
                registration_id: r.get("id")?,
                first_name: r.get("first_name")?,
                phone: r.get("phone")?,
                email: r.get("email")?,
                contact_by: r.get("contact_by")?,
                service: r.get("service")?,
                starts_at: r.get("starts_at")?,
                place: r.get("place")?,
            })
        })
        .collect()
    }

    async fn due_event_reminders(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<EventReminder>, StoreError> {
        query(
            "SELECT r.event_id, r.person_id, COALESCE(p.first_name, '') AS first_name, p.phone, \
             p.email, p.contact_by, e.title, e.starts_at, e.place \
             FROM event_registrations r JOIN people p ON p.id = r.person_id \
             JOIN events e ON e.id = r.event_id \
             WHERE r.reminded_at IS NULL AND e.status = $3 AND e.starts_at >= $1 \
             AND e.starts_at < $2 AND p.anonymised_at IS NULL ORDER BY r.event_id, r.person_id",
        )
        .bind(from)
        .bind(to)
        .bind(EventState::Planned)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| {
            Ok(EventReminder {
                event_id: r.get("event_id")?,
                person_id: r.id("person_id")?,
                first_name: r.get("first_name")?,
                phone: r.get("phone")?,
                email: r.get("email")?,
                contact_by: r.get("contact_by")?,
                title: r.get("title")?,
                starts_at: r.get("starts_at")?,
                place: r.get("place")?,
            })
        })
        .collect()
    }

    async fn mark_event_reminded(
        &self,
        event_id: i64,
        person: PersonId,
        at: i64,
    ) -> Result<(), StoreError> {
        query("UPDATE event_registrations SET reminded_at = $1 WHERE event_id = $2 AND person_id = $3")
            .bind(at)
            .bind(event_id)
            .bind(person)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn mark_reminded(&self, registration_id: i64, at: i64) -> Result<(), StoreError> {
        query("UPDATE registrations SET reminded_at = $1 WHERE id = $2")
            .bind(at)
            .bind(registration_id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn save_survey(
        &self,
        registration_id: i64,
        after: bool,
        a: [u8; 3],
        at: i64,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO surveys (registration_id, phase, q1, q2, q3, at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (registration_id, phase) DO UPDATE SET q1 = excluded.q1, q2 = excluded.q2, \
             q3 = excluded.q3, at = excluded.at",
        )
        .bind(registration_id)
        .bind(if after {
            SurveyPhase::After
        } else {
            SurveyPhase::Before
        })
        .bind(i64::from(a[0]))
        .bind(i64::from(a[1]))
        .bind(i64::from(a[2]))
        .bind(at)
        .execute(&self.db)
        .await
        .map_err(|e| match e {
            ::sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
            other => db_err(other),
        })?;
        Ok(())
    }

    async fn survey_pairs(&self) -> Result<Vec<SurveyPair>, StoreError> {
        let rows = query(
            "SELECT r.id, v.id AS service_id, v.name AS service, y.phase, y.q1, y.q2, y.q3 \
             FROM surveys y JOIN registrations r ON r.id = y.registration_id \
             JOIN orientation_sessions s ON s.id = r.session_id JOIN orientation_services v ON v.id = s.service_id \
             ORDER BY r.id, y.phase",
        )
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        let mut out: Vec<(i64, SurveyPair)> = Vec::new();
        for r in &rows {
            let reg: i64 = r.get("id")?;
            let answers = [
                r.get::<i64>("q1")? as u8,
                r.get::<i64>("q2")? as u8,
                r.get::<i64>("q3")? as u8,
            ];
            let after = r.code::<SurveyPhase>("phase")? == SurveyPhase::After;
            if out.last().map(|(id, _)| *id) != Some(reg) {
                out.push((
                    reg,
                    SurveyPair {
                        service_id: r.get("service_id")?,
                        service: r.get("service")?,
                        before: None,
                        after: None,
                    },
                ));
            }
            if let Some((_, p)) = out.last_mut() {
                if after {
                    p.after = Some(answers);
                } else {
                    p.before = Some(answers);
                }
            }
        }
        Ok(out.into_iter().map(|(_, p)| p).collect())
    }

    async fn create_event(
        &self,
        e: &Event,
        employer_ids: &[EmployerId],
        offer_ids: &[OfferId],
        at: i64,
    ) -> Result<(i64, String), StoreError> {
        // A fresh short code; a clash with an existing one is retried.
        for _ in 0..5 {
            let code = ShortCode::random().to_string();
            let mut tx = self.db.begin_write().await.map_err(db_err)?;
            let id: Result<i64, StoreError> = query_scalar(
                "INSERT INTO events (code, kind, title, description, starts_at, ends_at, place, lat, lon, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(&code)
            .bind(e.kind)
            .bind(&e.title)
            .bind(&e.description)
            .bind(e.starts_at)
            .bind(e.ends_at)
            .bind(&e.place)
            .bind(e.lat)
            .bind(e.lon)
            .bind(if e.cancelled {
                EventState::Cancelled
            } else {
                EventState::Planned
            })
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err);
            let id = match id {
                Ok(id) => id,
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(other),
            };
            for m in employer_ids {
                query("INSERT INTO event_employers (event_id, employer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(*m)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            for o in offer_ids {
                query("INSERT INTO event_offers (event_id, offer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(*o)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            tx.commit().await.map_err(db_err)?;
            return Ok((id, code));
        }
        Err(StoreError::Backend("aucun code libre".into()))
    }

    async fn events(&self, kind: Option<EventKind>, from: i64) -> Result<Vec<Event>, StoreError> {
        let rows = match kind {
            Some(k) => {
                let sql = format!("{EVENT_SELECT} WHERE e.kind = $1 AND e.ends_at >= $2 ORDER BY e.starts_at, e.id");
                query(&sql).bind(k).bind(from).fetch_all(&self.db).await
            }
            None => {
                let sql = format!("{EVENT_SELECT} WHERE e.ends_at >= $1 ORDER BY e.starts_at, e.id");
                query(&sql).bind(from).fetch_all(&self.db).await
            }
        }
        .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut e = Event::from_row(r)?;
            self.event_details(&mut e).await?;
            out.push(e);
        }
        Ok(out)
    }

    async fn event_by_code(&self, code: &str) -> Result<Option<Event>, StoreError> {
        let sql = format!("{EVENT_SELECT} WHERE e.code = $1");
        let Some(r) = query(&sql)
            .bind(code)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let mut e = Event::from_row(&r)?;
        self.event_details(&mut e).await?;
        Ok(Some(e))
    }

    async fn register_event(
        &self,
        event_id: i64,
        person_id: PersonId,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        register_event_tx(&mut tx, event_id, Registrant::Person(person_id), at).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn register_event_contact(
        &self,
        event_id: i64,
        c: &Contact,
        at: i64,
    ) -> Result<PersonId, StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let person = register_event_tx(&mut tx, event_id, Registrant::Contact(c), at).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(person)
    }

    async fn add_outreach(
        &self,
        c: &OutreachContact,
        person: Option<&Contact>,
        step: Option<&::dklik_domain::JourneyEvent>,
    ) -> Result<(i64, bool), StoreError> {
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        // A submission sent again (a phone retrying) is neither counted nor applied twice.
        let existing: Option<i64> =
            query_scalar("SELECT id FROM outreach_contacts WHERE submission = $1")
                .bind(&c.submission)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        if let Some(id) = existing {
            tx.rollback().await.map_err(db_err)?;
            return Ok((id, false));
        }
        let person_id = match person {
            Some(p) => Some(contact_person_tx(&mut tx, p, c.at).await?.0),
            None => c.person_id,
        };
        let inserted: Option<i64> = query_scalar(
            "INSERT INTO outreach_contacts (submission, at, recorded_by, place_kind, place_ref, place_label, channel, \
             people_count, person_id, needs, next_step, notes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (submission) DO NOTHING RETURNING id",
        )
        .bind(&c.submission)
        .bind(c.at)
        .bind(c.recorded_by)
        .bind(&c.place_kind)
        .bind(&c.place_ref)
        .bind(&c.place_label)
        .bind(&c.channel)
        .bind(i64::from(c.people_count))
        .bind(person_id)
        .bind(&c.needs)
        .bind(&c.next_step)
        .bind(&c.notes)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(id) = inserted else {
            // The same submission at the same instant on PostgreSQL: the other one won.
            tx.rollback().await.map_err(db_err)?;
            let id: i64 = query_scalar("SELECT id FROM outreach_contacts WHERE submission = $1")
                .bind(&c.submission)
                .fetch_one(&self.db)
                .await
                .map_err(db_err)?;
            return Ok((id, false));
        };
        if let (Some(pid), Some(e)) = (person_id, step) {
            let e = ::dklik_domain::JourneyEvent {
                person_id: pid,
                reference: format!("outreach:{id}"),
                ..e.clone()
            };
            insert_journey_event_tx(&mut tx, &e).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok((id, true))
    }

    async fn outreach_contacts(&self, limit: u32) -> Result<Vec<OutreachContact>, StoreError> {
        let sql = format!("{OUTREACH_SELECT} ORDER BY at DESC, id DESC LIMIT $1");
        query(&sql)
            .bind(i64::from(limit.clamp(1, 5000)))
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?
            .iter()
            .map(OutreachContact::from_row)
            .collect()
    }

    async fn outreach_by_submission(
        &self,
        submission: &str,
    ) -> Result<Option<OutreachContact>, StoreError> {
        let sql = format!("{OUTREACH_SELECT} WHERE submission = $1");
        query(&sql)
            .bind(submission)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(OutreachContact::from_row)
            .transpose()
    }

    async fn set_outreach_person(&self, id: i64, person_id: PersonId) -> Result<(), StoreError> {
        query("UPDATE outreach_contacts SET person_id = $1 WHERE id = $2")
            .bind(person_id)
            .bind(id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
