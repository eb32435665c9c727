//! The redb state store: resources, name index, list order, intents, outbox.
//!
//! Tables:
//! - `meta`: `schema_version` (u32 LE) and the page-token key;
//! - `resources`: id → JSON [`Record`] (spec stored verbatim, API-004);
//! - `names`: kcli name → id (KCLI-004, API-033);
//! - `order`: `{type}/{inverted create ns}/{id}` → () for keyset lists (API-053);
//! - `intents`: id → JSON [`Intent`], written with the record before the
//!   create's kweb call, marked *dispatched* just before the call is sent,
//!   and removed once the outcome is known (API-017, ORP-009);
//! - `outbox`: sequence → JSON [`OutboxEntry`], written in the same
//!   transaction as the status change it reports (EVT-040);
//! - `outbox_latest`: id → sequence, used only while publishing is disabled
//!   so the outbox keeps one entry per resource (EVT-043).
//!
//! Every write is one redb transaction; commits are durable (fsync) before
//! the caller answers. The file is created with mode 0600 (SEC-011).
//!
//! Modules: `model` holds the stored types, `schema` the migrations,
//! `resources` the record, name, order and intent operations, `outbox` the
//! event queue.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, TableDefinition};
use serde::Deserialize;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const RESOURCES: TableDefinition<&str, &[u8]> = TableDefinition::new("resources");
const NAMES: TableDefinition<&str, &str> = TableDefinition::new("names");
const ORDER: TableDefinition<&str, ()> = TableDefinition::new("order");
const INTENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("intents");
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
const OUTBOX_LATEST: TableDefinition<&str, u64> = TableDefinition::new("outbox_latest");

/// Schema version this build writes. Version 2 added the intent state and
/// the kweb request body (ORP-009) and the record origin (ORP-005).
pub const SCHEMA_VERSION: u32 = 2;

/// A store failure; redb and I/O errors keep their source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error("state store: {0}")]
    Database(#[from] redb::DatabaseError),
    /// A transaction could not begin.
    #[error("state store: {0}")]
    Transaction(#[from] redb::TransactionError),
    /// A table could not be opened.
    #[error("state store: {0}")]
    Table(#[from] redb::TableError),
    /// A read or write failed.
    #[error("state store: {0}")]
    Storage(#[from] redb::StorageError),
    /// A commit failed (nothing of the transaction was written).
    #[error("state store: {0}")]
    Commit(#[from] redb::CommitError),
    /// Creating the directory or setting the file mode failed.
    #[error("state store: {}: {source}", path.display())]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A stored value did not decode.
    #[error("state store: corrupt value: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The file was written by a newer schema.
    #[error("state store schema version {found} is newer than this build's {SCHEMA_VERSION}")]
    NewerSchema {
        /// Version found in the file.
        found: u32,
    },
}

mod model;
mod outbox;
mod resources;
mod schema;

pub use model::{BatchItem, Intent, Kind, OutboxEntry, Record, UnknownStatus};

/// Handle to the store; cloning shares the database.
#[derive(Clone, Debug)]
pub struct Store {
    db: Arc<Database>,
    keep_latest_only: bool,
}

fn order_key(record: &Record) -> String {
    format!(
        "{}/{:039}/{}",
        record.kind.service_type(),
        u128::MAX - record.create_ns,
        record.id
    )
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    Ok(serde_json::from_slice(bytes)?)
}

impl Store {
    /// Opens or creates the file. A missing file starts empty (ORP-008); an
    /// existing file that cannot be read is an error, never replaced.
    /// `keep_latest_only` is set when publishing is disabled (EVT-043).
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be created, opened or migrated.
    pub fn open(path: &Path, keep_latest_only: bool) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let existed = path.exists();
        let db = if existed {
            Database::open(path)?
        } else {
            Database::create(path)?
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| StoreError::Io {
                    path: path.to_path_buf(),
                    source,
                },
            )?;
        }
        let store = Self {
            db: Arc::new(db),
            keep_latest_only,
        };
        store.migrate()?;
        Ok(store)
    }
}
