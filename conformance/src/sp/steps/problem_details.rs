//! Steps of `features/sp/problem_details.feature`: RFC 9457 problems, their
//! instance, errors and titles (contract §8, ERR-001 to ERR-011).

use cucumber::{then, when};

use crate::sp::checks;
use crate::sp::world::{SpWorld, StepResult};

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
