//! Offers: their SELECT and row mapping, what an import writes, the public filter, and the
//! employers, sites and items written with them.

use crate::codes::sql_word;
use crate::db::{query, query_scalar, Conn, FromRow, Query, QueryBuilder, Row};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;

pub(crate) const OFFER_SELECT: &str = concat!(
    "SELECT o.id, o.code, o.employer_id, e.name AS employer_name, \
    e.fictional AS employer_fictional, s.id AS site_id, s.name AS site_name, s.address, \
    s.commune, s.insee, s.lat, s.lon, o.external_id, o.title, o.description, o.rome, \
    COALESCE(j.label, '') AS rome_label, o.appellation, o.appellation_label, o.shifts, \
    o.contract, o.weekly_hours, o.positions, o.no_diploma, o.status, o.created_on, \
    o.published_on, o.ended_on, o.expires_on FROM ",
    seen_offers!(),
    " o JOIN employers e ON e.id = o.employer_id \
    JOIN sites s ON s.id = o.site_id LEFT JOIN rome_jobs j ON j.code = o.rome"
);

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
    pub(crate) employer_id: i64,
    pub(crate) site_id: i64,
    pub(crate) offer: &'a ::dklik_domain::NewOffer,
    pub(crate) shifts: String,
    pub(crate) search_text: &'a str,
    pub(crate) now: i64,
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
        // Many offers of close ids (a page read along the key): one row per offer with its items
        // joined (a row costs more than its bytes), the offers of the range not asked left out.
        let (lo, hi) = offers.iter().fold((i64::MAX, i64::MIN), |(a, b), o| {
            (a.min(o.id.0), b.max(o.id.0))
        });
        if offers.len() > 50 && (hi - lo) < 4 * offers.len() as i64 {
            let rows = query(
                "SELECT offer_id, string_agg(CAST(code AS TEXT) || $3 || kind || $3 || CAST(level AS TEXT) \
                 || $3 || importance || $3 || label, $4 ORDER BY position) AS items \
                 FROM offer_items WHERE offer_id >= $1 AND offer_id <= $2 GROUP BY offer_id",
            )
            .bind(lo)
            .bind(hi)
            .bind("\u{1f}")
            .bind("\u{1e}")
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
            let mut by_offer: ::std::collections::HashMap<i64, Vec<RequiredItem>> =
                ::std::collections::HashMap::with_capacity(rows.len());
            for r in &rows {
                let joined: String = r.get("items")?;
                let mut items = Vec::new();
                for one in joined.split('\u{1e}') {
                    let f: Vec<&str> = one.splitn(5, '\u{1f}').collect();
                    let [code, kind, level, importance, label] = f[..] else {
                        return Err(corrupt("besoin d'offre", one));
                    };
                    items.push(RequiredItem {
                        code: OgrCode(code.parse().map_err(|_| corrupt("code OGR", code))?),
                        kind: ItemKind::parse(kind).map_err(|e| corrupt("nature", e))?,
                        label: label.to_string(),
                        level: level
                            .parse::<u8>()
                            .ok()
                            .and_then(|l| Level::new(l).ok())
                            .ok_or_else(|| corrupt("niveau", level))?,
                        importance: match importance {
                            "nice" => Importance::Nice,
                            _ => Importance::Must,
                        },
                    });
                }
                by_offer.insert(r.get("offer_id")?, items);
            }
            for o in offers.iter_mut() {
                o.items = by_offer.remove(&o.id.0).unwrap_or_default();
            }
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
        let n: i64 = query_scalar(concat!(
            "SELECT COUNT(*) FROM ",
            seen_rome!("rome_items"),
            " WHERE kind = $1"
        ))
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

/// The employer and site an offer names, created when new (naming `import`, the large import
/// that creates them, if any: it takes them away if it fails).
pub(crate) async fn find_or_create_ids(
    conn: &mut Conn,
    o: &OfferToSave,
    now: i64,
    import: Option<i64>,
) -> Result<(i64, i64), StoreError> {
    let employer_id: i64 = query_scalar(
        "INSERT INTO employers (name, description, fictional, created_at, import_id) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (name) DO UPDATE SET fictional = excluded.fictional RETURNING id",
    )
    .bind(&o.employer.name)
    .bind(&o.employer.description)
    .bind(o.employer.fictional)
    .bind(now)
    .bind(import)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let site_id: i64 = query_scalar(
        "INSERT INTO sites (employer_id, name, address, commune, insee, lat, lon, import_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
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
    .bind(import)
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
