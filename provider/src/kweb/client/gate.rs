//! The dispatch gate of a create body (ORP-009).

use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll};

use hyper::body::{Body as HttpBody, Bytes, Frame, SizeHint};

/// A future run when the HTTP client first asks for a request body, that
/// is once the connection to kweb is established and the head is being
/// written: `true` lets the body go out, `false` aborts the request before
/// kweb has a complete one (ORP-009: the dispatch is recorded here, so
/// kweb never acts on a create whose dispatch is not durable, and a crash
/// before the record leaves nothing sent).
pub(crate) type Gate = Pin<Box<dyn Future<Output = bool> + Send>>;

/// The request body was held back by its [`Gate`].
#[derive(Debug, thiserror::Error)]
#[error("request body withheld by its dispatch gate")]
pub(super) struct GateClosed;

/// A JSON body released by a [`Gate`].
pub(super) struct GatedBody {
    pub(super) gate: Option<std::sync::Mutex<Gate>>,
    pub(super) bytes: Option<Bytes>,
    pub(super) len: u64,
}

impl HttpBody for GatedBody {
    type Data = Bytes;
    type Error = GateClosed;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, GateClosed>>> {
        let this = self.get_mut();
        if let Some(gate) = this.gate.as_mut() {
            let gate = gate.get_mut().unwrap_or_else(PoisonError::into_inner);
            match gate.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(open) => {
                    this.gate = None;
                    if !open {
                        this.bytes = None;
                        return Poll::Ready(Some(Err(GateClosed)));
                    }
                }
            }
        }
        Poll::Ready(this.bytes.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.gate.is_none() && self.bytes.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
