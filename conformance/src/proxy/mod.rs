//! `dcm-conformance proxy`: a validating proxy between DCM and an SP.
//!
//! Every request DCM sends to `--listen` is forwarded to `--upstream`
//! unchanged (method, path, query, headers except hop-by-hop ones, body
//! bytes), and the SP's answer comes back unchanged. Each exchange, and each
//! event on `dcm.*` when `--nats-url` is given, is judged by the pure
//! [`rules::Judge`]; violations are printed as they happen with their
//! requirement ID. On SIGINT/SIGTERM the proxy writes the same report model
//! as `dcm-conformance sp` ([`crate::sp::report::write`]: YAML, JUnit, and
//! whatever writers that function gains), one result per rule.
//!
//! DCM learns the SP's endpoint from its registration, so point the SP's
//! advertised URL (Ref: `ADVERTISE_URL`) at the proxy's `--listen` address.

pub mod rules;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, Method, Response, StatusCode, Uri};
use futures::StreamExt as _;
use tokio::task::JoinHandle;

use crate::sp::context::{Outcome, ScenarioResult};
use crate::sp::profile::Profile;
use crate::sp::report::{self, Report};
use crate::sp::target::TargetIdentity;
use crate::wire::Exchange;
use crate::wire::client::{header_pairs, response_head};
use rules::{Bounds, Judge, Rule, Violation};

/// Largest request or answer body the proxy buffers (bytes). An SP must
/// refuse bodies over 1 MiB (VAL-012); this leaves room to forward them.
const MAX_BODY: usize = 64 << 20;

/// Settings of a proxy.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Where DCM connects.
    pub listen: SocketAddr,
    /// The SP's root URL (`scheme://host:port`), no trailing slash needed.
    pub upstream: String,
    /// NATS to watch for `dcm.*` events (`None`: events are not judged).
    pub nats_url: Option<String>,
    /// Contract profile.
    pub profile: Profile,
    /// Publication bounds for the event rules.
    pub bounds: Bounds,
    /// Per-request budget for the upstream answer (TMO-001: 30 s).
    pub upstream_timeout: Duration,
    /// Print violations as they happen.
    pub print: bool,
}

struct State {
    judge: Judge,
    started: Instant,
    print: bool,
    exchanges: usize,
    events: usize,
}

/// A running proxy; [`Proxy::finish`] stops it and builds the report.
pub struct Proxy {
    addr: SocketAddr,
    upstream: String,
    profile: Profile,
    state: Arc<Mutex<State>>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn announce(state: &State, found: &[Violation]) {
    if !state.print {
        return;
    }
    for v in found {
        println!(
            "proxy: VIOLATION [{}] {}",
            v.rule.requirements().join(" "),
            v.message
        );
        if let Some(r) = &v.reproduce {
            println!("  reproduce: {r}");
        }
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the HTTP stacks set.
fn forwarded(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

impl Proxy {
    /// Binds, connects to NATS (when configured) and starts forwarding.
    ///
    /// # Errors
    /// The listen address cannot be bound, or NATS cannot be reached.
    pub async fn start(config: ProxyConfig) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            judge: Judge::new(config.profile, config.bounds),
            started: Instant::now(),
            print: config.print,
            exchanges: 0,
            events: 0,
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.upstream_timeout)
            .build()?;
        let upstream = config.upstream.trim_end_matches('/').to_owned();
        let app = {
            let (state, upstream) = (state.clone(), upstream.clone());
            axum::Router::new().fallback(
                move |method: Method, uri: Uri, headers: HeaderMap, body: Body| {
                    let (state, upstream, client) = (state.clone(), upstream.clone(), client.clone());
                    async move { forward(&state, &client, &upstream, method, uri, headers, body).await }
                },
            )
        };
        let mut tasks = vec![tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        })];
        if let Some(url) = &config.nats_url {
            let nats = async_nats::connect(url).await?;
            let mut sub = nats.subscribe("dcm.*").await?;
            let st = state.clone();
            tasks.push(tokio::spawn(async move {
                let _keep = nats;
                while let Some(msg) = sub.next().await {
                    let payload = String::from_utf8_lossy(&msg.payload).into_owned();
                    let mut s = lock(&st);
                    let now = s.started.elapsed();
                    s.events += 1;
                    let found = s.judge.event(msg.subject.as_str(), &payload, now);
                    announce(&s, &found);
                }
            }));
        }
        let st = state.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let mut s = lock(&st);
                let now = s.started.elapsed();
                let found = s.judge.tick(now);
                announce(&s, &found);
            }
        }));
        Ok(Self {
            addr,
            upstream,
            profile: config.profile,
            state,
            tasks,
        })
    }

    /// The bound address DCM connects to.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every violation so far.
    #[must_use]
    pub fn violations(&self) -> Vec<Violation> {
        lock(&self.state).judge.violations().to_vec()
    }

    /// Events the proxy still waits for (neither published nor overdue yet).
    #[must_use]
    pub fn pending(&self) -> Vec<String> {
        lock(&self.state).judge.pending()
    }

    /// Stops forwarding and builds the report: one result per rule (failed
    /// with its violations, passed when exercised cleanly, not applicable
    /// when no traffic exercised it).
    #[must_use]
    pub fn finish(self) -> (Report, Vec<ScenarioResult>) {
        for t in &self.tasks {
            t.abort();
        }
        let mut s = lock(&self.state);
        let now = s.started.elapsed();
        let found = s.judge.tick(now);
        announce(&s, &found);
        let results = results(&s.judge);
        let target = TargetIdentity {
            kind: "proxy".into(),
            product: self.upstream.clone(),
            version: String::new(),
            services: BTreeMap::new(),
        };
        let mut notes = vec![format!(
            "a proxy run judges the live traffic it saw ({} exchanges, {} events), not the whole contract",
            s.exchanges, s.events
        )];
        notes.extend(
            s.judge
                .pending()
                .into_iter()
                .map(|p| format!("unresolved at exit: {p}")),
        );
        let report = report::assemble(
            report::Inputs {
                profile: self.profile.name().into(),
                target,
                capabilities: Vec::new(),
                facts: BTreeMap::new(),
                not_claimable_because: notes,
                leftovers: Vec::new(),
                orphans: None,
                timeouts: BTreeMap::new(),
                timelines: Vec::new(),
                elapsed: now,
            },
            &results,
        );
        (report, results)
    }
}

async fn forward(
    state: &Mutex<State>,
    client: &reqwest::Client,
    upstream: &str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let started = Instant::now();
    let path_and_query = uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let url = format!("{upstream}{path_and_query}");
    let request_body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("proxy: request body: {e}"),
            );
        }
    };
    let mut req = client
        .request(method.clone(), &url)
        .body(request_body.clone());
    for (k, v) in headers.iter().filter(|(k, _)| forwarded(k)) {
        req = req.header(k, v);
    }
    let mut request = crate::wire::Request::new(method.as_str(), url);
    request.headers = header_pairs(headers.iter().filter(|(k, _)| forwarded(k)));
    request.body = request_body.to_vec();
    let mut ex = Exchange {
        request,
        response: None,
        error: None,
        elapsed: Duration::ZERO,
    };
    let answer = match req.send().await {
        Ok(resp) => {
            let mut head = response_head(resp.version(), resp.status(), resp.headers());
            let status = resp.status();
            let resp_headers = resp.headers().clone();
            match resp.bytes().await {
                Ok(bytes) => {
                    head.body = bytes.to_vec();
                    ex.response = Some(head);
                    let mut out = Response::new(Body::from(bytes));
                    *out.status_mut() = status;
                    for (k, v) in resp_headers.iter().filter(|(k, _)| forwarded(k)) {
                        out.headers_mut().append(k, v.clone());
                    }
                    out
                }
                Err(e) => {
                    ex.error = Some(e.to_string());
                    plain(StatusCode::BAD_GATEWAY, "proxy: the SP's answer broke off")
                }
            }
        }
        Err(e) => {
            ex.error = Some(e.to_string());
            plain(StatusCode::BAD_GATEWAY, "proxy: the SP did not answer")
        }
    };
    ex.elapsed = started.elapsed();
    let mut s = lock(state);
    let now = s.started.elapsed();
    s.exchanges += 1;
    let found = s.judge.exchange(&ex, now);
    announce(&s, &found);
    answer
}

/// The proxy's own error answer (only when the SP gave none).
fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(text.to_owned()));
    *r.status_mut() = status;
    r
}

fn results(judge: &Judge) -> Vec<ScenarioResult> {
    Rule::ALL
        .iter()
        .map(|rule| {
            let mine: Vec<&Violation> = judge
                .violations()
                .iter()
                .filter(|v| v.rule == *rule)
                .collect();
            let exercised = judge.exercised().get(rule).copied().unwrap_or(0);
            let mut tags: Vec<String> = rule
                .requirements()
                .iter()
                .map(|r| format!("req-{r}"))
                .collect();
            tags.push("must".into());
            let (outcome, reason, detail) = if !mine.is_empty() {
                let mut reason = mine
                    .iter()
                    .take(5)
                    .map(|v| v.message.clone())
                    .collect::<Vec<_>>()
                    .join("\n");
                if mine.len() > 5 {
                    reason.push_str(&format!("\n(and {} more)", mine.len() - 5));
                }
                let detail = mine
                    .iter()
                    .filter_map(|v| v.reproduce.clone())
                    .take(10)
                    .map(|r| format!("reproduce: {r}"))
                    .collect::<Vec<_>>()
                    .join("\n");
                (Outcome::Failed, Some(reason), Some(detail))
            } else if exercised > 0 {
                (Outcome::Passed, None, None)
            } else {
                (
                    Outcome::NotApplicable,
                    Some("no observed traffic exercised this rule".to_owned()),
                    None,
                )
            };
            ScenarioResult {
                feature: "proxy".into(),
                scenario: rule.title().into(),
                tags,
                outcome,
                reason,
                detail,
                seconds: 0.0,
            }
        })
        .collect()
}

/// Options of `dcm-conformance proxy`.
#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// Where DCM connects, e.g. 0.0.0.0:9080 (advertise this address as the SP's URL).
    #[arg(long, env = "DCM_PROXY_LISTEN")]
    pub listen: SocketAddr,
    /// The SP's root URL, e.g. http://sp.lab:8080.
    #[arg(long, env = "DCM_PROXY_UPSTREAM")]
    pub upstream: String,
    /// NATS URL whose `dcm.*` events are judged as well.
    #[arg(long, env = "DCM_PROXY_NATS_URL")]
    pub nats_url: Option<String>,
    /// Contract profile (`dcm-v1alpha1`, `dcm-v1alpha1-legacy`, `agent`).
    #[arg(long, env = "DCM_CONFORMANCE_PROFILE", default_value = "dcm-v1alpha1")]
    pub profile: Profile,
    /// The SP's poll interval (event bounds: poll + debounce + 5 s, poll + 5 s).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    pub sp_poll_interval: Duration,
    /// The SP's debounce window.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5s")]
    pub sp_debounce: Duration,
    /// Where the reports are written on exit.
    #[arg(
        long,
        env = "DCM_CONFORMANCE_REPORT_DIR",
        default_value = "conformance-report"
    )]
    pub report_dir: PathBuf,
}

/// Runs the proxy until SIGINT or SIGTERM, then writes the reports; exit
/// code 1 when a MUST rule was violated.
///
/// # Errors
/// Start-up failures and report writing.
pub async fn run_cli(args: ProxyArgs) -> anyhow::Result<i32> {
    let proxy = Proxy::start(ProxyConfig {
        listen: args.listen,
        upstream: args.upstream.clone(),
        nats_url: args.nats_url.clone(),
        profile: args.profile,
        bounds: Bounds::for_sp(args.sp_poll_interval, args.sp_debounce),
        upstream_timeout: Duration::from_secs(30),
        print: true,
    })
    .await?;
    println!(
        "proxy: {} -> {}{} (SIGINT/SIGTERM writes the report to {})",
        proxy.local_addr(),
        args.upstream,
        args.nats_url
            .as_deref()
            .map(|n| format!(", events from {n}"))
            .unwrap_or_default(),
        args.report_dir.display()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    let (report, results) = proxy.finish();
    report::write(&report, &results, &args.report_dir)?;
    println!(
        "proxy: {} passed, {} failed, {} skipped",
        report.passed, report.failed, report.not_applicable
    );
    Ok(i32::from(report.failed > 0))
}
