//! Steps of `features/sp/status_vocabulary.feature`: resource statuses,
//! their messages, and waiting for a status (contract §10).

use cucumber::{given, then};

use super::args::parse_list;
use crate::sp::checks;
use crate::sp::world::{SpWorld, StepResult};

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

#[then(regex = r#"^within "([a-z_]+)" getting the resource shows status "([A-Z_]+)"$"#)]
async fn eventually_status(w: &mut SpWorld, key: String, status: String) -> StepResult {
    shows_status(w, &key, &status).await
}

#[given(regex = r#"^within "([a-z_]+)" getting the resource shows status "([A-Z_]+)"$"#)]
async fn given_eventually_status(w: &mut SpWorld, key: String, status: String) -> StepResult {
    shows_status(w, &key, &status).await
}

pub(super) async fn shows_status(w: &mut SpWorld, key: &str, status: &str) -> StepResult {
    let url = w.current_url()?;
    let ctx = w.ctx.clone();
    let req = w.request("GET", url);
    let ex = ctx
        .eventually(key, || {
            let req = req.clone();
            let ctx = ctx.clone();
            async move {
                let ex = crate::sp::http::send(&ctx, req).await;
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
