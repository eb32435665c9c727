//! The `dcm-conformance` command line: one subcommand per suite or mode.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dcm_conformance::kweb::http::Target;
use dcm_conformance::kweb::runner::{self, RunOptions, features_dir, run_vars};
use dcm_conformance::kweb::target::spawn_parity_simulator;
use dcm_conformance::kweb::{diff, error::KwebError};
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
    /// Run the DCM service-provider contract suite (features/sp).
    Sp(Box<cli::SpArgs>),
    /// Print requirement → scenarios; fail if an SP MUST row has no scenario.
    Matrix(cli::MatrixArgs),
    /// Delete leftovers whose id starts with a prefix (dry run unless --yes).
    Sweep(cli::SweepArgs),
    /// Run the fake DCM (registry, health poller, NATS consumer) alone.
    DcmSim(cli::DcmSimArgs),
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
    /// Features directory (default: the repository's features/kweb).
    #[arg(long)]
    features: Option<PathBuf>,
    /// List equal exchanges too, not only the differences.
    #[arg(long)]
    verbose: bool,
}

async fn kweb_diff(args: DiffArgs) -> Result<bool, KwebError> {
    let a = Target::parse(&args.a)?;
    let b = if args.b == "sim" {
        spawn_parity_simulator().await?
    } else {
        Target::parse(&args.b)?
    };
    let scratch =
        tempfile::tempdir().map_err(|e| KwebError::Config(format!("scratch directory: {e}")))?;
    let features = args.features.unwrap_or_else(features_dir);
    let report = diff::run(
        &a,
        &b,
        &features,
        args.tags.as_deref(),
        &run_vars(scratch.path()),
    )
    .await?;
    print!("{}", report.render(args.verbose));
    Ok(report.equal())
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
    /// Features directory (default: the repository's features/kweb).
    #[arg(long)]
    features: Option<PathBuf>,
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
        Command::Sp(args) => exit_code(cli::run_sp(*args).await),
        Command::Matrix(args) => exit_code(cli::run_matrix(&args)),
        Command::Sweep(args) => exit_code(cli::run_sweep(&args).await),
        Command::DcmSim(args) => exit_code(cli::run_dcm_sim(&args).await),
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
