//! A raw HTTP/1.x client that keeps every byte kweb sends.
//!
//! kweb's fidelity lives in details most clients hide: the `HTTP/1.0` status
//! line, header names and their order (`Etag`, not `ETag`), non-standard
//! methods (`UPDATE`), and bodies that are not what `Content-Type` claims.
//! So requests are written by hand on a plain TCP stream and the response is
//! read until the server closes the connection (kweb always does,
//! `kweb-reference.md` §2.1).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::kweb::error::KwebError;

/// How long one exchange may take before it is reported as hanging.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// One request as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method token, sent as given (`GET`, `UPDATE`, `update`, `FOO`).
    pub method: String,
    /// Path and query, starting with `/`, sent as given.
    pub path: String,
    /// Extra headers in order; `Host`, `Content-Length` and `Connection` are
    /// added by [`send`] unless present here.
    pub headers: Vec<(String, String)>,
    /// Body bytes (may be empty).
    pub body: Vec<u8>,
    /// Send `HTTP/1.0` instead of `HTTP/1.1` in the request line.
    pub http10: bool,
    /// Send the body with `Transfer-Encoding: chunked` (one chunk).
    pub chunked: bool,
}

impl Request {
    /// A request without headers or body.
    #[must_use]
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            http10: false,
            chunked: false,
        }
    }

    /// A request with a JSON body and `Content-Type: application/json`
    /// (what kcli's own client sends, `kweb-reference.md` §14).
    #[must_use]
    pub fn json(method: &str, path: &str, body: &str) -> Self {
        let mut request = Self::new(method, path);
        request.set_header("Content-Type", "application/json");
        request.body = body.as_bytes().to_vec();
        request
    }

    /// Sets (or replaces, case-insensitively) a header.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// The value of a request header, matched case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Host` header value this request carries to `addr`.
    #[must_use]
    pub fn host_for(&self, addr: SocketAddr) -> String {
        self.header("Host")
            .map_or_else(|| addr.to_string(), str::to_owned)
    }

    /// Serialises the request exactly as it is written to the socket.
    #[must_use]
    pub fn to_bytes(&self, addr: SocketAddr) -> Vec<u8> {
        let version = if self.http10 { "HTTP/1.0" } else { "HTTP/1.1" };
        let mut head = format!("{} {} {version}\r\n", self.method, self.path);
        if self.header("Host").is_none() {
            head.push_str(&format!("Host: {addr}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = if self.chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
            let mut chunked = format!("{:x}\r\n", self.body.len()).into_bytes();
            if !self.body.is_empty() {
                chunked.extend_from_slice(&self.body);
                chunked.extend_from_slice(b"\r\n");
            }
            if !self.body.is_empty() {
                chunked.extend_from_slice(b"0\r\n");
            }
            chunked.extend_from_slice(b"\r\n");
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

    /// A `curl` command line that reproduces this request against `base`
    /// (e.g. `http://127.0.0.1:18200`).
    #[must_use]
    pub fn curl(&self, base: &str) -> String {
        let mut parts = vec!["curl".to_owned(), "-si".to_owned()];
        if self.method == "HEAD" {
            parts.push("-I".to_owned());
        } else {
            parts.push("-X".to_owned());
            parts.push(self.method.clone());
        }
        if self.http10 {
            parts.push("--http1.0".to_owned());
        }
        for (name, value) in &self.headers {
            parts.push("-H".to_owned());
            parts.push(shell_quote(&format!("{name}: {value}")));
        }
        if self.chunked {
            parts.push("-H".to_owned());
            parts.push(shell_quote("Transfer-Encoding: chunked"));
        }
        if !self.body.is_empty() {
            let text = String::from_utf8_lossy(&self.body);
            if text.len() > 2000 {
                parts.push("--data-binary".to_owned());
                parts.push(format!(
                    "@<(head -c {} /dev/zero | tr '\\0' x)",
                    self.body.len()
                ));
            } else {
                parts.push("--data-binary".to_owned());
                parts.push(shell_quote(&text));
            }
        }
        parts.push(shell_quote(&format!("{base}{}", self.path)));
        parts.join(" ")
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// One response as read from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status line without CRLF, e.g. `HTTP/1.0 200 OK`.
    pub status_line: String,
    /// The numeric status code.
    pub status: u16,
    /// Header names and values in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body bytes (everything after the blank line until EOF).
    pub body: Vec<u8>,
}

impl Response {
    /// Parses a raw response (status line, CRLF headers, blank line, body).
    ///
    /// # Errors
    /// [`KwebError::Protocol`] when the head is malformed.
    pub fn parse(raw: &[u8]) -> Result<Self, KwebError> {
        let split = find(raw, b"\r\n\r\n").ok_or_else(|| {
            KwebError::Protocol(format!("no end of headers in {} bytes", raw.len()))
        })?;
        let head = std::str::from_utf8(&raw[..split])
            .map_err(|e| KwebError::Protocol(format!("response head is not UTF-8: {e}")))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_owned();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| KwebError::Protocol(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| KwebError::Protocol(format!("bad header line {line:?}")))?;
            headers.push((name.to_owned(), value.trim_start().to_owned()));
        }
        Ok(Self {
            status_line,
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        })
    }

    /// The first header with this name, matched case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
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

/// A request, where it went, and what came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Base URL of the target, e.g. `http://127.0.0.1:18200`.
    pub base: String,
    /// The request as sent.
    pub request: Request,
    /// The response as received.
    pub response: Response,
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "request: {} {}", self.request.method, self.request.path)?;
        for (name, value) in &self.request.headers {
            writeln!(f, "  {name}: {value}")?;
        }
        if !self.request.body.is_empty() {
            let body = String::from_utf8_lossy(&self.request.body);
            if body.len() > 1000 {
                writeln!(f, "  body: {} bytes", body.len())?;
            } else {
                writeln!(f, "  body: {body}")?;
            }
        }
        writeln!(f, "response:\n{}", self.response)?;
        write!(f, "\nreproduce: {}", self.request.curl(&self.base))
    }
}

/// Where requests go: a kweb (real or simulated) on a TCP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The base URL as given, without a trailing slash.
    pub base: String,
    /// The resolved socket address.
    pub addr: SocketAddr,
}

impl Target {
    /// Parses `http://HOST:PORT` (no path, no TLS; kweb has neither).
    ///
    /// # Errors
    /// [`KwebError::Config`] for anything else.
    pub fn parse(url: &str) -> Result<Self, KwebError> {
        let base = url.trim_end_matches('/');
        let authority = base.strip_prefix("http://").ok_or_else(|| {
            KwebError::Config(format!("kweb URL {url:?} must start with http://"))
        })?;
        if authority.contains('/') {
            return Err(KwebError::Config(format!(
                "kweb URL {url:?} must not have a path"
            )));
        }
        let addr = std::net::ToSocketAddrs::to_socket_addrs(authority)
            .map_err(|e| KwebError::Config(format!("kweb URL {url:?}: {e}")))?
            .next()
            .ok_or_else(|| KwebError::Config(format!("kweb URL {url:?} resolves to nothing")))?;
        Ok(Self {
            base: base.to_owned(),
            addr,
        })
    }

    /// The target for a simulator bound at `addr`.
    #[must_use]
    pub fn from_addr(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            addr,
        }
    }

    /// Sends one request and reads the whole response.
    ///
    /// # Errors
    /// [`KwebError::Io`] on connection problems, [`KwebError::Timeout`] after
    /// [`EXCHANGE_TIMEOUT`], [`KwebError::Protocol`] on a malformed answer.
    pub async fn send(&self, request: &Request) -> Result<Exchange, KwebError> {
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await?;
            stream.write_all(&request.to_bytes(self.addr)).await?;
            stream.flush().await?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            Ok::<_, std::io::Error>(raw)
        };
        let raw = tokio::time::timeout(EXCHANGE_TIMEOUT, exchange)
            .await
            .map_err(|_| KwebError::Timeout(format!("{} {}", request.method, request.path)))?
            .map_err(|e| {
                KwebError::Io(format!(
                    "{} {} to {}: {e}",
                    request.method, request.path, self.base
                ))
            })?;
        let response = Response::parse(&raw)?;
        Ok(Exchange {
            base: self.base.clone(),
            request: request.clone(),
            response,
        })
    }
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
    fn writes_custom_methods_and_content_length() {
        let request = Request::json("UPDATE", "/vms/a", "{}");
        let addr: SocketAddr = "127.0.0.1:9".parse().expect("addr");
        let text = String::from_utf8(request.to_bytes(addr)).expect("utf8");
        assert!(text.starts_with("UPDATE /vms/a HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
        assert!(text.contains("Content-Length: 2\r\n"));
        assert!(text.ends_with("\r\n\r\n{}"));
    }

    #[test]
    fn curl_line_quotes_single_quotes() {
        let request = Request::json("POST", "/vms", r#"{"a":"it's"}"#);
        let line = request.curl("http://h:1");
        assert!(line.contains(r#"'{"a":"it'\''s"}'"#), "{line}");
        assert!(line.ends_with("'http://h:1/vms'"));
    }

    #[test]
    fn target_rejects_paths_and_other_schemes() {
        assert!(Target::parse("https://127.0.0.1:1").is_err());
        assert!(Target::parse("http://127.0.0.1:1/x").is_err());
        assert_eq!(
            Target::parse("http://127.0.0.1:1/").expect("ok").base,
            "http://127.0.0.1:1"
        );
    }
}
