//! The kweb layer ([`Defect::CutCreateFails`] only): the provider's
//! `KWEB_URL` points here and it forwards to kweb-sim. A create whose
//! connection kweb-sim cut after applying it (`cut_after`) comes back as a
//! definite kweb failure (an E1 answer, kweb-reference §4), so the provider
//! reads an unknown outcome as a refusal.
//!
//! [`Defect::CutCreateFails`]: super::Defect::CutCreateFails

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::hop::{Hop, Message};

/// Handles one request of the provider.
pub(crate) async fn handle(sim: Hop, req: Message) -> Message {
    match sim.send(&req).await {
        Ok(answer) => answer,
        Err(_) if req.method == Method::POST => Message::answer(
            StatusCode::OK,
            "application/json",
            json!({"result": "failure", "reason": "connection reset"}).to_string(),
        ),
        Err(e) => Message::answer(StatusCode::BAD_GATEWAY, "text/plain", e.to_string()),
    }
}
