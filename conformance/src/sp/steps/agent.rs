//! Steps of `features/sp/agent.feature`: agent-mode creates with an
//! `Idempotency-Key` and deletes with one (contract §15, AGT-001 to AGT-008).

use cucumber::gherkin::Step;
use cucumber::{then, when};
use serde_json::Value;

use super::crud::delete_current;
use crate::sp::world::{SpWorld, StepResult};
use crate::wire::Request;

#[when(regex = r"^I delete the resource with an Idempotency-Key header$")]
async fn delete_with_key(w: &mut SpWorld) -> StepResult {
    let key = format!("delete-{}", w.current()?.id);
    delete_current(w, Some(("Idempotency-Key", &key))).await
}

fn uuid_v5_of_key(key: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("urn:dcm:idempotency-key:{key}").as_bytes(),
    )
    .to_string()
}

async fn agent_create(
    w: &mut SpWorld,
    step: &Step,
    key: Option<String>,
    with_id: bool,
) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let endpoint = w.endpoint()?;
    let service = w.service.clone();
    let id = if with_id {
        Some(w.ctx.new_id())
    } else {
        key.as_deref().map(uuid_v5_of_key)
    };
    let url = if with_id {
        format!("{endpoint}?id={}", id.clone().unwrap_or_default())
    } else {
        endpoint
    };
    let mut req = Request::new("POST", url)
        .with_timeout(w.ctx.timeouts.get("create_response"))
        .with_json(&spec);
    if let Some(k) = &key {
        req = req.with_header("Idempotency-Key", k);
        w.memory.insert("key".into(), Value::String(k.clone()));
    }
    if let Some(id) = &id {
        w.track(id, &service, spec.clone());
    }
    let ex = w.send(req).await;
    match id {
        Some(id) => w.settle(&id, &service, &ex),
        None => {
            if let Some(new_id) = ex
                .json()
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned))
            {
                w.track(&new_id, &service, spec);
                w.settle(&new_id, &service, &ex);
            }
        }
    }
    Ok(())
}

#[when(regex = r"^I send an agent create with a new Idempotency-Key and spec:$")]
async fn agent_new_key(w: &mut SpWorld, step: &Step) -> StepResult {
    let key = format!("{}-key", w.ctx.new_id());
    agent_create(w, step, Some(key), false).await
}

#[when(regex = r"^I send the agent create again with the same key and spec:$")]
async fn agent_same_key(w: &mut SpWorld, step: &Step) -> StepResult {
    let key = w
        .memory
        .get("key")
        .and_then(Value::as_str)
        .ok_or("no Idempotency-Key was sent yet")?
        .to_owned();
    let before = w.resources.clone();
    agent_create(w, step, Some(key), false).await?;
    w.resources = before;
    Ok(())
}

#[when(regex = r"^I send an agent create with \?id= and a new Idempotency-Key and spec:$")]
async fn agent_id_and_key(w: &mut SpWorld, step: &Step) -> StepResult {
    let key = format!("{}-key", w.ctx.new_id());
    agent_create(w, step, Some(key), true).await
}

#[when(regex = r"^I send an agent create without key or id and spec:$")]
async fn agent_bare(w: &mut SpWorld, step: &Step) -> StepResult {
    agent_create(w, step, None, false).await
}

#[then(regex = r"^the answer id is the UUIDv5 of the Idempotency-Key$")]
async fn agent_uuid5(w: &mut SpWorld) -> StepResult {
    let key = w
        .memory
        .get("key")
        .and_then(Value::as_str)
        .ok_or("no key")?
        .to_owned();
    let body = w.last()?.json()?;
    let want = uuid_v5_of_key(&key);
    if body["id"] == want.as_str() {
        Ok(())
    } else {
        Err(format!("AGT-003: id {} is not {want}", body["id"]))
    }
}
