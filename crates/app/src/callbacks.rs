//! Call-back requests kept on disk while the database cannot take them.
//!
//! A call-back request is the one thing a person may never type again: when the database is
//! stopped, restarting or held by a long import, the request is appended to a journal file
//! beside the database (one JSON line each, flushed to disk before the person is thanked) and
//! written to the database when it answers again. Each line carries a key the store writes
//! once (`interests.submission`, unique), so a line written twice — the server stopped between
//! writing it and clearing the journal — still makes one request.

use crate::interests::callback_due;
use crate::store::{Store, StoreError};
use dklik_domain::NewInterest;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One request waiting in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queued {
    /// The request, its `submission` key set.
    pub interest: NewInterest,
    /// When the person sent it, Unix seconds.
    pub at: i64,
    /// The bus-screen display scanned, to look up when the database is back (the page could
    /// not read it during the outage).
    #[serde(default)]
    pub unresolved_impression: Option<String>,
}

/// The journal of call-back requests waiting for the database.
pub struct CallbackQueue {
    path: PathBuf,
    /// Held to append to the journal or to rewrite it.
    lock: tokio::sync::Mutex<()>,
    /// One replay at a time.
    replaying: tokio::sync::Mutex<()>,
}

/// A new random key for one sending.
pub fn new_submission() -> Result<String, StoreError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|e| StoreError::Backend(format!("aléa : {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("file d'attente des rappels : {e}"))
}

fn read_lines(path: &Path) -> std::io::Result<Vec<Queued>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    // A line cut by a crash while it was written was never acknowledged: it is skipped.
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

fn open_private(path: &Path, append: bool) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).write(true);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Replaces the journal with these lines (a new file renamed over the old: never half-written).
fn rewrite(path: &Path, rest: &[Queued]) -> std::io::Result<()> {
    if rest.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let tmp = path.with_extension("tmp");
    let mut f = open_private(&tmp, false)?;
    for q in rest {
        let line = serde_json::to_string(q).map_err(std::io::Error::other)?;
        writeln!(f, "{line}")?;
    }
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

impl CallbackQueue {
    /// The journal at `path` (made with its folder when first needed; readable by the server's
    /// user only: it holds names and phone numbers until they are in the database).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: tokio::sync::Mutex::new(()),
            replaying: tokio::sync::Mutex::new(()),
        }
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a request and flushes it to disk; once this returns, the request survives a
    /// crash of the server.
    pub async fn push(&self, q: &Queued) -> Result<(), StoreError> {
        let line = serde_json::to_string(q).map_err(|e| StoreError::Backend(e.to_string()))?;
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)?;
                }
            }
            let mut f = open_private(&path, true)?;
            f.write_all(format!("{line}\n").as_bytes())?;
            f.sync_data()
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
        .map_err(io_err)
    }

    /// The requests waiting, oldest first.
    pub async fn pending(&self) -> Result<Vec<Queued>, StoreError> {
        let _guard = self.lock.lock().await;
        read_lines(&self.path).map_err(io_err)
    }

    /// Writes the waiting requests to the database, oldest first, and keeps in the journal
    /// only those not written; stops at the first sign the database is still unavailable.
    /// Returns how many were written. The journal's lock is held only to read it and to
    /// rewrite it, never while the database is tried: a request pushed during an outage does
    /// not wait for a replay that waits for the database.
    pub async fn replay(&self, store: &dyn Store) -> Result<usize, StoreError> {
        let _one_replay = self.replaying.lock().await;
        let all = {
            let _guard = self.lock.lock().await;
            read_lines(&self.path).map_err(io_err)?
        };
        if all.is_empty() {
            return Ok(0);
        }
        let mut done = std::collections::HashSet::new();
        for q in &all {
            match write_one(store, q).await {
                Ok(()) => {
                    done.insert(line_of(q));
                }
                Err(e) if e.is_unavailable() => break,
                Err(e) => {
                    // Kept for another try (and for whoever reads the log); the others go on.
                    tracing::error!(
                        "rappel en attente non enregistré : {}",
                        dklik_domain::privacy::redact(&e.to_string())
                    );
                }
            }
        }
        if done.is_empty() {
            return Ok(0);
        }
        // Read again: requests pushed while the database was tried stay.
        let _guard = self.lock.lock().await;
        let rest: Vec<Queued> = read_lines(&self.path)
            .map_err(io_err)?
            .into_iter()
            .filter(|q| !done.contains(&line_of(q)))
            .collect();
        rewrite(&self.path, &rest).map_err(io_err)?;
        tracing::info!(
            written = done.len(),
            waiting = rest.len(),
            "rappels en attente enregistrés"
        );
        Ok(done.len())
    }
}

/// A request as its journal line: what tells two lines apart.
fn line_of(q: &Queued) -> String {
    serde_json::to_string(q).unwrap_or_default()
}

async fn write_one(store: &dyn Store, q: &Queued) -> Result<(), StoreError> {
    let mut interest = q.interest.clone();
    if let Some(code) = &q.unresolved_impression {
        if let Some(i) = store.impression(code).await? {
            interest.channel = dklik_domain::Channel::BusScreen;
            interest.channel_detail = i.detail();
            interest.impression = Some(code.clone());
        }
    }
    store.add_interest(&interest, q.at, callback_due()).await?;
    Ok(())
}

/// Writes the journal's requests every `every` while some wait (spawned by `serve`).
pub async fn keep_replaying(
    queue: std::sync::Arc<CallbackQueue>,
    store: std::sync::Arc<dyn Store>,
    every: std::time::Duration,
) {
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = queue.replay(store.as_ref()).await {
            tracing::error!("file d'attente des rappels : {e}");
        }
    }
}

/// What became of a request sent from the public form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written to the database.
    Recorded,
    /// The database did not take it in time: kept in the journal, written later.
    Queued,
}

/// Records a checked request within `budget`: when the database does not answer in time (an
/// import holds it, it is stopped or restarting), the request goes to the journal instead and
/// the person is thanked all the same. Errors other than unavailability are returned.
pub async fn record_or_queue(
    store: &dyn Store,
    queue: &CallbackQueue,
    mut interest: NewInterest,
    unresolved_impression: Option<String>,
    at: i64,
    budget: std::time::Duration,
) -> Result<Outcome, StoreError> {
    if interest.submission.is_none() {
        interest.submission = Some(new_submission()?);
    }
    let attempt =
        tokio::time::timeout(budget, store.add_interest(&interest, at, callback_due())).await;
    match attempt {
        Ok(Ok(_)) => return Ok(Outcome::Recorded),
        Ok(Err(e)) if !e.is_unavailable() => return Err(e),
        // Too slow or unavailable. A write that finishes after the timeout is found again by
        // its key when the journal is replayed: one request either way.
        _ => {}
    }
    queue
        .push(&Queued {
            interest,
            at,
            unresolved_impression,
        })
        .await?;
    Ok(Outcome::Queued)
}
