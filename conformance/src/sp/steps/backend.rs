//! Steps that drive the SP's backend, the SP process and NATS
//! (`@cap:backend-control`, `@cap:restart`, `@cap:nats-control`).

use std::time::Duration;

use cucumber::{given, then, when};

use crate::sp::checks::{self, CutCreate};
use crate::sp::target::BackendAction;
use crate::sp::world::{SpWorld, StepResult};

async fn act(w: &mut SpWorld, action: BackendAction) -> StepResult {
    w.backend_dirty = true;
    w.ctx
        .sp
        .backend(action)
        .await
        .map_err(|e| format!("backend control failed: {e:#}"))
}

fn current_target(w: &SpWorld) -> Result<(String, String), String> {
    let cur = w.current()?;
    Ok((cur.service_type.clone(), cur.id.clone()))
}

#[given(regex = r"^the backend is down$")]
async fn given_down(w: &mut SpWorld) -> StepResult {
    act(w, BackendAction::Down).await
}

#[when(regex = r"^the backend is down$")]
async fn when_down(w: &mut SpWorld) -> StepResult {
    act(w, BackendAction::Down).await
}

#[when(regex = r"^the backend is brought back up$")]
async fn when_up(w: &mut SpWorld) -> StepResult {
    act(w, BackendAction::Up).await
}

#[then(regex = r"^the backend is brought back up$")]
async fn then_up(w: &mut SpWorld) -> StepResult {
    act(w, BackendAction::Up).await
}

#[given(regex = r"^the backend hangs for (\d+) seconds on every call$")]
async fn hang(w: &mut SpWorld, secs: u64) -> StepResult {
    act(w, BackendAction::Hang(Duration::from_secs(secs))).await
}

async fn hang_scoped(w: &mut SpWorld, duration: Duration) -> StepResult {
    let scope = w.name.clone();
    act(w, BackendAction::HangScoped { scope, duration }).await
}

#[given(
    regex = r"^the backend hangs for (\d+) seconds on every call for this scenario's resources$"
)]
async fn hang_mine(w: &mut SpWorld, secs: u64) -> StepResult {
    hang_scoped(w, Duration::from_secs(secs)).await
}

#[given(
    regex = r#"^the backend hangs longer than "([a-z_]+)" on every call for this scenario's resources$"#
)]
async fn hang_mine_longer(w: &mut SpWorld, key: String) -> StepResult {
    let d = w.ctx.timeouts.get(&key) + Duration::from_secs(2);
    hang_scoped(w, d).await
}

#[given(regex = r"^the backend takes (\d+) seconds to delete the resource$")]
async fn hang_delete(w: &mut SpWorld, secs: u64) -> StepResult {
    slow_delete(w, Duration::from_secs(secs)).await
}

#[given(regex = r#"^the backend takes longer than "([a-z_]+)" to delete the resource$"#)]
async fn hang_delete_longer(w: &mut SpWorld, key: String) -> StepResult {
    let d = w.ctx.timeouts.get(&key) + Duration::from_secs(2);
    slow_delete(w, d).await
}

async fn slow_delete(w: &mut SpWorld, duration: Duration) -> StepResult {
    let r = w.current()?.clone();
    let scope = w.name.clone();
    act(
        w,
        BackendAction::HangDelete {
            scope,
            service_type: r.service_type,
            id: r.id,
            duration,
        },
    )
    .await
}

#[then(regex = r"^the backend answers normally again$")]
async fn release(w: &mut SpWorld) -> StepResult {
    let scope = w.name.clone();
    act(w, BackendAction::Release { scope }).await
}

#[given(regex = r"^the backend refuses creates of this scenario's resources$")]
async fn refuse(w: &mut SpWorld) -> StepResult {
    let scope = w.name.clone();
    act(w, BackendAction::RejectCreates { scope }).await
}

#[then(regex = r"^the backend accepts creates again$")]
async fn accept(w: &mut SpWorld) -> StepResult {
    let scope = w.name.clone();
    act(w, BackendAction::AcceptCreates { scope }).await
}

#[given(regex = r"^the backend fails deletes of this scenario's resources$")]
async fn fail_deletes(w: &mut SpWorld) -> StepResult {
    let scope = w.name.clone();
    act(w, BackendAction::FailDeletes { scope }).await
}

#[when(regex = r"^the backend accepts deletes again$")]
async fn accept_deletes(w: &mut SpWorld) -> StepResult {
    let scope = w.name.clone();
    act(w, BackendAction::AcceptDeletes { scope }).await
}

async fn remove(w: &mut SpWorld) -> StepResult {
    let (service_type, id) = current_target(w)?;
    act(w, BackendAction::Remove { service_type, id }).await
}

#[given(regex = r"^the backend resource of it disappears$")]
async fn given_remove(w: &mut SpWorld) -> StepResult {
    remove(w).await
}

#[when(regex = r"^the backend resource of it disappears$")]
async fn when_remove(w: &mut SpWorld) -> StepResult {
    remove(w).await
}

async fn raw_state(w: &mut SpWorld, state: String) -> StepResult {
    let (service_type, id) = current_target(w)?;
    act(
        w,
        BackendAction::SetRawState {
            service_type,
            id,
            state,
        },
    )
    .await
}

#[given(regex = r#"^the backend shows the resource as "([^"]+)"$"#)]
async fn given_raw_state(w: &mut SpWorld, state: String) -> StepResult {
    raw_state(w, state).await
}

#[when(regex = r#"^the backend shows the resource as "([^"]+)"$"#)]
async fn when_raw_state(w: &mut SpWorld, state: String) -> StepResult {
    raw_state(w, state).await
}

#[when(
    regex = r#"^the backend flaps the resource between "([^"]+)" and "([^"]+)" (\d+) times quickly$"#
)]
async fn flap(w: &mut SpWorld, a: String, b: String, n: usize) -> StepResult {
    let before = w.ctx.dcm.events.for_id(&w.current()?.id).len();
    w.memory
        .insert("events_before".into(), serde_json::json!(before));
    for i in 0..n {
        raw_state(w, if i % 2 == 0 { a.clone() } else { b.clone() }).await?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    raw_state(w, b).await
}

#[given(regex = r#"^the backend holds an untracked prefixed VM "([^"]+)"$"#)]
async fn orphan(w: &mut SpWorld, name: String) -> StepResult {
    let name = w.expand(&name)?;
    w.injected.push((w.service.clone(), name.clone()));
    act(
        w,
        BackendAction::InjectOrphan {
            service_type: w.service.clone(),
            name,
        },
    )
    .await
}

#[then(regex = r#"^within "([a-z_]+)" the backend holds nothing for the resource$"#)]
async fn backend_empty(w: &mut SpWorld, key: String) -> StepResult {
    holds_nothing(w, &key, "API-017/API-064").await
}

/// Waits up to the `key` timeout until the backend holds nothing for the
/// current resource; `rule` names the broken requirement otherwise.
async fn holds_nothing(w: &SpWorld, key: &str, rule: &str) -> StepResult {
    let (service_type, id) = current_target(w)?;
    let spec = w.current()?.spec.clone();
    let ctx = w.ctx.clone();
    ctx.eventually(key, || {
        let ctx = ctx.clone();
        let (service_type, id, spec) = (service_type.clone(), id.clone(), spec.clone());
        async move {
            match ctx.sp.backend_holds(&service_type, &id, &spec).await {
                Ok(false) => Ok(()),
                Ok(true) => Err(format!(
                    "{rule}: the backend still holds {service_type} {id}"
                )),
                Err(e) => Err(format!("backend inspection failed: {e:#}")),
            }
        }
    })
    .await
}

#[given(regex = r"^the backend cuts the connection after applying the next create$")]
async fn cut_create(w: &mut SpWorld) -> StepResult {
    let (scope, service_type) = (w.name.clone(), w.service.clone());
    act(
        w,
        BackendAction::CutNextCreate {
            scope,
            service_type,
        },
    )
    .await
}

#[given(regex = r"^the backend cuts the connection after applying the delete of the resource$")]
async fn cut_delete(w: &mut SpWorld) -> StepResult {
    let (service_type, id) = current_target(w)?;
    act(w, BackendAction::CutDelete { service_type, id }).await
}

#[then(
    regex = r#"^within "([a-z_]+)" the cut create ends "([A-Z_]+)", or if refused leaves nothing in the backend within "([a-z_]+)"$"#
)]
async fn cut_create_outcome(
    w: &mut SpWorld,
    key: String,
    status: String,
    refused_key: String,
) -> StepResult {
    let ex = w.last()?.clone();
    let body_status = ex
        .json()
        .ok()
        .and_then(|b| b["status"].as_str().map(str::to_owned));
    match checks::cut_create_answer(ex.status(), body_status.as_deref())? {
        CutCreate::Kept => super::status_vocabulary::shows_status(w, &key, &status).await,
        CutCreate::Refused(code) => {
            let rule =
                format!("API-018: the create was answered {code} although the backend applied it");
            holds_nothing(w, &refused_key, &rule).await
        }
    }
}

#[then(regex = r#"^getting the resource shows "DELETING" or answers 404$"#)]
async fn deleting_or_gone(w: &mut SpWorld) -> StepResult {
    let ex = w.get_current().await?;
    checks::deleting_or_gone(&ex)
}

async fn restart(w: &mut SpWorld) -> StepResult {
    let failed = |e: anyhow::Error| format!("restarting the SP failed: {e:#}");
    w.ctx.dcm.registry.note_restart();
    w.ctx.sp.halt().await.map_err(failed)?;
    let mark = w.ctx.dcm.registry.attempts().len();
    w.memory
        .insert("restart_mark".into(), serde_json::json!(mark));
    if let Some(script) = w.memory.remove("script") {
        let entries: Vec<(u16, u64)> = serde_json::from_value(script).unwrap_or_default();
        w.ctx
            .dcm
            .registry
            .script(
                entries
                    .into_iter()
                    .map(|(status, ms)| crate::dcm_sim::Scripted {
                        status,
                        delay: Duration::from_millis(ms),
                    }),
            );
    }
    w.ctx.sp.resume().await.map_err(failed)
}

#[when(regex = r"^the SP is restarted$")]
async fn when_restart(w: &mut SpWorld) -> StepResult {
    restart(w).await
}

#[when(regex = r"^I wait for one poll interval$")]
async fn wait_poll(w: &mut SpWorld) -> StepResult {
    tokio::time::sleep(w.ctx.sp.declared().poll + Duration::from_millis(200)).await;
    Ok(())
}

#[when(regex = r"^I wait (\d+) milliseconds$")]
async fn wait_ms(_w: &mut SpWorld, ms: u64) -> StepResult {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

#[when(regex = r"^NATS is stopped$")]
async fn nats_stop(w: &mut SpWorld) -> StepResult {
    w.ctx.nats.lock().await.stop();
    Ok(())
}

#[when(regex = r"^NATS is started again$")]
async fn nats_start(w: &mut SpWorld) -> StepResult {
    w.ctx.nats.lock().await.restart().await
}

#[then(regex = r"^the target declares a configurable name prefix$")]
async fn prefix_fact(w: &mut SpWorld) -> StepResult {
    match w.ctx.sp.facts().get("name-prefix") {
        Some(setting) if !setting.is_empty() => Ok(()),
        _ => Err("ORP-010: the target declares no name-prefix setting".into()),
    }
}
