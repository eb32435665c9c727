//! Steps of `features/sp/pagination.feature`: page walks, page sizes and
//! tokens (contract §6.5, API-050 to API-053).

use std::collections::BTreeMap;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::Value;

use super::crud::create_ok;
use crate::sp::checks;
use crate::sp::pagewalk::{Next, PageWalk};
use crate::sp::world::{SpWorld, StepResult, urlencode};

#[given(regex = r"^(\d+) resources created with spec:$")]
async fn given_n_created(w: &mut SpWorld, n: usize, step: &Step) -> StepResult {
    for _ in 0..n {
        create_ok(w, step).await?;
    }
    Ok(())
}

pub(super) async fn walk(w: &mut SpWorld, query: &str, churn: bool) -> Result<Vec<Value>, String> {
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

pub(super) fn walked_ids(w: &SpWorld) -> Vec<String> {
    w.pages
        .iter()
        .flat_map(|p| p["results"].as_array().cloned().unwrap_or_default())
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}
