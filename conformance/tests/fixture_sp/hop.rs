//! One HTTP hop of a layer: a loopback server whose handler sees each
//! request whole, and a client that forwards it to the next component and
//! brings the whole answer back. The layers rewrite what passes.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dcm_conformance::wire::{self, WireError};
use tokio::task::JoinHandle;

/// A request or an answer, read whole.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) method: Method,
    /// Path and query as received, e.g. `/api/v1alpha1/vms?id=a` (unused in answers).
    pub(crate) target: String,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Message {
    /// An answer of the layer's own.
    pub(crate) fn answer(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        if let Ok(v) = content_type.parse() {
            headers.insert(header::CONTENT_TYPE, v);
        }
        Self {
            method: Method::GET,
            target: String::new(),
            status,
            headers,
            body: body.into(),
        }
    }

    /// The body as JSON, if it is JSON.
    pub(crate) fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Replaces the body with `v`.
    pub(crate) fn set_json(&mut self, v: &serde_json::Value) {
        self.body = Bytes::from(v.to_string());
    }

    /// The request path without the query.
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The first value of query parameter `name`, decoded.
    pub(crate) fn query(&self, name: &str) -> Option<String> {
        let (_, q) = self.target.split_once('?')?;
        reqwest::Url::parse(&format!("http://q/?{q}"))
            .ok()?
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Sets query parameter `name` to `value` (the others keep their order).
    pub(crate) fn set_query(&mut self, name: &str, value: &str) {
        let path = self.path().to_owned();
        let Ok(mut url) = reqwest::Url::parse(&format!("http://q{}", self.target)) else {
            return;
        };
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != name)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair(name, value);
        self.target = format!("{path}?{}", url.query().unwrap_or_default());
    }
}

impl IntoResponse for Message {
    fn into_response(self) -> Response {
        let mut r = Response::new(Body::from(self.body));
        *r.status_mut() = self.status;
        *r.headers_mut() = self.headers;
        r
    }
}

/// `headers` without those one hop must not pass on (the client and the
/// server set them again).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let hop = [
        header::HOST,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
    ];
    headers
        .iter()
        .filter(|(name, _)| !hop.contains(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// The client side: sends to `upstream` (a base URL without trailing `/`)
/// with the suite's raw HTTP/1.1 client, one connection per request
/// (`Connection: close`): no idle connection keeps a stopped provider's
/// server (and its state store) alive, and an answer the server gives
/// before it has read the whole body (a 413) is still read, where a pooled
/// client reports the broken write instead.
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    upstream: String,
}

impl Hop {
    pub(crate) fn new(upstream: &str) -> Self {
        Self {
            upstream: upstream.trim_end_matches('/').to_owned(),
        }
    }

    /// Forwards `req`; `Err` for a transport failure (no answer).
    pub(crate) async fn send(&self, req: &Message) -> Result<Message, WireError> {
        let mut out = wire::Request::new(
            req.method.as_str(),
            format!("{}{}", self.upstream, req.target),
        )
        .with_timeout(Duration::from_secs(60));
        out.headers = end_to_end(&req.headers)
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        out.body = req.body.to_vec();
        let authority = out
            .authority()
            .map(str::to_owned)
            .ok_or_else(|| WireError::Io(format!("no authority in {}", out.url)))?;
        let answer = wire::send_raw(&authority, &out).await?;
        let mut headers = HeaderMap::new();
        for (name, value) in &answer.headers {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                header::HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        Ok(Message {
            method: req.method.clone(),
            target: req.target.clone(),
            status: StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY),
            headers: end_to_end(&headers),
            body: Bytes::from(answer.body),
        })
    }

    /// Forwards `req`; a transport failure becomes a bare 502.
    pub(crate) async fn pass(&self, req: &Message) -> Message {
        self.send(req).await.unwrap_or_else(|e| {
            Message::answer(StatusCode::BAD_GATEWAY, "text/plain", e.to_string())
        })
    }
}

/// Serves `handle` on a free loopback port until the task is aborted.
pub(crate) async fn serve<F, Fut>(handle: F) -> std::io::Result<(SocketAddr, JoinHandle<()>)>
where
    F: Fn(Message) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Message> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().fallback(move |req: Request| {
        let handle = handle.clone();
        async move {
            let (parts, body) = req.into_parts();
            let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::BAD_REQUEST.into_response();
            };
            let target = parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
            handle(Message {
                method: parts.method,
                target,
                status: StatusCode::OK,
                headers: parts.headers,
                body,
            })
            .await
            .into_response()
        }
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}
