//! The create, get, list and delete requests and the answer checks that
//! every resource feature uses (`features/sp/*.feature`; contract §6 to §8).

use cucumber::gherkin::Step;
use cucumber::{given, then, when};

use super::args::parse_codes;
use crate::sp::checks;
use crate::sp::world::{SpWorld, StepResult};

#[given(regex = r#"^the service type "([a-z]+)"$"#)]
async fn service_type(w: &mut SpWorld, service: String) -> StepResult {
    w.endpoint_of(&service)?;
    w.service = service;
    Ok(())
}

pub(super) async fn create_new(w: &mut SpWorld, step: &Step) -> StepResult {
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

pub(super) async fn create_ok(w: &mut SpWorld, step: &Step) -> StepResult {
    create_new(w, step).await?;
    let ex = w.last()?.clone();
    checks::status_is(&ex, &[200, 201])
        .map_err(|e| format!("API-011: creating the scenario's resource failed: {e}"))
}

#[given(regex = r"^a resource created with spec:$")]
async fn given_created(w: &mut SpWorld, step: &Step) -> StepResult {
    create_ok(w, step).await
}

#[when(regex = r"^I get the resource$")]
async fn get_resource(w: &mut SpWorld) -> StepResult {
    w.get_current().await?;
    Ok(())
}

#[when(regex = r"^I (get|delete) an unknown id$")]
async fn unknown_id(w: &mut SpWorld, verb: String) -> StepResult {
    let url = format!("{}/{}", w.endpoint()?, w.ctx.new_id());
    let method = if verb == "get" { "GET" } else { "DELETE" };
    w.send(w.request(method, url)).await;
    Ok(())
}

pub(super) async fn delete_current(
    w: &mut SpWorld,
    extra_header: Option<(&str, &str)>,
) -> StepResult {
    let url = w.current_url()?;
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

#[then(regex = r#"^the answer is a "([a-z-]+)" problem with status (\d+)$"#)]
async fn slug_problem(w: &mut SpWorld, slug: String, code: u16) -> StepResult {
    let strict = w.ctx.caps.contains(&crate::sp::target::Capability::Ref);
    checks::problem(w.last()?, &[code], Some(&slug), strict).map(|_| ())
}

#[then(regex = r#"^within "([a-z_]+)" getting the resource answers 404 "not-found"$"#)]
async fn eventually_gone(w: &mut SpWorld, key: String) -> StepResult {
    let url = w.current_url()?;
    let ctx = w.ctx.clone();
    let req = w.request("GET", url);
    let ex = ctx
        .eventually(&key, || {
            let req = req.clone();
            let ctx = ctx.clone();
            async move {
                let ex = crate::sp::http::send(&ctx, req).await;
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
