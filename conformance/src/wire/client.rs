//! The two ways the suite sends a [`Request`], both recording an [`Exchange`].
//!
//! - [`send_raw`]: the raw HTTP/1.x client. The request is written by hand
//!   on a plain TCP stream ([`Request::to_bytes`]) and the answer is read
//!   until the server closes the connection (kweb always does,
//!   `kweb-reference.md` §2.1; the request says `Connection: close`). Write
//!   errors are not fatal: a server may answer 413 and stop reading before
//!   the body is through (VAL-012), and that answer is read all the same.
//!   `http://` only.
//! - [`send`]: the pooled client (reqwest), for SPs at any URL including
//!   `https://`; it frames the body itself, so [`Request::http10`] and
//!   [`Request::chunked`] are for the raw client.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::wire::error::WireError;
use crate::wire::exchange::Exchange;
use crate::wire::message::{Request, Response};

/// Sends `request` to `authority` (`host:port`) over a plain TCP stream and
/// reads the whole answer.
///
/// # Errors
/// [`WireError::Io`] when the connection fails or nothing came back,
/// [`WireError::Timeout`] after [`Request::timeout`], [`WireError::Protocol`]
/// when the bytes are not an HTTP answer.
pub async fn send_raw(authority: &str, request: &Request) -> Result<Response, WireError> {
    let exchange = async {
        let mut stream = TcpStream::connect(authority)
            .await
            .map_err(|e| WireError::Io(format!("connect {authority}: {e}")))?;
        // The server may answer early and close (413 before the body is
        // consumed): a failed write still leaves its answer to read.
        if stream.write_all(&request.to_bytes(authority)).await.is_ok() {
            let _ = stream.flush().await;
        }
        let mut raw = Vec::new();
        match stream.read_to_end(&mut raw).await {
            Err(e) if raw.is_empty() => {
                Err(WireError::Io(format!("reading from {authority}: {e}")))
            }
            _ => Response::parse(&raw),
        }
    };
    tokio::time::timeout(request.timeout, exchange)
        .await
        .map_err(|_| {
            WireError::Timeout(format!(
                "no answer within {} ms",
                request.timeout.as_millis()
            ))
        })?
}

/// [`send_raw`] to the authority of `request`'s absolute `http://` URL,
/// recorded; never fails (errors are recorded in the exchange).
pub async fn record_raw(request: Request) -> Exchange {
    let started = Instant::now();
    let outcome = match (request.url.starts_with("http://"), request.authority()) {
        (true, Some(authority)) => send_raw(authority, &request).await,
        _ => Err(WireError::Io(format!(
            "only http:// URLs can be sent raw, not {}",
            request.url
        ))),
    };
    recorded(request, outcome, started.elapsed())
}

/// An exchange from a request and the outcome of sending it.
#[must_use]
pub fn recorded(
    request: Request,
    outcome: Result<Response, WireError>,
    elapsed: Duration,
) -> Exchange {
    let (response, error) = match outcome {
        Ok(response) => (Some(response), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Exchange {
        request,
        response,
        error,
        elapsed,
    }
}

/// Sends `request` (absolute URL) with the pooled client and records the
/// exchange; never fails (transport errors are recorded in the exchange).
pub async fn send(client: &reqwest::Client, request: Request) -> Exchange {
    let started = Instant::now();
    let method =
        reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut builder = client
        .request(method, &request.url)
        .timeout(request.timeout);
    for (k, v) in &request.headers {
        builder = builder.header(k, v);
    }
    if !request.body.is_empty() {
        builder = builder.body(request.body.clone());
    }
    let mut exchange = Exchange {
        request,
        response: None,
        error: None,
        elapsed: Duration::ZERO,
    };
    match builder.send().await {
        Ok(resp) => {
            let mut response = response_head(resp.version(), resp.status(), resp.headers());
            match resp.bytes().await {
                Ok(b) => response.body = b.to_vec(),
                Err(e) => exchange.error = Some(format!("reading the body failed: {e}")),
            }
            exchange.response = Some(response);
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
    exchange
}

/// A [`Response`] without body from the head an `http`-crate client saw
/// (status line rebuilt from version, code and canonical reason).
#[must_use]
pub fn response_head(
    version: reqwest::Version,
    status: reqwest::StatusCode,
    headers: &HeaderMap,
) -> Response {
    Response {
        status_line: format!(
            "{version:?} {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .trim_end()
        .to_owned(),
        status: status.as_u16(),
        headers: header_pairs(headers),
        body: Vec::new(),
    }
}

/// Header names and (lossy UTF-8) values in order.
#[must_use]
pub fn header_pairs<'a>(
    headers: impl IntoIterator<Item = (&'a HeaderName, &'a HeaderValue)>,
) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_from_a_pooled_answer() {
        let head = response_head(
            reqwest::Version::HTTP_11,
            reqwest::StatusCode::NOT_FOUND,
            &HeaderMap::new(),
        );
        assert_eq!(head.status_line, "HTTP/1.1 404 Not Found");
        assert_eq!(head.status, 404);
    }

    #[tokio::test]
    async fn raw_sends_refuse_https() {
        let ex = record_raw(Request::new("POST", "https://127.0.0.1:9/x")).await;
        assert_eq!(ex.status(), None);
        assert!(
            ex.error
                .as_deref()
                .is_some_and(|e| e.contains("only http://")),
            "{ex:?}"
        );
    }
}
