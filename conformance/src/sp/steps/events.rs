//! Steps about status events recorded by the fake DCM's consumer (§9, §10).

use std::collections::BTreeMap;
use std::time::Duration;

use cucumber::{then, when};
use serde_json::Value;

use crate::dcm_sim::ReceivedEvent;
use crate::sp::checks;
use crate::sp::world::{SpWorld, StepResult};

fn current_id(w: &SpWorld) -> Result<(String, String), String> {
    let cur = w.current()?;
    Ok((cur.service_type.clone(), cur.id.clone()))
}

async fn wait_event<F>(w: &mut SpWorld, key: &str, what: &str, pred: F) -> StepResult
where
    F: Fn(&[ReceivedEvent]) -> bool + Clone,
{
    let (_, id) = current_id(w)?;
    let ctx = w.ctx.clone();
    ctx.eventually_n(key, 1, || {
        let ctx = ctx.clone();
        let id = id.clone();
        let pred = pred.clone();
        async move {
            let events = ctx.dcm.events.for_id(&id);
            if pred(&events) {
                Ok(())
            } else {
                Err(format!(
                    "{what} has not arrived ({} events for {id})",
                    events.len()
                ))
            }
        }
    })
    .await
}

#[then(regex = r#"^within "([a-z_]+)" an event for the resource arrives$"#)]
async fn any_event(w: &mut SpWorld, key: String) -> StepResult {
    wait_event(w, &key, "EVT-020: a status event", |e| !e.is_empty()).await
}

#[then(regex = r#"^within "([a-z_]+)" a "([A-Z_]+)" event for the resource arrives$"#)]
async fn status_event(w: &mut SpWorld, key: String, status: String) -> StepResult {
    let what = format!("a {status} event");
    wait_event(w, &key, &what, move |e| {
        e.iter()
            .any(|ev| ev.status().as_deref() == Some(status.as_str()))
    })
    .await
}

#[then(
    regex = r"^every event for the resource is a valid status event of the registered provider$"
)]
async fn valid_events(w: &mut SpWorld) -> StepResult {
    let (st, id) = current_id(w)?;
    let name = w
        .ctx
        .services
        .get(&st)
        .and_then(|s| s.provider_name.clone());
    let events = w.ctx.dcm.events.for_id(&id);
    if events.is_empty() {
        return Err("EVT-020: no event for the resource".into());
    }
    for e in &events {
        checks::event(
            &e.subject,
            &e.payload,
            &st,
            name.as_deref(),
            &id,
            w.ctx.profile,
        )?;
    }
    Ok(())
}

#[then(regex = r"^events for the resource with different statuses have different ids$")]
async fn fresh_ids(w: &mut SpWorld) -> StepResult {
    let (_, id) = current_id(w)?;
    let mut by_id: BTreeMap<String, String> = BTreeMap::new();
    for e in w.ctx.dcm.events.for_id(&id) {
        let v = e.json().unwrap_or_default();
        let eid = v["id"].as_str().unwrap_or_default().to_owned();
        let st = v["data"]["status"].as_str().unwrap_or_default().to_owned();
        if let Some(prev) = by_id.insert(eid.clone(), st.clone())
            && prev != st
        {
            return Err(format!(
                "EVT-003: event id {eid} was reused for {prev} and {st}"
            ));
        }
    }
    Ok(())
}

#[then(regex = r#"^within "([a-z_]+)" the last event status equals the status GET returns$"#)]
async fn last_matches_get(w: &mut SpWorld, key: String) -> StepResult {
    let (st, id) = current_id(w)?;
    let url = format!(
        "{}/{}",
        w.endpoint_of(&st)?,
        crate::sp::world::urlencode(&id)
    );
    let ctx = w.ctx.clone();
    let req = w.request("GET", url);
    ctx.eventually(&key, || {
        let ctx = ctx.clone();
        let req = req.clone();
        let id = id.clone();
        async move {
            let ex = crate::sp::http::send(&ctx, req).await;
            let got = ex
                .json()
                .ok()
                .and_then(|b| b["status"].as_str().map(str::to_owned));
            let last = ctx
                .dcm
                .events
                .for_id(&id)
                .last()
                .and_then(ReceivedEvent::status);
            if got.is_some() && got == last {
                Ok(())
            } else {
                Err(format!(
                    "EVT-027: GET says {got:?}, last event says {last:?}"
                ))
            }
        }
    })
    .await
}

#[then(regex = r#"^no event for the resource follows DELETED within "([a-z_]+)"$"#)]
async fn nothing_after_deleted(w: &mut SpWorld, key: String) -> StepResult {
    tokio::time::sleep(quiet(w, &key)).await;
    let (_, id) = current_id(w)?;
    let events = w.ctx.dcm.events.for_id(&id);
    let pos = events
        .iter()
        .position(|e| e.status().as_deref() == Some("DELETED"))
        .ok_or("no DELETED event")?;
    let after: Vec<String> = events[pos + 1..]
        .iter()
        .filter_map(ReceivedEvent::status)
        .filter(|s| s != "DELETED")
        .collect();
    if after.is_empty() {
        Ok(())
    } else {
        Err(format!("EVT-027: events after DELETED: {after:?}"))
    }
}

/// How long a negative check watches: the table entry, capped to the
/// SP's declared poll interval plus debounce plus one second so that
/// passing runs stay fast while still covering one full publish cycle.
fn quiet(w: &SpWorld, key: &str) -> Duration {
    let d = w.ctx.sp.declared();
    w.ctx
        .timeouts
        .get(key)
        .min(d.poll + d.debounce + Duration::from_secs(1))
}

#[then(regex = r#"^no event for the resource arrives within "([a-z_]+)"$"#)]
async fn no_event(w: &mut SpWorld, key: String) -> StepResult {
    tokio::time::sleep(quiet(w, &key)).await;
    let (_, id) = current_id(w)?;
    let n = w.ctx.dcm.events.for_id(&id).len();
    if n == 0 {
        Ok(())
    } else {
        Err(format!(
            "API-015/VAL-015: {n} events were published for a refused create"
        ))
    }
}

#[then(regex = r#"^no "([A-Z_]+)" event for the resource arrives within "([a-z_]+)"$"#)]
async fn no_status_event(w: &mut SpWorld, status: String, key: String) -> StepResult {
    tokio::time::sleep(quiet(w, &key)).await;
    let (_, id) = current_id(w)?;
    if w.ctx
        .dcm
        .events
        .for_id(&id)
        .iter()
        .any(|e| e.status().as_deref() == Some(status.as_str()))
    {
        Err(format!(
            "ORP-007: a {status} event was published while the backend list failed"
        ))
    } else {
        Ok(())
    }
}

#[then(regex = r#"^no event names "([^"]+)" within "([a-z_]+)"$"#)]
async fn no_event_names(w: &mut SpWorld, name: String, key: String) -> StepResult {
    tokio::time::sleep(quiet(w, &key)).await;
    let name = w.expand(&name)?;
    if w.ctx
        .dcm
        .events
        .all()
        .iter()
        .any(|e| e.data_id().as_deref() == Some(name.as_str()))
    {
        Err(format!(
            "ORP-001: a status event was published for the untracked {name}"
        ))
    } else {
        Ok(())
    }
}

#[then(regex = r"^no event for the resource carries a kubeconfig$")]
async fn no_kubeconfig_event(w: &mut SpWorld) -> StepResult {
    let (_, id) = current_id(w)?;
    for e in w.ctx.dcm.events.for_id(&id) {
        let lower = e.payload.to_ascii_lowercase();
        if lower.contains("kubeconfig") || lower.contains("client-key-data") {
            return Err("SEC-003: an event carries a kubeconfig".into());
        }
    }
    Ok(())
}

#[then(
    regex = r"^every event for the resource has a status from the (?:cluster )?vocabulary(?: and no DEGRADED before ACTIVE)?$"
)]
async fn events_vocab(w: &mut SpWorld) -> StepResult {
    let (st, id) = current_id(w)?;
    let mut been_active = false;
    for s in w
        .ctx
        .dcm
        .events
        .for_id(&id)
        .iter()
        .filter_map(ReceivedEvent::status)
    {
        checks::status_in_vocabulary(&s, &st, w.ctx.profile)?;
        been_active |= s == "ACTIVE" || s == "READY";
        if (s == "DEGRADED" || s == "UNAVAILABLE") && !been_active {
            return Err(format!("VOC-007: {s} before the cluster was ever ACTIVE"));
        }
    }
    Ok(())
}

#[then(regex = r#"^the first event for the resource is "([A-Z_]+)" or "([A-Z_]+)"$"#)]
async fn first_event(w: &mut SpWorld, a: String, b: String) -> StepResult {
    let (_, id) = current_id(w)?;
    let first = w
        .ctx
        .dcm
        .events
        .for_id(&id)
        .first()
        .and_then(ReceivedEvent::status)
        .unwrap_or_default();
    if first == a || first == b {
        Ok(())
    } else {
        Err(format!("VOC-002: first status was {first}"))
    }
}

#[when(regex = r"^I remember the events so far$")]
async fn remember_events(w: &mut SpWorld) -> StepResult {
    let (_, id) = current_id(w)?;
    w.memory.insert(
        "events_before".into(),
        Value::from(w.ctx.dcm.events.for_id(&id).len()),
    );
    Ok(())
}

#[then(regex = r#"^within "([a-z_]+)" a new event for the resource arrives$"#)]
async fn new_event(w: &mut SpWorld, key: String) -> StepResult {
    let before = w
        .memory
        .get("events_before")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    wait_event(w, &key, "EVT-023: a re-published status", move |e| {
        e.len() > before
    })
    .await
}

#[then(regex = r#"^within "([a-z_]+)" a second event with the same status arrives$"#)]
async fn resync(w: &mut SpWorld, key: String) -> StepResult {
    wait_event(w, &key, "EVT-024: a periodic re-publication", |e| {
        let statuses: Vec<String> = e.iter().filter_map(ReceivedEvent::status).collect();
        statuses.windows(2).any(|p| p[0] == p[1])
    })
    .await
}

#[then(regex = r#"^fewer than (\d+) events for the resource arrive within "([a-z_]+)"$"#)]
async fn debounced(w: &mut SpWorld, n: usize, key: String) -> StepResult {
    tokio::time::sleep(quiet(w, &key)).await;
    let before = w
        .memory
        .get("events_before")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let (_, id) = current_id(w)?;
    let got = w.ctx.dcm.events.for_id(&id).len().saturating_sub(before);
    if got < n {
        Ok(())
    } else {
        Err(format!(
            "EVT-025: {got} events for {n} quick flips: no debounce"
        ))
    }
}

#[then(
    regex = r#"^within "([a-z_]+)" a "([A-Z_]+)" event for the resource is in the status stream$"#
)]
async fn stream_event(w: &mut SpWorld, key: String, status: String) -> StepResult {
    let (_, id) = current_id(w)?;
    let ctx = w.ctx.clone();
    let url = ctx.nats.lock().await.url().to_owned();
    ctx.eventually_n(&key, 1, || {
        let (ctx, url, id, status) = (ctx.clone(), url.clone(), id.clone(), status.clone());
        async move {
            // DCM reads the JetStream stream: what reached it counts as delivered.
            crate::dcm_sim::consumer::backfill_from_stream(&url, &ctx.dcm.events).await?;
            let events = ctx.dcm.events.for_id(&id);
            if events
                .iter()
                .any(|e| e.status().as_deref() == Some(status.as_str()))
            {
                Ok(())
            } else {
                Err(format!(
                    "EVT-042: no {status} event for {id} in the status stream ({} events)",
                    events.len()
                ))
            }
        }
    })
    .await
}
