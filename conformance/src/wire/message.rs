//! The two messages of an exchange: a [`Request`] as the suite sends it and
//! a [`Response`] as it came back.
//!
//! kweb's fidelity lives in details most clients hide: the `HTTP/1.0` status
//! line, header names and their order (`Etag`, not `ETag`), non-standard
//! methods (`UPDATE`), and bodies that are not what `Content-Type` claims
//! (`kweb-reference.md` §2.1). So a request keeps its method token and
//! headers exactly as given, [`Request::to_bytes`] writes it byte for byte,
//! and a response keeps its status line and header names as sent.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::wire::error::WireError;

/// How long one exchange may take unless the request says otherwise.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// One request as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method token, sent as given (`GET`, `UPDATE`, `update`, `FOO`).
    pub method: String,
    /// Either an absolute `http(s)://authority/path?query` URL, or a path and
    /// query starting with `/` that the kweb target resolves against its
    /// base URL. Recorded exchanges always hold the absolute URL.
    pub url: String,
    /// Extra headers in order; `Host`, `Content-Length` and `Connection` are
    /// added by [`Request::to_bytes`] unless present here.
    pub headers: Vec<(String, String)>,
    /// Body bytes (may be empty).
    pub body: Vec<u8>,
    /// Send `HTTP/1.0` instead of `HTTP/1.1` in the request line (raw client only).
    pub http10: bool,
    /// Send the body with `Transfer-Encoding: chunked` (raw client only).
    pub chunked: bool,
    /// Upper bound for the whole exchange.
    pub timeout: Duration,
}

impl Request {
    /// A request without headers or body, with [`EXCHANGE_TIMEOUT`].
    #[must_use]
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        Self {
            method: method.to_owned(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            http10: false,
            chunked: false,
            timeout: EXCHANGE_TIMEOUT,
        }
    }

    /// A request with a JSON text body and `Content-Type: application/json`
    /// (what kcli's own client sends, `kweb-reference.md` §14).
    #[must_use]
    pub fn json(method: &str, url: impl Into<String>, body: &str) -> Self {
        Self::new(method, url).with_body("application/json", body.as_bytes().to_vec())
    }

    /// Sets the upper bound for the whole exchange.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Adds `value` as the JSON body with `Content-Type: application/json`.
    #[must_use]
    pub fn with_json(self, value: &Value) -> Self {
        self.with_body("application/json", value.to_string().into_bytes())
    }

    /// Adds a raw body with the given content type (no `Content-Type` header
    /// when `content_type` is empty).
    #[must_use]
    pub fn with_body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        if !content_type.is_empty() {
            self.set_header("Content-Type", content_type);
        }
        self.body = body;
        self
    }

    /// Adds a header (after any present, even with the same name).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets (or replaces, case-insensitively) a header.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// The value of a request header, matched case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// The `Host` header value this request carries when sent to `authority`
    /// (`host:port`).
    #[must_use]
    pub fn host_for(&self, authority: &str) -> String {
        self.header("Host").unwrap_or(authority).to_owned()
    }

    /// `host:port` of an absolute URL, `None` for a path.
    #[must_use]
    pub fn authority(&self) -> Option<&str> {
        let rest = strip_scheme(&self.url)?;
        Some(rest.find(['/', '?']).map_or(rest, |i| &rest[..i]))
    }

    /// The request target as written in the request line: the path and
    /// query of the URL (`/` added when an absolute URL has no path).
    #[must_use]
    pub fn path(&self) -> Cow<'_, str> {
        match strip_scheme(&self.url) {
            None => Cow::Borrowed(&self.url),
            Some(rest) => match rest.find(['/', '?']) {
                Some(i) if rest[i..].starts_with('/') => Cow::Borrowed(&rest[i..]),
                Some(i) => Cow::Owned(format!("/{}", &rest[i..])),
                None => Cow::Borrowed("/"),
            },
        }
    }

    /// Serialises the request exactly as it is written to the socket;
    /// `authority` is the `Host` unless the request sets one.
    #[must_use]
    pub fn to_bytes(&self, authority: &str) -> Vec<u8> {
        let version = if self.http10 { "HTTP/1.0" } else { "HTTP/1.1" };
        let mut head = format!("{} {} {version}\r\n", self.method, self.path());
        if self.header("Host").is_none() {
            head.push_str(&format!("Host: {authority}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = if self.chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
            // One chunk with the whole body (if any), then the last chunk.
            let mut chunked = Vec::new();
            if !self.body.is_empty() {
                chunked.extend_from_slice(format!("{:x}\r\n", self.body.len()).as_bytes());
                chunked.extend_from_slice(&self.body);
                chunked.extend_from_slice(b"\r\n");
            }
            chunked.extend_from_slice(b"0\r\n\r\n");
            chunked
        } else {
            if !self.body.is_empty() || self.header("Content-Type").is_some() {
                head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
            }
            self.body.clone()
        };
        if self.header("Connection").is_none() {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    }
}

fn first_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn strip_scheme(url: &str) -> Option<&str> {
    url.strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
}

/// One response as it came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status line without CRLF, e.g. `HTTP/1.0 200 OK`.
    pub status_line: String,
    /// The numeric status code.
    pub status: u16,
    /// Header names and values in arrival order, names as sent (the pooled
    /// client only sees lower-case names).
    pub headers: Vec<(String, String)>,
    /// The body after transfer decoding (a chunked answer is de-chunked;
    /// kweb never chunks, so its bytes are kept as sent).
    pub body: Vec<u8>,
}

impl Response {
    /// Parses a raw response read until the server closed: status line, CRLF
    /// headers, blank line, body (de-chunked when `Transfer-Encoding:
    /// chunked`).
    ///
    /// # Errors
    /// [`WireError::Protocol`] when the head is malformed.
    pub fn parse(raw: &[u8]) -> Result<Self, WireError> {
        let split = find(raw, b"\r\n\r\n").ok_or_else(|| {
            WireError::Protocol(format!("no end of headers in {} bytes", raw.len()))
        })?;
        let head = std::str::from_utf8(&raw[..split])
            .map_err(|e| WireError::Protocol(format!("response head is not UTF-8: {e}")))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_owned();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| WireError::Protocol(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| WireError::Protocol(format!("bad header line {line:?}")))?;
            headers.push((name.to_owned(), value.trim_start().to_owned()));
        }
        let mut response = Self {
            status_line,
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        };
        if response
            .header("Transfer-Encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"))
        {
            response.body = dechunk(&response.body);
        }
        Ok(response)
    }

    /// The first header with this name, matched case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// The `Content-Type` header, or `""` when absent.
    #[must_use]
    pub fn content_type(&self) -> &str {
        self.header("Content-Type").unwrap_or("")
    }

    /// The body as text (lossy UTF-8).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.status_line)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {value}")?;
        }
        writeln!(f)?;
        let text = self.text();
        let shown: String = text.chars().take(4000).collect();
        if shown.len() < text.len() {
            write!(f, "{shown}... ({} bytes in total)", text.len())
        } else {
            write!(f, "{text}")
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Joins the chunks of a chunked body; stops at the last chunk or at the
/// first size line that does not parse or promises more than is there.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = find(data, b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || data.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[(eol + 4 + size).min(data.len())..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_kweb_response_keeping_header_order_and_names() {
        let raw = b"HTTP/1.0 405 Method Not Allowed\r\nDate: x\r\nServer: y\r\nAllow: GET,POST\r\nContent-Length: 3\r\nContent-Type: text/html; charset=UTF-8\r\n\r\nabc";
        let response = Response::parse(raw).expect("parses");
        assert_eq!(response.status, 405);
        assert_eq!(response.status_line, "HTTP/1.0 405 Method Not Allowed");
        let names: Vec<_> = response.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["Date", "Server", "Allow", "Content-Length", "Content-Type"]
        );
        assert_eq!(response.body, b"abc");
    }

    #[test]
    fn rejects_a_response_without_a_head() {
        assert!(Response::parse(b"garbage").is_err());
    }

    #[test]
    fn dechunks_a_chunked_answer() {
        let raw = b"HTTP/1.1 413 Payload Too Large\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let response = Response::parse(raw).expect("parses");
        assert_eq!(response.body, b"abcde");
    }

    #[test]
    fn writes_custom_methods_and_content_length() {
        let request = Request::json("UPDATE", "/vms/a", "{}");
        let text = String::from_utf8(request.to_bytes("127.0.0.1:9")).expect("utf8");
        assert!(text.starts_with("UPDATE /vms/a HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
        assert!(text.contains("Content-Length: 2\r\n"));
        assert!(text.ends_with("\r\n\r\n{}"));
    }

    #[test]
    fn chunked_bodies_end_with_the_last_chunk() {
        let mut request = Request::json("POST", "/x", "{}");
        request.chunked = true;
        let text = String::from_utf8(request.to_bytes("127.0.0.1:9")).expect("utf8");
        assert!(text.contains("Transfer-Encoding: chunked\r\n"));
        assert!(!text.contains("Content-Length"));
        assert!(text.ends_with("\r\n\r\n2\r\n{}\r\n0\r\n\r\n"), "{text:?}");
    }

    #[test]
    fn path_and_authority_of_urls() {
        let cases = [
            ("http://h:1/a/b?c=1", Some("h:1"), "/a/b?c=1"),
            ("https://h:1", Some("h:1"), "/"),
            ("http://h:1?x", Some("h:1"), "/?x"),
            ("/vms?x=1", None, "/vms?x=1"),
        ];
        for (url, authority, path) in cases {
            let request = Request::new("GET", url);
            assert_eq!(
                (request.authority(), request.path().as_ref()),
                (authority, path),
                "{url}"
            );
        }
    }
}
