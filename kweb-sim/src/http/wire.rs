//! A small HTTP/1.x front end over tokio: reads one request (request line,
//! headers, `Content-Length` or chunked body), writes one response with an
//! `HTTP/1.0` status line and exactly the headers given, then the caller
//! closes the connection (`kweb-reference.md` §2.1-§2.2).
//!
//! hyper cannot be used here: it rewrites the status line version, lower-cases
//! header names and adds headers of its own.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Largest request head (request line plus headers) accepted, bytes.
const MAX_HEAD: usize = 64 * 1024;
/// Largest body the front end reads into memory, bytes. Larger bodies end the
/// connection with a 413 page from the router (the limit kweb enforces is
/// 102400 bytes; this one only protects the simulator).
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method token exactly as sent (`UPDATE`, `update`, `FOO`).
    pub method: String,
    /// Request target as sent (path and optional `?query`).
    pub target: String,
    /// Header fields in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Body bytes (de-chunked).
    pub body: Vec<u8>,
    /// `true` when the body exceeded [`MAX_BODY`] and was truncated.
    pub body_truncated: bool,
}

impl Request {
    /// First header value with this name (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path part of the target, still percent-encoded.
    #[must_use]
    pub fn raw_path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The query string (without `?`), `""` when absent.
    #[must_use]
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed or timed out before sending a full request head.
    Closed,
    /// The request line or a header could not be parsed; the text is the
    /// offending request line, for the wsgiref-style 400 page.
    Malformed(String),
}

/// Reads one request from `stream`.
///
/// # Errors
/// [`ReadError::Closed`] on EOF, I/O errors and timeouts;
/// [`ReadError::Malformed`] for a request line that is not
/// `METHOD SP TARGET SP HTTP/x.y` or an unparseable header or chunk.
pub async fn read_request(stream: &mut TcpStream) -> Result<Request, ReadError> {
    match tokio::time::timeout(READ_TIMEOUT, read_inner(stream)).await {
        Ok(r) => r,
        Err(_) => Err(ReadError::Closed),
    }
}

async fn read_inner(stream: &mut TcpStream) -> Result<Request, ReadError> {
    let mut reader = BufReader::new(stream);
    let mut head_len = 0usize;
    let mut line = Vec::new();
    // Skip empty lines before the request line, as http.server does not;
    // wsgiref treats an empty first line as a closed connection.
    let n = reader
        .read_until(b'\n', &mut line)
        .await
        .map_err(|_| ReadError::Closed)?;
    if n == 0 {
        return Err(ReadError::Closed);
    }
    head_len += n;
    let request_line = String::from_utf8_lossy(trim_eol(&line)).into_owned();
    if request_line.is_empty() {
        return Err(ReadError::Closed);
    }
    let parts: Vec<&str> = request_line.split_whitespace().collect();
    let (method, target) = match parts.as_slice() {
        [m, t, v] if v.starts_with("HTTP/") && valid_version(v) => {
            ((*m).to_owned(), (*t).to_owned())
        }
        _ => return Err(ReadError::Malformed(request_line)),
    };
    if !method.bytes().all(is_token_byte) {
        return Err(ReadError::Malformed(request_line));
    }
    let mut headers = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .await
            .map_err(|_| ReadError::Closed)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        head_len += n;
        if head_len > MAX_HEAD {
            return Err(ReadError::Malformed(request_line));
        }
        let l = trim_eol(&line);
        if l.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(l).into_owned();
        match text.split_once(':') {
            Some((k, v)) if !k.is_empty() => {
                headers.push((k.trim().to_owned(), v.trim().to_owned()))
            }
            _ => return Err(ReadError::Malformed(request_line)),
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    let mut body_truncated = false;
    if find("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .await
                .map_err(|_| ReadError::Closed)?;
            if n == 0 {
                return Err(ReadError::Closed);
            }
            let size_text = String::from_utf8_lossy(trim_eol(&line)).into_owned();
            let size_hex = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| ReadError::Malformed(request_line.clone()))?;
            if size == 0 {
                // Trailers until the empty line.
                loop {
                    line.clear();
                    let n = reader
                        .read_until(b'\n', &mut line)
                        .await
                        .map_err(|_| ReadError::Closed)?;
                    if n == 0 || trim_eol(&line).is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0u8; size];
            reader
                .read_exact(&mut chunk)
                .await
                .map_err(|_| ReadError::Closed)?;
            if body.len() + size > MAX_BODY {
                body_truncated = true;
            } else {
                body.extend_from_slice(&chunk);
            }
            line.clear();
            reader
                .read_until(b'\n', &mut line)
                .await
                .map_err(|_| ReadError::Closed)?;
        }
    } else if let Some(len) = find("Content-Length") {
        let len: usize = len
            .trim()
            .parse()
            .map_err(|_| ReadError::Malformed(request_line.clone()))?;
        let keep = len.min(MAX_BODY);
        body = vec![0u8; keep];
        reader
            .read_exact(&mut body)
            .await
            .map_err(|_| ReadError::Closed)?;
        if len > keep {
            body_truncated = true;
            let mut rest = (&mut reader).take((len - keep) as u64);
            tokio::io::copy(&mut rest, &mut tokio::io::sink())
                .await
                .map_err(|_| ReadError::Closed)?;
        }
    }
    Ok(Request {
        method,
        target,
        headers,
        body,
        body_truncated,
    })
}

fn valid_version(v: &str) -> bool {
    let rest = &v[5..];
    rest.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let mut l = line;
    if let Some(rest) = l.strip_suffix(b"\n") {
        l = rest;
    }
    if let Some(rest) = l.strip_suffix(b"\r") {
        l = rest;
    }
    l
}

/// One response, ready to be written byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Reason phrase (Python's standard one unless a fault overrides it).
    pub reason: String,
    /// Header fields in the exact order and spelling to send.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// Serialises the response: `HTTP/1.0 <code> <reason>`, headers, CRLF,
    /// body (omitted for `HEAD`).
    #[must_use]
    pub fn to_bytes(&self, head_only: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 256);
        out.extend_from_slice(format!("HTTP/1.0 {} {}\r\n", self.status, self.reason).as_bytes());
        for (k, v) in &self.headers {
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !head_only {
            out.extend_from_slice(&self.body);
        }
        out
    }

    /// Writes the response and shuts the write side down.
    ///
    /// # Errors
    /// The I/O error of the socket.
    pub async fn write_to(&self, stream: &mut TcpStream, head_only: bool) -> std::io::Result<()> {
        stream.write_all(&self.to_bytes(head_only)).await?;
        stream.flush().await?;
        stream.shutdown().await
    }
}

/// Python's `http.HTTPStatus` reason phrase for `status`.
#[must_use]
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        416 => "Requested Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}
