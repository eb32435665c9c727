//! Steps of `features/sp/vm_lifecycle.feature`: id-less and repeated
//! creates, cross-endpoint gets, listing until found (contract §6).

use cucumber::gherkin::Step;
use cucumber::{then, when};

use super::pagination::{walk, walked_ids};
use crate::sp::checks;
use crate::sp::world::{SpWorld, StepResult, urlencode};

#[when(regex = r"^I create a resource without an id with spec:$")]
async fn create_without_id(w: &mut SpWorld, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let service = w.service.clone();
    w.create(&service, None, spec).await?;
    Ok(())
}

#[when(regex = r"^I create the id again with spec:$")]
async fn create_again(w: &mut SpWorld, step: &Step) -> StepResult {
    let spec = w.spec_from(step.docstring.as_ref())?;
    let cur = w.current()?.clone();
    w.create(&cur.service_type, Some(&cur.id), spec).await?;
    Ok(())
}

#[when(regex = r#"^I get the resource through the "([a-z]+)" endpoint$"#)]
async fn get_through(w: &mut SpWorld, service: String) -> StepResult {
    let id = w.current()?.id.clone();
    let url = format!("{}/{}", w.endpoint_of(&service)?, urlencode(&id));
    w.send(w.request("GET", url)).await;
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

#[then(regex = r#"^the resource status is not "([A-Z_]+)"$"#)]
async fn resource_status_not(w: &mut SpWorld, status: String) -> StepResult {
    let body = w.last()?.json()?;
    if body["status"] == status.as_str() {
        Err(format!("status must not be {status}"))
    } else {
        Ok(())
    }
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

#[then(regex = r"^getting the resource answers (\d+)$")]
async fn get_answers(w: &mut SpWorld, code: u16) -> StepResult {
    let ex = w.get_current().await?;
    checks::status_is(&ex, &[code])
}
