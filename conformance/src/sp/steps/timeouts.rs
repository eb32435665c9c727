//! Steps of `features/sp/timeouts.feature`: answer times against the
//! timeout table (contract §12).

use cucumber::then;

use crate::sp::world::{SpWorld, StepResult};

#[then(regex = r#"^the answer arrived within "([a-z_]+)"$"#)]
async fn arrived_within(w: &mut SpWorld, key: String) -> StepResult {
    let ex = w.last()?;
    let limit = w.ctx.timeouts.get(&key);
    if ex.status().is_some() && ex.elapsed <= limit {
        Ok(())
    } else {
        Err(format!(
            "TMO-001/API-014: answer took {} ms (limit {key} = {} ms){}",
            ex.elapsed.as_millis(),
            limit.as_millis(),
            ex.error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ))
    }
}
