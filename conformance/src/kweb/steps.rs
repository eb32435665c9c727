//! Cucumber step definitions: thin wrappers over [`Session`] methods.
//!
//! The step language (documented with examples in `features/kweb/README.md`):
//!
//! - requests (`Given`/`When`): `I send "METHOD /path" [clauses]`,
//!   `the kweb accepted "..."` (requires a success answer),
//!   `afterwards I send "..."` (clean-up, run after the scenario);
//! - checks (`Then`): status, status line, headers and their order, body
//!   exact / pattern / contains / error page, JSON subset, JSON array items,
//!   JSON keys and their order, eventual JSON (polling).
//!
//! Request clauses are in [`crate::kweb::request_step`].

use cucumber::gherkin::Step;
use cucumber::{given, then, when};

use crate::kweb::session::{Check, Session};
use crate::kweb::world::KwebWorld;

/// The doc string of a step without the line breaks that frame it.
#[must_use]
pub fn docstring(step: &Step) -> Option<String> {
    step.docstring.as_ref().map(|d| {
        let d = d.strip_prefix('\n').unwrap_or(d);
        d.strip_suffix('\n').unwrap_or(d).to_owned()
    })
}

fn require_doc(step: &Step) -> String {
    docstring(step).unwrap_or_else(|| panic!("step {:?} needs a doc string", step.value))
}

fn ok(check: Check) {
    if let Err(report) = check {
        panic!("{report}");
    }
}

fn list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

async fn send(session: &mut Session, spec: &str, step: &Step) {
    ok(session.send(spec, docstring(step).as_deref()).await);
}

#[given(regex = r#"^I send (".*)$"#)]
async fn given_send(w: &mut KwebWorld, step: &Step, spec: String) {
    send(w.session(), &spec, step).await;
}

#[when(regex = r#"^I send (".*)$"#)]
async fn when_send(w: &mut KwebWorld, step: &Step, spec: String) {
    send(w.session(), &spec, step).await;
}

#[given(regex = r#"^the kweb accepted (".*)$"#)]
async fn accepted(w: &mut KwebWorld, step: &Step, spec: String) {
    ok(w.session().accept(&spec, docstring(step).as_deref()).await);
}

#[given(regex = r#"^afterwards I send (".*)$"#)]
fn afterwards(w: &mut KwebWorld, step: &Step, spec: String) {
    ok(w.session().defer(&spec, docstring(step).as_deref()));
}

#[when(regex = r#"^afterwards I send (".*)$"#)]
fn when_afterwards(w: &mut KwebWorld, step: &Step, spec: String) {
    ok(w.session().defer(&spec, docstring(step).as_deref()));
}

#[then(regex = r#"^within (\d+) seconds? "GET ([^"]+)" answers JSON containing:$"#)]
async fn eventually(w: &mut KwebWorld, step: &Step, seconds: u64, path: String) {
    ok(w.session()
        .eventually_json(seconds, &path, &require_doc(step))
        .await);
}

#[given(regex = r#"^within (\d+) seconds? "GET ([^"]+)" answers JSON containing:$"#)]
async fn given_eventually(w: &mut KwebWorld, step: &Step, seconds: u64, path: String) {
    ok(w.session()
        .eventually_json(seconds, &path, &require_doc(step))
        .await);
}

#[then(regex = r"^the status is (\d{3})$")]
fn status(w: &mut KwebWorld, code: u16) {
    ok(w.session().status(code));
}

#[then(regex = r#"^the status line is "(.*)"$"#)]
fn status_line(w: &mut KwebWorld, line: String) {
    ok(w.session().status_line(&line));
}

#[then(regex = r#"^the content type is "(.*)"$"#)]
fn content_type(w: &mut KwebWorld, value: String) {
    ok(w.session().header("Content-Type", &value));
}

#[then(regex = r#"^the header "([^"]+)" is "(.*)"$"#)]
fn header(w: &mut KwebWorld, name: String, value: String) {
    ok(w.session().header(&name, &value));
}

#[then(regex = r#"^the header "([^"]+)" matches "(.*)"$"#)]
fn header_matches(w: &mut KwebWorld, name: String, pattern: String) {
    ok(w.session().header_matches(&name, &pattern));
}

#[then(regex = r#"^there is no header "([^"]+)"$"#)]
fn no_header(w: &mut KwebWorld, name: String) {
    ok(w.session().no_header(&name));
}

#[then(regex = r"^the header names are, in order: (.+)$")]
fn header_order(w: &mut KwebWorld, names: String) {
    ok(w.session().header_order(&list(&names)));
}

#[then(regex = r"^the body is:$")]
fn body_doc(w: &mut KwebWorld, step: &Step) {
    ok(w.session().body_is(&require_doc(step)));
}

#[then(regex = r#"^the body is "(.*)"$"#)]
fn body_inline(w: &mut KwebWorld, text: String) {
    ok(w.session().body_is(&text));
}

#[then(regex = r"^the body is empty$")]
fn body_empty(w: &mut KwebWorld) {
    ok(w.session().body_len(0));
}

#[then(regex = r"^the body matches:$")]
fn body_matches_doc(w: &mut KwebWorld, step: &Step) {
    ok(w.session().body_matches(&require_doc(step)));
}

#[then(regex = r#"^the body matches "(.*)"$"#)]
fn body_matches(w: &mut KwebWorld, pattern: String) {
    ok(w.session().body_matches(&pattern));
}

#[then(regex = r#"^the body contains "(.*)"$"#)]
fn body_contains(w: &mut KwebWorld, needle: String) {
    ok(w.session().body_contains(&needle, true));
}

#[then(regex = r#"^the body does not contain "(.*)"$"#)]
fn body_lacks(w: &mut KwebWorld, needle: String) {
    ok(w.session().body_contains(&needle, false));
}

#[then(regex = r"^the body has (\d+) bytes$")]
fn body_len(w: &mut KwebWorld, len: usize) {
    ok(w.session().body_len(len));
}

#[then(regex = r"^the Content-Length matches the body$")]
fn content_length(w: &mut KwebWorld) {
    ok(w.session().content_length_consistent());
}

#[then(regex = r#"^the body is the error page "(\d{3} [^"]+)" saying "(.*)"$"#)]
fn error_page(w: &mut KwebWorld, status: String, text: String) {
    ok(w.session().error_page(&status, &text));
}

#[then(regex = r"^the JSON body contains:$")]
fn json_contains(w: &mut KwebWorld, step: &Step) {
    ok(w.session().json_contains(&require_doc(step)));
}

#[then(regex = r#"^the JSON at "([^"]*)" has an item containing:$"#)]
fn json_item(w: &mut KwebWorld, step: &Step, at: String) {
    ok(w.session().json_item(&at, &require_doc(step), true));
}

#[then(regex = r#"^the JSON at "([^"]*)" has no item containing:$"#)]
fn json_no_item(w: &mut KwebWorld, step: &Step, at: String) {
    ok(w.session().json_item(&at, &require_doc(step), false));
}

#[then(regex = r#"^the JSON object at "([^"]*)" has the key "([^"]*)"$"#)]
fn json_key(w: &mut KwebWorld, at: String, key: String) {
    ok(w.session().json_key(&at, &key, true));
}

#[then(regex = r#"^the JSON object at "([^"]*)" does not have the key "([^"]*)"$"#)]
fn json_no_key(w: &mut KwebWorld, at: String, key: String) {
    ok(w.session().json_key(&at, &key, false));
}

#[then(regex = r#"^the JSON keys at "([^"]*)" are, in order: (.+)$"#)]
fn json_key_order(w: &mut KwebWorld, at: String, keys: String) {
    ok(w.session().json_key_order(&at, &list(&keys)));
}
