//! The `dcm-conformance` command line: one subcommand per suite or mode.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dcm_conformance::features::{FeatureSource, Suite};
use dcm_conformance::kweb::release::{self, KcliRelease, RunRelease};
use dcm_conformance::kweb::runner::{self, RunOptions, run_vars};
use dcm_conformance::kweb::target::Target;
use dcm_conformance::kweb::target::spawn_release_simulator;
use dcm_conformance::kweb::{compat, diff, error::KwebError};
use dcm_conformance::sp::cli;

/// Conformance suites for kweb and DCM service providers.
#[derive(Debug, Parser)]
#[command(name = "dcm-conformance", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the kweb parity scenarios (features/kweb) against a kweb, or
    /// against kweb-sim started in-process when no URL is given.
    Kweb(KwebArgs),
    /// Send the kweb scenario requests to two kwebs (one after the other,
    /// never concurrently) and print a parity table; exit 1 on differences.
    KwebDiff(DiffArgs),
    /// Render the kcli compatibility matrix from the results directory of
    /// `scripts/kweb-compat` (kweb-compat.md, kweb-compat.yaml); exit 1 when
    /// a supported release fails a check the pin passes.
    KwebCompatReport(CompatArgs),
    /// Run the DCM service-provider contract suite (features/sp).
    Sp(Box<cli::SpArgs>),
    /// Print requirement → scenarios; fail if an SP MUST row has no scenario.
    Matrix(cli::MatrixArgs),
    /// Delete leftovers whose id starts with a prefix (dry run unless --yes).
    Sweep(cli::SweepArgs),
    /// Run the fake DCM (registry, health poller, NATS consumer) alone.
    DcmSim(cli::DcmSimArgs),
    /// Forward DCM's traffic to an SP and judge every exchange and event.
    Proxy(dcm_conformance::proxy::ProxyArgs),
}

/// Options of `dcm-conformance kweb-diff`.
#[derive(Debug, Args)]
struct DiffArgs {
    /// First kweb, e.g. the real one: http://127.0.0.1:18200
    #[arg(long)]
    a: String,
    /// Second kweb, e.g. a simulator: http://127.0.0.1:8000, or `sim` to
    /// start kweb-sim in-process (testdriver world with the seeded volumes).
    #[arg(long)]
    b: String,
    /// Cucumber tag expression selecting scenarios.
    #[arg(long)]
    tags: Option<String>,
    /// Features directory (default: the copy of features/kweb embedded in this binary).
    #[arg(long)]
    features: Option<PathBuf>,
    /// List equal exchanges too, not only the differences.
    #[arg(long)]
    verbose: bool,
    /// kcli build of kweb A (`99.0.YYYYMMDDhhmm`; the launcher writes it to
    /// `<run dir>/kcli-release`); default the pin. `--b sim` emulates the
    /// same release (or `--b-kcli-release`), and only scenarios tagged for
    /// it run.
    #[arg(long, env = "KWEB_KCLI_RELEASE", value_parser = release::parse_release)]
    kcli_release: Option<KcliRelease>,
    /// kcli build of kweb B, or the release `--b sim` emulates; default
    /// `--kcli-release`.
    #[arg(long, value_parser = release::parse_release)]
    b_kcli_release: Option<KcliRelease>,
    /// Also write the differences as YAML to this file.
    #[arg(long)]
    report: Option<PathBuf>,
}

async fn kweb_diff(args: DiffArgs) -> Result<bool, KwebError> {
    let a = Target::parse(&args.a)?;
    let a_release = RunRelease::resolve(args.kcli_release, false);
    let b_sim = args.b == "sim";
    let b_release = RunRelease::resolve(args.b_kcli_release.or(args.kcli_release), b_sim);
    let b = if b_sim {
        spawn_release_simulator(b_release.release).await?
    } else {
        Target::parse(&args.b)?
    };
    let scratch =
        tempfile::tempdir().map_err(|e| KwebError::Config(format!("scratch directory: {e}")))?;
    let features = FeatureSource::from_option(args.features, Suite::Kweb);
    let mut report = diff::run(
        &a,
        &b,
        &features,
        args.tags.as_deref(),
        &run_vars(scratch.path())?,
        a_release.release,
    )
    .await?;
    report.labels = (
        format!("{}, {a_release}", a.base),
        format!(
            "{}, {b_release}",
            if b_sim {
                "in-process kweb-sim"
            } else {
                &b.base
            }
        ),
    );
    print!("{}", report.render(args.verbose));
    if let Some(path) = &args.report {
        std::fs::write(path, report.to_yaml()?)
            .map_err(|e| KwebError::Io(format!("{}: {e}", path.display())))?;
    }
    Ok(report.equal())
}

/// Options of `dcm-conformance kweb-compat-report`.
#[derive(Debug, Args)]
struct CompatArgs {
    /// The results directory: one `<release>/` directory per release with
    /// `<check>.status`, `<check>.log`, `<check>.yaml`.
    #[arg(long)]
    results: PathBuf,
    /// The releases to report, oldest first (comma-separated).
    #[arg(long, value_delimiter = ',', required = true, value_parser = release::parse_release)]
    releases: Vec<KcliRelease>,
    /// The declared range (default: the repository's scripts/kweb-live/kcli-releases).
    #[arg(long)]
    range_file: Option<PathBuf>,
    /// Compare this release with the pin: what a bump would change.
    #[arg(long, value_parser = release::parse_release)]
    bump_to: Option<KcliRelease>,
    /// Where to write kweb-compat.md and kweb-compat.yaml (default: --results).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn kweb_compat_report(args: &CompatArgs) -> Result<bool, KwebError> {
    let range_file = args.range_file.clone().unwrap_or_else(|| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kweb-live/kcli-releases")
    });
    let out = args.out.as_ref().unwrap_or(&args.results);
    compat::run_report(
        &args.results,
        &args.releases,
        &range_file,
        args.bump_to,
        out,
    )
}

/// Options of `dcm-conformance kweb`.
#[derive(Debug, Args)]
struct KwebArgs {
    /// Read-write kweb to test, e.g. http://127.0.0.1:18200 (default: in-process kweb-sim).
    #[arg(long, env = "KWEB_URL")]
    kweb_url: Option<String>,
    /// A `kweb --readonly` for @instance-readonly scenarios (real kweb only).
    #[arg(long, env = "KWEB_READONLY_URL")]
    kweb_readonly_url: Option<String>,
    /// A kweb whose backend is unreachable, for @instance-unreachable scenarios (real kweb only).
    #[arg(long, env = "KWEB_UNREACHABLE_URL")]
    kweb_unreachable_url: Option<String>,
    /// Cucumber tag expression selecting scenarios, e.g. '@ref-6.3 and not @code'.
    #[arg(long)]
    tags: Option<String>,
    /// Features directory (default: the copy of features/kweb embedded in this binary).
    #[arg(long)]
    features: Option<PathBuf>,
    /// The kweb's kcli build (`99.0.YYYYMMDDhhmm`, the launcher writes it to
    /// `<run dir>/kcli-release`), or the release the simulator emulates;
    /// default the pin. Selects the scenarios tagged for that release.
    #[arg(long, env = "KWEB_KCLI_RELEASE", value_parser = release::parse_release)]
    kcli_release: Option<KcliRelease>,
    /// Write a YAML report (kcli build, counts, every failure) to this file.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Kweb(args) => {
            let options = RunOptions {
                kweb_url: args.kweb_url,
                readonly_url: args.kweb_readonly_url,
                unreachable_url: args.kweb_unreachable_url,
                tags: args.tags,
                features: args.features,
                kcli_release: args.kcli_release,
                report: args.report,
            };
            match runner::run(options).await {
                Ok(summary) if summary.failed == 0 => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("dcm-conformance kweb: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::KwebDiff(args) => match kweb_diff(args).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("dcm-conformance kweb-diff: {e}");
                ExitCode::from(2)
            }
        },
        Command::KwebCompatReport(args) => match kweb_compat_report(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("dcm-conformance kweb-compat-report: {e}");
                ExitCode::from(2)
            }
        },
        Command::Sp(args) => exit_code(cli::run_sp(*args).await),
        Command::Matrix(args) => exit_code(cli::run_matrix(&args)),
        Command::Sweep(args) => exit_code(cli::run_sweep(&args).await),
        Command::DcmSim(args) => exit_code(cli::run_dcm_sim(&args).await),
        Command::Proxy(args) => exit_code(dcm_conformance::proxy::run_cli(args).await),
    }
}

/// Maps an SP-suite result to the process exit code (2 for setup errors).
fn exit_code(result: anyhow::Result<i32>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("dcm-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}
