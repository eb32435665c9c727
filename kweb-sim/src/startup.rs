//! Building and running the server: accept loop, one task per connection,
//! the request pipeline (control API, routing, faults, effects, handler),
//! serial mode and the state file.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use crate::config::Config;
use crate::http::body::unquote;
use crate::http::pyjson::{dumps, repr_str};
use crate::http::shapes::{Stamp, malformed_request, not_found_text};
use crate::http::wire::{ReadError, Response, read_request, reason_phrase};
use crate::kweb::routes::{Resolved, resolve};
use crate::kweb::{Call, Out};
use crate::sim::Sim;
use crate::sim::clock::http_date;
use crate::sim::control::{self, seeded_start};
use crate::sim::faults::{FaultRule, Transport};
use crate::world::World;
use crate::world::presets::Options;

/// State shared by all connections.
struct Shared {
    sim: Mutex<Sim>,
    gate: tokio::sync::Mutex<()>,
    server_header: String,
    state_file: Option<PathBuf>,
    strict: bool,
}

impl Shared {
    /// Locks the simulator state; a poisoned lock is recovered (a panicking
    /// handler must not take the simulator down).
    fn lock(&self) -> MutexGuard<'_, Sim> {
        self.sim
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn save(&self) {
        let Some(path) = &self.state_file else { return };
        let json = {
            let sim = self.lock();
            serde_json::to_vec_pretty(&sim.world)
        };
        let Ok(json) = json else { return };
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, json).is_ok() && std::fs::rename(&tmp, path).is_err() {
            tracing::warn!(path = %path.display(), "could not save the state file");
        }
    }
}

/// A bound, not yet serving, simulator.
pub struct Application {
    listener: TcpListener,
    shared: Arc<Shared>,
}

fn read_optional(path: Option<&PathBuf>) -> std::io::Result<Option<String>> {
    path.map(|p| {
        std::fs::read_to_string(p)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))
    })
    .transpose()
}

impl Application {
    /// Builds the world from `config` and binds `config.bind` (port replaced
    /// by `config.port`/`KWEB_PORT` when set).
    ///
    /// # Errors
    /// The I/O error when the address cannot be bound or a profiles/state
    /// file cannot be read; `InvalidData` for a malformed YAML or state file.
    pub async fn build(config: Config) -> std::io::Result<Self> {
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let profiles_yaml = read_optional(config.profiles.as_ref())?;
        if let Some(text) = &profiles_yaml {
            crate::world::profiles::parse_profiles_yaml(text)
                .map_err(|e| invalid(format!("--profiles: {e}")))?;
        }
        let kubeprofiles_yaml = read_optional(config.kubeprofiles.as_ref())?;
        if let Some(text) = &kubeprofiles_yaml {
            crate::world::profiles::parse_profiles_yaml(text)
                .map_err(|e| invalid(format!("--kubeprofiles: {e}")))?;
        }
        let options = Options {
            seed_images: config.seed_images.clone(),
            profiles_yaml,
            kubeprofiles_yaml,
        };
        let seed = config.seed.unwrap_or(0);
        let start = config.seed.map(seeded_start);
        let mut sim = Sim::new(config.preset, seed, options, config.transitions, start);
        sim.world.flavour = config.flavour;
        sim.world.kcli_release = config.kcli_release;
        sim.world.readonly = config.readonly;
        sim.serial = config.serial;
        sim.debug = config.debug;
        if let Some(path) = &config.state_file
            && path.exists()
        {
            let text = std::fs::read_to_string(path)?;
            let mut world: World = serde_json::from_str(&text)
                .map_err(|e| invalid(format!("state file {}: {e}", path.display())))?;
            world.reseed(world.seed);
            if config.readonly {
                world.readonly = true;
            }
            world.kcli_release = config.kcli_release;
            sim.world = world;
        }
        let mut bind = config.bind;
        if let Some(port) = config.port {
            bind.set_port(port);
        }
        let listener = TcpListener::bind(bind).await?;
        let shared = Arc::new(Shared {
            sim: Mutex::new(sim),
            gate: tokio::sync::Mutex::new(()),
            server_header: config.server_header,
            state_file: config.state_file,
            strict: config.strict,
        });
        Ok(Self { listener, shared })
    }

    /// The bound address (useful after binding port 0).
    ///
    /// # Errors
    /// The I/O error of the underlying socket.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the process stops.
    ///
    /// # Errors
    /// The I/O error that ended the accept loop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then saves the state file.
    ///
    /// # Errors
    /// The I/O error that ended the accept loop.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let local = self.listener.local_addr()?;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let (stream, _) = match accepted {
                        Ok(x) => x,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            continue;
                        }
                    };
                    let shared = Arc::clone(&self.shared);
                    tokio::spawn(serve_connection(shared, stream, local));
                }
            }
        }
        self.shared.save();
        Ok(())
    }
}

enum Action {
    Respond(Response),
    Hang(u64),
    Reset,
}

async fn serve_connection(shared: Arc<Shared>, mut stream: TcpStream, local: SocketAddr) {
    let req = match read_request(&mut stream).await {
        Ok(r) => r,
        Err(ReadError::Closed) => return,
        Err(ReadError::Malformed(line)) => {
            let now = shared.lock().clock.now();
            let resp = malformed_request(&http_date(now), &shared.server_header, &line);
            let _ = resp.write_to(&mut stream, false).await;
            return;
        }
    };
    let serial = shared.lock().serial;
    let _gate = if serial {
        Some(shared.gate.lock().await)
    } else {
        None
    };
    let head = req.method.eq_ignore_ascii_case("HEAD");
    let mutating = !matches!(req.method.to_ascii_uppercase().as_str(), "GET" | "HEAD");
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "-".to_owned(), |p| p.ip().to_string());
    match process(&shared, &req, local).await {
        Action::Respond(resp) => {
            // wsgiref's access log line: client, request line, status, size.
            tracing::info!(
                target: "kweb_sim::access",
                "{peer} \"{} {}\" {} {}",
                req.method,
                req.target,
                resp.status,
                resp.body.len()
            );
            let _ = resp.write_to(&mut stream, head).await;
        }
        Action::Hang(secs) => {
            // Keep the connection open without answering until the client
            // gives up or the hang ends.
            let mut sink = [0u8; 512];
            let _ = tokio::time::timeout(Duration::from_secs(secs), async {
                while let Ok(n) = stream.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
        }
        Action::Reset => {
            let _ = stream.set_zero_linger();
            drop(stream);
        }
    }
    if mutating {
        shared.save();
    }
}

/// Python's `urllib.parse.quote(path)`: everything but letters, digits,
/// `_.-~/` percent-encoded as UTF-8.
fn quote_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL Bottle echoes in error pages (§4.4), as a Python `repr`.
fn url_repr(req: &crate::http::wire::Request, decoded: &str, local: SocketAddr) -> String {
    let scheme = req.header("X-Forwarded-Proto").unwrap_or("http");
    let host = req
        .header("X-Forwarded-Host")
        .or_else(|| req.header("Host"))
        .map_or_else(
            || {
                if local.port() == 80 {
                    local.ip().to_string()
                } else {
                    local.to_string()
                }
            },
            str::to_owned,
        );
    let query = req.query();
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    repr_str(&format!("{scheme}://{host}{}{q}", quote_path(decoded)))
}

fn etag(body: &[u8], mtime: f64) -> String {
    // A stable 40-hex-digit tag (kweb's is a SHA-1 over file metadata; parity
    // tests mask it).
    let mut h: [u64; 3] = [
        0xcbf2_9ce4_8422_2325,
        0x8422_2325_cbf2_9ce4,
        mtime.to_bits(),
    ];
    for (i, b) in body.iter().enumerate() {
        let slot = i % 3;
        h[slot] ^= u64::from(*b);
        h[slot] = h[slot].wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:016x}{:016x}{:08x}", h[0], h[1], h[2] as u32)
}

fn render(stamp: &Stamp, out: Out, debug: bool) -> Response {
    match out {
        Out::Json(status, v) => stamp.json(status, &v),
        Out::JsonText(status, text) => stamp.json_text(status, text),
        Out::Html(status, s) => stamp.html(status, s),
        Out::Error(status, text) => stamp.error_page(status, &text),
        Out::Raise(line) => stamp.exception_page(&line, debug),
        Out::E4 => stamp.e4(),
        Out::Static {
            content_type,
            body,
            mtime,
        } => stamp.static_file(&content_type, &body, &http_date(mtime), &etag(&body, mtime)),
    }
}

fn fault_response(stamp: &Stamp, rule: &FaultRule) -> Response {
    let Some(r) = &rule.response else {
        return stamp.e4();
    };
    let out = match r.shape.as_deref() {
        Some("E1") => Out::failure(r.reason.clone().unwrap_or_else(|| "fault injected".into())),
        Some("E2") => Out::invalid_data(),
        Some("E3") => {
            let status = r.status.unwrap_or(500);
            let text = r
                .body
                .as_ref()
                .and_then(Value::as_str)
                .map_or_else(|| reason_phrase(status).to_owned(), str::to_owned);
            Out::Error(status, text)
        }
        Some("E4") => Out::E4,
        Some("E5") => Out::Html(200, String::new()),
        Some("E6") => Out::Json(403, serde_json::json!({})),
        Some("E7") => Out::Json(404, serde_json::json!({})),
        _ => {
            let status = r.status.unwrap_or(500);
            let body = match &r.body {
                None => Vec::new(),
                Some(Value::String(s)) => s.clone().into_bytes(),
                Some(v) => dumps(v).into_bytes(),
            };
            let content_type = r
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json".into());
            return Response {
                status,
                reason: reason_phrase(status).into(),
                headers: vec![
                    ("Date".into(), stamp.date.clone()),
                    ("Server".into(), stamp.server.clone()),
                    ("Content-Type".into(), content_type),
                    ("Content-Length".into(), body.len().to_string()),
                ],
                body,
            };
        }
    };
    render(stamp, out, false)
}

async fn process(shared: &Shared, req: &crate::http::wire::Request, local: SocketAddr) -> Action {
    let decoded = unquote(req.raw_path());
    let stamp_at = |now: f64| Stamp {
        date: http_date(now),
        server: shared.server_header.clone(),
        url_repr: url_repr(req, &decoded, local),
    };

    let mutating =
        !req.method.eq_ignore_ascii_case("GET") && !req.method.eq_ignore_ascii_case("HEAD");
    if !shared.strict && (decoded == "/_sim" || decoded.starts_with("/_sim/")) {
        let mut sim = shared.lock();
        sim.version += 1;
        let (status, body) = control::handle(&mut sim, &req.method, &decoded, &req.body);
        let stamp = stamp_at(sim.clock.now());
        drop(sim);
        let mut resp = stamp.json(status, &body);
        resp.body = serde_json::to_vec(&body).unwrap_or_default();
        if let Some(h) = resp.headers.iter_mut().find(|(k, _)| k == "Content-Length") {
            h.1 = resp.body.len().to_string();
        }
        return Action::Respond(resp);
    }

    let resolved = resolve(&req.method, &decoded);
    let name = match &resolved {
        Resolved::Handler(_, params, pattern) if !pattern.starts_with("/static/") => params
            .first()
            .cloned()
            .or_else(|| crate::sim::faults::create_name(&req.method, pattern, &req.body)),
        _ => None,
    };
    let (fault, delay) = {
        let mut guard = shared.lock();
        let sim = &mut *guard;
        sim.requests += 1;
        let world = &mut sim.world;
        let fault = sim
            .faults
            .check(&req.method, &decoded, name.as_deref(), || {
                world.draw(1_000_000) as f64 / 1_000_000.0
            });
        let world = &mut sim.world;
        let delay = sim
            .effects
            .delay_ms(&req.method, &decoded, |n| world.draw(n));
        let extra = fault.as_ref().map_or(0, |f| f.delay_ms);
        (fault, delay + extra)
    };
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let mut cut_after = false;
    if let Some(rule) = fault {
        match rule.transport {
            Some(Transport::Hang) => return Action::Hang(rule.hang_seconds.unwrap_or(300)),
            Some(Transport::Reset) => return Action::Reset,
            Some(Transport::CutAfter) => cut_after = true,
            None if rule.response.is_some() => {
                let now = shared.lock().clock.now();
                return Action::Respond(fault_response(&stamp_at(now), &rule));
            }
            None => {}
        }
    }

    let mut guard = shared.lock();
    if mutating {
        guard.version += 1;
    }
    let now = guard.clock.now();
    let debug = guard.debug;
    guard.world.now = now;
    let stamp = stamp_at(now);
    let resp = match resolved {
        Resolved::NotFound => stamp.error_page(404, &not_found_text(&decoded)),
        Resolved::MethodNotAllowed(allow) => stamp.method_not_allowed(&allow),
        Resolved::Handler(handler, params, _) => {
            let out = {
                let mut call = Call {
                    req,
                    params,
                    sim: &mut guard,
                    now,
                };
                match handler(&mut call) {
                    Ok(out) | Err(out) => out,
                }
            };
            drop(guard);
            render(&stamp, out, debug)
        }
    };
    if cut_after {
        // The request was applied; only the answer is lost.
        Action::Reset
    } else {
        Action::Respond(resp)
    }
}
