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

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Clock;
use crate::lifecycle::{self, Admission, Dispatch, IntentState, Origin, Stage, Status};

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

/// Service type of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A VM (`/api/v1alpha1/vms`).
    Vm,
    /// A Kubernetes cluster (`/api/v1alpha1/clusters`).
    Cluster,
}

impl Kind {
    /// `vm` or `cluster`: the DCM service type.
    #[must_use]
    pub const fn service_type(self) -> &'static str {
        match self {
            Self::Vm => "vm",
            Self::Cluster => "cluster",
        }
    }

    /// Collection segment: `vms` or `clusters`.
    #[must_use]
    pub const fn plural(self) -> &'static str {
        match self {
            Self::Vm => "vms",
            Self::Cluster => "clusters",
        }
    }
}

/// One managed resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredRecord", into = "StoredRecord")]
pub struct Record {
    /// Instance id (API-010).
    pub id: String,
    /// Service type.
    pub kind: Kind,
    /// The spec exactly as accepted (API-004).
    pub spec: Value,
    /// kcli name (KCLI-003).
    pub name: String,
    /// Current DCM status (API-005), from the vocabulary of `kind`.
    pub status: Status,
    /// Explanation of the status.
    pub status_message: String,
    /// Creation time, Unix milliseconds.
    pub create_ms: u64,
    /// Last change, Unix milliseconds.
    pub update_ms: u64,
    /// Ordering key component: creation time in nanoseconds (unique per store).
    pub create_ns: u128,
    /// VM `ip` from kweb (KCLI-017).
    pub ip: Option<String>,
    /// VM `ssh_user` from kweb `user` (KCLI-017).
    pub ssh_user: Option<String>,
    /// The VM was seen running at least once (VOC-006).
    pub seen_running: bool,
    /// The cluster was `ACTIVE` at least once (VOC-007).
    pub ever_active: bool,
    /// When the backend state became unmappable, Unix ms (VOC-005).
    pub unknown_since_ms: Option<u64>,
    /// Status before `DELETING`, restored after a definite delete failure (API-065).
    pub previous_status: Option<Status>,
    /// Furthest stage reached (TMO-005, ORP-009).
    pub stage: Option<Stage>,
    /// Created through the API or adopted (ORP-005).
    pub origin: Origin,
}

/// The stored JSON shape of a [`Record`] (statuses as their wire text).
#[derive(Clone, Serialize, Deserialize)]
struct StoredRecord {
    id: String,
    kind: Kind,
    spec: Value,
    name: String,
    status: String,
    status_message: String,
    create_ms: u64,
    update_ms: u64,
    create_ns: u128,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ssh_user: Option<String>,
    #[serde(default)]
    seen_running: bool,
    #[serde(default)]
    ever_active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unknown_since_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stage: Option<Stage>,
    #[serde(default)]
    origin: Origin,
}

/// A stored status outside the vocabulary of its record's service type.
#[derive(Debug, thiserror::Error)]
#[error("stored status {text:?} is not a {} status", kind.service_type())]
pub struct UnknownStatus {
    kind: Kind,
    text: String,
}

fn parse_status(kind: Kind, text: String) -> Result<Status, UnknownStatus> {
    Status::parse(kind, &text).ok_or(UnknownStatus { kind, text })
}

impl TryFrom<StoredRecord> for Record {
    type Error = UnknownStatus;

    fn try_from(r: StoredRecord) -> Result<Self, Self::Error> {
        Ok(Self {
            status: parse_status(r.kind, r.status)?,
            previous_status: r
                .previous_status
                .map(|p| parse_status(r.kind, p))
                .transpose()?,
            id: r.id,
            kind: r.kind,
            spec: r.spec,
            name: r.name,
            status_message: r.status_message,
            create_ms: r.create_ms,
            update_ms: r.update_ms,
            create_ns: r.create_ns,
            ip: r.ip,
            ssh_user: r.ssh_user,
            seen_running: r.seen_running,
            ever_active: r.ever_active,
            unknown_since_ms: r.unknown_since_ms,
            stage: r.stage,
            origin: r.origin,
        })
    }
}

impl From<Record> for StoredRecord {
    fn from(r: Record) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            spec: r.spec,
            name: r.name,
            status: r.status.as_str().to_owned(),
            status_message: r.status_message,
            create_ms: r.create_ms,
            update_ms: r.update_ms,
            create_ns: r.create_ns,
            ip: r.ip,
            ssh_user: r.ssh_user,
            seen_running: r.seen_running,
            ever_active: r.ever_active,
            unknown_since_ms: r.unknown_since_ms,
            previous_status: r.previous_status.map(|p| p.as_str().to_owned()),
            stage: r.stage,
            origin: r.origin,
        }
    }
}

impl Record {
    /// A resource the monitor has not observed yet (no address, stage or
    /// status history) at the initial status of `kind` (VOC-002), created
    /// now by `clock`.
    #[must_use]
    pub fn new(
        id: String,
        kind: Kind,
        name: String,
        spec: Value,
        origin: Origin,
        status_message: String,
        clock: &Clock,
    ) -> Self {
        let now = clock.now_ms();
        Self {
            id,
            kind,
            spec,
            name,
            status: Status::initial(kind),
            status_message,
            create_ms: now,
            update_ms: now,
            create_ns: clock.now_ns(),
            ip: None,
            ssh_user: None,
            seen_running: false,
            ever_active: false,
            unknown_since_ms: None,
            previous_status: None,
            stage: None,
            origin,
        }
    }
}

/// A create in progress (API-017, ORP-009): written with the record before
/// the kweb call, removed once kweb's outcome is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// Instance id.
    pub id: String,
    /// Service type.
    pub kind: Kind,
    /// kcli name.
    pub name: String,
    /// When the intent was written, Unix ms.
    pub created_ms: u64,
    /// Pending or dispatched (ORP-009).
    pub state: IntentState,
    /// The kweb request body (`POST /vms` or `POST /kubes`), so a pending
    /// intent can be dispatched after a restart. `None` only for intents
    /// migrated from schema 1, which are all dispatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// An intent as schema 1 wrote it (before ORP-009's dispatched flag).
#[derive(Deserialize)]
struct IntentV1 {
    id: String,
    kind: Kind,
    name: String,
    created_ms: u64,
}

/// One event waiting for delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// NATS subject (`dcm.vm`, `dcm.cluster`).
    pub subject: String,
    /// Resource id (per-resource order, EVT-027).
    pub resource_id: String,
    /// The whole CloudEvent (structured JSON, EVT-001).
    pub event: Value,
    /// When the entry was written, Unix ms.
    pub created_ms: u64,
}

/// One monitor decision for [`Store::apply_batch`].
#[derive(Debug, Clone)]
pub struct BatchItem {
    /// Resource id.
    pub id: String,
    /// Status the decision was based on.
    pub base_status: Status,
    /// `update_ms` the decision was based on.
    pub base_update_ms: u64,
    /// The record to store.
    pub record: Record,
    /// The event for the change, if it is published now.
    pub event: Option<OutboxEntry>,
    /// Remove the create intent (ORP-009).
    pub clear_intent: bool,
}

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

    /// Creates the tables, writes the schema version and the token key, and
    /// migrates older files in the same transaction.
    fn migrate(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let found = meta
                .get("schema_version")?
                .and_then(|v| <[u8; 4]>::try_from(v.value()).ok())
                .map(u32::from_le_bytes);
            match found {
                Some(v) if v > SCHEMA_VERSION => return Err(StoreError::NewerSchema { found: v }),
                Some(1) => Self::migrate_from_1(&txn)?,
                Some(_) | None => {}
            }
            if found != Some(SCHEMA_VERSION) {
                meta.insert("schema_version", SCHEMA_VERSION.to_le_bytes().as_slice())?;
            }
            if meta.get("token_key")?.is_none() {
                let key: [u8; 32] = rand::random();
                meta.insert("token_key", key.as_slice())?;
            }
            txn.open_table(RESOURCES)?;
            txn.open_table(NAMES)?;
            txn.open_table(ORDER)?;
            txn.open_table(INTENTS)?;
            txn.open_table(OUTBOX)?;
            txn.open_table(OUTBOX_LATEST)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Schema 1 → 2: every intent schema 1 wrote may have reached kweb, so it
    /// becomes dispatched at its creation time (ORP-009: never re-issued);
    /// records whose message says they were adopted get origin `adopted`
    /// (ORP-005; schema 1 had no other trace of it).
    fn migrate_from_1(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
        let mut intents = txn.open_table(INTENTS)?;
        let mut rewritten = Vec::new();
        for item in intents.iter()? {
            let (k, v) = item?;
            let old: IntentV1 = decode(v.value())?;
            let intent = Intent {
                id: old.id,
                kind: old.kind,
                name: old.name,
                created_ms: old.created_ms,
                state: IntentState::Dispatched {
                    at_ms: old.created_ms,
                },
                body: None,
            };
            rewritten.push((k.value().to_owned(), serde_json::to_vec(&intent)?));
        }
        for (k, v) in rewritten {
            intents.insert(k.as_str(), v.as_slice())?;
        }
        let mut resources = txn.open_table(RESOURCES)?;
        let mut adopted = Vec::new();
        for item in resources.iter()? {
            let (k, v) = item?;
            let mut record: Record = decode(v.value())?;
            if record.status_message.starts_with("adopted ") {
                record.origin = Origin::Adopted;
                adopted.push((k.value().to_owned(), serde_json::to_vec(&record)?));
            }
        }
        for (k, v) in adopted {
            resources.insert(k.as_str(), v.as_slice())?;
        }
        Ok(())
    }

    /// The secret that authenticates page tokens (API-052).
    ///
    /// # Errors
    /// [`StoreError`] on read failure.
    pub fn token_key(&self) -> Result<Vec<u8>, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        Ok(meta
            .get("token_key")?
            .map(|v| v.value().to_vec())
            .unwrap_or_default())
    }

    /// One record by id.
    ///
    /// # Errors
    /// [`StoreError`] on read or decode failure.
    pub fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RESOURCES)?;
        table.get(id)?.map(|v| decode(v.value())).transpose()
    }

    /// Every record (monitor, startup republish).
    ///
    /// # Errors
    /// [`StoreError`] on read or decode failure.
    pub fn all(&self) -> Result<Vec<Record>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RESOURCES)?;
        let mut out = Vec::with_capacity(usize::try_from(table.len()?).unwrap_or(0));
        for item in table.iter()? {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    /// Every pending intent (ORP-009).
    ///
    /// # Errors
    /// [`StoreError`] on read or decode failure.
    pub fn intents(&self) -> Result<Vec<Intent>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(INTENTS)?;
        let mut out = Vec::new();
        for item in table.iter()? {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    /// Number of records per kind.
    ///
    /// # Errors
    /// [`StoreError`] on read failure.
    pub fn count(&self, kind: Kind) -> Result<usize, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ORDER)?;
        let prefix = format!("{}/", kind.service_type());
        let end = format!("{}0", kind.service_type());
        Ok(table.range(prefix.as_str()..end.as_str())?.count())
    }

    /// One page of `kind` ordered by create time descending, then id
    /// (API-053). `after` is the order key of the last item of the previous
    /// page. Returns the items and the order key of the last one when more follow.
    ///
    /// # Errors
    /// [`StoreError`] on read or decode failure.
    pub fn page(
        &self,
        kind: Kind,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Record>, Option<String>), StoreError> {
        let txn = self.db.begin_read()?;
        let order = txn.open_table(ORDER)?;
        let resources = txn.open_table(RESOURCES)?;
        let prefix = format!("{}/", kind.service_type());
        let end = format!("{}0", kind.service_type());
        let start = after.map_or_else(|| prefix.clone(), |a| format!("{a}\u{0}"));
        let mut items = Vec::with_capacity(limit);
        let mut last_key = None;
        let mut more = false;
        for entry in order.range(start.as_str()..end.as_str())? {
            let (key, ()) = {
                let (k, _) = entry?;
                (k.value().to_owned(), ())
            };
            if items.len() == limit {
                more = true;
                break;
            }
            let id = key.rsplit('/').next().unwrap_or_default();
            if let Some(v) = resources.get(id)? {
                items.push(decode::<Record>(v.value())?);
                last_key = Some(key);
            }
        }
        Ok((items, if more { last_key } else { None }))
    }

    /// Whether `key` has the shape of an order key of `kind` (page tokens).
    #[must_use]
    pub fn is_order_key(kind: Kind, key: &str) -> bool {
        let mut parts = key.splitn(3, '/');
        parts.next() == Some(kind.service_type())
            && parts
                .next()
                .is_some_and(|n| n.len() == 39 && n.bytes().all(|b| b.is_ascii_digit()))
            && parts.next().is_some_and(|id| !id.is_empty())
    }

    /// Admits a create: replay, conflict, or write the record and intent
    /// atomically (API-017, API-030 to API-034, KCLI-004).
    ///
    /// # Errors
    /// [`StoreError`] on write failure.
    pub(crate) fn admit(&self, record: &Record, intent: &Intent) -> Result<Admission, StoreError> {
        let txn = self.db.begin_write()?;
        let outcome = {
            let mut resources = txn.open_table(RESOURCES)?;
            let mut names = txn.open_table(NAMES)?;
            let existing: Option<Record> = resources
                .get(record.id.as_str())?
                .map(|v| decode(v.value()))
                .transpose()?;
            let name_owner = names
                .get(record.name.as_str())?
                .map(|v| v.value().to_owned());
            let outcome = lifecycle::admit(existing, name_owner.as_deref(), record);
            match &outcome {
                Admission::Admitted => {
                    resources.insert(record.id.as_str(), serde_json::to_vec(record)?.as_slice())?;
                    names.insert(record.name.as_str(), record.id.as_str())?;
                    txn.open_table(ORDER)?
                        .insert(order_key(record).as_str(), ())?;
                    txn.open_table(INTENTS)?
                        .insert(record.id.as_str(), serde_json::to_vec(intent)?.as_slice())?;
                }
                Admission::SpecRecorded(updated) => {
                    resources.insert(
                        record.id.as_str(),
                        serde_json::to_vec(updated.as_ref())?.as_slice(),
                    )?;
                }
                Admission::Replay(_) | Admission::Conflict(_) => {}
            }
            outcome
        };
        txn.commit()?;
        Ok(outcome)
    }

    /// Marks the intent of `id` dispatched at `at_ms`, just before its kweb
    /// call is sent (ORP-009), unless [`lifecycle::dispatch`] says otherwise
    /// for the record as it is now: a record being deleted is not sent
    /// (API-064) and a vanished record drops its intent.
    ///
    /// # Errors
    /// [`StoreError`] on write failure (the caller must not send then).
    pub(crate) fn mark_dispatched(
        &self,
        id: &str,
        at_ms: u64,
    ) -> Result<(Dispatch, Option<Record>), StoreError> {
        let txn = self.db.begin_write()?;
        let outcome = {
            let resources = txn.open_table(RESOURCES)?;
            let mut intents = txn.open_table(INTENTS)?;
            let record: Option<Record> =
                resources.get(id)?.map(|v| decode(v.value())).transpose()?;
            let intent: Option<Intent> = intents.get(id)?.map(|v| decode(v.value())).transpose()?;
            let dispatch = lifecycle::dispatch(record.as_ref(), intent.as_ref().map(|i| i.state));
            match (&dispatch, intent) {
                (Dispatch::Send, Some(mut intent)) => {
                    intent.state = IntentState::Dispatched { at_ms };
                    intents.insert(id, serde_json::to_vec(&intent)?.as_slice())?;
                }
                (Dispatch::Forget, Some(_)) => {
                    intents.remove(id)?;
                }
                _ => {}
            }
            (dispatch, record)
        };
        txn.commit()?;
        Ok(outcome)
    }

    /// Inserts a record without an intent (adoption, ORP-005). Returns false
    /// when the id or name is taken.
    ///
    /// # Errors
    /// [`StoreError`] on write failure.
    pub fn insert_adopted(
        &self,
        record: &Record,
        event: Option<&OutboxEntry>,
    ) -> Result<bool, StoreError> {
        let txn = self.db.begin_write()?;
        let inserted = {
            let mut resources = txn.open_table(RESOURCES)?;
            let mut names = txn.open_table(NAMES)?;
            if resources.get(record.id.as_str())?.is_some()
                || names.get(record.name.as_str())?.is_some()
            {
                false
            } else {
                resources.insert(record.id.as_str(), serde_json::to_vec(record)?.as_slice())?;
                names.insert(record.name.as_str(), record.id.as_str())?;
                txn.open_table(ORDER)?
                    .insert(order_key(record).as_str(), ())?;
                if let Some(event) = event {
                    self.push_event(&txn, event)?;
                }
                true
            }
        };
        txn.commit()?;
        Ok(inserted)
    }

    fn push_event(
        &self,
        txn: &redb::WriteTransaction,
        event: &OutboxEntry,
    ) -> Result<(), StoreError> {
        let mut outbox = txn.open_table(OUTBOX)?;
        let seq = outbox.last()?.map_or(1, |(k, _)| k.value() + 1);
        if self.keep_latest_only {
            let mut latest = txn.open_table(OUTBOX_LATEST)?;
            if let Some(old) = latest.get(event.resource_id.as_str())?.map(|v| v.value()) {
                outbox.remove(old)?;
            }
            latest.insert(event.resource_id.as_str(), seq)?;
        }
        outbox.insert(seq, serde_json::to_vec(event)?.as_slice())?;
        Ok(())
    }

    /// Applies `change` to the record and appends `event` in one transaction
    /// (EVT-040). Returns the updated record, or `None` when the id is gone.
    /// With `clear_intent` the create intent is removed too.
    ///
    /// # Errors
    /// [`StoreError`] on write failure.
    pub fn update(
        &self,
        id: &str,
        clear_intent: bool,
        change: impl FnOnce(&mut Record) -> Option<OutboxEntry>,
    ) -> Result<Option<Record>, StoreError> {
        let txn = self.db.begin_write()?;
        let updated = {
            let mut resources = txn.open_table(RESOURCES)?;
            let current: Option<Record> =
                resources.get(id)?.map(|v| decode(v.value())).transpose()?;
            match current {
                None => None,
                Some(mut record) => {
                    let event = change(&mut record);
                    resources.insert(id, serde_json::to_vec(&record)?.as_slice())?;
                    if let Some(event) = event {
                        self.push_event(&txn, &event)?;
                    }
                    if clear_intent {
                        txn.open_table(INTENTS)?.remove(id)?;
                    }
                    Some(record)
                }
            }
        };
        txn.commit()?;
        Ok(updated)
    }

    /// Applies a poll's decisions in one transaction: each record and its
    /// event together (EVT-040), skipping any record a handler changed since
    /// the poll read it (its change wins). Returns how many were applied.
    ///
    /// # Errors
    /// [`StoreError`] on write failure (nothing is applied).
    pub fn apply_batch(&self, items: &[BatchItem]) -> Result<usize, StoreError> {
        if items.is_empty() {
            return Ok(0);
        }
        let txn = self.db.begin_write()?;
        let mut applied = 0;
        {
            let mut resources = txn.open_table(RESOURCES)?;
            let mut intents = txn.open_table(INTENTS)?;
            for item in items {
                let current: Option<Record> = resources
                    .get(item.id.as_str())?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                let Some(current) = current else { continue };
                if current.status != item.base_status || current.update_ms != item.base_update_ms {
                    continue;
                }
                resources.insert(
                    item.id.as_str(),
                    serde_json::to_vec(&item.record)?.as_slice(),
                )?;
                if let Some(event) = &item.event {
                    self.push_event(&txn, event)?;
                }
                if item.clear_intent {
                    intents.remove(item.id.as_str())?;
                }
                applied += 1;
            }
        }
        txn.commit()?;
        Ok(applied)
    }

    /// Removes the record, its name, order entry and intent, and appends
    /// `event` (the `DELETED` event) in one transaction. Returns the removed record.
    ///
    /// # Errors
    /// [`StoreError`] on write failure.
    pub fn remove(
        &self,
        id: &str,
        event: Option<&OutboxEntry>,
    ) -> Result<Option<Record>, StoreError> {
        let txn = self.db.begin_write()?;
        let removed = self.remove_in(&txn, id, event)?;
        txn.commit()?;
        Ok(removed)
    }

    /// Like [`Self::remove`], but only when the stored record still has the
    /// status and `update_ms` of `base` (a monitor decision on a stale read
    /// is dropped). Returns whether it was removed.
    ///
    /// # Errors
    /// [`StoreError`] on write failure.
    pub(crate) fn remove_if_unchanged(
        &self,
        base: &Record,
        event: &OutboxEntry,
    ) -> Result<bool, StoreError> {
        let txn = self.db.begin_write()?;
        let current: Option<Record> = txn
            .open_table(RESOURCES)?
            .get(base.id.as_str())?
            .map(|v| decode(v.value()))
            .transpose()?;
        let unchanged =
            current.is_some_and(|c| c.status == base.status && c.update_ms == base.update_ms);
        if unchanged {
            self.remove_in(&txn, &base.id, Some(event))?;
        }
        txn.commit()?;
        Ok(unchanged)
    }

    fn remove_in(
        &self,
        txn: &redb::WriteTransaction,
        id: &str,
        event: Option<&OutboxEntry>,
    ) -> Result<Option<Record>, StoreError> {
        let mut resources = txn.open_table(RESOURCES)?;
        let record: Option<Record> = resources
            .remove(id)?
            .map(|v| decode(v.value()))
            .transpose()?;
        if let Some(record) = &record {
            txn.open_table(NAMES)?.remove(record.name.as_str())?;
            txn.open_table(ORDER)?.remove(order_key(record).as_str())?;
            if let Some(event) = event {
                self.push_event(txn, event)?;
            }
        }
        txn.open_table(INTENTS)?.remove(id)?;
        Ok(record)
    }

    /// Appends events without a status change (republish, resync).
    ///
    /// # Errors
    /// [`StoreError`] on write failure.
    pub fn push_events(&self, events: &[OutboxEntry]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write()?;
        for event in events {
            self.push_event(&txn, event)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// The oldest `limit` outbox entries in order.
    ///
    /// # Errors
    /// [`StoreError`] on read or decode failure.
    pub fn outbox_head(&self, limit: usize) -> Result<Vec<(u64, OutboxEntry)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(OUTBOX)?;
        let mut out = Vec::with_capacity(limit);
        for item in table.iter()?.take(limit) {
            let (k, v) = item?;
            out.push((k.value(), decode(v.value())?));
        }
        Ok(out)
    }

    /// Number of outbox entries and the creation time of the oldest.
    ///
    /// # Errors
    /// [`StoreError`] on read or decode failure.
    pub fn outbox_stats(&self) -> Result<(u64, Option<u64>), StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(OUTBOX)?;
        let oldest = table
            .first()?
            .map(|(_, v)| decode::<OutboxEntry>(v.value()))
            .transpose()?;
        Ok((table.len()?, oldest.map(|e| e.created_ms)))
    }

    /// Deletes delivered outbox entries (only after confirmation, EVT-040).
    ///
    /// # Errors
    /// [`StoreError`] on write failure.
    pub fn outbox_delete(&self, seqs: &[u64]) -> Result<(), StoreError> {
        if seqs.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write()?;
        {
            let mut outbox = txn.open_table(OUTBOX)?;
            let mut latest = txn.open_table(OUTBOX_LATEST)?;
            for seq in seqs {
                if let Some(v) = outbox.remove(*seq)?
                    && self.keep_latest_only
                {
                    let entry: OutboxEntry = decode(v.value())?;
                    drop(v);
                    if latest.get(entry.resource_id.as_str())?.map(|v| v.value()) == Some(*seq) {
                        latest.remove(entry.resource_id.as_str())?;
                    }
                }
            }
        }
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schema-1 file as the previous build wrote it: statuses as text, an
    /// intent without state or body, an adopted record known only by its
    /// message.
    fn write_v1(path: &Path) {
        let db = Database::create(path).expect("create");
        let txn = db.begin_write().expect("txn");
        {
            let mut meta = txn.open_table(META).expect("meta");
            meta.insert("schema_version", 1_u32.to_le_bytes().as_slice())
                .expect("version");
            let mut resources = txn.open_table(RESOURCES).expect("resources");
            let adopted = serde_json::json!({"id": "a1", "kind": "vm", "spec": {"service_type": "vm"},
                "name": "dcm-a1", "status": "RUNNING", "status_message": "adopted dcm-a1: the original spec is unknown",
                "create_ms": 1, "update_ms": 1, "create_ns": 1, "seen_running": true});
            let creating = serde_json::json!({"id": "c1", "kind": "cluster", "spec": {"service_type": "cluster"},
                "name": "dcm-c1", "status": "PROGRESSING", "status_message": "creating dcm-c1",
                "create_ms": 2, "update_ms": 2, "create_ns": 2, "stage": "no kubeconfig"});
            for (id, value) in [("a1", adopted), ("c1", creating)] {
                resources
                    .insert(id, serde_json::to_vec(&value).expect("json").as_slice())
                    .expect("insert");
            }
            let mut intents = txn.open_table(INTENTS).expect("intents");
            let intent = serde_json::json!({"id": "c1", "kind": "cluster", "name": "dcm-c1", "created_ms": 2});
            intents
                .insert("c1", serde_json::to_vec(&intent).expect("json").as_slice())
                .expect("intent");
        }
        txn.commit().expect("commit");
    }

    #[test]
    fn schema_1_files_are_migrated_to_2() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("state.db");
        write_v1(&path);
        let store = Store::open(&path, false).expect("a schema-1 file opens");
        let adopted = store.get("a1").expect("read").expect("a1");
        assert_eq!(
            adopted.origin,
            Origin::Adopted,
            "ORP-005 origin from the old message"
        );
        assert_eq!(adopted.status.as_str(), "RUNNING");
        let cluster = store.get("c1").expect("read").expect("c1");
        assert_eq!(cluster.origin, Origin::Created);
        assert_eq!(cluster.stage, Some(Stage::NoKubeconfig));
        let intents = store.intents().expect("intents");
        assert_eq!(intents.len(), 1);
        assert_eq!(
            intents[0].state,
            IntentState::Dispatched { at_ms: 2 },
            "ORP-009: an old intent may have reached kweb, so it is never re-issued"
        );
        drop(store);
        let reopened = Store::open(&path, false).expect("a schema-2 file reopens");
        let txn = reopened.db.begin_read().expect("txn");
        let version = txn
            .open_table(META)
            .expect("meta")
            .get("schema_version")
            .expect("get")
            .map(|v| v.value().to_vec());
        assert_eq!(version, Some(SCHEMA_VERSION.to_le_bytes().to_vec()));
    }

    #[test]
    fn a_status_outside_the_vocabulary_is_a_corrupt_value() {
        let stored = serde_json::json!({"id": "x", "kind": "cluster", "spec": {}, "name": "dcm-x",
            "status": "RUNNING", "status_message": "", "create_ms": 1, "update_ms": 1, "create_ns": 1});
        let decoded: Result<Record, _> = serde_json::from_value(stored);
        assert!(decoded.is_err(), "VOC-009: RUNNING is not a cluster status");
    }
}
