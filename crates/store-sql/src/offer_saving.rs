//! How offers are saved. A few (a form, a small file) in one short transaction. Many (a file,
//! a France Travail sync) in short steps behind a switch (migration 0021): SQLite has one
//! writer, and one long transaction would make people's requests wait for the whole import.
//!
//! - The import is a row of `offer_imports`. Each step writes a few hundred offers in its own
//!   transaction, holds the lock at most [`STEP_TIME`], then rests as long, and lets this
//!   process's waiting writers go first ([`crate::db::Db::begin_write_after_others`]).
//! - A new offer is written with the import's id: hidden from every read ([`SEEN_OFFERS`])
//!   until the import finishes. A change to an existing offer is written as a hidden row that
//!   `replaces` it.
//! - The switch, one short transaction: the changes are copied onto their offers (their
//!   items moved), the hidden rows removed, and the import marked finished, which shows every
//!   new offer at once. An offer someone else changed after the import prepared its change (a
//!   hire, a status, its items: its `revision` moved, migration 0023) keeps that change: the
//!   import's row for it is dropped, and counted as `kept`.
//! - A failed import is abandoned (its rows removed in steps, then the employers and sites it
//!   created that nothing else names, migration 0025); one whose process died
//!   (silent [`DEAD_AFTER_S`]) is swept by the next import. Either way nothing was seen.
//! - The same content again (its fingerprint, with the time it was written) changes nothing,
//!   so a sync that brings back unchanged offers has little to switch.

use crate::db::{query, query_scalar, Conn, Db, Row};
#[allow(unused_imports)]
use crate::prelude::*;
use std::collections::HashMap;

/// The offers every read sees, in place of the table (`FROM seen_offers!() o`): rows of an
/// unfinished import are not. A macro, so that constant queries can `concat!` it.
macro_rules! seen_offers {
    () => {
        "(SELECT * FROM offers WHERE import_id IS NULL OR import_id \
         NOT IN (SELECT id FROM offer_imports WHERE finished_at IS NULL))"
    };
}
pub(crate) use seen_offers;

/// Up to this many offers are saved in one transaction.
const SMALL: usize = 50;

/// Saves offers (new, or updated by external id): all or nothing.
pub(crate) async fn save_offers(
    db: &Db,
    offers: &[OfferToSave],
) -> Result<SaveOutcome, StoreError> {
    let mut w = Writer::new(None);
    sweep_dead(db).await?;
    if offers.len() <= SMALL {
        let mut tx = db.begin_write().await.map_err(db_err)?;
        for o in offers {
            w.write(&mut tx, o).await?;
        }
        tx.commit().await.map_err(db_err)?;
        return Ok(w.outcome);
    }
    let import: i64 = {
        let mut tx = db.begin_write().await.map_err(db_err)?;
        let id = query_scalar(
            "INSERT INTO offer_imports (started_at, alive_at) VALUES ($1, $1) RETURNING id",
        )
        .bind(w.now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        id
    };
    w.import = Some(import);
    let written = write_in_steps(db, &mut w, offers).await;
    let switched = match written {
        Ok(()) => switch(db, import).await,
        Err(e) => Err(e),
    };
    match switched {
        Ok(kept) => {
            w.outcome.updated -= kept.min(w.outcome.updated);
            w.outcome.kept = kept;
            Ok(w.outcome)
        }
        Err(e) => {
            // The import's rows were never seen; take them away now (a failure here leaves
            // them hidden, for the next import's sweep).
            let _ = abandon(db, import).await;
            Err(e)
        }
    }
}

async fn write_in_steps(db: &Db, w: &mut Writer, offers: &[OfferToSave]) -> Result<(), StoreError> {
    let import = w.import.unwrap_or_default();
    let mut next = offers.iter().peekable();
    while next.peek().is_some() {
        let (mut tx, held) = begin_step(db).await?;
        while held.elapsed() < STEP_TIME {
            let Some(o) = next.next() else { break };
            w.write(&mut tx, o).await?;
        }
        query("UPDATE offer_imports SET alive_at = $1 WHERE id = $2")
            .bind(unix_now())
            .bind(import)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        end_step(tx, held).await?;
    }
    Ok(())
}

/// Shows what the import wrote, in one transaction. An offer someone changed after the import
/// prepared its change (its status, a hire, its items: anything that moves its `revision`)
/// keeps that change: the import's hidden row for it is dropped and counted in `kept`.
async fn switch(db: &Db, import: i64) -> Result<u64, StoreError> {
    let mut tx = db.begin_write().await.map_err(db_err)?;
    // A hidden row's `revision` is the one it saw of the offer it replaces.
    let kept = query(
        "DELETE FROM offers WHERE import_id = $1 AND replaces IS NOT NULL AND EXISTS \
         (SELECT 1 FROM offers t WHERE t.id = offers.replaces AND t.revision <> offers.revision)",
    )
    .bind(import)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    let copied = OFFER_CONTENT
        .iter()
        .map(|c| format!("{c} = s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let statements = [
        format!(
            "UPDATE offers SET {copied}, content_hash = s.content_hash, \
             published_on = COALESCE(offers.published_on, s.published_on), \
             revision = offers.revision + 1 \
             FROM offers AS s WHERE s.import_id = $1 AND s.replaces = offers.id"
        ),
        "DELETE FROM offer_items WHERE offer_id IN \
         (SELECT replaces FROM offers WHERE import_id = $1 AND replaces IS NOT NULL)"
            .to_string(),
        "UPDATE offer_items SET offer_id = (SELECT s.replaces FROM offers s WHERE s.id = offer_items.offer_id) \
         WHERE offer_id IN (SELECT id FROM offers WHERE import_id = $1 AND replaces IS NOT NULL)"
            .to_string(),
        "DELETE FROM offers WHERE import_id = $1 AND replaces IS NOT NULL".to_string(),
    ];
    for sql in &statements {
        query(sql)
            .bind(import)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    query("UPDATE offer_imports SET finished_at = $1, alive_at = $1 WHERE id = $2")
        .bind(unix_now())
        .bind(import)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(kept)
}

/// Removes an unfinished import's rows, in steps (their items go with them).
async fn abandon(db: &Db, import: i64) -> Result<(), StoreError> {
    loop {
        let (mut tx, held) = begin_step(db).await?;
        let removed = query(
            "DELETE FROM offers WHERE id IN (SELECT id FROM offers WHERE import_id = $1 LIMIT 500)",
        )
        .bind(import)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if removed.rows_affected() == 0 {
            for sql in LEFT_BEHIND {
                query(sql)
                    .bind(import)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            query("UPDATE offer_imports SET abandoned_at = $1 WHERE id = $2")
                .bind(unix_now())
                .bind(import)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            return tx.commit().await.map_err(db_err);
        }
        end_step(tx, held).await?;
    }
}

/// What an abandoned import (`$1`) created besides its offers: its sites, then its employers,
/// those nothing else names.
const LEFT_BEHIND: [&str; 2] = [
    "DELETE FROM sites WHERE import_id = $1 \
     AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.site_id = sites.id) \
     AND NOT EXISTS (SELECT 1 FROM fences f WHERE f.site_id = sites.id)",
    "DELETE FROM employers WHERE import_id = $1 \
     AND NOT EXISTS (SELECT 1 FROM sites s WHERE s.employer_id = employers.id) \
     AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.employer_id = employers.id) \
     AND NOT EXISTS (SELECT 1 FROM users u WHERE u.employer_id = employers.id) \
     AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.employer_id = employers.id) \
     AND NOT EXISTS (SELECT 1 FROM skill_test_employers t WHERE t.employer_id = employers.id) \
     AND NOT EXISTS (SELECT 1 FROM event_employers e WHERE e.employer_id = employers.id)",
];

/// Abandons the imports whose process died (unfinished and silent [`DEAD_AFTER_S`]).
async fn sweep_dead(db: &Db) -> Result<(), StoreError> {
    for id in dead_imports(db, "offer_imports").await? {
        abandon(db, id).await?;
    }
    Ok(())
}

/// Writes offers one at a time, for one transaction or one import.
struct Writer {
    import: Option<i64>,
    now: i64,
    today: String,
    /// Employers and sites already written by this save: (employer, site) by what names them.
    ids: HashMap<String, (i64, i64)>,
    outcome: SaveOutcome,
}

/// An offer already stored under the external id being saved.
struct Existing {
    id: i64,
    status: OfferStatus,
    import_id: Option<i64>,
    updated_at: i64,
    content_hash: Option<String>,
    revision: i64,
}

impl Writer {
    fn new(import: Option<i64>) -> Self {
        Writer {
            import,
            now: unix_now(),
            today: date_to_text(::dklik_app::today_paris()),
            ids: HashMap::new(),
            outcome: SaveOutcome::default(),
        }
    }

    async fn write(&mut self, conn: &mut Conn, o: &OfferToSave) -> Result<(), StoreError> {
        let key = format!("{:?}", (&o.employer, &o.site));
        let (employer_id, site_id) = match self.ids.get(&key) {
            Some(ids) => *ids,
            None => {
                let ids = find_or_create_ids(conn, o, self.now, self.import).await?;
                self.ids.insert(key, ids);
                ids
            }
        };
        let n = &o.offer;
        let shifts =
            ::serde_json::to_string(&n.shifts).map_err(|e| StoreError::Backend(e.to_string()))?;
        let content = OfferContent {
            employer_id,
            site_id,
            offer: n,
            shifts,
            search_text: &o.search_text,
            now: self.now,
        };
        let hash = fingerprint(&format!("{:?}", (n, employer_id, site_id, &o.search_text)));
        let stamp = format!("{hash:016x}@{}", self.now);
        let existing = match &n.external_id {
            Some(x) => existing(conn, x).await?,
            None => None,
        };
        let Some(e) = existing else {
            let id = self
                .insert(conn, &content, n.external_id.as_deref(), None, &stamp)
                .await?;
            write_items(conn, id, &n.items).await?;
            self.outcome.created += 1;
            return Ok(());
        };
        if let Some(other) = e.import_id.filter(|i| Some(*i) != self.import) {
            if unfinished(conn, other).await? {
                return Err(StoreError::Conflict(format!(
                    "l'offre « {} » est déjà dans une autre importation, en cours ou \
                     interrompue il y a moins de 30 secondes : réessayez dans une minute.",
                    n.external_id.as_deref().unwrap_or("")
                )));
            }
        }
        if e.status != n.status && !e.status.can_become(n.status) {
            return Err(StoreError::Conflict(format!(
                "l'offre « {} » est « {} » : elle ne peut pas redevenir « {} ».",
                n.external_id.as_deref().unwrap_or(""),
                e.status.label_fr(),
                n.status.label_fr()
            )));
        }
        self.outcome.updated += 1;
        if e.content_hash.as_deref() == Some(&format!("{hash:016x}@{}", e.updated_at)) {
            return Ok(()); // the same content: nothing to write
        }
        // In place: without an import, or a row this import wrote. Otherwise a hidden row
        // that replaces the offer when the import finishes.
        let target = match self.import {
            Some(import) if e.import_id != Some(import) => {
                let staged: Option<i64> =
                    query_scalar("SELECT id FROM offers WHERE import_id = $1 AND replaces = $2")
                        .bind(import)
                        .bind(e.id)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db_err)?;
                match staged {
                    Some(id) => id,
                    None => {
                        let id = self
                            .insert(conn, &content, None, Some((e.id, e.revision)), &stamp)
                            .await?;
                        write_items(conn, id, &n.items).await?;
                        return Ok(());
                    }
                }
            }
            _ => e.id,
        };
        // An offer published now keeps the day it was first published.
        let sql = format!(
            "UPDATE offers SET {}, content_hash = $3, published_on = COALESCE(published_on, $1), \
             revision = revision + 1 WHERE id = $2",
            OFFER_CONTENT
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 4))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let published_on = (n.status == OfferStatus::Published).then(|| self.today.clone());
        let q = query(&sql).bind(published_on).bind(target).bind(&stamp);
        bind_content(q, &content)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        write_items(conn, target, &n.items).await
    }

    /// Inserts an offer's row (hidden when written by an import), with a fresh short code;
    /// `replaces`: the offer a hidden row replaces, with the revision it saw of it.
    async fn insert(
        &self,
        conn: &mut Conn,
        content: &OfferContent<'_>,
        external_id: Option<&str>,
        replaces: Option<(i64, i64)>,
        stamp: &str,
    ) -> Result<i64, StoreError> {
        let mut code = ShortCode::random();
        for _ in 0..20 {
            let taken: Option<i64> = query_scalar("SELECT id FROM offers WHERE code = $1")
                .bind(&code)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
            if taken.is_none() {
                break;
            }
            code = ShortCode::random();
        }
        let published_on =
            (content.offer.status == OfferStatus::Published).then(|| self.today.clone());
        let sql = format!(
            "INSERT INTO offers (code, external_id, created_on, published_on, import_id, replaces, \
             content_hash, revision, {}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {}) RETURNING id",
            OFFER_CONTENT.join(", "),
            (9..9 + OFFER_CONTENT.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let q = query(&sql)
            .bind(&code)
            .bind(external_id)
            .bind(&self.today)
            .bind(published_on)
            .bind(self.import)
            .bind(replaces.map(|(id, _)| id))
            .bind(stamp)
            .bind(replaces.map_or(0, |(_, revision)| revision));
        bind_content(q, content)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?
            .get("id")
    }
}

async fn existing(conn: &mut Conn, external_id: &str) -> Result<Option<Existing>, StoreError> {
    let row: Option<Row> = query(
        "SELECT id, status, import_id, updated_at, content_hash, revision FROM offers \
         WHERE external_id = $1",
    )
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        Ok(Existing {
            id: r.get("id")?,
            status: r.code::<OfferStatus>("status")?,
            import_id: r.get("import_id")?,
            updated_at: r.get("updated_at")?,
            content_hash: r.get("content_hash")?,
            revision: r.get("revision")?,
        })
    })
    .transpose()
}

async fn unfinished(conn: &mut Conn, import: i64) -> Result<bool, StoreError> {
    let open: Option<i64> =
        query_scalar("SELECT id FROM offer_imports WHERE id = $1 AND finished_at IS NULL")
            .bind(import)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    Ok(open.is_some())
}

/// FNV-1a over a text: the fingerprint of what an import wrote.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
