//! How a ROME release is saved: in short steps behind a switch (migration 0024), as offers and
//! GTFS feeds are. SQLite has one writer, and a whole release written in one transaction (a
//! first import: about 150,000 rows) made people's requests wait seconds for it.
//!
//! - What is stored is read first, without a lock. Each row of the release is then the same as
//!   stored (nothing to write), new, or changed.
//! - The new rows are written ahead in short steps ([`insert_in_steps`]) with the import's id:
//!   hidden from every read ([`seen_rome!`]) until the import finishes.
//! - The switch, one short transaction: the changed rows and the domains are written, and the
//!   import is marked finished, which shows every new row at once. A new release changes few
//!   rows; a release that changed most of them would hold the lock that long.
//! - A failed import is abandoned (its rows removed in steps); one whose process died (silent
//!   [`DEAD_AFTER_S`]) is swept by the next import. Another import still writing is refused.
//!   Either way nothing of it was seen.

use crate::codes::StoredCode;
use crate::db::{query, query_scalar, Db, Separated};
#[allow(unused_imports)]
use crate::prelude::*;
use std::collections::{HashMap, HashSet};

/// A ROME table as every read sees it, in place of the table (`FROM seen_rome!("rome_jobs")`,
/// under the table's own name): rows of an unfinished import are not. A macro, so that
/// constant queries can `concat!` it.
macro_rules! seen_rome {
    ($table:literal) => {
        concat!(
            "(SELECT * FROM ",
            $table,
            " WHERE import_id IS NULL OR import_id NOT IN \
             (SELECT id FROM rome_imports WHERE finished_at IS NULL)) AS ",
            $table
        )
    };
}
pub(crate) use seen_rome;

/// New rows written between two marks that the import is alive ([`DEAD_AFTER_S`] apart at
/// most: a second or two).
const ALIVE_ROWS: usize = 2_000;

/// A value that is NULL, as [`stored_rows`] gives it.
const NULL: &str = "\u{0}";

/// Saves a release; returns the rows inserted or changed. Calls `progress` with the rows
/// handled so far (those already as stored count as done).
pub(crate) async fn save_rome(
    db: &Db,
    r: &RomeReference,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<u64, StoreError> {
    sweep_dead(db).await?;
    let writing: Option<i64> = query_scalar(
        "SELECT id FROM rome_imports WHERE finished_at IS NULL AND abandoned_at IS NULL",
    )
    .fetch_optional(db)
    .await
    .map_err(db_err)?;
    if writing.is_some() {
        return Err(StoreError::Conflict(
            "une autre importation du référentiel ROME est en cours : réessayez quand elle \
             sera finie (au plus une minute si elle a été interrompue)."
                .into(),
        ));
    }
    let stored = stored_rows(db, "SELECT code AS k, label AS v FROM rome_domains").await?;
    let domains = sort(&r.domains, &stored, |d| {
        (d.code.clone(), vec![d.label.clone()])
    });
    let stored = stored_rows(
        db,
        concat!(
            "SELECT code AS k, label AS v, parent AS w FROM ",
            seen_rome!("rome_jobs")
        ),
    )
    .await?;
    let jobs = sort(&r.jobs, &stored, |j| {
        let parent = j.parent.as_ref().map_or(NULL, |p| p.as_str());
        (
            j.code.as_str().to_string(),
            vec![j.label.clone(), parent.to_string()],
        )
    });
    let stored = stored_rows(
        db,
        concat!(
            "SELECT CAST(code AS TEXT) AS k, label AS v, short_label AS w, rome AS x FROM ",
            seen_rome!("rome_appellations")
        ),
    )
    .await?;
    let appellations = sort(&r.appellations, &stored, |a| {
        (
            a.code.0.to_string(),
            vec![
                a.label.clone(),
                a.short_label.clone(),
                a.rome.as_str().to_string(),
            ],
        )
    });
    let stored = stored_rows(
        db,
        concat!(
            "SELECT CAST(code AS TEXT) AS k, kind AS v, label AS w, CAST(macro_code AS TEXT) AS x, \
             category AS y, definition AS z FROM ",
            seen_rome!("rome_items")
        ),
    )
    .await?;
    let items = sort(&r.items, &stored, |i| {
        let m = i.macro_code.map_or(NULL.to_string(), |m| m.0.to_string());
        (
            i.code.0.to_string(),
            vec![
                i.kind.code().to_string(),
                i.label.clone(),
                m,
                i.category.clone(),
                i.definition.clone(),
            ],
        )
    });
    let stored = stored_rows(
        db,
        concat!(
            "SELECT rome || ' ' || CAST(item AS TEXT) AS k, \
             CASE WHEN core THEN 'o' ELSE 'n' END AS v FROM ",
            seen_rome!("rome_job_items")
        ),
    )
    .await?;
    let job_items = sort(&r.job_items, &stored, |l| {
        (
            format!("{} {}", l.rome.as_str(), l.item.0),
            vec![if l.core { "o" } else { "n" }.to_string()],
        )
    });
    let stored = stored_rows(
        db,
        concat!(
            "SELECT from_rome || ' ' || to_rome AS k, CAST(rank AS TEXT) AS v FROM ",
            seen_rome!("rome_mobility")
        ),
    )
    .await?;
    let mobility = sort(&r.mobility, &stored, |m| {
        (
            format!("{} {}", m.from.as_str(), m.to.as_str()),
            vec![(m.rank as i64).to_string()],
        )
    });

    let new = jobs.new.len()
        + appellations.new.len()
        + items.new.len()
        + job_items.new.len()
        + mobility.new.len();
    let changed = domains.new.len()
        + domains.changed.len()
        + jobs.changed.len()
        + appellations.changed.len()
        + items.changed.len()
        + job_items.changed.len()
        + mobility.changed.len();
    let mut done = ::dklik_app::rome::row_total(r) - (new + changed) as u64;
    progress(done);
    if new + changed == 0 {
        return Ok(0);
    }
    let import = if new > 0 {
        let id: i64 = query_scalar(
            "INSERT INTO rome_imports (started_at, alive_at) VALUES ($1, $1) RETURNING id",
        )
        .bind(unix_now())
        .fetch_one(db)
        .await
        .map_err(db_err)?;
        Some(id)
    } else {
        None
    };
    let written = async {
        if let Some(import) = import {
            let mut w = Ahead {
                db,
                import,
                done: &mut done,
                progress,
            };
            // Each table after those its rows name.
            w.write(&jobs.new, "rome_jobs (code, label, parent", |b, j| {
                b.push_bind(j.code.as_str().to_string())
                    .push_bind(j.label.clone())
                    .push_bind(j.parent.as_ref().map(|p| p.as_str().to_string()));
            })
            .await?;
            w.write(
                &appellations.new,
                "rome_appellations (code, label, short_label, rome",
                |b, a| {
                    b.push_bind(a.code.0)
                        .push_bind(a.label.clone())
                        .push_bind(a.short_label.clone())
                        .push_bind(a.rome.as_str().to_string());
                },
            )
            .await?;
            w.write(
                &items.new,
                "rome_items (code, kind, label, macro_code, category, definition",
                |b, i| {
                    b.push_bind(i.code.0)
                        .push_bind(i.kind)
                        .push_bind(i.label.clone())
                        .push_bind(i.macro_code.map(|m| m.0))
                        .push_bind(i.category.clone())
                        .push_bind(i.definition.clone());
                },
            )
            .await?;
            w.write(
                &job_items.new,
                "rome_job_items (rome, item, core",
                |b, l| {
                    b.push_bind(l.rome.as_str().to_string())
                        .push_bind(l.item.0)
                        .push_bind(l.core);
                },
            )
            .await?;
            w.write(
                &mobility.new,
                "rome_mobility (from_rome, to_rome, rank",
                |b, m| {
                    b.push_bind(m.from.as_str().to_string())
                        .push_bind(m.to.as_str().to_string())
                        .push_bind(m.rank as i64);
                },
            )
            .await?;
        }
        let mut domains_all = domains.new;
        domains_all.extend(domains.changed);
        switch(
            db,
            import,
            &mut done,
            progress,
            Changed {
                domains: &domains_all,
                jobs: &jobs.changed,
                appellations: &appellations.changed,
                items: &items.changed,
                job_items: &job_items.changed,
                mobility: &mobility.changed,
            },
        )
        .await
    }
    .await;
    match written {
        Ok(switched) => Ok(new as u64 + switched),
        Err(e) => {
            if let Some(import) = import {
                // Nothing of it was seen; take its rows away now (a failure here leaves
                // them hidden, for the next import's sweep).
                let _ = abandon(db, import).await;
            }
            Err(e)
        }
    }
}

/// The rows of a release that differ from what is stored, for the switch.
struct Changed<'a> {
    domains: &'a [&'a RomeDomain],
    jobs: &'a [&'a RomeJob],
    appellations: &'a [&'a RomeAppellation],
    items: &'a [&'a RomeItem],
    job_items: &'a [&'a dklik_domain::rome::RomeJobItem],
    mobility: &'a [&'a dklik_domain::rome::RomeMobility],
}

/// Writes what changed and shows the import's new rows, in one transaction; returns the rows
/// changed.
async fn switch(
    db: &Db,
    import: Option<i64>,
    done: &mut u64,
    progress: &(dyn Fn(u64) + Send + Sync),
    c: Changed<'_>,
) -> Result<u64, StoreError> {
    let mut tx = db.begin_write().await.map_err(db_err)?;
    let mut changed = 0u64;
    changed += insert_chunks(&mut tx, done, progress, c.domains,
        "INSERT INTO rome_domains (code, label) ",
        " ON CONFLICT (code) DO UPDATE SET label = excluded.label WHERE rome_domains.label <> excluded.label",
        |mut b, d| { b.push_bind(d.code.clone()).push_bind(d.label.clone()); }).await?;
    changed += insert_chunks(&mut tx, done, progress, c.jobs,
        "INSERT INTO rome_jobs (code, label, parent) ",
        " ON CONFLICT (code) DO UPDATE SET label = excluded.label, parent = excluded.parent \
         WHERE rome_jobs.label <> excluded.label OR rome_jobs.parent IS DISTINCT FROM excluded.parent",
        |mut b, j| { b.push_bind(j.code.as_str().to_string()).push_bind(j.label.clone()).push_bind(j.parent.as_ref().map(|p| p.as_str().to_string())); }).await?;
    changed += insert_chunks(&mut tx, done, progress, c.appellations,
        "INSERT INTO rome_appellations (code, label, short_label, rome) ",
        " ON CONFLICT (code) DO UPDATE SET label = excluded.label, short_label = excluded.short_label, rome = excluded.rome \
         WHERE rome_appellations.label <> excluded.label OR rome_appellations.short_label <> excluded.short_label \
         OR rome_appellations.rome <> excluded.rome",
        |mut b, a| { b.push_bind(a.code.0).push_bind(a.label.clone()).push_bind(a.short_label.clone()).push_bind(a.rome.as_str().to_string()); }).await?;
    changed += insert_chunks(&mut tx, done, progress, c.items,
        "INSERT INTO rome_items (code, kind, label, macro_code, category, definition) ",
        " ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, label = excluded.label, \
         macro_code = excluded.macro_code, category = excluded.category, definition = excluded.definition \
         WHERE rome_items.kind <> excluded.kind OR rome_items.label <> excluded.label \
         OR rome_items.macro_code IS DISTINCT FROM excluded.macro_code OR rome_items.category <> excluded.category \
         OR rome_items.definition <> excluded.definition",
        |mut b, i| { b.push_bind(i.code.0).push_bind(i.kind).push_bind(i.label.clone()).push_bind(i.macro_code.map(|m| m.0)).push_bind(i.category.clone()).push_bind(i.definition.clone()); }).await?;
    changed += insert_chunks(&mut tx, done, progress, c.job_items,
        "INSERT INTO rome_job_items (rome, item, core) ",
        " ON CONFLICT (rome, item) DO UPDATE SET core = excluded.core WHERE rome_job_items.core <> excluded.core",
        |mut b, l| { b.push_bind(l.rome.as_str().to_string()).push_bind(l.item.0).push_bind(l.core); }).await?;
    changed += insert_chunks(&mut tx, done, progress, c.mobility,
        "INSERT INTO rome_mobility (from_rome, to_rome, rank) ",
        " ON CONFLICT (from_rome, to_rome) DO UPDATE SET rank = excluded.rank WHERE rome_mobility.rank <> excluded.rank",
        |mut b, m| { b.push_bind(m.from.as_str().to_string()).push_bind(m.to.as_str().to_string()).push_bind(m.rank as i64); }).await?;
    if let Some(import) = import {
        query("UPDATE rome_imports SET finished_at = $1, alive_at = $1 WHERE id = $2")
            .bind(unix_now())
            .bind(import)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(changed)
}

/// Writes an import's new rows ahead, hidden, in steps.
struct Ahead<'a> {
    db: &'a Db,
    import: i64,
    done: &'a mut u64,
    progress: &'a (dyn Fn(u64) + Send + Sync),
}

impl Ahead<'_> {
    /// Inserts `rows` into `into` (`table (columns`: the import's id is added last), marking
    /// the import alive every [`ALIVE_ROWS`].
    async fn write<T: Sync>(
        &mut self,
        rows: &[&T],
        into: &str,
        bind: impl Fn(&mut Separated<'_>, &T) + Send + Sync,
    ) -> Result<(), StoreError> {
        let head = format!("INSERT INTO {into}, import_id) ");
        let import = self.import;
        for part in rows.chunks(ALIVE_ROWS) {
            insert_in_steps(
                self.db,
                self.done,
                self.progress,
                part,
                &head,
                "",
                |mut b, row| {
                    bind(&mut b, row);
                    b.push_bind(import);
                },
            )
            .await?;
            query("UPDATE rome_imports SET alive_at = $1 WHERE id = $2")
                .bind(unix_now())
                .bind(import)
                .execute(self.db)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
}

/// Removes an unfinished import's rows, in steps, each table before those its rows name.
async fn abandon(db: &Db, import: i64) -> Result<(), StoreError> {
    for (table, key) in [
        ("rome_mobility", "from_rome, to_rome"),
        ("rome_job_items", "rome, item"),
        ("rome_items", "code"),
        ("rome_appellations", "code"),
        ("rome_jobs", "code"),
    ] {
        let sql = format!(
            "DELETE FROM {table} WHERE import_id = $1 AND ({key}) IN \
             (SELECT {key} FROM {table} WHERE import_id = $1 LIMIT 2000)"
        );
        delete_in_steps(db, &sql, &[import]).await?;
    }
    query("UPDATE rome_imports SET abandoned_at = $1 WHERE id = $2")
        .bind(unix_now())
        .bind(import)
        .execute(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Abandons the imports whose process died (unfinished and silent [`DEAD_AFTER_S`]); also
/// those whose removal failed half-way, as `abandoned_at` is set only once it is done.
async fn sweep_dead(db: &Db) -> Result<(), StoreError> {
    for id in dead_imports(db, "rome_imports").await? {
        abandon(db, id).await?;
    }
    Ok(())
}

/// A release's rows of one table against what is stored: those not stored yet, and those
/// stored otherwise. A key given twice counts once (the first).
struct Sorted<'a, T> {
    new: Vec<&'a T>,
    changed: Vec<&'a T>,
}

fn sort<'a, T>(
    rows: &'a [T],
    stored: &HashMap<String, Vec<String>>,
    key_and_values: impl Fn(&T) -> (String, Vec<String>),
) -> Sorted<'a, T> {
    let mut sorted = Sorted {
        new: Vec::new(),
        changed: Vec::new(),
    };
    let mut keys = HashSet::with_capacity(rows.len());
    for row in rows {
        let (key, values) = key_and_values(row);
        match stored.get(&key) {
            _ if !keys.insert(key.clone()) => {}
            None => sorted.new.push(row),
            Some(s) if *s != values => sorted.changed.push(row),
            Some(_) => {}
        }
    }
    sorted
}

/// Rows of a reference table as text: `k` the key, then `v`, `w`, `x`, `y`, `z` (those the
/// query names; NULL as [`NULL`]).
async fn stored_rows(db: &Db, sql: &str) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let rows = query(sql).fetch_all(db).await.map_err(db_err)?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        let mut values = Vec::new();
        for c in ["v", "w", "x", "y", "z"] {
            match r.get::<Option<String>>(c) {
                Ok(v) => values.push(v.unwrap_or_else(|| NULL.to_string())),
                Err(_) => break,
            }
        }
        out.insert(r.get::<String>("k")?, values);
    }
    Ok(out)
}
