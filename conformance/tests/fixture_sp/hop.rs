//! One HTTP hop of a layer: a loopback server whose handler sees each
//! request whole, and a client that forwards it to the next component and
//! brings the whole answer back. The layers rewrite what passes.

use std::future::Future;
use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

/// The client side: sends to `upstream` (a base URL without trailing `/`).
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    client: reqwest::Client,
    upstream: String,
}

impl Hop {
    pub(crate) fn new(upstream: &str) -> Self {
        Self {
            // No idle connections: a restarted provider would find stale
            // ones, and an idle one keeps its old server (and state store)
            // alive past shutdown.
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(0)
                .build()
                .unwrap_or_default(),
            upstream: upstream.trim_end_matches('/').to_owned(),
        }
    }

    /// Forwards `req`; `Err` for a transport failure (no answer).
    pub(crate) async fn send(&self, req: &Message) -> Result<Message, reqwest::Error> {
        let resp = self
            .client
            .request(
                req.method.clone(),
                format!("{}{}", self.upstream, req.target),
            )
            .headers(end_to_end(&req.headers))
            .body(req.body.clone())
            .send()
            .await?;
        let status = resp.status();
        let headers = end_to_end(resp.headers());
        let body = resp.bytes().await?;
        Ok(Message {
            method: req.method.clone(),
            target: req.target.clone(),
            status,
            headers,
            body,
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
