//! Helpers shared by the store's modules: errors, dates, chunked inserts.

use crate::db::{Db, QueryBuilder, Separated, Tx};
use dklik_app::store::StoreError;
use std::time::{Duration, Instant};

pub(crate) fn db_err(e: ::sqlx::Error) -> StoreError {
    match e {
        ::sqlx::Error::RowNotFound => StoreError::NotFound,
        ::sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("doublon : {}", d.message()))
        }
        other if unavailable(&other) => StoreError::Unavailable(other.to_string()),
        other => StoreError::Backend(other.to_string()),
    }
}

/// Whether a driver error means the database cannot be reached now rather than that the
/// statement is wrong: no connection (refused, reset, timed out, pool closed), SQLite busy or
/// locked past its wait, out of space or failing I/O, PostgreSQL shutting down or not yet up
/// (classes 08 and 57P).
pub(crate) fn unavailable(e: &::sqlx::Error) -> bool {
    use ::sqlx::Error as E;
    match e {
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => true,
        E::Database(d) => {
            let code = d.code().unwrap_or_default();
            match d.try_downcast_ref::<::sqlx::sqlite::SqliteError>() {
                // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL and their extended
                // codes (the low byte is the primary code).
                Some(_) => code
                    .parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13)),
                None => code.starts_with("08") || code.starts_with("57P"),
            }
        }
        _ => false,
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

/// A bound key value (`offers_where_one`, `rows_in`).
pub(crate) enum Key {
    Id(i64),
    Text(String),
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

/// How long one step of long work (an import written in steps) may hold the write lock.
pub(crate) const STEP_TIME: Duration = Duration::from_millis(25);
/// Rows in one statement of a step.
const STEP_ROWS: usize = 200;
/// How long a step waits for this process's other writers to go first.
pub(crate) const GIVE_WAY: Duration = Duration::from_millis(250);

/// Opens the write transaction of one step of long work, after this process's waiting
/// writers; gives the moment the lock was taken.
pub(crate) async fn begin_step(db: &Db) -> Result<(Tx, Instant), StoreError> {
    let tx = db
        .begin_write_after_others(GIVE_WAY)
        .await
        .map_err(db_err)?;
    Ok((tx, Instant::now()))
}

/// Ends one step of long work: commits, then rests twice as long as the lock was held. A writer
/// of another process meets the lock free two times in three: SQLite retries a busy lock after
/// 1, 2, 5, 10… ms, so it waits more than 250 ms about once in a hundred thousand.
pub(crate) async fn end_step(tx: Tx, held: Instant) -> Result<(), StoreError> {
    tx.commit().await.map_err(db_err)?;
    tokio::time::sleep(2 * held.elapsed()).await;
    Ok(())
}

/// [`insert_chunks`] in steps: each step's transaction writes chunks for at most
/// [`STEP_TIME`]. What was written is committed: the caller hides it until its switch.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_in_steps<T: Sync>(
    db: &Db,
    done: &mut u64,
    progress: &(dyn Fn(u64) + Send + Sync),
    rows: &[T],
    head: &str,
    tail: &str,
    bind: impl Fn(Separated<'_>, &T) + Send + Sync,
) -> Result<u64, StoreError> {
    let mut written = 0;
    // Smaller statements than `CHUNK`, so that a step ends close to its time.
    let mut chunks = rows.chunks(STEP_ROWS).peekable();
    while chunks.peek().is_some() {
        let (mut tx, held) = begin_step(db).await?;
        while held.elapsed() < STEP_TIME {
            let Some(chunk) = chunks.next() else { break };
            written += insert_chunks(&mut tx, done, progress, chunk, head, tail, &bind).await?;
        }
        end_step(tx, held).await?;
    }
    Ok(written)
}

/// Runs a `DELETE` that removes a bounded batch of rows (`… LIMIT n`), one step at a time,
/// until it removes nothing: what an import left is taken away without holding the lock.
pub(crate) async fn delete_in_steps(db: &Db, sql: &str, args: &[i64]) -> Result<(), StoreError> {
    loop {
        let (mut tx, held) = begin_step(db).await?;
        let mut q = crate::db::query(sql);
        for a in args {
            q = q.bind(*a);
        }
        let removed = q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
        end_step(tx, held).await?;
        if removed == 0 {
            return Ok(());
        }
    }
}

/// An unfinished import silent this long (seconds) is taken as dead: a live one marks itself
/// alive as it writes, a second or two apart.
pub(crate) const DEAD_AFTER_S: i64 = 30;

/// The imports of `table` (`offer_imports`, `rome_imports`) whose process died: unfinished,
/// not abandoned, and silent [`DEAD_AFTER_S`].
pub(crate) async fn dead_imports(db: &Db, table: &str) -> Result<Vec<i64>, StoreError> {
    crate::db::query_scalar(&format!(
        "SELECT id FROM {table} WHERE finished_at IS NULL AND abandoned_at IS NULL \
         AND alive_at < $1"
    ))
    .bind(unix_now() - DEAD_AFTER_S)
    .fetch_all(db)
    .await
    .map_err(db_err)
}
