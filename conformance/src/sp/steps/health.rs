//! Steps about `{endpoint}/health` and the fake DCM's health poller (§5).

use std::time::Duration;

use cucumber::{then, when};
use serde_json::Value;

use crate::dcm_sim::HealthState;
use crate::sp::checks;
use crate::sp::http;
use crate::sp::schemas::{Shape, validate};
use crate::sp::world::{SpWorld, StepResult};
use crate::wire::{Exchange, Request};

async fn health_of_all(w: &mut SpWorld) -> Vec<Exchange> {
    let eps: Vec<String> = w
        .ctx
        .services
        .values()
        .map(|s| s.endpoint.trim_end_matches('/').to_owned())
        .collect();
    let mut out = Vec::new();
    for ep in eps {
        // Transport timeout from the table; lateness is judged by `health_response`.
        let req = Request::new("GET", format!("{ep}/health"))
            .with_timeout(w.ctx.timeouts.get("http_response"));
        out.push(w.send(req).await);
    }
    out
}

#[when(regex = r"^I get the health of every service type( again)?$")]
async fn get_health(w: &mut SpWorld, again: String) -> StepResult {
    if !again.is_empty() {
        let first: Vec<Value> = w.batch.iter().filter_map(|e| e.json().ok()).collect();
        w.memory.insert("health_before".into(), Value::Array(first));
    }
    w.batch = health_of_all(w).await;
    Ok(())
}

fn health_valid(ex: &Exchange, profile: crate::sp::profile::Profile) -> StepResult {
    if ex.status() != Some(200) {
        return Err(format!(
            "HLT-002/HLT-003: health answered {:?} {}, must always be 200",
            ex.status(),
            ex.error.clone().unwrap_or_default()
        ));
    }
    let body = checks::json_body(ex).map_err(|e| format!("HLT-002: {e}"))?;
    validate(Shape::Health, &body).map_err(|e| {
        format!(
            "HLT-002/HLT-004: health body breaks the schema: {}",
            e.join("; ")
        )
    })?;
    let (ok, bad) = profile.health_values();
    let st = body["status"].as_str().unwrap_or_default();
    if !ok.contains(&st) && !bad.contains(&st) {
        return Err(format!(
            "HLT-002: health status `{st}` is not accepted under {profile}"
        ));
    }
    Ok(())
}

#[then(regex = r"^every health answer is 200 application/json with a valid health body$")]
async fn all_valid(w: &mut SpWorld) -> StepResult {
    if w.batch.is_empty() {
        w.batch = health_of_all(w).await;
    }
    for ex in &w.batch {
        health_valid(ex, w.ctx.profile)?;
    }
    Ok(())
}

#[then(regex = r#"^every health status is "(healthy|unhealthy)"$"#)]
async fn all_status(w: &mut SpWorld, want: String) -> StepResult {
    for ex in &w.batch {
        let body = ex.json()?;
        let st = body["status"].as_str().unwrap_or_default();
        if !matches_health(w.ctx.profile, st, &want) {
            return Err(format!("HLT-009: health is `{st}`, expected {want}"));
        }
    }
    Ok(())
}

fn matches_health(profile: crate::sp::profile::Profile, got: &str, want: &str) -> bool {
    let (ok, bad) = profile.health_values();
    if want == "healthy" {
        ok.contains(&got)
    } else {
        bad.contains(&got)
    }
}

#[then(regex = r"^uptime did not decrease and grew with time$")]
async fn uptime(w: &mut SpWorld) -> StepResult {
    let before: Vec<Value> = w
        .memory
        .get("health_before")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    for (b, ex) in before.iter().zip(&w.batch) {
        let a = ex.json()?;
        let (u0, u1) = (b["uptime"].as_u64(), a["uptime"].as_u64());
        match (u0, u1) {
            (Some(u0), Some(u1)) if u1 >= u0 && u1 > 0 => {}
            _ => {
                return Err(format!(
                    "HLT-004: uptime went from {} to {} over 1.1 s",
                    b["uptime"], a["uptime"]
                ));
            }
        }
    }
    Ok(())
}

#[then(regex = r#"^every health body has a type and path "health"$"#)]
async fn type_and_path(w: &mut SpWorld) -> StepResult {
    for ex in &w.batch {
        let body = ex.json()?;
        if body["type"].as_str().is_none_or(str::is_empty) || body["path"] != "health" {
            return Err(format!("HLT-005: health body lacks type/path: {body}"));
        }
    }
    Ok(())
}

#[then(regex = r#"^every health answer arrived within "([a-z_]+)"$"#)]
async fn within(w: &mut SpWorld, key: String) -> StepResult {
    if w.batch.is_empty() {
        w.batch = health_of_all(w).await;
    }
    let limit = w.ctx.timeouts.get(&key);
    for ex in &w.batch {
        if ex.status().is_none() || ex.elapsed > limit {
            return Err(format!(
                "HLT-007: health took {} ms (limit {} ms)",
                ex.elapsed.as_millis(),
                limit.as_millis()
            ));
        }
    }
    Ok(())
}

#[then(regex = r#"^within "([a-z_]+)" the health of every service type is "(healthy|unhealthy)"$"#)]
async fn eventually_health(w: &mut SpWorld, key: String, want: String) -> StepResult {
    let ctx = w.ctx.clone();
    let eps: Vec<String> = ctx
        .services
        .values()
        .map(|s| s.endpoint.trim_end_matches('/').to_owned())
        .collect();
    let profile = ctx.profile;
    let batch = ctx
        .eventually(&key, || {
            let ctx = ctx.clone();
            let eps = eps.clone();
            let want = want.clone();
            async move {
                let mut batch = Vec::new();
                for ep in &eps {
                    let ex = http::send(
                        &ctx,
                        Request::new("GET", format!("{ep}/health"))
                            .with_timeout(ctx.timeouts.get("http_response")),
                    )
                    .await;
                    health_valid(&ex, profile)?;
                    let st = ex.json()?["status"].as_str().unwrap_or_default().to_owned();
                    if !matches_health(profile, &st, &want) {
                        return Err(format!("HLT-009: {ep}/health is `{st}`, expected {want}"));
                    }
                    batch.push(ex);
                }
                Ok(batch)
            }
        })
        .await?;
    w.exchanges.extend(batch.iter().cloned());
    w.batch = batch;
    Ok(())
}

#[then(regex = r#"^the fake DCM sees the provider as "unhealthy", not "unavailable"$"#)]
async fn dcm_view(w: &mut SpWorld) -> StepResult {
    let names: Vec<String> = w
        .ctx
        .services
        .values()
        .filter_map(|s| s.provider_name.clone())
        .collect();
    let ctx = w.ctx.clone();
    ctx.eventually_n("status_change_event", 1, || {
        let ctx = ctx.clone();
        let names = names.clone();
        async move {
            for n in &names {
                match ctx.dcm.health.state(n) {
                    HealthState::Unhealthy => {}
                    HealthState::Unavailable => {
                        return Err(format!("HLT-003: DCM's poller counts {n} as unavailable"));
                    }
                    other => return Err(format!("DCM's poller sees {n} as {other:?}")),
                }
            }
            Ok(())
        }
    })
    .await
}

#[then(regex = r"^every unhealthy health body has a detail without backend URLs or credentials$")]
async fn detail(w: &mut SpWorld) -> StepResult {
    for ex in &w.batch {
        let body = ex.json()?;
        let d = body["detail"]
            .as_str()
            .ok_or("HLT-006: no detail (optional)")?;
        checks::leak_free(d).map_err(|e| format!("HLT-006/SEC-002: detail {e}"))?;
        if d.contains("://") {
            return Err(format!("HLT-006: detail carries a URL: {d}"));
        }
    }
    Ok(())
}

#[then(regex = r#"^health reports "unhealthy" during a restart of the SP$"#)]
async fn unhealthy_on_shutdown(w: &mut SpWorld) -> StepResult {
    let ep = w
        .ctx
        .services
        .values()
        .next()
        .map(|s| format!("{}/health", s.endpoint.trim_end_matches('/')))
        .ok_or("no endpoint")?;
    let ctx = w.ctx.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let watching = ctx.clone();
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            let ex = http::send(
                &watching,
                Request::new("GET", ep.clone()).with_timeout(Duration::from_millis(500)),
            )
            .await;
            if let Ok(v) = ex.json() {
                seen.push(v["status"].as_str().unwrap_or_default().to_owned());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        seen
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let restarted = ctx.sp.restart().await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = watcher.await.map_err(|e| e.to_string())?;
    restarted.map_err(|e| format!("restart failed: {e:#}"))?;
    if seen.iter().any(|s| s == "unhealthy" || s == "fail") {
        Ok(())
    } else {
        Err(format!(
            "HLT-012: health never said unhealthy around the shutdown (saw {:?})",
            dedup(&seen)
        ))
    }
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v {
        if out.last() != Some(s) {
            out.push(s.clone());
        }
    }
    out
}
