//! A database that runs out of space refuses writes (nothing acknowledged is lost), and once
//! space comes back every connection of the pool writes again, without a restart.

use dklik_app::orientation_store::OutreachContact;
use dklik_app::{OrientationStore as _, Store as _};
use sqlx::Connection;

fn contact(k: usize, notes: usize) -> OutreachContact {
    OutreachContact {
        id: 0,
        submission: format!("{k:032x}"),
        at: 1_790_000_000,
        recorded_by: None,
        place_kind: "other".into(),
        place_ref: String::new(),
        place_label: "Marché".into(),
        channel: "rue".into(),
        people_count: 3,
        person_id: None,
        needs: String::new(),
        next_step: String::new(),
        notes: "x".repeat(notes),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_database_recovers_when_space_comes_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("full.db").display());
    let store = dklik_store_sql::SqlStore::connect(&url)
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    drop(store);
    let mut raw = sqlx::SqliteConnection::connect(&url).await.expect("raw");
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&mut raw)
        .await
        .expect("pages");
    // Room for a few hundred kilobytes more, then the "disk" is full.
    let limit = (pages + 80).to_string();
    let store =
        dklik_store_sql::connect::sqlite(&url, |o| o.pragma("max_page_count", limit.clone()))
            .await
            .map(dklik_store_sql::SqlStore::new)
            .expect("open with a size limit");
    let mut written = 0;
    let mut refused = 0;
    for k in 0..400 {
        match store.add_outreach(&contact(k, 16_000), None, None).await {
            Ok(_) => written += 1,
            Err(_) => refused += 1,
        }
        if refused >= 20 {
            break;
        }
    }
    assert!(
        written > 0 && refused >= 20,
        "written {written}, refused {refused}"
    );
    // Nothing acknowledged was lost.
    let kept: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM outreach_contacts")
        .fetch_one(&mut raw)
        .await
        .expect("count");
    assert_eq!(kept, written);
    // Space comes back.
    sqlx::query("DELETE FROM outreach_contacts")
        .execute(&mut raw)
        .await
        .expect("free");
    // Every connection of the pool writes again (more writes than connections, some at once).
    for k in 0..24 {
        let (x, y) = (contact(10_000 + 2 * k, 100), contact(10_001 + 2 * k, 100));
        let (a, b) = tokio::join!(
            store.add_outreach(&x, None, None),
            store.add_outreach(&y, None, None)
        );
        a.expect("a write after the space came back");
        b.expect("a write after the space came back");
    }
}

/// A small tmpfs mounted for one test and unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` when this machine does not let the test mount (not root); under CI that is a
    /// failure, not a skip.
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("tmp");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(SmallDisk { dir });
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: the full-disk test must be able to mount a tmpfs"
        );
        eprintln!("full-disk test not run: mounting a tmpfs needs root");
        None
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// A real full disk (a tmpfs): SQLite rolls the transaction back by itself, so the driver's
/// own ROLLBACK fails and the connection used to go back to the pool still counting an open
/// transaction; every later write on it then failed with "attempted to call begin_with at
/// non-zero transaction depth" until a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_full_disk_leaves_every_connection_usable() {
    let Some(disk) = SmallDisk::mount("6m") else {
        return;
    };
    let db = disk.dir.path().join("dklik.db");
    let url = format!("sqlite://{}", db.display());
    let store = dklik_store_sql::SqlStore::connect(&url)
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    // Ballast that fills the disk but for a few hundred kilobytes.
    let ballast = disk.dir.path().join("ballast");
    let mut free = 0u64;
    for mb in (1..=6u64).rev() {
        if std::fs::write(
            &ballast,
            vec![0u8; (mb * 1024 * 1024 - 300 * 1024) as usize],
        )
        .is_ok()
        {
            free = mb;
            break;
        }
    }
    assert!(free > 0, "no room for the ballast");
    let mut written = 0;
    let mut refused = Vec::new();
    for k in 0..2_000 {
        match store.add_outreach(&contact(k, 8_000), None, None).await {
            Ok(_) => written += 1,
            Err(e) => refused.push(e.to_string()),
        }
        if refused.len() >= 30 {
            break;
        }
    }
    assert!(
        written > 0 && refused.len() >= 30,
        "written {written}, refused {}",
        refused.len()
    );
    // Space comes back.
    std::fs::remove_file(&ballast).expect("free the disk");
    // Every connection of the pool writes again, some at the same time.
    for k in 0..24 {
        let (x, y) = (contact(20_000 + 2 * k, 100), contact(20_001 + 2 * k, 100));
        let (a, b) = tokio::join!(
            store.add_outreach(&x, None, None),
            store.add_outreach(&y, None, None)
        );
        a.expect("a write after the space came back");
        b.expect("a write after the space came back");
    }
    // Nothing acknowledged was lost.
    let kept = store.outreach_contacts(10_000).await.expect("list").len();
    assert_eq!(kept, written + 48, "first refusals: {:?}", &refused[..3]);
    drop(store);
}
