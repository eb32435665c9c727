//! An HTTP client that records every exchange with the SP, so a failure can
//! print the whole request and answer plus a `curl` line that reproduces it
//! (style.md, cucumber section).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One recorded request and its answer (or transport error).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Request headers that the suite set.
    pub request_headers: Vec<(String, String)>,
    /// Request body (may be empty).
    pub request_body: Vec<u8>,
    /// HTTP status, `None` on a transport error or timeout.
    pub status: Option<u16>,
    /// Response headers (lower-case names).
    pub response_headers: Vec<(String, String)>,
    /// Response body.
    pub response_body: Vec<u8>,
    /// Transport error text, if any.
    pub error: Option<String>,
    /// Time to the full answer.
    pub elapsed: Duration,
}

impl Exchange {
    /// The value of response header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.response_headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
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
        serde_json::from_slice(&self.response_body).map_err(|e| {
            format!(
                "answer body is not JSON ({e}): {}",
                truncate(&String::from_utf8_lossy(&self.response_body), 300)
            )
        })
    }

    /// The answer body as (lossy) text.
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.response_body).into_owned()
    }

    /// A `curl` command line that reproduces the request.
    #[must_use]
    pub fn curl(&self) -> String {
        let mut line = format!(
            "curl -sS -i -X {} '{}'",
            self.method,
            self.url.replace('\'', "'\\''")
        );
        for (k, v) in &self.request_headers {
            let _ = write!(line, " -H '{k}: {}'", v.replace('\'', "'\\''"));
        }
        if !self.request_body.is_empty() {
            if self.request_body.len() > 4096 {
                let _ = write!(
                    line,
                    " --data-binary @body.bin  # body of {} bytes, not shown",
                    self.request_body.len()
                );
            } else {
                let body = String::from_utf8_lossy(&self.request_body).replace('\'', "'\\''");
                let _ = write!(line, " --data-binary '{body}'");
            }
        }
        line
    }

    /// The full exchange as text, for failure reports.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = format!("> {} {}\n", self.method, self.url);
        for (k, v) in &self.request_headers {
            let _ = writeln!(out, "> {k}: {v}");
        }
        if !self.request_body.is_empty() {
            let _ = writeln!(
                out,
                ">\n{}",
                truncate(&String::from_utf8_lossy(&self.request_body), 2000)
            );
        }
        match (self.status, &self.error) {
            (Some(status), _) => {
                let _ = writeln!(out, "< HTTP {status} ({} ms)", self.elapsed.as_millis());
                for (k, v) in &self.response_headers {
                    let _ = writeln!(out, "< {k}: {v}");
                }
                let _ = writeln!(out, "<\n{}", truncate(&self.text(), 4000));
            }
            (None, Some(err)) => {
                let _ = writeln!(
                    out,
                    "< transport error after {} ms: {err}",
                    self.elapsed.as_millis()
                );
            }
            (None, None) => {}
        }
        let _ = writeln!(out, "reproduce: {}", self.curl());
        out
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

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method (any token, e.g. `PATCH`).
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Upper bound for the whole exchange.
    pub timeout: Duration,
}

impl Request {
    /// A request without body.
    #[must_use]
    pub fn new(method: &str, url: impl Into<String>, timeout: Duration) -> Self {
        Self {
            method: method.to_owned(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout,
        }
    }

    /// Adds a JSON body with `Content-Type: application/json`.
    #[must_use]
    pub fn json(mut self, body: &Value) -> Self {
        self.headers
            .push(("Content-Type".into(), "application/json".into()));
        self.body = body.to_string().into_bytes();
        self
    }

    /// Adds a raw body with the given content type (none when empty).
    #[must_use]
    pub fn raw(mut self, content_type: &str, body: Vec<u8>) -> Self {
        if !content_type.is_empty() {
            self.headers
                .push(("Content-Type".into(), content_type.into()));
        }
        self.body = body;
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Sends `req` and records the exchange; never fails (transport errors are
/// recorded in the exchange). During a run, the statuses the answer states
/// go to the run's [`StatusLog`](crate::sp::timeline::StatusLog).
pub async fn send(client: &reqwest::Client, req: Request) -> Exchange {
    let started = Instant::now();
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut builder = client.request(method, &req.url).timeout(req.timeout);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    if !req.body.is_empty() {
        builder = builder.body(req.body.clone());
    }
    let mut exchange = Exchange {
        method: req.method,
        url: req.url,
        request_headers: req.headers,
        request_body: req.body,
        status: None,
        response_headers: Vec::new(),
        response_body: Vec::new(),
        error: None,
        elapsed: Duration::ZERO,
    };
    match builder.send().await {
        Ok(resp) => {
            exchange.status = Some(resp.status().as_u16());
            exchange.response_headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            match resp.bytes().await {
                Ok(b) => exchange.response_body = b.to_vec(),
                Err(e) => exchange.error = Some(format!("reading the body failed: {e}")),
            }
        }
        Err(e) => {
            exchange.error = Some(if e.is_timeout() {
                format!("no answer within {} ms", started.elapsed().as_millis())
            } else {
                error_chain(&e)
            });
        }
    }
    exchange.elapsed = started.elapsed();
    if let Ok(ctx) = crate::sp::context::active() {
        ctx.statuses.record(&exchange, Instant::now());
    }
    exchange
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let _ = write!(out, ": {s}");
        cur = s.source();
    }
    out
}

/// Sends a `POST` over a plain TCP connection, chunked (no `Content-Length`)
/// or with `Content-Length`, and reads the answer even when the server
/// answers early and stops reading (a 413 before the body is consumed;
/// VAL-012 "with or without Content-Length").
/// Only `http://` URLs are supported; anything else is recorded as an error.
pub async fn send_chunked(
    url: &str,
    content_type: &str,
    body: &[u8],
    timeout: Duration,
    chunked: bool,
) -> Exchange {
    let started = Instant::now();
    let mut exchange = Exchange {
        method: "POST".into(),
        url: url.into(),
        request_headers: vec![
            ("Content-Type".into(), content_type.into()),
            if chunked {
                ("Transfer-Encoding".into(), "chunked".into())
            } else {
                ("Content-Length".into(), body.len().to_string())
            },
        ],
        request_body: body.to_vec(),
        status: None,
        response_headers: Vec::new(),
        response_body: Vec::new(),
        error: None,
        elapsed: Duration::ZERO,
    };
    match tokio::time::timeout(timeout, chunked_exchange(url, content_type, body, chunked)).await {
        Ok(Ok((status, headers, resp_body))) => {
            exchange.status = Some(status);
            exchange.response_headers = headers;
            exchange.response_body = resp_body;
        }
        Ok(Err(e)) => exchange.error = Some(e),
        Err(_) => exchange.error = Some(format!("no answer within {} ms", timeout.as_millis())),
    }
    exchange.elapsed = started.elapsed();
    exchange
}

type RawAnswer = (u16, Vec<(String, String)>, Vec<u8>);

async fn chunked_exchange(
    url: &str,
    content_type: &str,
    body: &[u8],
    chunked: bool,
) -> Result<RawAnswer, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs can be sent chunked")?;
    let (authority, path) = rest
        .find('/')
        .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("connect {authority}: {e}"))?;
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\n{framing}\r\nConnection: close\r\n\r\n"
    );
    // The server may answer 413 and close early: write errors are not fatal,
    // the answer is read all the same.
    let _ = stream.write_all(head.as_bytes()).await;
    for chunk in body.chunks(64 * 1024) {
        let written = if chunked {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await
                .is_ok()
                && stream.write_all(chunk).await.is_ok()
                && stream.write_all(b"\r\n").await.is_ok()
        } else {
            stream.write_all(chunk).await.is_ok()
        };
        if !written {
            break;
        }
    }
    if chunked {
        let _ = stream.write_all(b"0\r\n\r\n").await;
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    parse_raw_answer(&raw)
}

fn parse_raw_answer(raw: &[u8]) -> Result<RawAnswer, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the connection closed without an HTTP answer")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line `{status_line}`"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok((status, headers, body))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
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
