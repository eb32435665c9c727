//! The `dcm-conformance` command line.

use clap::{Parser, Subcommand};
use dcm_conformance::sp::cli;

/// Conformance suites for kweb and DCM service providers.
#[derive(Debug, Parser)]
#[command(name = "dcm-conformance", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the DCM service-provider contract suite (features/sp).
    Sp(Box<cli::SpArgs>),
    /// Print requirement → scenarios; fail if an SP MUST row has no scenario.
    Matrix(cli::MatrixArgs),
    /// Delete leftovers whose id starts with a prefix (dry run unless --yes).
    Sweep(cli::SweepArgs),
    /// Run the fake DCM (registry, health poller, NATS consumer) alone.
    DcmSim(cli::DcmSimArgs),
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sp(args) => cli::run_sp(*args).await,
        Command::Matrix(args) => cli::run_matrix(&args),
        Command::Sweep(args) => cli::run_sweep(&args).await,
        Command::DcmSim(args) => cli::run_dcm_sim(&args).await,
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("dcm-conformance: {e:#}");
            std::process::exit(2);
        }
    }
}
