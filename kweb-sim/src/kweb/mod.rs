//! The kweb surface: the route table, the handler pipeline and every
//! handler (`kweb-reference.md` §3, §5).
//!
//! Read in this order: [`routes`] (table, 404/405/HEAD), then the handlers
//! by resource: [`vms`] (with [`vmjson`], how a VM is rendered), [`resources`] (hosts, networks, pools, images),
//! [`plans`], [`kubes`], [`misc`] (profiles, containers, dead features,
//! console, static), [`ui`] (HTML pages).

pub mod kubes;
pub mod misc;
pub mod plans;
pub mod resources;
pub mod routes;
pub mod ui;
pub mod vmjson;
pub mod vms;

use serde_json::{Value, json};

use crate::http::body::{BodyError, Data, PyError};
use crate::http::wire::Request;
use crate::sim::Sim;

/// What a handler produced, before it becomes bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// A dict: JSON with kweb's header order.
    Json(u16, Value),
    /// A dict already serialised with `json.dumps` rules (fast paths).
    JsonText(u16, String),
    /// A string (or `None` as `""`, E5): `text/html; charset=UTF-8`.
    Html(u16, String),
    /// A Bottle error page (E3) with this status and error text.
    Error(u16, String),
    /// An uncaught Python exception: 500 E3 `Internal Server Error`; the
    /// text is the exception's last traceback line (`KeyError: 'profile'`),
    /// shown with a traceback in debug mode (`KWEB_DEBUG`, §4.4).
    Raise(String),
    /// The wsgiref 500 (E4).
    E4,
    /// A static file.
    Static {
        /// `Content-Type`.
        content_type: String,
        /// File bytes.
        body: Vec<u8>,
        /// Modification time, Unix seconds.
        mtime: f64,
    },
}

impl Out {
    /// 200 with a JSON dict.
    #[must_use]
    pub fn ok(v: Value) -> Self {
        Out::Json(200, v)
    }

    /// `{"result": "success"}`.
    #[must_use]
    pub fn success() -> Self {
        Out::ok(json!({"result": "success"}))
    }

    /// E1: 200 `{"result": "failure", "reason": ...}`.
    #[must_use]
    pub fn failure(reason: impl Into<String>) -> Self {
        Out::ok(json!({"result": "failure", "reason": reason.into()}))
    }

    /// E2: 400 `Invalid Data`.
    #[must_use]
    pub fn invalid_data() -> Self {
        Out::Json(400, json!({"result": "failure", "reason": "Invalid Data"}))
    }

    /// An uncaught exception inside kcli: 500 E3.
    #[must_use]
    pub fn exception() -> Self {
        Out::Raise("Exception: simulated kcli failure".into())
    }

    /// An uncaught exception with its traceback line (`AttributeError: ...`).
    #[must_use]
    pub fn raise(line: impl Into<String>) -> Self {
        Out::Raise(line.into())
    }
}

impl From<PyError> for Out {
    fn from(e: PyError) -> Self {
        Out::Raise(e.0)
    }
}

impl From<BodyError> for Out {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => Out::Error(413, "Request entity too large".into()),
            BodyError::InvalidJson => Out::Error(400, "Invalid JSON".into()),
            BodyError::Multipart(d) => Out::Error(400, format!("MultipartError: {d}")),
        }
    }
}

/// Handler result: `Err` short-cuts with a finished outcome.
pub type Handled = Result<Out, Out>;

/// One request in flight: the request, the route parameters and the
/// simulator state (locked for the whole handler, so each request sees and
/// changes state atomically).
pub struct Call<'a> {
    /// The request.
    pub req: &'a Request,
    /// Decoded path parameters in pattern order.
    pub params: Vec<String>,
    /// Simulator state.
    pub sim: &'a mut Sim,
    /// Simulated time of the request, Unix seconds.
    pub now: f64,
}

impl Call<'_> {
    /// Path parameter `i`.
    #[must_use]
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map_or("", String::as_str)
    }

    /// Step 1 of §3.1: readonly guard (E6).
    ///
    /// # Errors
    /// 403 `{}` in readonly mode.
    pub fn guard(&self) -> Result<(), Out> {
        if self.sim.world.readonly {
            Err(Out::Json(403, json!({})))
        } else {
            Ok(())
        }
    }

    /// Step 2: `request.json or request.forms`.
    ///
    /// # Errors
    /// 400/413 E3 for invalid or oversized bodies.
    pub fn data(&self) -> Result<Data, Out> {
        Ok(Data::parse(
            self.req.header("Content-Type"),
            &self.req.body,
            self.req.body_truncated,
        )?)
    }

    /// Step 3: `Kconfig()`; E4 when the backend is unreachable (§10).
    ///
    /// # Errors
    /// E4.
    pub fn backend(&self) -> Result<(), Out> {
        if self.sim.world.reachable {
            Ok(())
        } else {
            Err(Out::E4)
        }
    }
}

/// Python `bool(value)` for a body value (form strings are truthy unless empty).
#[must_use]
pub fn pybool(v: &Value) -> bool {
    crate::http::pyjson::truthy(v)
}

/// A body value as text, the way kcli formats it into names and messages.
#[must_use]
pub fn text(v: &Value) -> String {
    crate::http::pyjson::py_str(v)
}
