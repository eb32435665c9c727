//! One recorded exchange: the request, its answer or transport error, and
//! the time it took. Failure reports print [`Exchange::render`], which ends
//! with a `reproduce: curl …` line (the YAML, JUnit and HTML reports pick
//! those lines up).

use std::fmt::{self, Write as _};
use std::time::Duration;

use serde_json::Value;

use crate::wire::curl;
use crate::wire::message::{Request, Response};

/// A request, what came back, and how long it took.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request as sent; its URL is absolute.
    pub request: Request,
    /// The answer; `None` when none arrived (see [`Exchange::error`]).
    pub response: Option<Response>,
    /// Transport error text: no answer, or an answer whose body broke off.
    pub error: Option<String>,
    /// Time to the full answer or the error.
    pub elapsed: Duration,
}

impl Exchange {
    /// The HTTP status, `None` on a transport error or timeout.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }

    /// The answer, or the transport error as text.
    ///
    /// # Errors
    /// `no answer: …` when no answer arrived.
    pub fn answer(&self) -> Result<&Response, String> {
        self.response.as_ref().ok_or_else(|| {
            format!(
                "no answer: {}",
                self.error.as_deref().unwrap_or("transport error")
            )
        })
    }

    /// The value of response header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response.as_ref().and_then(|r| r.header(name))
    }

    /// The response body (empty without an answer).
    #[must_use]
    pub fn body(&self) -> &[u8] {
        self.response.as_ref().map_or(&[], |r| r.body.as_slice())
    }

    /// The media type of the answer without parameters, lower case.
    #[must_use]
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The answer parsed as JSON.
    ///
    /// # Errors
    /// A readable message when the body is not JSON.
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(self.body()).map_err(|e| {
            format!(
                "answer body is not JSON ({e}): {}",
                truncate(&self.text(), 300)
            )
        })
    }

    /// The answer body as (lossy) text.
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.body()).into_owned()
    }

    /// A `curl` command line that reproduces the request ([`curl::command`]).
    #[must_use]
    pub fn curl(&self) -> String {
        curl::command(&self.request)
    }

    /// The full exchange as text, for failure reports: `> ` request lines,
    /// `< ` answer lines (status line as sent, headers as sent, body up to
    /// 4,000 characters) or the transport error, then `reproduce: curl …`.
    #[must_use]
    pub fn render(&self) -> String {
        let request = &self.request;
        let mut out = format!("> {} {}\n", request.method, request.url);
        for (k, v) in &request.headers {
            let _ = writeln!(out, "> {k}: {v}");
        }
        if !request.body.is_empty() {
            let _ = writeln!(
                out,
                ">\n{}",
                truncate(&String::from_utf8_lossy(&request.body), 2000)
            );
        }
        let ms = self.elapsed.as_millis();
        if let Some(response) = &self.response {
            let _ = writeln!(out, "< {} ({ms} ms)", response.status_line);
            for (k, v) in &response.headers {
                let _ = writeln!(out, "< {k}: {v}");
            }
            let _ = writeln!(out, "<\n{}", truncate(&response.text(), 4000));
        }
        if let Some(err) = &self.error {
            let _ = writeln!(out, "< transport error after {ms} ms: {err}");
        }
        let _ = writeln!(out, "reproduce: {}", self.curl());
        out
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

/// Shortens `s` to about `max` characters for display.
#[must_use]
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head}… ({} characters in all)", s.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_answer_and_transport_error() {
        let answered = Exchange {
            request: Request::json("POST", "http://h:1/vms", "{}"),
            response: Some(Response {
                status_line: "HTTP/1.0 201 Created".into(),
                status: 201,
                headers: vec![("Etag".into(), "\"1\"".into())],
                body: b"{\"id\":\"a\"}".to_vec(),
            }),
            error: None,
            elapsed: Duration::from_millis(7),
        };
        assert_eq!(
            answered.render(),
            "> POST http://h:1/vms\n> Content-Type: application/json\n>\n{}\n\
             < HTTP/1.0 201 Created (7 ms)\n< Etag: \"1\"\n<\n{\"id\":\"a\"}\n\
             reproduce: curl -sS -i -X POST 'http://h:1/vms' -H 'Content-Type: application/json' --data-binary '{}'\n"
        );
        let failed = Exchange {
            request: Request::new("GET", "http://h:1/x"),
            response: None,
            error: Some("connection refused".into()),
            elapsed: Duration::from_millis(2),
        };
        assert_eq!(failed.status(), None);
        assert_eq!(failed.answer(), Err("no answer: connection refused".into()));
        assert_eq!(
            failed.render(),
            "> GET http://h:1/x\n< transport error after 2 ms: connection refused\n\
             reproduce: curl -sS -i -X GET 'http://h:1/x'\n"
        );
    }

    #[test]
    fn truncates_long_text() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 2), "ab… (4 characters in all)");
    }
}
