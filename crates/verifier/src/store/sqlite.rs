//! The embedded store: one SQLite file, created if missing.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use kyc_seal::SealingKey;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::{
    invitations,
    migrations::{migrator, Embedded},
    monitor,
    rows::{self, impl_store},
};
use crate::Result;

const MIGRATIONS: Embedded = Embedded(&[
    (
        1,
        "sessions",
        include_str!("../../migrations/sqlite/0001_sessions.sql"),
    ),
    (
        2,
        "withdrawals",
        include_str!("../../migrations/sqlite/0002_withdrawals.sql"),
    ),
    (
        3,
        "monitor",
        include_str!("../../migrations/sqlite/0003_monitor.sql"),
    ),
    (
        4,
        "declines and expiries",
        include_str!("../../migrations/sqlite/0004_declines_and_expiries.sql"),
    ),
    (
        5,
        "invitations",
        include_str!("../../migrations/sqlite/0005_invitations.sql"),
    ),
    (
        6,
        "database key",
        include_str!("../../migrations/sqlite/0006_database_key.sql"),
    ),
    (
        7,
        "unsealed claims",
        include_str!("../../migrations/sqlite/0007_unsealed_claims.sql"),
    ),
]);

/// The page size of a database this store creates.
const PAGE_SIZE: u32 = 16_384;

/// Rows a statement hands over before SQLite's worker thread waits for the caller to take
/// them: all of a batch's largest statement. With sqlx's default of 50, the worker and the
/// caller took turns, thousands of thread switches in a batch of 2,000 answers.
const ROW_BUFFER: usize = if rows::IDS_PER_QUERY > rows::ANSWERS_PER_QUERY {
    rows::IDS_PER_QUERY
} else {
    rows::ANSWERS_PER_QUERY
};

/// Sessions and verdicts in a SQLite file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    key: SealingKey,
    /// The write-ahead log of a database file; none in memory.
    log: Option<Arc<Log>>,
}

/// A database file's write-ahead log, synced to disk ahead of long commits.
#[derive(Debug)]
struct Log {
    path: PathBuf,
    /// Whether a sync is going: one at a time, whichever batch started it.
    syncing: AtomicBool,
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (creating the file if missing) or `sqlite::memory:`, and
    /// migrates it; disclosed claims are sealed under `key` (see [`database_key`]).
    /// Refuses a database whose claims were sealed under another key.
    ///
    /// [`database_key`]: super::database_key
    pub async fn connect(url: &str, key: SealingKey) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            // Readers do not block the writer; a writer waits for another rather than failing.
            .journal_mode(SqliteJournalMode::Wal)
            // Deleted content is overwritten with zeros, not left in free space.
            .pragma("secure_delete", "ON")
            // Statement journals in memory, not in temporary files on disk.
            .pragma("temp_store", "MEMORY")
            // 2 MiB of pages: a batch of thousands of answers goes to the log while it
            // is written, spilled from the cache, rather than all at its commit. A page
            // spilled and changed again overwrites its frame: the log grows no larger.
            .pragma("cache_size", "-2048")
            // Pages read through the page cache, without a system call each.
            .pragma("mmap_size", "268435456")
            // 16 KiB pages for a new database (an existing one keeps its own): a batch
            // writes a quarter as many pages to the log, and its rows, of a kilobyte or
            // more, split fewer pages.
            .page_size(PAGE_SIZE)
            .row_buffer_size(ROW_BUFFER)
            .busy_timeout(Duration::from_secs(10));
        // Each connection to an in-memory database has a database of its own: keep one, for good.
        let in_memory = is_in_memory(url);
        let log = match in_memory {
            true => None,
            false => {
                owner_only(options.get_filename())?;
                Some(Arc::new(Log {
                    path: log_of(options.get_filename()),
                    syncing: AtomicBool::new(false),
                }))
            }
        };
        let pool = match in_memory {
            true => SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None),
            false => SqlitePoolOptions::new().max_connections(8),
        }
        .connect_with(options)
        .await?;
        migrator(MIGRATIONS).await?.run(&pool).await?;
        let store = Self { pool, key, log };
        store.adopt_key().await?;
        Ok(store)
    }
}

/// Whether a `sqlite:` URL names an in-memory database rather than a file.
pub(super) fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The file of a `sqlite:` URL naming one.
pub(super) fn file_of(url: &str) -> Result<PathBuf> {
    Ok(SqliteConnectOptions::from_str(url)?
        .get_filename()
        .to_owned())
}

/// The write-ahead log SQLite keeps beside the database file `path`.
fn log_of(path: &Path) -> PathBuf {
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    PathBuf::from(log)
}

/// Creates the database file owner-only (0600) if missing, and makes an existing one so;
/// SQLite gives its `-wal` and `-shm` files the database file's mode.
fn owner_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl SqliteStore {
    /// After claims were deleted: moves the write-ahead log into the database file and
    /// empties it, so the deleted values (overwritten there by `secure_delete`) are left
    /// in neither.
    async fn wipe_deleted(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Nothing to lock before sessions are used up: SQLite runs one writing
    /// transaction at a time.
    async fn lock_sessions(
        _transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        _registration_ids: &[&str],
    ) -> Result<()> {
        Ok(())
    }

    /// Writes to disk in the background what a long transaction has put in the log so
    /// far, unless such a write is still going. The commit's `fsync` then waits only
    /// for what came after, rather than the whole log, at the end of the batch. Writing
    /// uncommitted frames early changes nothing a crash can leave: SQLite recovers only
    /// the frames of committed transactions.
    fn flush_log_ahead(&self) {
        let Some(log) = &self.log else { return };
        if log.syncing.swap(true, Ordering::AcqRel) {
            return;
        }
        let log = Arc::clone(log);
        tokio::task::spawn_blocking(move || {
            // Best effort: the commit syncs the log in any case.
            if let Ok(file) = std::fs::File::open(&log.path) {
                let _ = file.sync_data();
            }
            log.syncing.store(false, Ordering::Release);
        });
    }

    /// A SQLite file serves one machine: its watcher needs no lock beyond the process.
    async fn try_lock_watcher(&self) -> Result<Option<super::WatcherLock>> {
        Ok(Some(super::WatcherLock::local()))
    }
}

impl_store!(SqliteStore, sqlx::Sqlite, "");

#[cfg(test)]
mod tests {
    use super::*;

    /// A new store in the file `name` of `dir`, under a random key.
    async fn file_store(dir: &Path, name: &str) -> SqliteStore {
        let url = format!("sqlite://{}", dir.join(name).display());
        let key = SealingKey::generate().expect("a random key");
        SqliteStore::connect(&url, key).await.expect("a new store")
    }

    /// A new in-memory store, under a random key.
    async fn memory_store() -> SqliteStore {
        let key = SealingKey::generate().expect("a random key");
        SqliteStore::connect("sqlite::memory:", key)
            .await
            .expect("an in-memory store")
    }

    /// The log flushed ahead of a commit is the one SQLite writes: a wrong name would
    /// flush nothing, and the commit would again wait for the whole log.
    #[tokio::test]
    async fn the_log_flushed_ahead_is_the_one_sqlite_writes() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = file_store(dir.path(), "log.db").await;
        let log = &store.log.as_ref().expect("a file database has a log").path;
        assert_eq!(log, &dir.path().join("log.db-wal"));
        let written = std::fs::metadata(log)
            .expect("the log after migrating")
            .len();
        assert!(written > 0, "the log holds the migrations");
        assert!(memory_store().await.log.is_none());
    }

    /// One sync of the log at a time: none starts while one is going, and each ends by
    /// letting the next start (else the log would never be synced ahead again).
    #[tokio::test]
    async fn the_log_is_synced_ahead_once_at_a_time() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = file_store(dir.path(), "sync.db").await;
        let log = store.log.as_ref().expect("a file database has a log");
        let syncing = || log.syncing.load(Ordering::Acquire);
        store.flush_log_ahead();
        assert!(sync_ends(log).await, "a finished sync lets the next start");
        // While one is going, another call starts nothing that would end it.
        log.syncing.store(true, Ordering::Release);
        store.flush_log_ahead();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(syncing(), "a second sync started while one was going");
    }

    /// A log that cannot be opened is skipped, and the next sync may still start.
    #[tokio::test]
    async fn a_log_that_cannot_be_opened_is_skipped() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut store = file_store(dir.path(), "skip.db").await;
        let missing = Arc::new(Log {
            path: dir.path().join("no-such-log"),
            syncing: AtomicBool::new(false),
        });
        store.log = Some(Arc::clone(&missing));
        store.flush_log_ahead();
        assert!(
            sync_ends(&missing).await,
            "a skipped sync lets the next start"
        );
    }

    /// Whether a sync of `log` that was started ends within five seconds.
    async fn sync_ends(log: &Log) -> bool {
        for _ in 0..500 {
            if !log.syncing.load(Ordering::Acquire) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// A database the store creates has its pages of 16 KiB.
    #[tokio::test]
    async fn a_new_database_has_pages_of_16_kib() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = file_store(dir.path(), "new.db").await;
        let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&store.pool)
            .await
            .expect("the page size");
        assert_eq!(page_size, i64::from(PAGE_SIZE));
    }

    /// Opening a store looks for claims stored in plain through an index, which stays
    /// empty, rather than by reading every session.
    #[tokio::test]
    async fn unsealed_claims_are_looked_for_through_their_index() {
        let store = memory_store().await;
        let explain = format!("EXPLAIN QUERY PLAN {}", super::super::rows::SELECT_UNSEALED);
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&explain)
            .fetch_all(&store.pool)
            .await
            .expect("the query plan");
        let steps: Vec<&str> = plan.iter().map(|step| step.3.as_str()).collect();
        assert!(
            steps
                .iter()
                .any(|step| step.contains("USING INDEX sessions_unsealed")),
            "{steps:?}"
        );
    }
}
