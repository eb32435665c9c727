//! Schema creation and migration of older files (schema version in `meta`).

use redb::ReadableTable;
use serde::Deserialize;

use super::{
    INTENTS, Intent, Kind, META, NAMES, ORDER, OUTBOX, OUTBOX_LATEST, RESOURCES, Record,
    SCHEMA_VERSION, Store, StoreError, decode,
};
use crate::lifecycle::{IntentState, Origin};

/// An intent as schema 1 wrote it (before ORP-009's dispatched flag).
#[derive(Deserialize)]
struct IntentV1 {
    id: String,
    kind: Kind,
    name: String,
    created_ms: u64,
}

impl Store {
    /// Creates the tables, writes the schema version and the token key, and
    /// migrates older files in the same transaction.
    pub(super) fn migrate(&self) -> Result<(), StoreError> {
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
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use redb::{Database, ReadableDatabase};

    use super::*;
    use crate::lifecycle::Stage;

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
