//! Steps of `features/sp/idempotency.feature`: replays, reordered and
//! reformatted specs, concurrent creates with one id (contract §6.3).

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::Value;

use super::crud::create_new;
use super::pagination::{walk, walked_ids};
use crate::sp::checks;
use crate::sp::world::{SpWorld, StepResult, Tracked, urlencode};
use crate::wire::{Exchange, Request};

#[when(regex = r"^I create another resource with spec:$")]
async fn when_create_another(w: &mut SpWorld, step: &Step) -> StepResult {
    create_new(w, step).await
}

#[when(regex = r"^I create the same id with spec:$")]
async fn create_same_id(w: &mut SpWorld, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let cur = w.current()?.clone();
    let ex = w.create(&cur.service_type, Some(&cur.id), spec).await?;
    // The stored resource keeps the original spec: the conflicting one must not replace it.
    w.resources.pop();
    w.resources.push(cur.clone());
    w.settle(&cur.id, &cur.service_type, &ex);
    Ok(())
}

#[when(regex = r#"^I create the same id through the "([a-z]+)" endpoint with spec:$"#)]
async fn create_same_id_other(w: &mut SpWorld, service: String, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let cur = w.current()?.clone();
    w.create(&service, Some(&cur.id), spec).await?;
    Ok(())
}

#[when(regex = r"^I replay the create with the same spec reordered and reformatted$")]
async fn replay(w: &mut SpWorld) -> StepResult {
    let cur = w.current()?.clone();
    // Same JSON value, other member order and whitespace (API-030).
    let reordered = reorder(&cur.spec);
    let text =
        serde_json::to_string_pretty(&serde_json::json!({ "spec": reordered })).unwrap_or_default();
    let body = if w.ctx.profile == crate::sp::profile::Profile::Agent {
        serde_json::to_string_pretty(&reordered).unwrap_or_default()
    } else {
        text
    };
    resend(w, &cur, body).await
}

#[when(
    regex = r"^I replay the create with the whole numbers of its unknown members written as decimals$"
)]
async fn replay_decimals(w: &mut SpWorld) -> StepResult {
    let cur = w.current()?.clone();
    // `10` becomes `10.0`: the same JSON number by value (API-030). Only
    // unknown (`x_`) members change, which no schema constrains (VAL-007).
    let spec = decimal_text(&cur.spec, false);
    let body = if w.ctx.profile == crate::sp::profile::Profile::Agent {
        spec
    } else {
        format!("{{\"spec\": {spec}}}")
    };
    resend(w, &cur, body).await
}

/// Sends the create of `cur` again with `body` (under the agent profile
/// with the same `Idempotency-Key`) and settles the ledger.
async fn resend(w: &mut SpWorld, cur: &Tracked, body: String) -> StepResult {
    let endpoint = w.endpoint_of(&cur.service_type)?;
    let mut req = Request::new("POST", format!("{endpoint}?id={}", urlencode(&cur.id)))
        .with_timeout(w.ctx.timeouts.get("create_response"))
        .with_body("application/json", body.into_bytes());
    if w.ctx.profile == crate::sp::profile::Profile::Agent {
        req = req.with_header("Idempotency-Key", &format!("key-{}", cur.id));
    }
    let ex = w.send(req).await;
    w.settle(&cur.id, &cur.service_type, &ex);
    Ok(())
}

/// JSON text of `v`; inside members whose name starts with `x_` (and when
/// `unknown`), whole numbers are written with a `.0` fraction.
fn decimal_text(v: &Value, unknown: bool) -> String {
    match v {
        Value::Number(n) if unknown && (n.is_i64() || n.is_u64()) => format!("{n}.0"),
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|i| decimal_text(i, unknown))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    Value::String(k.clone()),
                    decimal_text(v, unknown || k.starts_with("x_"))
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn reorder(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.iter().rev() {
                out.insert(k.clone(), reorder(v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(reorder).collect()),
        other => other.clone(),
    }
}

#[when(regex = r"^I send (\d+) concurrent creates with one id and spec:$")]
async fn concurrent_creates(w: &mut SpWorld, n: usize, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let id = w.ctx.new_id();
    let service = w.service.clone();
    let endpoint = w.endpoint()?;
    w.track(&id, &service, spec.clone());
    let mut tasks = Vec::new();
    for _ in 0..n {
        let req = Request::new("POST", format!("{endpoint}?id={id}"))
            .with_timeout(w.ctx.timeouts.get("create_response"))
            .with_json(&serde_json::json!({ "spec": spec }));
        let ctx = w.ctx.clone();
        tasks.push(tokio::spawn(async move {
            crate::sp::http::send(&ctx, req).await
        }));
    }
    w.batch.clear();
    for t in tasks {
        let ex = t.await.map_err(|e| format!("create task failed: {e}"))?;
        w.exchanges.push(ex.clone());
        w.batch.push(ex);
    }
    w.ctx
        .ledger
        .set(&id, &service, crate::sp::context::EntryState::Created);
    Ok(())
}

#[then(regex = r"^every answer is 200, 201 or 409 and at least one is 201$")]
async fn concurrent_answers(w: &mut SpWorld) -> StepResult {
    let codes: Vec<Option<u16>> = w.batch.iter().map(Exchange::status).collect();
    if codes.iter().any(|c| !matches!(c, Some(200 | 201 | 409))) {
        return Err(format!("API-034: concurrent creates answered {codes:?}"));
    }
    if !codes.contains(&Some(201)) {
        return Err(format!("API-034: no create answered 201: {codes:?}"));
    }
    Ok(())
}

#[given(regex = r"^I remember the stored resource$")]
async fn remember_stored(w: &mut SpWorld) -> StepResult {
    let ex = w.get_current().await?;
    checks::status_is(&ex, &[200]).map_err(|e| format!("API-040: {e}"))?;
    let body = checks::json_body(&ex)?;
    let id = w.current()?.id.clone();
    let events = w.ctx.dcm.events.for_id(&id).len();
    w.memory.insert("stored".into(), body);
    w.memory
        .insert("events_before_replay".into(), serde_json::json!(events));
    Ok(())
}

#[then(regex = r"^the answer is the remembered resource with its create_time and status$")]
async fn is_remembered(w: &mut SpWorld) -> StepResult {
    let stored = w
        .memory
        .get("stored")
        .cloned()
        .ok_or("no resource was remembered")?;
    let body = checks::json_body(w.last()?)?;
    for member in ["id", "create_time", "status", "spec"] {
        if body[member] != stored[member] {
            return Err(format!(
                "API-030: a replay must leave the stored resource alone, but `{member}` was {} \
                 before the replay and is {} now (the resource was created again)",
                stored[member], body[member]
            ));
        }
    }
    Ok(())
}

#[then(
    regex = r#"^no event for the resource after the replay reports a status other than "([A-Z_]+)"$"#
)]
async fn no_event_after_replay(w: &mut SpWorld, status: String) -> StepResult {
    let before = w
        .memory
        .get("events_before_replay")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let id = w.current()?.id.clone();
    for e in w.ctx.dcm.events.for_id(&id).into_iter().skip(before) {
        if e.status().as_deref() != Some(status.as_str()) {
            return Err(format!(
                "API-030: after a replay the SP published {:?} for the resource, which was {status}: \
                 the replay was not free of side effects",
                e.status()
            ));
        }
    }
    Ok(())
}

#[then(regex = r"^the resource exists once in the collection$")]
async fn exists_once(w: &mut SpWorld) -> StepResult {
    let id = w.current()?.id.clone();
    w.pages = walk(w, "max_page_size=100", false).await?;
    let n = walked_ids(w).iter().filter(|i| **i == id).count();
    if n == 1 {
        Ok(())
    } else {
        Err(format!("API-030/API-034: id {id} is listed {n} times"))
    }
}

#[then(regex = r"^the first resource is untouched$")]
async fn first_untouched(w: &mut SpWorld) -> StepResult {
    let first = w.resources.first().ok_or("no first resource")?.clone();
    let url = format!(
        "{}/{}",
        w.endpoint_of(&first.service_type)?,
        urlencode(&first.id)
    );
    let ex = w.send(w.request("GET", url)).await;
    checks::status_is(&ex, &[200])?;
    checks::resource(
        &checks::json_body(&ex)?,
        &first.service_type,
        Some(&first.id),
        Some(&first.spec),
        w.ctx.profile,
    )
}

#[when(regex = r"^I delete the resource without waiting$")]
async fn delete_background(w: &mut SpWorld) -> StepResult {
    let url = w.current_url()?;
    let req = w.request("DELETE", url);
    let ctx = w.ctx.clone();
    w.background.push(tokio::spawn(async move {
        crate::sp::http::send(&ctx, req).await
    }));
    // Give the delete time to reach the SP before the next request.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    Ok(())
}
