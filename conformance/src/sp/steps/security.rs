//! Steps of `features/sp/security.feature`: answers that must not echo
//! what they were sent (contract §13).

use cucumber::then;

use crate::sp::checks;
use crate::sp::world::{SpWorld, StepResult};

#[then(
    regex = r#"^the answer is either a "([a-z-]+)" problem with status (\d+) or 201 with a status message naming "([^"]+)"$"#
)]
async fn problem_or_note(w: &mut SpWorld, slug: String, code: u16, key: String) -> StepResult {
    let ex = w.last()?.clone();
    if ex.status() == Some(201) {
        let body = ex.json()?;
        let msg = body["status_message"].as_str().unwrap_or_default();
        return if msg.contains(&key) {
            Ok(())
        } else {
            Err(format!(
                "SEC-005: hint `{key}` accepted without a note in status_message"
            ))
        };
    }
    checks::problem(&ex, &[code], Some(&slug), false).map(|_| ())
}

#[then(regex = r#"^the answer does not contain "([^"]+)"$"#)]
async fn no_echo(w: &mut SpWorld, text: String) -> StepResult {
    let ex = w.last()?;
    let headers = format!("{:?}", ex.response.as_ref().map(|r| &r.headers));
    if ex.text().contains(&text) || headers.contains(&text) {
        Err(format!("SEC-002: the answer echoes `{text}`"))
    } else {
        Ok(())
    }
}
