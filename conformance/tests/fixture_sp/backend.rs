//! The fixture SP's backend: an in-memory stand-in the suite drives through
//! `BackendAction`s. It outlives SP restarts, like a real backend.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

/// One backend object.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    /// `vm` or `cluster`.
    pub(crate) kind: String,
    /// Raw backend state (`pending`, `up`, `down`, `crashed`, `nostate`, `progressing`, `ready`, `stuck`).
    pub(crate) state: String,
    /// Polls seen since creation (drives the pending → up progression).
    pub(crate) age_polls: u32,
}

#[derive(Debug, Default)]
struct Inner {
    up: bool,
    /// Scopes whose objects' creates are refused (an object is in a scope
    /// when its name contains it).
    reject_creates: BTreeSet<String>,
    /// Scopes whose objects' deletes fail.
    fail_deletes: BTreeSet<String>,
    /// Scopes whose objects' creates and deletes take this long.
    slow: BTreeMap<String, Duration>,
    /// The next create is applied, then its call is cut (API-018).
    /// Scopes whose next create is applied, then its call is cut.
    cut_creates: BTreeSet<String>,
    /// Objects whose next delete is applied, then its call is cut.
    cut_deletes: BTreeSet<String>,
    objects: BTreeMap<String, Object>,
    creates: u32,
    /// Objects whose delete takes until the given instant.
    slow_deletes: BTreeMap<String, tokio::time::Instant>,
}

/// Shared backend handle.
#[derive(Debug, Clone)]
pub(crate) struct Backend {
    inner: Arc<Mutex<Inner>>,
    hang_tx: Arc<watch::Sender<Option<Duration>>>,
}

/// A backend call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BackendError {
    /// Connection refused.
    Down,
    /// Refused the request.
    Refused(String),
    /// The call did not finish in time.
    Timeout,
    /// The backend applied the request, then the connection was cut
    /// before the answer (API-018: the caller cannot know the outcome).
    Cut,
}

impl Default for Backend {
    fn default() -> Self {
        let (tx, _rx) = watch::channel(None);
        Self {
            inner: Arc::new(Mutex::new(Inner {
                up: true,
                ..Inner::default()
            })),
            hang_tx: Arc::new(tx),
        }
    }
}

/// Puts `scope` into `set` (`on`) or takes it out.
fn toggle(set: &mut BTreeSet<String>, scope: &str, on: bool) {
    if on {
        set.insert(scope.to_owned());
    } else {
        set.remove(scope);
    }
}

impl Backend {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits out a configured hang; a release ends the wait early.
    async fn delay(&self) {
        let mut rx = self.hang_tx.subscribe();
        let Some(d) = *rx.borrow_and_update() else {
            return;
        };
        let _ = tokio::time::timeout(d, async {
            while rx.changed().await.is_ok() {
                if rx.borrow().is_none() {
                    return;
                }
            }
        })
        .await;
    }

    /// Sets or clears the hang.
    pub(crate) fn set_hang(&self, d: Option<Duration>) {
        self.hang_tx.send_replace(d);
    }

    /// The delete of `name` takes `d` (other calls are unaffected).
    pub(crate) fn hang_delete(&self, name: &str, d: Duration) {
        self.lock()
            .slow_deletes
            .insert(name.to_owned(), tokio::time::Instant::now() + d);
    }

    /// Deletes started from now on take their normal time.
    pub(crate) fn release_deletes(&self) {
        self.lock().slow_deletes.clear();
    }

    /// Reachability.
    pub(crate) fn set_up(&self, up: bool) {
        self.lock().up = up;
    }

    /// Creates of the scope's objects refused (or accepted again).
    pub(crate) fn set_reject_creates(&self, scope: &str, v: bool) {
        toggle(&mut self.lock().reject_creates, scope, v);
    }

    /// Deletes of the scope's objects fail (or work again).
    pub(crate) fn set_fail_deletes(&self, scope: &str, v: bool) {
        toggle(&mut self.lock().fail_deletes, scope, v);
    }

    /// Creates and deletes of the scope's objects take `d` (`None`: normal).
    pub(crate) fn set_slow(&self, scope: &str, d: Option<Duration>) {
        let mut b = self.lock();
        match d {
            Some(d) => b.slow.insert(scope.to_owned(), d),
            None => b.slow.remove(scope),
        };
    }

    /// Waits out the slowness of `name`'s scope, if any.
    async fn slow_call(&self, name: &str) {
        let slow = self
            .lock()
            .slow
            .iter()
            .find(|(scope, _)| name.contains(scope.as_str()))
            .map(|(_, d)| *d);
        if let Some(d) = slow {
            tokio::time::sleep(d).await;
        }
    }

    /// The next create is applied and then cut (`true`), or no longer (`false`).
    pub(crate) fn set_cut_next_create(&self, scope: &str, v: bool) {
        let mut b = self.lock();
        if v {
            b.cut_creates.insert(scope.to_owned());
        } else {
            b.cut_creates.remove(scope);
        }
    }

    /// The next delete of `name` is applied and then cut.
    pub(crate) fn cut_delete(&self, name: &str) {
        self.lock().cut_deletes.insert(name.to_owned());
    }

    /// No delete is cut any more.
    pub(crate) fn release_cut_deletes(&self) {
        self.lock().cut_deletes.clear();
    }

    /// Health probe: `Ok` when reachable and not hung.
    pub(crate) async fn probe(&self) -> Result<(), BackendError> {
        if self.hang_tx.borrow().is_some() {
            return Err(BackendError::Timeout);
        }
        if self.lock().up {
            Ok(())
        } else {
            Err(BackendError::Down)
        }
    }

    /// Creates `name`.
    pub(crate) async fn create(&self, name: &str, kind: &str) -> Result<(), BackendError> {
        self.delay().await;
        self.slow_call(name).await;
        let mut b = self.lock();
        if !b.up {
            return Err(BackendError::Down);
        }
        if b.reject_creates.iter().any(|s| name.contains(s.as_str())) {
            return Err(BackendError::Refused("backend refused the create".into()));
        }
        if b.objects.contains_key(name) {
            return Err(BackendError::Refused(format!("{name} already exists")));
        }
        let state = if kind == "vm" {
            "pending"
        } else {
            "progressing"
        };
        b.objects.insert(
            name.into(),
            Object {
                kind: kind.into(),
                state: state.into(),
                age_polls: 0,
            },
        );
        b.creates += 1;
        let cut = b
            .cut_creates
            .iter()
            .find(|s| name.contains(s.as_str()))
            .cloned();
        if let Some(scope) = cut {
            b.cut_creates.remove(&scope);
            return Err(BackendError::Cut);
        }
        Ok(())
    }

    /// Deletes `name`; `Ok(false)` when it was already gone.
    pub(crate) async fn delete(&self, name: &str) -> Result<bool, BackendError> {
        self.delay().await;
        self.slow_call(name).await;
        let slow = self.lock().slow_deletes.get(name).copied();
        if let Some(until) = slow {
            tokio::time::sleep_until(until).await;
        }
        let mut b = self.lock();
        if !b.up {
            return Err(BackendError::Down);
        }
        if b.fail_deletes.iter().any(|s| name.contains(s.as_str())) {
            return Err(BackendError::Refused("backend failed the delete".into()));
        }
        let existed = b.objects.remove(name).is_some();
        if b.cut_deletes.remove(name) {
            return Err(BackendError::Cut);
        }
        Ok(existed)
    }

    /// Lists every object, advancing the built-in progressions by one poll.
    pub(crate) async fn list(&self) -> Result<BTreeMap<String, Object>, BackendError> {
        if self.hang_tx.borrow().is_some() {
            return Err(BackendError::Timeout);
        }
        let mut b = self.lock();
        if !b.up {
            return Err(BackendError::Down);
        }
        for o in b.objects.values_mut() {
            o.age_polls += 1;
            match (o.kind.as_str(), o.state.as_str()) {
                ("vm", "pending") if o.age_polls >= 2 => o.state = "up".into(),
                ("cluster", "progressing") if o.age_polls >= 3 => o.state = "ready".into(),
                _ => {}
            }
        }
        Ok(b.objects.clone())
    }

    /// Whether `name` exists.
    pub(crate) fn holds(&self, name: &str) -> bool {
        self.lock().objects.contains_key(name)
    }

    /// Out-of-band removal.
    pub(crate) fn remove(&self, name: &str) {
        self.lock().objects.remove(name);
    }

    /// Out-of-band state change.
    pub(crate) fn set_state(&self, name: &str, state: &str) {
        if let Some(o) = self.lock().objects.get_mut(name) {
            o.state = state.into();
        }
    }

    /// Out-of-band object (an orphan).
    pub(crate) fn inject(&self, name: &str, kind: &str) {
        self.lock().objects.insert(
            name.into(),
            Object {
                kind: kind.into(),
                state: "up".into(),
                age_polls: 10,
            },
        );
    }
}
