//! One scenario's conversation with a kweb: requests, the last answer, the
//! clean-up list, and every check the steps can make.
//!
//! The cucumber steps ([`crate::kweb::steps`]) are one-line wrappers around
//! these methods; the differential mode drives the same requests through
//! [`Session::send`]. A failed check returns a message that carries the whole
//! exchange and a `curl` line reproducing it.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::kweb::expect;
use crate::kweb::request_step::{Vars, parse_request, substitute};
use crate::kweb::target::Target;
use crate::wire::{Exchange, Request, Response};

/// Result of a check: `Err` holds the full failure report.
pub type Check = Result<(), String>;

/// State of one scenario run against one target.
#[derive(Debug)]
pub struct Session {
    target: Target,
    vars: Vars,
    last: Option<Exchange>,
    cleanups: Vec<Request>,
    history: Vec<Exchange>,
}

impl Session {
    /// A fresh session on `target` with substitution variables `vars`.
    #[must_use]
    pub fn new(target: Target, vars: Vars) -> Self {
        Self {
            target,
            vars,
            last: None,
            cleanups: Vec::new(),
            history: Vec::new(),
        }
    }

    /// The target this session talks to.
    #[must_use]
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Every exchange so far, in order (clean-up included once run).
    #[must_use]
    pub fn history(&self) -> &[Exchange] {
        &self.history
    }

    /// The answer the checks look at (the last request's).
    #[must_use]
    pub fn last_exchange(&self) -> Option<&Exchange> {
        self.last.as_ref()
    }

    /// Parses a request description ([`crate::kweb::request_step`]).
    ///
    /// # Errors
    /// The parse error as text.
    pub fn request(&self, spec: &str, docstring: Option<&str>) -> Result<Request, String> {
        parse_request(spec, docstring, &self.vars).map_err(|e| e.to_string())
    }

    /// Sends a request; its answer becomes the one the checks look at.
    ///
    /// # Errors
    /// Parse or transport errors, with a `curl` line for the latter.
    pub async fn send(&mut self, spec: &str, docstring: Option<&str>) -> Check {
        let request = self.request(spec, docstring)?;
        self.send_request(request).await
    }

    /// Sends an already built request (see [`Session::send`]).
    ///
    /// # Errors
    /// Transport errors, with a `curl` line.
    pub async fn send_request(&mut self, request: Request) -> Check {
        match self.target.send(&request).await {
            Ok(exchange) => {
                self.history.push(exchange.clone());
                self.last = Some(exchange);
                Ok(())
            }
            Err(e) => Err(format!(
                "{e}\nreproduce: {}",
                crate::wire::curl::command(&self.target.resolve(&request))
            )),
        }
    }

    /// Sends a set-up request and requires kweb's success answer: status 200,
    /// JSON, `"result": "success"`.
    ///
    /// # Errors
    /// The failure report when the answer is anything else.
    pub async fn accept(&mut self, spec: &str, docstring: Option<&str>) -> Check {
        self.send(spec, docstring).await?;
        self.status(200)?;
        self.json_contains(r#"{"result": "success"}"#)
    }

    /// Remembers a clean-up request, run by [`Session::clean_up`] after the
    /// scenario whatever its outcome (last registered, first run).
    ///
    /// # Errors
    /// The parse error as text.
    pub fn defer(&mut self, spec: &str, docstring: Option<&str>) -> Check {
        let request = self.request(spec, docstring)?;
        self.cleanups.push(request);
        Ok(())
    }

    /// Runs the clean-up requests in reverse order; returns the transport
    /// errors (answers are not judged: the scenario may have removed the
    /// object already).
    pub async fn clean_up(&mut self) -> Vec<String> {
        let mut errors = Vec::new();
        while let Some(request) = self.cleanups.pop() {
            match self.target.send(&request).await {
                Ok(exchange) => self.history.push(exchange),
                Err(e) => errors.push(format!(
                    "clean-up {} {}: {e}",
                    request.method,
                    request.path()
                )),
            }
        }
        errors
    }

    /// Repeats `GET path` until its JSON contains `expected` or `seconds`
    /// pass (kweb's cluster threads run beside the request worker,
    /// `kweb-reference.md` §8.2).
    ///
    /// # Errors
    /// The last failure report once the time is up.
    pub async fn eventually_json(&mut self, seconds: u64, path: &str, expected: &str) -> Check {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            self.send(&format!("\"GET {path}\""), None).await?;
            let outcome = self.json_contains(expected);
            if outcome.is_ok() || Instant::now() >= deadline {
                return outcome;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Replaces `${NAME}` variables in an expected value.
    fn expand(&self, text: &str) -> Result<String, String> {
        substitute(text, &self.vars).map_err(|e| e.to_string())
    }

    fn last(&self) -> Result<&Exchange, String> {
        self.last
            .as_ref()
            .ok_or_else(|| "no request has been sent yet".to_owned())
    }

    fn last_response(&self) -> Result<&Response, String> {
        self.last()?.answer()
    }

    fn judge(&self, outcome: Result<(), String>) -> Check {
        outcome.map_err(|problem| match &self.last {
            Some(exchange) => format!("{problem}\n--- exchange ---\n{exchange}"),
            None => problem,
        })
    }

    fn last_json(&self) -> Result<Value, String> {
        let exchange = self.last()?;
        serde_json::from_slice(exchange.body()).map_err(|e| format!("body is not JSON: {e}"))
    }

    /// The status code is `code`.
    ///
    /// # Errors
    /// The failure report.
    pub fn status(&self, code: u16) -> Check {
        let got = self.last_response()?.status;
        self.judge(if got == code {
            Ok(())
        } else {
            Err(format!("expected status {code}, got {got}"))
        })
    }

    /// The status line is exactly `line` (e.g. `HTTP/1.0 404 Not Found`).
    ///
    /// # Errors
    /// The failure report.
    pub fn status_line(&self, line: &str) -> Check {
        let got = &self.last_response()?.status_line;
        self.judge(if got == line {
            Ok(())
        } else {
            Err(format!("expected status line {line:?}, got {got:?}"))
        })
    }

    /// The header `name` (case-insensitive) has exactly `value`.
    ///
    /// # Errors
    /// The failure report.
    pub fn header(&self, name: &str, value: &str) -> Check {
        let got = self.last_response()?.header(name);
        self.judge(if got == Some(value) {
            Ok(())
        } else {
            Err(format!("expected header {name}: {value:?}, got {got:?}"))
        })
    }

    /// The header `name` matches a `{{regex}}` pattern.
    ///
    /// # Errors
    /// The failure report.
    pub fn header_matches(&self, name: &str, pattern: &str) -> Check {
        let got = self.last_response()?.header(name).map(str::to_owned);
        self.judge(match got {
            Some(value) => expect::matches_pattern(&value, pattern),
            None => Err(format!("no header {name}")),
        })
    }

    /// There is no header `name`.
    ///
    /// # Errors
    /// The failure report.
    pub fn no_header(&self, name: &str) -> Check {
        let got = self.last_response()?.header(name);
        self.judge(got.map_or(Ok(()), |v| Err(format!("unexpected header {name}: {v}"))))
    }

    /// The header names, spelled exactly, in exactly this order.
    ///
    /// # Errors
    /// The failure report.
    pub fn header_order(&self, names: &[&str]) -> Check {
        let got: Vec<&str> = self
            .last_response()?
            .headers
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        self.judge(if got == names {
            Ok(())
        } else {
            Err(format!("expected headers {names:?}, got {got:?}"))
        })
    }

    /// The body is exactly `text`.
    ///
    /// # Errors
    /// The failure report.
    pub fn body_is(&self, text: &str) -> Check {
        let text = &self.expand(text)?;
        let got = self.last_response()?.text();
        self.judge(if got == *text {
            Ok(())
        } else {
            Err(format!("expected body {text:?}\n got body {got:?}"))
        })
    }

    /// The body matches a `{{regex}}` pattern ([`expect::matches_pattern`]).
    ///
    /// # Errors
    /// The failure report.
    pub fn body_matches(&self, pattern: &str) -> Check {
        let pattern = &self.expand(pattern)?;
        let got = self.last_response()?.text();
        self.judge(expect::matches_pattern(&got, pattern))
    }

    /// The body contains (or, with `present == false`, lacks) `needle`.
    ///
    /// # Errors
    /// The failure report.
    pub fn body_contains(&self, needle: &str, present: bool) -> Check {
        let needle = &self.expand(needle)?;
        let got = self.last_response()?.text();
        self.judge(if got.contains(needle) == present {
            Ok(())
        } else {
            Err(format!(
                "body {} {needle:?}",
                if present { "lacks" } else { "contains" }
            ))
        })
    }

    /// The body has `len` bytes and `Content-Length` says so too.
    ///
    /// # Errors
    /// The failure report.
    pub fn body_len(&self, len: usize) -> Check {
        let response = self.last_response()?;
        let declared = response
            .header("Content-Length")
            .and_then(|v| v.parse::<usize>().ok());
        self.judge(if response.body.len() == len && declared == Some(len) {
            Ok(())
        } else {
            Err(format!(
                "expected {len} bytes, got {} (Content-Length {declared:?})",
                response.body.len()
            ))
        })
    }

    /// `Content-Length` equals the length of the body received.
    ///
    /// # Errors
    /// The failure report.
    pub fn content_length_consistent(&self) -> Check {
        let response = self.last_response()?;
        let declared = response
            .header("Content-Length")
            .and_then(|v| v.parse::<usize>().ok());
        self.judge(if declared == Some(response.body.len()) {
            Ok(())
        } else {
            Err(format!(
                "Content-Length {declared:?} but {} body bytes",
                response.body.len()
            ))
        })
    }

    /// The body is the Bottle error page (E3) for `status` and `text`, with
    /// the request URL rebuilt from the `Host` header the way Bottle does.
    ///
    /// # Errors
    /// The failure report.
    pub fn error_page(&self, status: &str, text: &str) -> Check {
        let exchange = self.last()?;
        let host = exchange.request.header("X-Forwarded-Host").map_or_else(
            || exchange.request.host_for(&self.target.addr.to_string()),
            str::to_owned,
        );
        let expected = expect::bottle_error_page(
            status,
            &expect::bottle_url(&host, &exchange.request.path()),
            text,
        );
        self.body_is(&expected)
    }

    /// The JSON body contains `expected` ([`expect::json_contains`]).
    ///
    /// # Errors
    /// The failure report.
    pub fn json_contains(&self, expected: &str) -> Check {
        let want: Value = serde_json::from_str(&self.expand(expected)?)
            .map_err(|e| format!("expected JSON is invalid: {e}"))?;
        self.judge(
            self.last_json()
                .and_then(|got| expect::json_contains(&got, &want)),
        )
    }

    /// The array at JSON pointer `at` has (or, with `present == false`, has
    /// no) element containing `expected`.
    ///
    /// # Errors
    /// The failure report.
    pub fn json_item(&self, at: &str, expected: &str, present: bool) -> Check {
        let want: Value = serde_json::from_str(&self.expand(expected)?)
            .map_err(|e| format!("expected JSON is invalid: {e}"))?;
        self.judge(self.last_json().and_then(|got| {
            let items = got
                .pointer(at)
                .and_then(Value::as_array)
                .ok_or_else(|| format!("no array at {at:?}"))?;
            let found = items
                .iter()
                .any(|item| expect::json_contains(item, &want).is_ok());
            match (found, present) {
                (true, true) | (false, false) => Ok(()),
                (false, true) => Err(format!("no item at {at} contains {want}")),
                (true, false) => Err(format!("an item at {at} contains {want}")),
            }
        }))
    }

    /// The object at JSON pointer `at` has (or lacks) the key `key`.
    ///
    /// # Errors
    /// The failure report.
    pub fn json_key(&self, at: &str, key: &str, present: bool) -> Check {
        self.judge(self.last_json().and_then(|got| {
            let object = got
                .pointer(at)
                .and_then(Value::as_object)
                .ok_or_else(|| format!("no object at {at:?}"))?;
            if object.contains_key(key) == present {
                Ok(())
            } else {
                Err(format!(
                    "key {key:?} is {} at {at:?}",
                    if present { "missing" } else { "present" }
                ))
            }
        }))
    }

    /// The object at JSON pointer `at` has exactly these keys in this order.
    ///
    /// # Errors
    /// The failure report.
    pub fn json_key_order(&self, at: &str, keys: &[&str]) -> Check {
        self.judge(self.last_json().and_then(|got| {
            let object = got
                .pointer(at)
                .and_then(Value::as_object)
                .ok_or_else(|| format!("no object at {at:?}"))?;
            let have: Vec<&str> = object.keys().map(String::as_str).collect();
            if have == keys {
                Ok(())
            } else {
                Err(format!("expected keys {keys:?}, got {have:?}"))
            }
        }))
    }
}
