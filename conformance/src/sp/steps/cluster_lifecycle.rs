//! Steps of `features/sp/cluster_lifecycle.feature`: the kubeconfig output
//! of clusters (contract §6, §10).

use cucumber::then;

use crate::sp::world::{SpWorld, StepResult};

#[then(regex = r#"^a kubeconfig is present only if the status is "ACTIVE"$"#)]
async fn kubeconfig_only_active(w: &mut SpWorld) -> StepResult {
    let body = w.last()?.json()?;
    let active = body["status"] == "ACTIVE";
    let has = body.get("kubeconfig").is_some_and(|k| !k.is_null());
    if has && !active {
        return Err(format!(
            "SEC-003: kubeconfig returned while status is {}",
            body["status"]
        ));
    }
    Ok(())
}

#[then(regex = r"^no listed item carries a kubeconfig$")]
async fn list_no_kubeconfig(w: &mut SpWorld) -> StepResult {
    let body = w.last()?.json()?;
    for item in body["results"].as_array().cloned().unwrap_or_default() {
        if item.get("kubeconfig").is_some_and(|k| !k.is_null()) {
            return Err(format!(
                "API-054/SEC-003: list item {} carries a kubeconfig",
                item["id"]
            ));
        }
    }
    Ok(())
}
