//! The outbox: events appended with their status change, read in order by
//! the relay, deleted only after delivery (EVT-040, EVT-043).

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::{OUTBOX, OUTBOX_LATEST, OutboxEntry, Store, StoreError, decode};

impl Store {
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
