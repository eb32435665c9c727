//! Steps of `features/sp/orphans.feature`: backend leftovers never show up
//! as the SP's own resources (contract §11).

use cucumber::then;

use crate::sp::world::{SpWorld, StepResult};

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
