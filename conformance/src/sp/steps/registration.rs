//! Steps about registration with the fake DCM's registry (contract §4).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use cucumber::{given, then};
use serde_json::Value;

use crate::dcm_sim::RegistrationAttempt;
use crate::sp::checks;
use crate::sp::schemas::{Shape, validate};
use crate::sp::world::{SpWorld, StepResult};

fn attempts(w: &SpWorld) -> Vec<RegistrationAttempt> {
    w.ctx.dcm.registry.attempts()
}

fn since_mark(w: &SpWorld) -> Vec<RegistrationAttempt> {
    let mark = w
        .memory
        .get("restart_mark")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    attempts(w).into_iter().skip(mark).collect()
}

fn bodies(w: &SpWorld) -> Result<Vec<Value>, String> {
    let all: Vec<Value> = attempts(w)
        .iter()
        .filter(|a| a.method == "POST")
        .filter_map(RegistrationAttempt::json)
        .collect();
    if all.is_empty() {
        Err("REG-001: the SP sent no registration".into())
    } else {
        Ok(all)
    }
}

fn names_by_type(w: &SpWorld) -> BTreeMap<String, String> {
    w.ctx
        .services
        .values()
        .filter_map(|s| s.provider_name.clone().map(|n| (s.service_type.clone(), n)))
        .collect()
}

#[then(regex = r#"^every registration attempt was a POST to "([^"]+)" with a JSON body$"#)]
async fn post_to(w: &mut SpWorld, path: String) -> StepResult {
    let all = attempts(w);
    if all.is_empty() {
        return Err("REG-001: the SP sent no registration".into());
    }
    for a in all.iter().filter(|a| a.method != "DELETE") {
        if a.method != "POST" || a.path != path {
            return Err(format!(
                "REG-001: registration went to {} {}, expected POST {path}",
                a.method, a.path
            ));
        }
        let ct = a.content_type.clone().unwrap_or_default();
        if !ct.to_ascii_lowercase().starts_with("application/json") {
            return Err(format!("REG-002: registration Content-Type is `{ct}`"));
        }
        if a.json().is_none_or(|v| !v.is_object()) {
            return Err(format!(
                "REG-002: registration body is not a JSON object: {}",
                a.body
            ));
        }
    }
    Ok(())
}

#[then(regex = r"^every registration body validates against the registration schema$")]
async fn valid_bodies(w: &mut SpWorld) -> StepResult {
    for body in bodies(w)? {
        validate(Shape::Registration, &body).map_err(|e| {
            format!(
                "REG-002/REG-003/REG-006: registration {body} breaks the schema: {}",
                e.join("; ")
            )
        })?;
        checks::snake_case_keys(&body, &["metadata"]).map_err(|e| format!("REG-002: {e}"))?;
        if body["name"].as_str().is_none_or(str::is_empty) {
            return Err("REG-002: empty name".into());
        }
        if w.ctx.profile != crate::sp::profile::Profile::Agent
            && body["schema_version"] != "v1alpha1"
        {
            return Err(format!(
                "REG-003: schema_version should be v1alpha1, got {}",
                body["schema_version"]
            ));
        }
    }
    Ok(())
}

#[then(
    regex = r"^every registered endpoint is an absolute URL on a concrete host ending in the service's collection$"
)]
async fn endpoints(w: &mut SpWorld) -> StepResult {
    for body in bodies(w)? {
        let ep = body["endpoint"].as_str().unwrap_or_default();
        let rest = ep
            .strip_prefix("http://")
            .or_else(|| ep.strip_prefix("https://"))
            .ok_or(format!("REG-004: `{ep}` is not absolute"))?;
        let host = rest.split('/').next().unwrap_or_default();
        let hostname = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if hostname.is_empty() || hostname == "0.0.0.0" || hostname == "[::]" {
            return Err(format!(
                "REG-005: endpoint `{ep}` names a bind address, not a reachable host"
            ));
        }
        let st = body["service_type"].as_str().unwrap_or_default();
        if !ep
            .trim_end_matches('/')
            .ends_with(&format!("/{}", checks::plural(st)))
        {
            return Err(format!(
                "REG-004: endpoint `{ep}` is not the {st} collection"
            ));
        }
    }
    Ok(())
}

#[then(regex = r"^the registry answered 201 or 200 to the SP's registrations$")]
async fn answered_ok(w: &mut SpWorld) -> StepResult {
    for (st, name) in names_by_type(w) {
        let ok = attempts(w)
            .iter()
            .any(|a| a.name().as_deref() == Some(name.as_str()) && matches!(a.answer, 200 | 201));
        if !ok {
            return Err(format!(
                "REG-020: no successful registration of {name} ({st})"
            ));
        }
    }
    if w.ctx.services.values().any(|s| s.provider_name.is_none()) {
        return Err("REG-001: a service type under test never registered".into());
    }
    Ok(())
}

#[then(
    regex = r"^each service type under test was registered once under its own name and endpoint$"
)]
async fn one_per_type(w: &mut SpWorld) -> StepResult {
    // Judged on the accepted registrations so far, not on the live registry,
    // which other scenarios may have told to forget providers.
    let accepted: Vec<Value> = attempts(w)
        .iter()
        .filter(|a| matches!(a.answer, 200 | 201))
        .filter_map(RegistrationAttempt::json)
        .collect();
    let mut by_type: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for body in &accepted {
        let st = body["service_type"].as_str().unwrap_or_default().to_owned();
        let entry = by_type.entry(st).or_default();
        entry
            .0
            .insert(body["name"].as_str().unwrap_or_default().to_owned());
        entry
            .1
            .insert(body["endpoint"].as_str().unwrap_or_default().to_owned());
    }
    let mut names = BTreeSet::new();
    let mut endpoints = BTreeSet::new();
    for st in w.ctx.services.keys() {
        let (n, e) = by_type
            .get(st)
            .ok_or(format!("REG-025: no accepted registration for {st}"))?;
        if n.len() != 1 || e.len() != 1 {
            return Err(format!(
                "REG-025: {st} was registered under names {n:?} and endpoints {e:?}"
            ));
        }
        let fresh_name = names.insert(n.iter().next().cloned().unwrap_or_default());
        let fresh_endpoint = endpoints.insert(e.iter().next().cloned().unwrap_or_default());
        if !fresh_name || !fresh_endpoint {
            return Err(format!(
                "REG-025: {st} shares its name or endpoint with another service type"
            ));
        }
    }
    Ok(())
}

#[then(regex = r#"^every registration that sent \?id= used a lower-case id matching "([^"]+)"$"#)]
async fn id_pattern(w: &mut SpWorld, pattern: String) -> StepResult {
    // Stability across starts is judged by the restart scenario.
    for a in attempts(w).iter().filter(|a| a.method == "POST") {
        let (Some(id), Some(name)) = (a.id_query.clone(), a.name()) else {
            continue;
        };
        if !provider_id_valid(&id) {
            return Err(format!(
                "REG-009: provider id `{id}` of {name} does not match {pattern}"
            ));
        }
    }
    Ok(())
}

/// `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$` (REG-009), checked by hand.
fn provider_id_valid(id: &str) -> bool {
    let bytes = id.as_bytes();
    let ok_char = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(ok_char)
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

#[given(regex = r"^I remember the registrations so far$")]
async fn remember(w: &mut SpWorld) -> StepResult {
    let ids: BTreeMap<String, Option<String>> = attempts(w)
        .iter()
        .filter(|a| matches!(a.answer, 200 | 201))
        .filter_map(|a| a.name().map(|n| (n, a.id_query.clone())))
        .collect();
    w.memory.insert(
        "registrations".into(),
        serde_json::to_value(ids).unwrap_or_default(),
    );
    Ok(())
}

#[then(regex = r#"^within "([a-z_]+)" every service type is registered again$"#)]
async fn registered_again(w: &mut SpWorld, key: String) -> StepResult {
    let names: Vec<String> = names_by_type(w).into_values().collect();
    if names.is_empty() {
        return Err("REG-001: no service type ever registered".into());
    }
    let ctx = w.ctx.clone();
    let mark = w
        .memory
        .get("restart_mark")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    if !w.memory.contains_key("restart_mark") {
        w.memory.insert(
            "restart_mark".into(),
            serde_json::json!(ctx.dcm.registry.attempts().len()),
        );
    }
    let mark = if w.memory.contains_key("forget_mark") {
        w.memory["forget_mark"].as_u64().unwrap_or(0) as usize
    } else {
        mark
    };
    ctx.eventually_n(&key, 1, || {
        let ctx = ctx.clone();
        let names = names.clone();
        async move {
            let recent: Vec<RegistrationAttempt> =
                ctx.dcm.registry.attempts().into_iter().skip(mark).collect();
            for n in &names {
                if !recent.iter().any(|a| {
                    a.name().as_deref() == Some(n.as_str()) && matches!(a.answer, 200 | 201)
                }) {
                    return Err(format!("{n} has not registered successfully again"));
                }
            }
            Ok(())
        }
    })
    .await
}

#[then(regex = r"^every re-registration used the same name and the same \?id= as before$")]
async fn same_ids(w: &mut SpWorld) -> StepResult {
    let before: BTreeMap<String, Option<String>> = w
        .memory
        .get("registrations")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    for a in since_mark(w).iter().filter(|a| a.method == "POST") {
        let Some(name) = a.name() else { continue };
        match before.get(&name) {
            None => {
                return Err(format!(
                    "REG-002: after the restart the SP registered a new name `{name}`"
                ));
            }
            Some(id) if *id != a.id_query => {
                return Err(format!(
                    "REG-009: {name} re-registered with ?id={:?}, before {:?}",
                    a.id_query, id
                ));
            }
            Some(_) => {}
        }
        if a.answer == 409 {
            return Err(format!(
                "REG-009: the registry answered 409 to {name} after the restart"
            ));
        }
    }
    Ok(())
}

#[then(regex = r#"^every registration body has operations \["CREATE","DELETE","READ"\]$"#)]
async fn operations(w: &mut SpWorld) -> StepResult {
    for body in bodies(w)? {
        let ops: Vec<String> = body["operations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut sorted = ops.clone();
        sorted.sort();
        if sorted != ["CREATE", "DELETE", "READ"] {
            return Err(format!("REG-007: operations are {ops:?}"));
        }
    }
    Ok(())
}

#[then(
    regex = r"^every registration body keeps capabilities inside metadata with snake_case keys$"
)]
async fn metadata_keys(w: &mut SpWorld) -> StepResult {
    for body in bodies(w)? {
        if let Some(meta) = body["metadata"].as_object() {
            for k in meta.keys() {
                if !k
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    return Err(format!("REG-008: metadata key `{k}` is not snake_case"));
                }
            }
        }
    }
    Ok(())
}

#[then(regex = r"^no registration body contains a backend URL, token or password$")]
async fn no_backend_address(w: &mut SpWorld) -> StepResult {
    for body in bodies(w)? {
        let meta = body["metadata"].to_string().to_ascii_lowercase();
        for needle in ["kweb", "http://", "https://", "token", "password", "secret"] {
            if meta.contains(needle) {
                return Err(format!(
                    "SEC-009: registration metadata mentions `{needle}`: {}",
                    body["metadata"]
                ));
            }
        }
    }
    Ok(())
}

#[given(regex = r"^the registry will answer (\d+) to the next (\d+) registrations$")]
async fn script(w: &mut SpWorld, status: u16, n: usize) -> StepResult {
    // Armed when the SP is restarted, so that periodic attempts of the old
    // process cannot consume the canned answers.
    let script: Vec<(u16, u64)> = (0..n).map(|_| (status, 0)).collect();
    w.memory.insert("script".into(), serde_json::json!(script));
    Ok(())
}

#[given(
    regex = r"^the registry answers (\d+) after (\d+) seconds to the next (\d+) registrations$"
)]
async fn script_slow(w: &mut SpWorld, status: u16, secs: u64, n: usize) -> StepResult {
    let script: Vec<(u16, u64)> = (0..n).map(|_| (status, secs * 1000)).collect();
    w.memory.insert("script".into(), serde_json::json!(script));
    Ok(())
}

#[then(regex = r"^every service type retried after a 503 answer$")]
async fn retried(w: &mut SpWorld) -> StepResult {
    let recent = since_mark(w);
    for name in names_by_type(w).into_values() {
        let mine: Vec<&RegistrationAttempt> = recent
            .iter()
            .filter(|a| a.name().as_deref() == Some(name.as_str()))
            .collect();
        let first_fail = mine.iter().position(|a| a.answer == 503);
        let later_ok =
            first_fail.is_some_and(|i| mine[i + 1..].iter().any(|a| matches!(a.answer, 200 | 201)));
        if first_fail.is_some() && !later_ok {
            return Err(format!("REG-021: {name} did not retry after a 503"));
        }
    }
    Ok(())
}

#[then(regex = r#"^within "([a-z_]+)" the registry saw the 400 answers$"#)]
async fn saw_400(w: &mut SpWorld, key: String) -> StepResult {
    let ctx = w.ctx.clone();
    let mark = w
        .memory
        .get("restart_mark")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let at = ctx
        .eventually_n(&key, 1, || {
            let ctx = ctx.clone();
            async move {
                let recent: Vec<RegistrationAttempt> =
                    ctx.dcm.registry.attempts().into_iter().skip(mark).collect();
                if recent.iter().filter(|a| a.answer == 400).count() >= 2 {
                    Ok(recent.len() + mark)
                } else {
                    Err("fewer than two 400 answers so far".to_owned())
                }
            }
        })
        .await?;
    w.memory.insert("after_400".into(), serde_json::json!(at));
    Ok(())
}

#[then(regex = r"^no further registration attempt for that name arrives within (\d+) seconds$")]
async fn no_retry_after_400(w: &mut SpWorld, secs: u64) -> StepResult {
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let mark = w
        .memory
        .get("restart_mark")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let recent: Vec<RegistrationAttempt> = attempts(w).into_iter().skip(mark).collect();
    let rejected: Vec<String> = recent
        .iter()
        .filter(|a| a.answer == 400)
        .filter_map(RegistrationAttempt::name)
        .collect();
    for name in rejected {
        let after = recent
            .iter()
            .filter(|a| a.name().as_deref() == Some(name.as_str()))
            .skip_while(|a| a.answer != 400)
            .skip(1)
            .count();
        if after > 0 {
            return Err(format!(
                "REG-024: {name} kept retrying ({after} attempts) after a 400"
            ));
        }
    }
    Ok(())
}

#[given(regex = r"^the registry forgets every provider$")]
async fn forget(w: &mut SpWorld) -> StepResult {
    let mark = w.ctx.dcm.registry.attempts().len();
    w.memory
        .insert("forget_mark".into(), serde_json::json!(mark));
    // Re-registrations are judged from here on (same name and ?id=, REG-009).
    w.memory
        .insert("restart_mark".into(), serde_json::json!(mark));
    w.ctx.dcm.registry.forget_providers();
    Ok(())
}

#[then(regex = r"^the registry saw a deregistration$")]
async fn deregistered(w: &mut SpWorld) -> StepResult {
    if w.ctx.dcm.registry.deregistrations().is_empty() {
        Err("REG-027: no DELETE {base}/providers/{id} arrived on shutdown (optional)".into())
    } else {
        Ok(())
    }
}

#[then(regex = r"^every service type answered health while its registration was still pending$")]
async fn health_while_pending(w: &mut SpWorld) -> StepResult {
    let mark = w
        .memory
        .get("restart_mark")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let endpoints: Vec<(String, String)> = w
        .ctx
        .services
        .values()
        .map(|s| (s.service_type.clone(), s.endpoint.clone()))
        .collect();
    let ctx = w.ctx.clone();
    for (st, ep) in endpoints {
        let url = format!("{}/health", ep.trim_end_matches('/'));
        let req = w.request("GET", url);
        ctx.eventually_n("registration_first_attempt", 1, || {
            let ctx = ctx.clone();
            let req = req.clone();
            async move {
                let ex = crate::sp::http::send(&ctx, req).await;
                if ex.status() == Some(200) {
                    Ok(())
                } else {
                    Err(format!("health answered {:?}", ex.status()))
                }
            }
        })
        .await
        .map_err(|e| format!("REG-022: {st} health did not answer after the restart: {e}"))?;
        let done = ctx
            .dcm
            .registry
            .attempts()
            .into_iter()
            .skip(mark)
            .any(|a| matches!(a.answer, 200 | 201));
        if done {
            return Err("REG-022: health answered only after a registration had completed".into());
        }
    }
    Ok(())
}

/// Service types the SP serves: registered, declared with `--sp-url`, or
/// named by the target.
fn types_under_test(w: &SpWorld) -> BTreeSet<String> {
    let mut types: BTreeSet<String> = w.ctx.services.keys().cloned().collect();
    types.extend(w.ctx.sp.service_types());
    types
}

/// The registration attempts of one service type (by the body's
/// `service_type`) of the SP's first start, in arrival order, up to and
/// including the first success.
fn first_start(all: &[RegistrationAttempt], service_type: &str) -> Vec<RegistrationAttempt> {
    let mut out = Vec::new();
    for a in all.iter().filter(|a| {
        a.method == "POST"
            && a.json()
                .is_some_and(|b| b["service_type"].as_str() == Some(service_type))
    }) {
        out.push(a.clone());
        if matches!(a.answer, 200 | 201) {
            break;
        }
    }
    out
}

#[then(
    regex = r"^the registry answered 503 to the first registration of every service type under test$"
)]
async fn first_was_503(w: &mut SpWorld) -> StepResult {
    let all = w.ctx.dcm.registry.first_start_attempts();
    for st in types_under_test(w) {
        match first_start(&all, &st).first() {
            None => return Err(format!("REG-001: the SP never registered {st}")),
            Some(a) if !(a.scripted && a.answer == 503) => {
                return Err(format!(
                    "the registry's first answer for {st} was {} (suite set-up: expected its scripted 503)",
                    a.answer
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[then(regex = r#"^within "([a-z_]+)" every service type under test registered after that 503$"#)]
async fn registered_after_503(w: &mut SpWorld, key: String) -> StepResult {
    let types = types_under_test(w);
    let ctx = w.ctx.clone();
    ctx.eventually_n(&key, 1, || {
        let ctx = ctx.clone();
        let types = types.clone();
        async move {
            let all = ctx.dcm.registry.first_start_attempts();
            for st in &types {
                let tries = first_start(&all, st);
                if !tries.last().is_some_and(|a| matches!(a.answer, 200 | 201)) {
                    return Err(format!(
                        "REG-021: {st} was not registered again after the registry answered 503 \
                         ({} attempts so far)",
                        tries.len()
                    ));
                }
            }
            Ok(())
        }
    })
    .await
}

#[then(
    regex = r"^every retry of a first registration carried the same body and \?id= as the first attempt$"
)]
async fn retries_same(w: &mut SpWorld) -> StepResult {
    let all = w.ctx.dcm.registry.first_start_attempts();
    for st in types_under_test(w) {
        let tries = first_start(&all, &st);
        let Some(first) = tries.first() else { continue };
        for a in &tries[1..] {
            if a.id_query != first.id_query {
                return Err(format!(
                    "REG-009: the retry for {st} sent ?id={:?}, the first attempt ?id={:?}: \
                     one name must keep one id",
                    a.id_query, first.id_query
                ));
            }
            if a.json() != first.json() {
                return Err(format!(
                    "REG-002: the retry for {st} changed the body from {} to {}",
                    first.body, a.body
                ));
            }
        }
    }
    Ok(())
}
