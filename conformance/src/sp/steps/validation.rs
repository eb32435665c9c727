//! Steps of `features/sp/validation.feature`: raw bodies, content types,
//! oversized bodies, ids and methods the SP must refuse (contract §7).

use cucumber::gherkin::Step;
use cucumber::{then, when};
use serde_json::Value;

use super::args::parse_list;
use crate::sp::world::{SpWorld, StepResult};
use crate::wire::Request;

#[when(regex = r#"^I create a resource with the id "([^"]*)" and spec:$"#)]
async fn create_with_id(w: &mut SpWorld, id: String, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let id = w.expand(&id)?;
    let service = w.service.clone();
    w.create(&service, Some(&id), spec).await?;
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
