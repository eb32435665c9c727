//! Steps of the resource protocol: create, get, list, delete, validation,
//! idempotency, problems (contract §6 to §8, §15).

use std::collections::BTreeMap;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::Value;

use crate::sp::checks;
use crate::sp::pagewalk::{Next, PageWalk};
use crate::sp::world::{SpWorld, StepResult, urlencode};
use crate::wire::{Exchange, Request};

fn parse_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_codes(list: &str) -> Result<Vec<u16>, String> {
    parse_list(list)
        .iter()
        .map(|s| {
            s.parse::<u16>()
                .map_err(|_| format!("`{s}` is not a status code"))
        })
        .collect()
}

#[given(regex = r#"^the service type "([a-z]+)"$"#)]
async fn service_type(w: &mut SpWorld, service: String) -> StepResult {
    w.endpoint_of(&service)?;
    w.service = service;
    Ok(())
}

async fn create_new(w: &mut SpWorld, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let id = w.ctx.new_id();
    let service = w.service.clone();
    w.create(&service, Some(&id), spec).await?;
    Ok(())
}

#[when(regex = r"^I create a resource with spec:$")]
async fn when_create(w: &mut SpWorld, step: &Step) -> StepResult {
    create_new(w, step).await
}

#[when(regex = r"^I create another resource with spec:$")]
async fn when_create_another(w: &mut SpWorld, step: &Step) -> StepResult {
    create_new(w, step).await
}

async fn create_ok(w: &mut SpWorld, step: &Step) -> StepResult {
    create_new(w, step).await?;
    let ex = w.last()?.clone();
    checks::status_is(&ex, &[200, 201])
        .map_err(|e| format!("API-011: creating the scenario's resource failed: {e}"))
}

#[given(regex = r"^a resource created with spec:$")]
async fn given_created(w: &mut SpWorld, step: &Step) -> StepResult {
    create_ok(w, step).await
}

#[given(regex = r"^(\d+) resources created with spec:$")]
async fn given_n_created(w: &mut SpWorld, n: usize, step: &Step) -> StepResult {
    for _ in 0..n {
        create_ok(w, step).await?;
    }
    Ok(())
}

#[when(regex = r"^I create a resource without an id with spec:$")]
async fn create_without_id(w: &mut SpWorld, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let service = w.service.clone();
    w.create(&service, None, spec).await?;
    Ok(())
}

#[when(regex = r#"^I create a resource with the id "([^"]*)" and spec:$"#)]
async fn create_with_id(w: &mut SpWorld, id: String, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let id = w.expand(&id)?;
    let service = w.service.clone();
    w.create(&service, Some(&id), spec).await?;
    Ok(())
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

#[when(regex = r"^I create the id again with spec:$")]
async fn create_again(w: &mut SpWorld, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let cur = w.current()?.clone();
    w.create(&cur.service_type, Some(&cur.id), spec).await?;
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
    let endpoint = w.endpoint_of(&cur.service_type)?;
    // Same JSON value, other member order and whitespace (API-030).
    let reordered = reorder(&cur.spec);
    let text =
        serde_json::to_string_pretty(&serde_json::json!({ "spec": reordered })).unwrap_or_default();
    let body = if w.ctx.profile == crate::sp::profile::Profile::Agent {
        serde_json::to_string_pretty(&reordered).unwrap_or_default()
    } else {
        text
    };
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

#[when(
    regex = r"^I replay the create with the whole numbers of its unknown members written as decimals$"
)]
async fn replay_decimals(w: &mut SpWorld) -> StepResult {
    let cur = w.current()?.clone();
    let endpoint = w.endpoint_of(&cur.service_type)?;
    // `10` becomes `10.0`: the same JSON number by value (API-030). Only
    // unknown (`x_`) members change, which no schema constrains (VAL-007).
    let spec = decimal_text(&cur.spec, false);
    let body = if w.ctx.profile == crate::sp::profile::Profile::Agent {
        spec
    } else {
        format!("{{\"spec\": {spec}}}")
    };
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
        let client = w.ctx.http.clone();
        tasks.push(tokio::spawn(async move {
            crate::sp::http::send(&client, req).await
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

#[when(regex = r#"^I send a create with content type "([^"]*)" and body:$"#)]
async fn raw_create(w: &mut SpWorld, content_type: String, step: &Step) -> StepResult {
    let body = step
        .docstring
        .clone()
        .ok_or("this step needs a docstring")?
        .replace("{name}", &w.name);
    let body = match w.ctx.sp.facts().get("hint-namespace") {
        Some(ns) => body.replace("{hint-namespace}", ns),
        None => body,
    };
    let id = w.ctx.new_id();
    let service = w.service.clone();
    let endpoint = w.endpoint()?;
    let spec = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("spec").cloned())
        .unwrap_or(Value::Null);
    w.track(&id, &service, spec);
    let req = Request::new("POST", format!("{endpoint}?id={id}"))
        .with_timeout(w.ctx.timeouts.get("create_response"))
        .with_body(&content_type, body.trim_end().as_bytes().to_vec());
    let ex = w.send(req).await;
    w.settle(&id, &service, &ex);
    Ok(())
}

#[when(
    regex = r"^I send a create whose body is (\d+) bytes( without Content-Length| of invalid JSON)?$"
)]
async fn big_create(w: &mut SpWorld, size: usize, variant: String) -> StepResult {
    let id = w.ctx.new_id();
    let service = w.service.clone();
    let endpoint = w.endpoint()?;
    w.track(&id, &service, Value::Null);
    let body = if variant.contains("invalid") {
        let mut b = b"{\"spec\": {".to_vec();
        b.resize(size, b'x');
        b
    } else {
        let head = format!("{{\"spec\": {{\"service_type\": \"{service}\", \"padding\": \"");
        let mut b = head.into_bytes();
        b.resize(size - 3, b'a');
        b.extend_from_slice(b"\"}}");
        b
    };
    let url = format!("{endpoint}?id={id}");
    let chunked = variant.contains("Content-Length");
    let mut req = Request::new("POST", url)
        .with_body("application/json", body)
        .with_timeout(w.ctx.timeouts.get("http_response"));
    req.chunked = chunked;
    let ex = crate::wire::client::record_raw(req).await;
    w.exchanges.push(ex.clone());
    w.settle(&id, &service, &ex);
    Ok(())
}

#[when(regex = r#"^I send "([A-Z]+)" to "([^"]+)"(?: with header "([^:]+): ([^"]*)")?$"#)]
async fn send_raw(
    w: &mut SpWorld,
    method: String,
    path: String,
    header: String,
    value: String,
) -> StepResult {
    let url = w.expand(&path)?;
    let mut req = w.request(&method, url);
    if !header.is_empty() {
        req = req.with_header(&header, &value);
    }
    w.send(req).await;
    Ok(())
}

#[when(regex = r"^I get the resource$")]
async fn get_resource(w: &mut SpWorld) -> StepResult {
    w.get_current().await?;
    Ok(())
}

#[when(regex = r#"^I get the resource through the "([a-z]+)" endpoint$"#)]
async fn get_through(w: &mut SpWorld, service: String) -> StepResult {
    let id = w.current()?.id.clone();
    let url = format!("{}/{}", w.endpoint_of(&service)?, urlencode(&id));
    w.send(w.request("GET", url)).await;
    Ok(())
}

#[when(regex = r"^I (get|delete) an unknown id$")]
async fn unknown_id(w: &mut SpWorld, verb: String) -> StepResult {
    let url = format!("{}/{}", w.endpoint()?, w.ctx.new_id());
    let method = if verb == "get" { "GET" } else { "DELETE" };
    w.send(w.request(method, url)).await;
    Ok(())
}

async fn delete_current(w: &mut SpWorld, extra_header: Option<(&str, &str)>) -> StepResult {
    let cur = w.current()?.clone();
    let url = format!(
        "{}/{}",
        w.endpoint_of(&cur.service_type)?,
        urlencode(&cur.id)
    );
    let mut req = w.request("DELETE", url);
    if let Some((k, v)) = extra_header {
        req = req.with_header(k, v);
    }
    w.send(req).await;
    Ok(())
}

#[when(regex = r"^I delete the resource$")]
async fn delete_resource(w: &mut SpWorld) -> StepResult {
    delete_current(w, None).await
}

#[when(regex = r"^I delete the resource with an Idempotency-Key header$")]
async fn delete_with_key(w: &mut SpWorld) -> StepResult {
    let key = format!("delete-{}", w.current()?.id);
    delete_current(w, Some(("Idempotency-Key", &key))).await
}

#[when(regex = r"^I delete the resource without waiting$")]
async fn delete_background(w: &mut SpWorld) -> StepResult {
    let cur = w.current()?.clone();
    let url = format!(
        "{}/{}",
        w.endpoint_of(&cur.service_type)?,
        urlencode(&cur.id)
    );
    let req = w.request("DELETE", url);
    let client = w.ctx.http.clone();
    w.background.push(tokio::spawn(async move {
        crate::sp::http::send(&client, req).await
    }));
    // Give the delete time to reach the SP before the next request.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    Ok(())
}

#[when(regex = r#"^I list the collection with "([^"]*)"$"#)]
async fn list(w: &mut SpWorld, query: String) -> StepResult {
    let url = if query.is_empty() {
        w.endpoint()?
    } else {
        format!("{}?{query}", w.endpoint()?)
    };
    w.send(w.request("GET", url)).await;
    Ok(())
}

async fn walk(w: &mut SpWorld, query: &str, churn: bool) -> Result<Vec<Value>, String> {
    let endpoint = w.endpoint()?;
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    let mut guard = PageWalk::new(500);
    loop {
        let url = match &token {
            Some(t) => format!("{endpoint}?{query}&page_token={}", urlencode(t)),
            None => format!("{endpoint}?{query}"),
        };
        let ex = w.send(w.request("GET", url)).await;
        checks::status_is(&ex, &[200])?;
        let page = checks::json_body(&ex)?;
        crate::sp::schemas::validate(crate::sp::schemas::Shape::ResourceList, &page)
            .map_err(|e| format!("API-050: list page breaks the schema: {}", e.join("; ")))?;
        let next = guard.page(&page);
        pages.push(page);
        w.memory.insert(
            "walk_repeats".into(),
            serde_json::json!(
                guard
                    .repeats()
                    .iter()
                    .map(|r| format!("{} (pages {} and {})", r.id, r.first_page, r.again_on))
                    .collect::<Vec<_>>()
            ),
        );
        token = match next? {
            Next::Done => return Ok(pages),
            Next::Token(t) => Some(t),
        };
        if churn {
            let spec = serde_json::json!({"service_type": w.service});
            let id = w.ctx.new_id();
            let service = w.service.clone();
            w.create(&service, Some(&id), spec).await?;
            let del = format!("{endpoint}/{id}");
            w.send(w.request("DELETE", del)).await;
        }
    }
}

#[when(
    regex = r#"^I walk the collection with "([^"]*)"( creating and deleting a resource between pages)?$"#
)]
async fn walk_step(w: &mut SpWorld, query: String, churn: String) -> StepResult {
    let stable: Vec<String> = w.resources.iter().map(|r| r.id.clone()).collect();
    w.memory.insert("stable".into(), serde_json::json!(stable));
    w.pages = walk(w, &query, !churn.is_empty()).await?;
    Ok(())
}

#[when(regex = r#"^I list the collection with "([^"]*)" until the resource is found$"#)]
async fn list_until_found(w: &mut SpWorld, query: String) -> StepResult {
    let id = w.current()?.id.clone();
    w.pages = walk(w, &query, false).await?;
    let found = w.pages.iter().any(|p| {
        p["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|i| i["id"] == id.as_str()))
    });
    if found {
        Ok(())
    } else {
        Err(format!("API-050: resource {id} is not in the list"))
    }
}

fn walked_ids(w: &SpWorld) -> Vec<String> {
    w.pages
        .iter()
        .flat_map(|p| p["results"].as_array().cloned().unwrap_or_default())
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

#[then(regex = r"^every page held at most (\d+) items?$")]
async fn pages_at_most(w: &mut SpWorld, n: usize) -> StepResult {
    for (i, p) in w.pages.iter().enumerate() {
        let len = p["results"].as_array().map_or(0, Vec::len);
        if len > n {
            return Err(format!(
                "API-051: page {i} held {len} items, more than max_page_size {n}"
            ));
        }
    }
    Ok(())
}

#[then(regex = r"^every page but the last had a non-empty next_page_token$")]
async fn tokens(w: &mut SpWorld) -> StepResult {
    let n = w.pages.len();
    for (i, p) in w.pages.iter().enumerate().take(n.saturating_sub(1)) {
        if p["next_page_token"].as_str().is_none_or(str::is_empty) {
            return Err(format!("API-051: page {i} of {n} has no next_page_token"));
        }
    }
    Ok(())
}

#[then(regex = r"^the walk returned each of my (stable )?resources( exactly once)?$")]
async fn walk_returned(w: &mut SpWorld, stable: String, once: String) -> StepResult {
    let ids = walked_ids(w);
    let mine: Vec<String> = if stable.is_empty() {
        w.resources.iter().map(|r| r.id.clone()).collect()
    } else {
        w.memory
            .get("stable")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &ids {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    for id in &mine {
        let c = counts.get(id.as_str()).copied().unwrap_or(0);
        if c == 0 {
            return Err(format!(
                "API-051/API-053: resource {id} was never returned by the walk"
            ));
        }
        if !once.is_empty() && c > 1 {
            return Err(format!("API-053: resource {id} was returned {c} times"));
        }
    }
    Ok(())
}

#[then(regex = r"^the walk does not return the resource$")]
async fn walk_lacks(w: &mut SpWorld) -> StepResult {
    let id = w.current()?.id.clone();
    if walked_ids(w).contains(&id) {
        Err(format!(
            "API-050: the list still holds {id}, which was deleted (GET answers 404)"
        ))
    } else {
        Ok(())
    }
}

#[then(regex = r"^no page after the first was empty$")]
async fn no_empty_tail(w: &mut SpWorld) -> StepResult {
    // Nobody changed the collection (the scenario is @serial), so an empty
    // page means the page before it was the last one yet carried a token.
    for (i, p) in w.pages.iter().enumerate().skip(1) {
        if p["results"].as_array().is_some_and(Vec::is_empty) {
            return Err(format!(
                "API-051: page {i} was empty: the page before it held the last items but still \
                 had a next_page_token"
            ));
        }
    }
    Ok(())
}

#[then(regex = r"^no item was returned on more than one page$")]
async fn no_repeats(w: &mut SpWorld) -> StepResult {
    let repeats: Vec<String> = w
        .memory
        .get("walk_repeats")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    if repeats.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "API-051: a walk of a collection nobody changed returned items on two pages: {}",
            repeats.join(", ")
        ))
    }
}

#[then(regex = r"^the page holds at most (\d+) items$")]
async fn page_at_most(w: &mut SpWorld, n: usize) -> StepResult {
    let body = checks::json_body(w.last()?)?;
    let len = body["results"].as_array().map_or(0, Vec::len);
    if len > n {
        Err(format!("API-051: the default page held {len} items"))
    } else {
        Ok(())
    }
}

#[then(regex = r"^every listed item is a valid resource of this service type$")]
async fn listed_valid(w: &mut SpWorld) -> StepResult {
    let service = w.service.clone();
    let profile = w.ctx.profile;
    for p in &w.pages {
        for item in p["results"].as_array().cloned().unwrap_or_default() {
            checks::resource(&item, &service, None, None, profile)?;
            if item["spec"]["service_type"]
                .as_str()
                .is_some_and(|s| s != service)
            {
                return Err(format!(
                    "API-050: a {service} list holds an item of type {}",
                    item["spec"]["service_type"]
                ));
            }
        }
    }
    Ok(())
}

#[then(regex = r"^the answer status is (\d+)$")]
async fn status_exact(w: &mut SpWorld, code: u16) -> StepResult {
    checks::status_is(w.last()?, &[code])
}

#[then(regex = r"^the answer status is (\d+) with an empty body$")]
async fn status_empty(w: &mut SpWorld, code: u16) -> StepResult {
    let ex = w.last()?;
    checks::status_is(ex, &[code])?;
    if ex.body().is_empty() {
        Ok(())
    } else {
        Err(format!(
            "API-060: a {code} must have an empty body, got {}",
            ex.text()
        ))
    }
}

#[then(regex = r#"^the answer status is one of "([^"]+)"$"#)]
async fn status_one_of(w: &mut SpWorld, list: String) -> StepResult {
    checks::status_is(w.last()?, &parse_codes(&list)?)
}

#[then(regex = r"^the answer is the resource with the spec as sent$")]
async fn answer_is_resource(w: &mut SpWorld) -> StepResult {
    let cur = w.current()?.clone();
    let ex = w.last()?;
    checks::status_is(ex, &[200, 201])?;
    let body = checks::json_body(ex)?;
    checks::resource(
        &body,
        &cur.service_type,
        Some(&cur.id),
        Some(&cur.spec),
        w.ctx.profile,
    )
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

#[then(regex = r#"^the resource status is one of "([^"]+)"$"#)]
async fn resource_status_one_of(w: &mut SpWorld, list: String) -> StepResult {
    let body = w.last()?.json()?;
    let status = body["status"].as_str().unwrap_or_default();
    let allowed = parse_list(&list);
    if allowed.iter().any(|s| s == status) {
        Ok(())
    } else {
        Err(format!("status `{status}` is not one of {allowed:?}"))
    }
}

#[then(regex = r#"^the resource status is not "([A-Z_]+)"$"#)]
async fn resource_status_not(w: &mut SpWorld, status: String) -> StepResult {
    let body = w.last()?.json()?;
    if body["status"] == status.as_str() {
        Err(format!("status must not be {status}"))
    } else {
        Ok(())
    }
}

#[then(regex = r"^the resource status is from the vocabulary$")]
async fn resource_status_vocab(w: &mut SpWorld) -> StepResult {
    let body = w.last()?.json()?;
    checks::status_in_vocabulary(
        body["status"].as_str().unwrap_or_default(),
        &w.service,
        w.ctx.profile,
    )
}

#[then(regex = r"^the resource status message (is not empty|mentions .+)$")]
async fn status_message(w: &mut SpWorld, what: String) -> StepResult {
    let ex = w.get_current().await?;
    let body = ex.json()?;
    let msg = body["status_message"].as_str().unwrap_or_default();
    if let Some(needle) = what.strip_prefix("mentions ") {
        let needle = needle.trim_matches('"');
        if !msg
            .to_ascii_lowercase()
            .contains(&needle.to_ascii_lowercase())
        {
            return Err(format!(
                "VOC-005: status_message `{msg}` does not mention `{needle}`"
            ));
        }
    } else if msg.trim().is_empty() {
        return Err("API-016: status_message is empty".into());
    }
    Ok(())
}

#[then(regex = r"^the answer id is a lower-case UUID v4$")]
async fn id_uuid_v4(w: &mut SpWorld) -> StepResult {
    let body = w.last()?.json()?;
    let id = body["id"].as_str().unwrap_or_default();
    let parsed =
        uuid::Uuid::parse_str(id).map_err(|_| format!("API-010: id `{id}` is not a UUID"))?;
    if parsed.get_version_num() != 4 || id != parsed.hyphenated().to_string() {
        return Err(format!(
            "API-010: id `{id}` is not a lower-case hyphenated UUID v4"
        ));
    }
    Ok(())
}

#[then(regex = r"^the answer id is the id I sent$")]
async fn id_is_sent(w: &mut SpWorld) -> StepResult {
    let id = w.current()?.id.clone();
    let body = w.last()?.json()?;
    if body["id"] == id.as_str() {
        Ok(())
    } else {
        Err(format!("the answer id {} is not {id}", body["id"]))
    }
}

#[then(regex = r#"^the answer is a "([a-z-]+)" problem with status (\d+)$"#)]
async fn slug_problem(w: &mut SpWorld, slug: String, code: u16) -> StepResult {
    let strict = w.ctx.caps.contains(&crate::sp::target::Capability::Ref);
    checks::problem(w.last()?, &[code], Some(&slug), strict).map(|_| ())
}

#[then(regex = r"^the answer is a problem with status (\d+)(?: or (\d+))?$")]
async fn problem_codes(w: &mut SpWorld, a: u16, b: String) -> StepResult {
    let mut codes = vec![a];
    if let Ok(b) = b.parse() {
        codes.push(b);
    }
    checks::problem(w.last()?, &codes, None, false).map(|_| ())
}

#[then(regex = r"^the answer is a problem with a 4xx or 5xx status$")]
async fn problem_any(w: &mut SpWorld) -> StepResult {
    let codes: Vec<u16> = (400..600).collect();
    let ex = w.last()?;
    checks::problem(ex, &codes, None, false).map(|_| ())
}

#[then(regex = r"^the answer is either 201 or a problem with status (\d+) or (\d+)$")]
async fn created_or_problem(w: &mut SpWorld, a: u16, b: u16) -> StepResult {
    let ex = w.last()?;
    if ex.status() == Some(201) {
        return Ok(());
    }
    checks::problem(ex, &[a, b], None, false).map(|_| ())
}

#[then(
    regex = r#"^the answer is either a "([a-z-]+)" problem with status (\d+) or 201 with a status message naming "([^"]+)"$"#
)]
async fn problem_or_note(w: &mut SpWorld, slug: String, code: u16, key: String) -> StepResult {
    let ex = w.last()?.clone();
    if ex.status() == Some(201) {
        let body = ex.json()?;
        let msg = body["status_message"].as_str().unwrap_or_default();
        return if msg.contains(&key) {
            Ok(())
        } else {
            Err(format!(
                "SEC-005: hint `{key}` accepted without a note in status_message"
            ))
        };
    }
    checks::problem(&ex, &[code], Some(&slug), false).map(|_| ())
}

#[then(regex = r#"^the problem detail mentions "([^"]+)"$"#)]
async fn detail_mentions(w: &mut SpWorld, text: String) -> StepResult {
    let body = w.last()?.json()?;
    let detail = body["detail"].as_str().unwrap_or_default();
    if detail.contains(&text) {
        Ok(())
    } else {
        Err(format!("VAL-011: detail `{detail}` does not name `{text}`"))
    }
}

#[then(regex = r"^the problem body leaks no stack trace, HTML, backend URL or credential$")]
async fn no_leak(w: &mut SpWorld) -> StepResult {
    let ex = w.last()?;
    checks::leak_free(&ex.text()).map_err(|e| format!("ERR-006: problem {e}"))?;
    if ex.text().contains("Bearer abc") && ex.text().to_ascii_lowercase().contains("authorization")
    {
        return Err("SEC-002: problem echoes an Authorization value".into());
    }
    Ok(())
}

#[then(regex = r"^the problem instance is the request path or a urn:uuid$")]
async fn problem_instance(w: &mut SpWorld) -> StepResult {
    let ex = w.last()?;
    let body = ex.json()?;
    let instance = body["instance"]
        .as_str()
        .ok_or("ERR-007: the problem has no instance")?;
    let target = ex.request.path();
    let path = target.split('?').next().unwrap_or("");
    if instance == path || instance.starts_with("urn:uuid:") {
        Ok(())
    } else {
        Err(format!(
            "ERR-007: instance `{instance}` is neither the path `{path}` nor a urn:uuid"
        ))
    }
}

#[then(regex = r#"^the problem errors name the field "([^"]+)"$"#)]
async fn problem_errors(w: &mut SpWorld, field: String) -> StepResult {
    let body = w.last()?.json()?;
    let errors = body["errors"]
        .as_array()
        .ok_or("ERR-008: the 400 problem has no `errors` array")?;
    if errors.iter().any(|e| e["field"] == field.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "ERR-008: no `errors` entry names `{field}`: {}",
            body["errors"]
        ))
    }
}

#[when(regex = r"^I remember the problem title$")]
async fn remember_title(w: &mut SpWorld) -> StepResult {
    let body = w.last()?.json()?;
    w.memory.insert("title".into(), body["title"].clone());
    w.memory.insert("type".into(), body["type"].clone());
    Ok(())
}

#[then(regex = r"^the problem title is the one I remembered$")]
async fn same_title(w: &mut SpWorld) -> StepResult {
    let body = w.last()?.json()?;
    if body["type"] != w.memory["type"] {
        return Err(format!(
            "the two problems have different types: {} and {}",
            w.memory["type"], body["type"]
        ));
    }
    if body["title"] == w.memory["title"] {
        Ok(())
    } else {
        Err(format!(
            "ERR-005: title varies for one type: {} vs {}",
            w.memory["title"], body["title"]
        ))
    }
}

#[then(regex = r#"^the Allow header lists "([^"]+)"$"#)]
async fn allow_header(w: &mut SpWorld, list: String) -> StepResult {
    let ex = w.last()?;
    let allow = ex
        .header("allow")
        .ok_or("VAL-013: the 405 has no Allow header")?
        .to_ascii_uppercase();
    for m in parse_list(&list) {
        if !allow.split(',').any(|a| a.trim() == m) {
            return Err(format!("VAL-013: Allow `{allow}` does not list {m}"));
        }
    }
    Ok(())
}

#[then(regex = r"^no resource exists for that id$")]
async fn no_resource(w: &mut SpWorld) -> StepResult {
    let ex = w.get_current().await?;
    if ex.status() == Some(404) {
        Ok(())
    } else {
        Err(format!(
            "VAL-015: a rejected create left a resource (GET answered {:?})",
            ex.status()
        ))
    }
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

#[then(regex = r#"^within "([a-z_]+)" getting the resource answers 404 "not-found"$"#)]
async fn eventually_gone(w: &mut SpWorld, key: String) -> StepResult {
    let cur = w.current()?.clone();
    let url = format!(
        "{}/{}",
        w.endpoint_of(&cur.service_type)?,
        urlencode(&cur.id)
    );
    let ctx = w.ctx.clone();
    let req = w.request("GET", url);
    let ex = ctx
        .eventually(&key, || {
            let req = req.clone();
            let ctx = ctx.clone();
            async move {
                let ex = crate::sp::http::send(&ctx.http, req).await;
                if ex.status() == Some(404) {
                    Ok(ex)
                } else {
                    Err(format!("GET answered {:?}", ex.status()))
                }
            }
        })
        .await?;
    w.exchanges.push(ex.clone());
    checks::problem(&ex, &[404], Some("not-found"), false).map(|_| ())
}

#[then(regex = r"^getting the resource answers (\d+)$")]
async fn get_answers(w: &mut SpWorld, code: u16) -> StepResult {
    let ex = w.get_current().await?;
    checks::status_is(&ex, &[code])
}

#[then(regex = r#"^within "([a-z_]+)" getting the resource shows status "([A-Z_]+)"$"#)]
async fn eventually_status(w: &mut SpWorld, key: String, status: String) -> StepResult {
    shows_status(w, &key, &status).await
}

#[given(regex = r#"^within "([a-z_]+)" getting the resource shows status "([A-Z_]+)"$"#)]
async fn given_eventually_status(w: &mut SpWorld, key: String, status: String) -> StepResult {
    shows_status(w, &key, &status).await
}

async fn shows_status(w: &mut SpWorld, key: &str, status: &str) -> StepResult {
    let cur = w.current()?.clone();
    let url = format!(
        "{}/{}",
        w.endpoint_of(&cur.service_type)?,
        urlencode(&cur.id)
    );
    let ctx = w.ctx.clone();
    let req = w.request("GET", url);
    let ex = ctx
        .eventually(key, || {
            let req = req.clone();
            let ctx = ctx.clone();
            async move {
                let ex = crate::sp::http::send(&ctx.http, req).await;
                let got = ex
                    .json()
                    .ok()
                    .and_then(|b| b["status"].as_str().map(str::to_owned));
                if got.as_deref() == Some(status) {
                    Ok(ex)
                } else {
                    Err(format!("status is {got:?}, want {status}"))
                }
            }
        })
        .await?;
    w.exchanges.push(ex);
    Ok(())
}

#[then(regex = r#"^a kubeconfig is present only if the status is "ACTIVE"$"#)]
async fn kubeconfig_only_active(w: &mut SpWorld) -> StepResult {
    let body = w.last()?.json()?;
    let active = body["status"] == "ACTIVE";
    let has = body.get("kubeconfig").is_some_and(|k| !k.is_null());
    if has && !active {
        return Err(format!(
            "SEC-003: kubeconfig returned while status is {}",
            body["status"]
        ));
    }
    Ok(())
}

#[then(regex = r"^no listed item carries a kubeconfig$")]
async fn list_no_kubeconfig(w: &mut SpWorld) -> StepResult {
    let body = w.last()?.json()?;
    for item in body["results"].as_array().cloned().unwrap_or_default() {
        if item.get("kubeconfig").is_some_and(|k| !k.is_null()) {
            return Err(format!(
                "API-054/SEC-003: list item {} carries a kubeconfig",
                item["id"]
            ));
        }
    }
    Ok(())
}

#[then(regex = r#"^no listed item has the backend name "([^"]+)"$"#)]
async fn list_no_orphan(w: &mut SpWorld, name: String) -> StepResult {
    let name = w.expand(&name)?;
    let body = w.last()?.json()?;
    for item in body["results"].as_array().cloned().unwrap_or_default() {
        if item["id"] == name.as_str() || item["spec"]["metadata"]["name"] == name.as_str() {
            return Err(format!(
                "ORP-001/API-050: the untracked backend resource {name} is listed"
            ));
        }
    }
    Ok(())
}

#[then(regex = r#"^the answer does not contain "([^"]+)"$"#)]
async fn no_echo(w: &mut SpWorld, text: String) -> StepResult {
    let ex = w.last()?;
    let headers = format!("{:?}", ex.response.as_ref().map(|r| &r.headers));
    if ex.text().contains(&text) || headers.contains(&text) {
        Err(format!("SEC-002: the answer echoes `{text}`"))
    } else {
        Ok(())
    }
}

#[then(regex = r#"^the answer arrived within "([a-z_]+)"$"#)]
async fn arrived_within(w: &mut SpWorld, key: String) -> StepResult {
    let ex = w.last()?;
    let limit = w.ctx.timeouts.get(&key);
    if ex.status().is_some() && ex.elapsed <= limit {
        Ok(())
    } else {
        Err(format!(
            "TMO-001/API-014: answer took {} ms (limit {key} = {} ms){}",
            ex.elapsed.as_millis(),
            limit.as_millis(),
            ex.error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ))
    }
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
