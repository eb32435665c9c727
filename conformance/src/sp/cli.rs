//! Command-line arguments of the SP-suite subcommands (`sp`, `matrix`,
//! `sweep`, `dcm-sim`) and their entry points; `main.rs` only dispatches.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::features::{FeatureSource, Suite};
use crate::sp::embedded::{Backend, Embedded};
use crate::sp::external::External;
use crate::sp::generated::GenSettings;
use crate::sp::profile::Profile;
use crate::sp::report;
use crate::sp::runner::{self, CucumberCli, RunOptions};
use crate::sp::target::{Capability, Launcher};
use crate::sp::timeouts::Declared;

/// Where the SP under test comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    /// kweb-sim + kcli-provider started in-process (the default).
    Embedded,
    /// kcli-provider on the pinned real kweb.
    LiveKweb,
    /// An SP the operator runs (`--sp-url`).
    External,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| format!("`{s}` is not key=value"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration like 500ms, 30s, 5m: {e}"))
}

/// `dcm-conformance sp`: run the SP contract suite.
#[derive(Debug, Args)]
pub struct SpArgs {
    /// Target to run against.
    #[arg(
        long,
        value_enum,
        env = "DCM_CONFORMANCE_TARGET",
        default_value = "embedded"
    )]
    pub target: TargetKind,
    /// Contract profile: dcm-v1alpha1, dcm-v1alpha1-legacy or agent.
    #[arg(long, env = "DCM_CONFORMANCE_PROFILE", default_value = "dcm-v1alpha1")]
    pub profile: Profile,
    /// Directory of SP feature files to run instead of the copy embedded in this binary.
    #[arg(long, env = "DCM_CONFORMANCE_FEATURES")]
    pub features: Option<PathBuf>,
    /// Endpoint of a service type for the external target, e.g. `vm=http://sp:8080/api/v1alpha1/vms` (repeatable).
    #[arg(long = "sp-url", value_parser = parse_kv)]
    pub sp_url: Vec<(String, String)>,
    /// The external SP's declared POLL_INTERVAL.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub sp_poll_interval: Duration,
    /// The external SP's declared debounce window.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub sp_debounce: Duration,
    /// The external SP's declared CLUSTER_CREATE_TIMEOUT.
    #[arg(long, value_parser = parse_duration, default_value = "30m")]
    pub sp_cluster_create_timeout: Duration,
    /// The external SP's name-prefix setting, e.g. `NAME_PREFIX (acme-)` (ORP-010; undeclared: not applicable).
    #[arg(long)]
    pub sp_name_prefix: Option<String>,
    /// The external SP's periodic status re-publication interval, e.g. `10m` (EVT-024; undeclared: not applicable).
    #[arg(long, value_parser = parse_duration)]
    pub sp_resync_interval: Option<Duration>,
    /// The `provider_hints` namespace the external SP reads, e.g. `acme` (SEC-005; `kcli` enables the kcli hint rules).
    #[arg(long)]
    pub sp_hint_namespace: Option<String>,
    /// live-kweb: URL of a running real kweb (default: start one with the pinned launcher).
    #[arg(long, env = "KWEB_URL")]
    pub kweb_url: Option<String>,
    /// live-kweb: the launcher that starts the pinned real kweb.
    #[arg(long, default_value = "scripts/kweb-live/start")]
    pub kweb_live_script: PathBuf,
    /// live-kweb: port for the launched real kweb (the suite's range is 18400-18499).
    #[arg(long, default_value_t = 18400)]
    pub kweb_live_port: u16,
    /// The external target is the reference provider (Ref rows apply).
    #[arg(long = "ref")]
    pub is_ref: bool,
    /// Only these capabilities count as supported (comma-separated: clusters, backend-control, restart, nats-control, ref).
    #[arg(long, value_delimiter = ',')]
    pub supported_features: Option<Vec<Capability>>,
    /// Capabilities to treat as exempt (not applicable).
    #[arg(long, value_delimiter = ',')]
    pub exempt_features: Vec<Capability>,
    /// YAML/JSON file of timeout overrides (`key: 5s`).
    #[arg(long, env = "DCM_CONFORMANCE_TIMEOUTS")]
    pub timeouts_file: Option<PathBuf>,
    /// One timeout override `key=duration` (repeatable).
    #[arg(long = "timeout", value_parser = parse_kv)]
    pub timeout: Vec<(String, String)>,
    /// NATS URL; without it the suite starts `nats-server` from PATH, else a NATS container when a Docker engine answers.
    #[arg(long, env = "DCM_CONFORMANCE_NATS_URL")]
    pub nats_url: Option<String>,
    /// Where to write conformance-report.yaml and junit.xml.
    #[arg(
        long,
        env = "DCM_CONFORMANCE_REPORT_DIR",
        default_value = "conformance-report"
    )]
    pub report_dir: PathBuf,
    /// The fake DCM's health poll period (the control plane uses 10s; shorter keeps runs fast).
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub health_interval: Duration,
    /// Do not print cucumber's per-step progress.
    #[arg(long)]
    pub quiet: bool,
    /// Seed of the generated checks (features/sp/generated_specs.feature);
    /// printed at the start of every run, replays that run's specs.
    #[arg(long, env = "DCM_CONFORMANCE_SEED")]
    pub seed: Option<u64>,
    /// Cases per generated-check scenario (each is one create).
    #[arg(long, env = "DCM_CONFORMANCE_GENERATED_CASES", default_value_t = 12)]
    pub generated_cases: u32,
    /// Cucumber's own options (`--tags`, `--name`, `--concurrency`, ...).
    #[command(flatten)]
    pub cucumber: CucumberCli,
}

/// Runs `dcm-conformance sp`; returns the process exit code (1 on a MUST failure).
///
/// # Errors
/// Setup failures.
pub async fn run_sp(args: SpArgs) -> anyhow::Result<i32> {
    let launcher: Box<dyn Launcher> = match args.target {
        TargetKind::External => {
            if args.sp_url.is_empty() {
                anyhow::bail!("--target external needs at least one --sp-url service_type=URL");
            }
            Box::new(External {
                endpoints: args.sp_url.iter().cloned().collect::<BTreeMap<_, _>>(),
                declared: Declared {
                    poll: args.sp_poll_interval,
                    debounce: args.sp_debounce,
                    cluster_create_timeout: args.sp_cluster_create_timeout,
                },
                is_ref: args.is_ref,
                facts: [
                    ("name-prefix", args.sp_name_prefix.clone()),
                    (
                        "resync-interval",
                        args.sp_resync_interval
                            .map(|d| humantime::format_duration(d).to_string()),
                    ),
                    (
                        "hint-namespace",
                        args.sp_hint_namespace
                            .clone()
                            .or_else(|| args.is_ref.then(|| "kcli".to_owned())),
                    ),
                ]
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_owned(), v?)))
                .collect(),
                announce: true,
            })
        }
        TargetKind::Embedded => Box::new(Embedded {
            backend: Backend::Simulator,
        }),
        TargetKind::LiveKweb => Box::new(Embedded {
            backend: match &args.kweb_url {
                Some(url) => Backend::RealUrl(url.clone()),
                None => Backend::RealLauncher {
                    script: args.kweb_live_script.clone(),
                    port: args.kweb_live_port,
                },
            },
        }),
    };
    let generated = GenSettings {
        seed: args.seed.unwrap_or_else(|| GenSettings::default().seed),
        cases: args.generated_cases,
    };
    println!(
        "generated checks: seed {} ({} cases per scenario; replay with --seed {})",
        generated.seed, generated.cases, generated.seed
    );
    let opts = RunOptions {
        profile: args.profile,
        features: FeatureSource::from_option(args.features, Suite::Sp),
        cucumber: args.cucumber,
        supported_features: args.supported_features,
        exempt_features: args.exempt_features,
        timeouts_file: args.timeouts_file,
        timeout_overrides: args.timeout,
        nats_url: args.nats_url,
        report_dir: args.report_dir.clone(),
        health_interval: args.health_interval,
        progress: !args.quiet,
        generated,
    };
    let summary = runner::run(opts, launcher.as_ref()).await?;
    print!("{}", report::terminal(&summary.report, &summary.results));
    let dir = args.report_dir.display();
    println!(
        "reports: {dir}/conformance-report.yaml, {dir}/junit.xml, {dir}/conformance-report.html"
    );
    Ok(i32::from(summary.must_failed()))
}

/// `dcm-conformance matrix`: requirement → scenarios.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Directory of SP feature files (default: the copy embedded in this binary).
    #[arg(long)]
    pub features: Option<PathBuf>,
}

/// Prints the matrix; exit code 1 when an SP MUST row has no scenario or a tag cites an unknown id.
///
/// # Errors
/// Feature parse errors.
pub fn run_matrix(args: &MatrixArgs) -> anyhow::Result<i32> {
    let source = FeatureSource::from_option(args.features.clone(), Suite::Sp);
    let rows = crate::sp::matrix::build(&source)?;
    print!("{}", crate::sp::matrix::render(&rows));
    let unknown = crate::sp::matrix::unknown_ids(&source)?;
    if !unknown.is_empty() {
        println!("tags cite ids not in the contract: {unknown:?}");
    }
    Ok(i32::from(
        !crate::sp::matrix::uncovered_must(&rows).is_empty() || !unknown.is_empty(),
    ))
}

/// `dcm-conformance sweep`: delete leftovers by id prefix (ORP-023).
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Id prefix, e.g. `cst-` or `cst-1a2b3c4d-`.
    #[arg(long)]
    pub prefix: String,
    /// Collection URL (repeatable), e.g. `http://sp:8080/api/v1alpha1/vms`.
    #[arg(long = "sp-url", required = true)]
    pub sp_url: Vec<String>,
    /// Actually delete (default: dry run).
    #[arg(long)]
    pub yes: bool,
}

/// Runs the sweep.
///
/// # Errors
/// Listing failures or a refused prefix.
pub async fn run_sweep(args: &SweepArgs) -> anyhow::Result<i32> {
    let lines = crate::sp::sweep::sweep(&args.sp_url, &args.prefix, args.yes).await?;
    for l in &lines {
        println!("{} {}: {}", l.endpoint, l.id, l.action);
    }
    println!(
        "sweep: {} matching resources{}",
        lines.len(),
        if args.yes { "" } else { " (dry run)" }
    );
    Ok(i32::from(lines.iter().any(|l| {
        !(l.action == "deleted" || l.action.starts_with("would"))
    })))
}

/// `dcm-conformance dcm-sim`: the fake DCM alone, for local development.
#[derive(Debug, Args)]
pub struct DcmSimArgs {
    /// Registry listen address.
    #[arg(long, env = "DCM_SIM_BIND", default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// NATS URL; without it `nats-server` is started from PATH, else a NATS container when a Docker engine answers.
    #[arg(long, env = "DCM_SIM_NATS_URL")]
    pub nats_url: Option<String>,
    /// Health poll period.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub health_interval: Duration,
}

/// Runs the fake DCM until Ctrl-C, printing registrations, health changes and events.
///
/// # Errors
/// Bind or NATS failures.
pub async fn run_dcm_sim(args: &DcmSimArgs) -> anyhow::Result<i32> {
    let nats = crate::sp::nats::NatsServer::discover(args.nats_url.as_deref()).await?;
    let dcm = crate::dcm_sim::FakeDcm::start(crate::dcm_sim::DcmConfig {
        bind: args.bind,
        nats_url: Some(nats.url().to_owned()),
        health_interval: args.health_interval,
    })
    .await?;
    println!(
        "fake DCM: SPM_URL={} NATS_URL={}",
        dcm.base_url(),
        nats.url()
    );
    let (mut regs, mut events, mut health) = (0, 0, 0);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        for a in dcm.registry.attempts().iter().skip(regs) {
            println!(
                "registration {} {} ?id={:?} -> {}: {}",
                a.method, a.path, a.id_query, a.answer, a.body
            );
        }
        regs = dcm.registry.attempts().len();
        for (name, state) in dcm.health.history().iter().skip(health) {
            println!("health {name}: {state:?}");
        }
        health = dcm.health.history().len();
        for e in dcm.events.all().iter().skip(events) {
            println!("event [{}] {}", e.subject, e.payload);
        }
        events = dcm.events.all().len();
    }
    Ok(0)
}
