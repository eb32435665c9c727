//! Records, the name index, the list order and create intents: reads, and
//! the writes that keep them consistent in one transaction each.

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::{
    BatchItem, INTENTS, Intent, Kind, META, NAMES, ORDER, OUTBOX, OUTBOX_LATEST, OutboxEntry,
    RESOURCES, Record, Store, StoreError, decode, order_key,
};
use crate::lifecycle::{self, Admission, Dispatch, IntentState};

impl Store {
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

    pub(super) fn push_event(
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
}
