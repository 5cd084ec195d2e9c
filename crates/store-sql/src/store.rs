//! `dklik_app::Store` for [`SqlStore`]: offers, employers and sites, people, requests, consents,
//! the ROME reference, the audit journal; and the helpers the other modules share (`db_err`,
//! dates, `CHUNK`, `insert_chunks`, the row mappings of offers and people).

use crate::codes::{sql_list, sql_word};
use crate::db::{
    query, query_as, query_scalar, Conn, FromRow, Query, QueryBuilder, Row, Separated, Tx,
};
use crate::SqlStore;
pub(crate) use dklik_app::store::{
    ApiToken, CampaignRecord, DisplayReportRow, EmployerSummary, Facets, FenceRecord, Impression,
    InboxFilter, InboxRow, OfferPage, OfferToSave, OutboxMessage, SaveOutcome, ScreenMessage,
    ScreenRecord, SessionRecord, Store, StoreError,
};
pub(crate) use dklik_domain::rome::{
    RomeAppellation, RomeCounts, RomeDomain, RomeItem, RomeJob, RomeReference,
};
pub(crate) use dklik_domain::{
    AuditEntry, BestTime, Channel, Consent, ContractType, Coordinates, Employer, EmployerId,
    Importance, InseeCode, Interest, InterestStatus, ItemKind, Level, NewInterest, NewUser, Offer,
    OfferFilter, OfferId, OfferStatus, OgrCode, Person, RequiredItem, Role, RomeCode, Shift,
    ShortCode, Site, SiteId, User,
};

pub(crate) fn db_err(e: ::sqlx::Error) -> StoreError {
    match e {
        ::sqlx::Error::RowNotFound => StoreError::NotFound,
        ::sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("doublon : {}", d.message()))
        }
        other => StoreError::Backend(other.to_string()),
    }
}

pub(crate) fn corrupt(what: &str, e: impl ::std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("valeur stockée invalide ({what}) : {e}"))
}

pub(crate) const DATE_FMT: &[::time::format_description::FormatItem<'static>] =
    ::time::macros::format_description!("[year]-[month]-[day]");

pub(crate) fn date_to_text(d: ::time::Date) -> String {
    d.format(DATE_FMT).unwrap_or_default()
}

pub(crate) fn text_to_date(s: &str) -> Result<::time::Date, StoreError> {
    ::time::Date::parse(s, DATE_FMT).map_err(|e| corrupt("date", e))
}

pub(crate) fn opt_date(s: Option<String>) -> Result<Option<::time::Date>, StoreError> {
    s.as_deref().map(text_to_date).transpose()
}

/// Rows per multi-row INSERT: far under both backends' bound-parameter limits.
pub(crate) const CHUNK: usize = 1000;

pub(crate) const OFFER_SELECT: &str =
    "SELECT o.id, o.code, o.employer_id, e.name AS employer_name, \
    e.fictional AS employer_fictional, s.id AS site_id, s.name AS site_name, s.address, \
    s.commune, s.insee, s.lat, s.lon, o.external_id, o.title, o.description, o.rome, \
    COALESCE(j.label, '') AS rome_label, o.appellation, o.appellation_label, o.shifts, \
    o.contract, o.weekly_hours, o.positions, o.no_diploma, o.status, o.created_on, \
    o.published_on, o.ended_on, o.expires_on \
    FROM offers o JOIN employers e ON e.id = o.employer_id \
    JOIN sites s ON s.id = o.site_id LEFT JOIN rome_jobs j ON j.code = o.rome";

/// The columns of an offer that an import writes, in `bind_content`'s order.
pub(crate) const OFFER_CONTENT: [&str; 17] = [
    "employer_id",
    "site_id",
    "title",
    "description",
    "rome",
    "appellation",
    "appellation_label",
    "shifts",
    "shift_periods",
    "contract",
    "weekly_hours",
    "positions",
    "no_diploma",
    "status",
    "expires_on",
    "search_text",
    "updated_at",
];

/// What an import writes of one offer.
pub(crate) struct OfferContent<'a> {
    employer_id: i64,
    site_id: i64,
    offer: &'a ::dklik_domain::NewOffer,
    shifts: String,
    search_text: &'a str,
    now: i64,
}

pub(crate) fn bind_content<'q>(q: Query<'q>, c: &'q OfferContent<'q>) -> Query<'q> {
    let n = c.offer;
    q.bind(c.employer_id)
        .bind(c.site_id)
        .bind(&n.title)
        .bind(&n.description)
        .bind(&n.rome)
        .bind(n.appellation.map(|a| a.0))
        .bind(&n.appellation_label)
        .bind(&c.shifts)
        .bind(n.shift_periods())
        .bind(n.contract)
        .bind(n.weekly_hours.map(f64::from))
        .bind(n.positions as i64)
        .bind(n.no_diploma)
        .bind(n.status)
        .bind(n.expires_on.map(date_to_text))
        .bind(c.search_text)
        .bind(c.now)
}

impl FromRow for Offer {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        let shifts: Vec<Shift> = ::serde_json::from_str(&r.get::<String>("shifts")?)
            .map_err(|e| corrupt("horaires", e))?;
        let employer_id = EmployerId(r.get("employer_id")?);
        Ok(Offer {
            id: OfferId(r.get("id")?),
            code: ShortCode::parse(&r.get::<String>("code")?).map_err(|e| corrupt("code", e))?,
            employer_id,
            employer_name: r.get("employer_name")?,
            employer_fictional: r.get("employer_fictional")?,
            site: Site {
                id: SiteId(r.get("site_id")?),
                employer_id,
                name: r.get("site_name")?,
                address: r.get("address")?,
                commune: r.get("commune")?,
                insee: InseeCode::parse(&r.get::<String>("insee")?)
                    .map_err(|e| corrupt("insee", e))?,
                coordinates: Coordinates::new(r.get("lat")?, r.get("lon")?)
                    .map_err(|e| corrupt("coordonnées", e))?,
            },
            external_id: r.get("external_id")?,
            title: r.get("title")?,
            description: r.get("description")?,
            rome: RomeCode::parse(&r.get::<String>("rome")?).map_err(|e| corrupt("rome", e))?,
            rome_label: r.get("rome_label")?,
            appellation: r.get::<Option<i64>>("appellation")?.map(OgrCode),
            appellation_label: r.get("appellation_label")?,
            items: Vec::new(),
            shifts,
            contract: r.code::<ContractType>("contract")?,
            weekly_hours: r.get::<Option<f64>>("weekly_hours")?.map(|h| h as f32),
            positions: r.get::<i64>("positions")?.max(0) as u32,
            no_diploma: r.get("no_diploma")?,
            status: r.code::<OfferStatus>("status")?,
            created_on: text_to_date(&r.get::<String>("created_on")?)?,
            published_on: opt_date(r.get("published_on")?)?,
            ended_on: opt_date(r.get("ended_on")?)?,
            expires_on: opt_date(r.get("expires_on")?)?,
        })
    }
}

/// A bound key value (`offers_where_one`, `rows_in`).
pub(crate) enum Key {
    Id(i64),
    Text(String),
}

impl SqlStore {
    /// Reads offers chosen by a WHERE clause with one bound parameter, with their items.
    pub(crate) async fn offers_where_one(
        &self,
        clause: &str,
        key: Key,
    ) -> Result<Vec<Offer>, StoreError> {
        let sql = format!("{OFFER_SELECT} WHERE {clause}");
        let q = query(&sql);
        let q = match key {
            Key::Id(i) => q.bind(i),
            Key::Text(t) => q.bind(t),
        };
        let rows = q.fetch_all(&self.db).await.map_err(db_err)?;
        let mut offers = rows
            .iter()
            .map(Offer::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_items(&mut offers).await?;
        Ok(offers)
    }

    /// Runs a DELETE with one bound key; `NotFound` when it removed nothing.
    pub(crate) async fn delete_by_id(&self, sql: &str, key: Key) -> Result<(), StoreError> {
        let q = query(sql);
        let q = match key {
            Key::Id(i) => q.bind(i),
            Key::Text(t) => q.bind(t),
        };
        let n = q.execute(&self.db).await.map_err(db_err)?.rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Rows of `SELECT … WHERE col IN (keys) tail`, queried by chunks of keys.
    pub(crate) async fn rows_in(
        &self,
        head: &str,
        keys: Vec<Key>,
        tail: &str,
    ) -> Result<Vec<Row>, StoreError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let mut qb = QueryBuilder::new(head);
            qb.push(" IN (");
            let mut sep = qb.separated(", ");
            for k in chunk {
                match k {
                    Key::Id(i) => sep.push_bind(*i),
                    Key::Text(t) => sep.push_bind(t.clone()),
                };
            }
            qb.push(") ").push(tail);
            out.extend(qb.build().fetch_all(&self.db).await.map_err(db_err)?);
        }
        Ok(out)
    }

    pub(crate) async fn attach_items(&self, offers: &mut [Offer]) -> Result<(), StoreError> {
        if offers.is_empty() {
            return Ok(());
        }
        let rows = self
            .rows_in(
                "SELECT offer_id, code, kind, label, level, importance FROM offer_items WHERE offer_id",
                offers.iter().map(|o| Key::Id(o.id.0)).collect(),
                "ORDER BY offer_id, position",
            )
            .await?;
        let mut by_offer: ::std::collections::HashMap<i64, Vec<RequiredItem>> =
            ::std::collections::HashMap::new();
        for r in &rows {
            let item = RequiredItem {
                code: OgrCode(r.get("code")?),
                kind: r.code::<ItemKind>("kind")?,
                label: r.get("label")?,
                level: Level::new(r.get::<i64>("level")? as u8)
                    .map_err(|e| corrupt("niveau", e))?,
                importance: match r.get::<String>("importance")?.as_str() {
                    "nice" => Importance::Nice,
                    _ => Importance::Must,
                },
            };
            by_offer.entry(r.get("offer_id")?).or_default().push(item);
        }
        for o in offers.iter_mut() {
            o.items = by_offer.remove(&o.id.0).unwrap_or_default();
        }
        Ok(())
    }

    /// The ROME items of a kind.
    pub(crate) async fn count_kind(&self, kind: ItemKind) -> Result<u64, StoreError> {
        let n: i64 = query_scalar("SELECT COUNT(*) FROM rome_items WHERE kind = $1")
            .bind(kind)
            .fetch_one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(n.max(0) as u64)
    }

    pub(crate) async fn count(&self, sql: &str) -> Result<u64, StoreError> {
        let n: i64 = query_scalar(sql)
            .fetch_one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(n.max(0) as u64)
    }
}

pub(crate) fn push_offer_filter(qb: &mut QueryBuilder, f: &OfferFilter) {
    qb.push(" WHERE o.status = ")
        .push(sql_word(OfferStatus::Published));
    for t in &f.terms {
        qb.push(" AND o.search_text LIKE ")
            .push_bind(format!("% {t}%"));
    }
    if let Some(insee) = &f.insee {
        qb.push(" AND s.insee = ").push_bind(insee.clone());
    }
    if let Some(fam) = f.family {
        qb.push(" AND substr(o.rome, 1, 1) = ")
            .push_bind(fam.to_string());
    }
    if let Some(c) = f.contract {
        qb.push(" AND o.contract = ").push_bind(c);
    }
    if let Some(p) = f.period {
        qb.push(" AND (o.shift_periods & ")
            .push_bind(p.bit())
            .push(") <> 0");
    }
    if f.no_diploma {
        qb.push(" AND o.no_diploma = ").push_bind(true);
    }
    if let Some(e) = f.employer {
        qb.push(" AND o.employer_id = ").push_bind(e.0);
    }
    if let Some(r) = &f.rome {
        qb.push(" AND o.rome = ").push_bind(r.as_str().to_string());
    }
}

pub(crate) async fn find_or_create_ids(
    conn: &mut Conn,
    o: &OfferToSave,
    now: i64,
) -> Result<(i64, i64), StoreError> {
    let employer_id: i64 = query_scalar(
        "INSERT INTO employers (name, description, fictional, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET fictional = excluded.fictional RETURNING id",
    )
    .bind(&o.employer.name)
    .bind(&o.employer.description)
    .bind(o.employer.fictional)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let site_id: i64 = query_scalar(
        "INSERT INTO sites (employer_id, name, address, commune, insee, lat, lon) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (employer_id, insee, address, name) DO UPDATE SET \
         commune = excluded.commune, lat = excluded.lat, lon = excluded.lon RETURNING id",
    )
    .bind(employer_id)
    .bind(&o.site.name)
    .bind(&o.site.address)
    .bind(&o.site.commune)
    .bind(&o.site.insee)
    .bind(o.site.coordinates.lat())
    .bind(o.site.coordinates.lon())
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok((employer_id, site_id))
}

pub(crate) async fn write_items(
    conn: &mut Conn,
    offer_id: i64,
    items: &[RequiredItem],
) -> Result<(), StoreError> {
    query("DELETE FROM offer_items WHERE offer_id = $1")
        .bind(offer_id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    if items.is_empty() {
        return Ok(());
    }
    let mut qb = QueryBuilder::new(
        "INSERT INTO offer_items (offer_id, code, kind, label, level, importance, position) ",
    );
    qb.push_values(items.iter().enumerate(), |mut b, (i, it)| {
        b.push_bind(offer_id)
            .push_bind(it.code.0)
            .push_bind(it.kind)
            .push_bind(it.label.clone())
            .push_bind(it.level.get() as i64)
            .push_bind(it.importance)
            .push_bind(i as i64);
    });
    qb.build().execute(&mut *conn).await.map_err(db_err)?;
    Ok(())
}

impl FromRow for RomeItem {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(RomeItem {
            code: OgrCode(r.get("code")?),
            kind: r.code::<ItemKind>("kind")?,
            label: r.get("label")?,
            macro_code: r.get::<Option<i64>>("macro_code")?.map(OgrCode),
            category: r.get("category")?,
            definition: r.get("definition")?,
        })
    }
}

pub(crate) const INBOX_SELECT: &str = "SELECT i.id, i.offer_id, i.person_id, p.first_name, p.phone, p.email, \
    i.best_time, i.consent_version, i.channel, i.channel_detail, i.created_at, i.status, i.assigned_to, \
    i.callback_due, o.code AS offer_code, o.title AS offer_title, u.display_name AS assigned_name, i.unverified \
    FROM interests i JOIN people p ON p.id = i.person_id LEFT JOIN offers o ON o.id = i.offer_id \
    LEFT JOIN users u ON u.id = i.assigned_to";

impl FromRow for InboxRow {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(InboxRow {
            interest: Interest {
                id: r.get("id")?,
                offer_id: r.get::<Option<i64>>("offer_id")?.map(OfferId),
                person_id: r.get("person_id")?,
                first_name: r.get::<Option<String>>("first_name")?.unwrap_or_default(),
                phone: r.get("phone")?,
                email: r.get("email")?,
                best_time: BestTime::parse(&r.get::<String>("best_time")?).unwrap_or(BestTime::Any),
                consent_version: r.get("consent_version")?,
                channel: Channel::parse_lenient(&r.get::<String>("channel")?),
                channel_detail: r.get("channel_detail")?,
                created_at: r.get("created_at")?,
                status: r.code::<InterestStatus>("status")?,
                assigned_to: r.get("assigned_to")?,
                callback_due: opt_date(r.get("callback_due")?)?,
            },
            offer_code: r.get("offer_code")?,
            offer_title: r.get("offer_title")?,
            assigned_name: r.get("assigned_name")?,
            unverified: r.get("unverified")?,
        })
    }
}

pub(crate) const USER_SELECT: &str =
    "SELECT id, email, display_name, password_hash, role, employer_id, \
    failed_logins, locked_until, disabled FROM users";

impl FromRow for User {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(User {
            id: r.get("id")?,
            email: r.get("email")?,
            display_name: r.get("display_name")?,
            password_hash: r.get("password_hash")?,
            role: r.code::<Role>("role")?,
            employer_id: r.get::<Option<i64>>("employer_id")?.map(EmployerId),
            failed_logins: r.get("failed_logins")?,
            locked_until: r.get("locked_until")?,
            disabled: r.get("disabled")?,
        })
    }
}

pub(crate) const API_TOKEN_SELECT: &str =
    "SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_tokens";

impl FromRow for ApiToken {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(ApiToken {
            id: r.get("id")?,
            name: r.get("name")?,
            role: r.code::<Role>("role")?,
            created_at: r.get("created_at")?,
            revoked_at: r.get("revoked_at")?,
            last_used_at: r.get("last_used_at")?,
        })
    }
}

pub(crate) const OUTBOX_SELECT: &str =
    "SELECT id, to_addr, subject, body, attempts, sent_at, last_error FROM outbox";

impl FromRow for OutboxMessage {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(OutboxMessage {
            id: r.get("id")?,
            to: r.get("to_addr")?,
            subject: r.get("subject")?,
            body: r.get("body")?,
            attempts: r.get("attempts")?,
            sent_at: r.get("sent_at")?,
            last_error: r.get("last_error")?,
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
) -> Result<(i64, bool), StoreError> {
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
        return Ok((*id, true));
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
    Ok((id, false))
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
) -> Result<(i64, i64, bool), StoreError> {
    let (person_id, attached) = find_or_create_person_tx(
        tx,
        &i.first_name,
        i.phone.as_deref(),
        i.email.as_deref(),
        at,
    )
    .await?;
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
    let id: i64 = query_scalar(
        "INSERT INTO interests (offer_id, person_id, best_time, consent_version, channel, \
         channel_detail, created_at, status, callback_due, updated_at, unverified) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $7, $9) RETURNING id",
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
            offer_id: i.offer_id.map(|o| o.0),
            impression: i.impression.clone(),
        },
    )
    .await?;
    Ok((id, person_id, attached))
}

pub(crate) const PERSON_SELECT: &str =
    "SELECT id, first_name, phone, email, created_at, last_activity_at, anonymised_at, \
     email_verified_at, phone_verified_at FROM people";

impl FromRow for Person {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(Person {
            id: r.get("id")?,
            first_name: r.get("first_name")?,
            phone: r.get("phone")?,
            email: r.get("email")?,
            created_at: r.get("created_at")?,
            last_activity_at: r.get("last_activity_at")?,
            anonymised_at: r.get("anonymised_at")?,
            email_verified_at: r.get("email_verified_at")?,
            phone_verified_at: r.get("phone_verified_at")?,
        })
    }
}

pub(crate) fn unix_now() -> i64 {
    ::std::time::SystemTime::now()
        .duration_since(::std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Writes rows into a table in chunks of multi-row INSERTs (`head`, `VALUES (…), …`,
/// `tail`), each row's values bound by `bind`; adds the rows written to `done` and reports it
/// to `progress`. Returns the rows inserted or changed.
pub(crate) async fn insert_chunks<T: Sync>(
    tx: &mut Tx,
    done: &mut u64,
    progress: &(dyn Fn(u64) + Send + Sync),
    rows: &[T],
    head: &str,
    tail: &str,
    bind: impl Fn(Separated<'_>, &T) + Send + Sync,
) -> Result<u64, StoreError> {
    let mut changed = 0;
    for chunk in rows.chunks(CHUNK) {
        let mut qb = QueryBuilder::new(head);
        qb.push_values(chunk, &bind);
        qb.push(tail);
        changed += qb
            .build()
            .execute(&mut **tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        *done += chunk.len() as u64;
        progress(*done);
    }
    Ok(changed)
}

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
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let mut done = 0u64;
        let mut changed = 0u64;
        changed += insert_chunks(&mut tx, &mut done, progress, &r.domains,
            "INSERT INTO rome_domains (code, label) ",
            " ON CONFLICT (code) DO UPDATE SET label = excluded.label WHERE rome_domains.label <> excluded.label",
            |mut b, d| { b.push_bind(d.code.clone()).push_bind(d.label.clone()); }).await?;
        changed += insert_chunks(&mut tx, &mut done, progress, &r.jobs,
            "INSERT INTO rome_jobs (code, label, parent) ",
            " ON CONFLICT (code) DO UPDATE SET label = excluded.label, parent = excluded.parent \
             WHERE rome_jobs.label <> excluded.label OR rome_jobs.parent IS DISTINCT FROM excluded.parent",
            |mut b, j| { b.push_bind(j.code.as_str().to_string()).push_bind(j.label.clone()).push_bind(j.parent.as_ref().map(|p| p.as_str().to_string())); }).await?;
        changed += insert_chunks(&mut tx, &mut done, progress, &r.appellations,
            "INSERT INTO rome_appellations (code, label, short_label, rome) ",
            " ON CONFLICT (code) DO UPDATE SET label = excluded.label, short_label = excluded.short_label, rome = excluded.rome \
             WHERE rome_appellations.label <> excluded.label OR rome_appellations.short_label <> excluded.short_label \
             OR rome_appellations.rome <> excluded.rome",
            |mut b, a| { b.push_bind(a.code.0).push_bind(a.label.clone()).push_bind(a.short_label.clone()).push_bind(a.rome.as_str().to_string()); }).await?;
        changed += insert_chunks(&mut tx, &mut done, progress, &r.items,
            "INSERT INTO rome_items (code, kind, label, macro_code, category, definition) ",
            " ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, label = excluded.label, \
             macro_code = excluded.macro_code, category = excluded.category, definition = excluded.definition \
             WHERE rome_items.kind <> excluded.kind OR rome_items.label <> excluded.label \
             OR rome_items.macro_code IS DISTINCT FROM excluded.macro_code OR rome_items.category <> excluded.category \
             OR rome_items.definition <> excluded.definition",
            |mut b, i| { b.push_bind(i.code.0).push_bind(i.kind).push_bind(i.label.clone()).push_bind(i.macro_code.map(|m| m.0)).push_bind(i.category.clone()).push_bind(i.definition.clone()); }).await?;
        changed += insert_chunks(&mut tx, &mut done, progress, &r.job_items,
            "INSERT INTO rome_job_items (rome, item, core) ",
            " ON CONFLICT (rome, item) DO UPDATE SET core = excluded.core WHERE rome_job_items.core <> excluded.core",
            |mut b, l| { b.push_bind(l.rome.as_str().to_string()).push_bind(l.item.0).push_bind(l.core); }).await?;
        changed += insert_chunks(&mut tx, &mut done, progress, &r.mobility,
            "INSERT INTO rome_mobility (from_rome, to_rome, rank) ",
            " ON CONFLICT (from_rome, to_rome) DO UPDATE SET rank = excluded.rank WHERE rome_mobility.rank <> excluded.rank",
            |mut b, m| { b.push_bind(m.from.as_str().to_string()).push_bind(m.to.as_str().to_string()).push_bind(m.rank as i64); }).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(changed)
    }

    async fn rome_counts(&self) -> Result<RomeCounts, StoreError> {
        Ok(RomeCounts {
            jobs: self.count("SELECT COUNT(*) FROM rome_jobs").await?,
            appellations: self.count("SELECT COUNT(*) FROM rome_appellations").await?,
            competences: self
                .count(&format!(
                    "SELECT COUNT(*) FROM rome_items WHERE kind IN {}",
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
            job_items: self.count("SELECT COUNT(*) FROM rome_job_items").await?,
            mobility: self.count("SELECT COUNT(*) FROM rome_mobility").await?,
        })
    }

    async fn rome_items(&self, codes: &[OgrCode]) -> Result<Vec<RomeItem>, StoreError> {
        self.rows_in(
            "SELECT code, kind, label, macro_code, category, definition FROM rome_items WHERE code",
            codes.iter().map(|c| Key::Id(c.0)).collect(),
            "ORDER BY code",
        )
        .await?
        .iter()
        .map(RomeItem::from_row)
        .collect()
    }

    async fn rome_savoir_etre(&self) -> Result<Vec<RomeItem>, StoreError> {
        let rows = query(
            "SELECT code, kind, label, macro_code, category, definition FROM rome_items WHERE kind = $1 ORDER BY code",
        )
        .bind(ItemKind::SavoirEtre)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)?;
        rows.iter().map(RomeItem::from_row).collect()
    }

    async fn rome_jobs(&self, codes: &[RomeCode]) -> Result<Vec<RomeJob>, StoreError> {
        let rows = self
            .rows_in(
                "SELECT code, label, parent FROM rome_jobs WHERE code",
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
                "SELECT code, label, short_label, rome FROM rome_appellations WHERE rome",
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
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let mut outcome = SaveOutcome::default();
        let now = unix_now();
        let today = date_to_text(::dklik_app::today_paris());
        for o in offers {
            let (employer_id, site_id) = find_or_create_ids(&mut tx, o, now).await?;
            let n = &o.offer;
            let shifts = ::serde_json::to_string(&n.shifts)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            let existing: Option<(i64, String)> = match &n.external_id {
                Some(x) => {
                    query_as("SELECT id, status FROM offers WHERE external_id = $1")
                        .bind(x)
                        .fetch_optional(&mut *tx)
                        .await?
                }
                None => None,
            };
            let content = OfferContent {
                employer_id,
                site_id,
                offer: n,
                shifts,
                search_text: &o.search_text,
                now,
            };
            let offer_id = if let Some((id, status)) = existing {
                let current = OfferStatus::parse(&status).map_err(|e| corrupt("état", e))?;
                if current != n.status && !current.can_become(n.status) {
                    return Err(StoreError::Conflict(format!(
                        "l'offre « {} » est « {} » : elle ne peut pas redevenir « {} ».",
                        n.external_id.as_deref().unwrap_or(""),
                        current.label_fr(),
                        n.status.label_fr()
                    )));
                }
                // An offer published now keeps the day it was first published.
                let sql = format!(
                    "UPDATE offers SET {}, published_on = COALESCE(published_on, $1) WHERE id = $2",
                    OFFER_CONTENT
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("{c} = ${}", i + 3))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                let published_on = (n.status == OfferStatus::Published).then(|| today.clone());
                let q = query(&sql).bind(published_on).bind(id);
                bind_content(q, &content)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                outcome.updated += 1;
                id
            } else {
                let mut code = ShortCode::random();
                for _ in 0..20 {
                    let taken: Option<i64> = query_scalar("SELECT id FROM offers WHERE code = $1")
                        .bind(&code)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if taken.is_none() {
                        break;
                    }
                    code = ShortCode::random();
                }
                let published_on = (n.status == OfferStatus::Published).then(|| today.clone());
                let sql = format!(
                    "INSERT INTO offers (code, external_id, created_on, published_on, {}) VALUES ($1, $2, $3, $4, {}) RETURNING id",
                    OFFER_CONTENT.join(", "),
                    (5..5 + OFFER_CONTENT.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
                );
                let q = query(&sql)
                    .bind(&code)
                    .bind(&n.external_id)
                    .bind(&today)
                    .bind(published_on);
                let id: i64 = bind_content(q, &content)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .get("id")?;
                outcome.created += 1;
                id
            };
            write_items(&mut tx, offer_id, &n.items).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(outcome)
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

    async fn list_offers(&self, f: &OfferFilter) -> Result<OfferPage, StoreError> {
        let mut qb =
            QueryBuilder::new("SELECT COUNT(*) FROM offers o JOIN sites s ON s.id = o.site_id");
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
        let communes = query(
            "SELECT s.insee, MIN(s.commune) AS commune, COUNT(*) AS n FROM offers o \
             JOIN sites s ON s.id = o.site_id WHERE o.status = $1 \
             GROUP BY s.insee ORDER BY MIN(s.commune)",
        )
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
        let families = query(
            "SELECT f.family, COALESCE(d.label, '') AS label, f.n FROM \
             (SELECT substr(rome, 1, 1) AS family, COUNT(*) AS n FROM offers \
              WHERE status = $1 GROUP BY substr(rome, 1, 1)) f \
             LEFT JOIN rome_domains d ON d.code = f.family ORDER BY f.family",
        )
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
        let mut tx = self.db.begin_write().await.map_err(db_err)?;
        let current: OfferStatus = query("SELECT status FROM offers WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?
            .code(0)?;
        if !current.can_become(status) {
            return Err(StoreError::Conflict(format!(
                "Une offre « {} » ne peut pas devenir « {} ».",
                current.label_fr(),
                status.label_fr()
            )));
        }
        let day = date_to_text(on);
        let sql = if status == OfferStatus::Published {
            "UPDATE offers SET status = $1, published_on = $2, updated_at = $3 WHERE id = $4"
        } else {
            "UPDATE offers SET status = $1, ended_on = $2, updated_at = $3 WHERE id = $4"
        };
        query(sql)
            .bind(status)
            .bind(day)
            .bind(unix_now())
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn employers(&self) -> Result<Vec<EmployerSummary>, StoreError> {
        let rows = query(
            "SELECT e.id, e.name, e.description, e.fictional, \
             COALESCE(SUM(CASE WHEN o.status = $1 THEN 1 ELSE 0 END), 0) AS n \
             FROM employers e LEFT JOIN offers o ON o.employer_id = e.id \
             GROUP BY e.id, e.name, e.description, e.fictional ORDER BY e.name",
        )
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
        if let Some(u) = f.assigned_to {
            qb.push(" AND i.assigned_to = ").push_bind(u);
        }
        if f.unassigned {
            qb.push(" AND i.assigned_to IS NULL");
        }
        if let Some(st) = f.status {
            qb.push(" AND i.status = ").push_bind(st);
        }
        if let Some(day) = f.overdue_on {
            qb.push(" AND i.status IN (")
                .push_bind(InterestStatus::New)
                .push(", ")
                .push_bind(InterestStatus::Unreachable)
                .push(") AND i.callback_due < ")
                .push_bind(date_to_text(day));
        }
        qb.push(" ORDER BY i.callback_due, i.id LIMIT ")
            .push_bind(f.limit.clamp(1, 1000) as i64);
        let rows = qb.build().fetch_all(&self.db).await.map_err(db_err)?;
        rows.iter().map(InboxRow::from_row).collect()
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

    async fn person(&self, id: i64) -> Result<Option<Person>, StoreError> {
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

    async fn consents(&self, person_id: i64) -> Result<Vec<Consent>, StoreError> {
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
                    person_id: r.get("person_id")?,
                    purpose: r.get("purpose")?,
                    wording_version: r.get("wording_version")?,
                    given_at: r.get("given_at")?,
                    withdrawn_at: r.get("withdrawn_at")?,
                })
            })
            .collect()
    }

    async fn person_interests(&self, person_id: i64) -> Result<Vec<Interest>, StoreError> {
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

    async fn erase_person(&self, id: i64, at: i64) -> Result<(), StoreError> {
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

    async fn inactive_people(&self, before: i64) -> Result<Vec<i64>, StoreError> {
        query_scalar(
            "SELECT id FROM people WHERE anonymised_at IS NULL AND last_activity_at < $1 ORDER BY id",
        )
        .bind(before)
        .fetch_all(&self.db)
        .await
        .map_err(db_err)
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
