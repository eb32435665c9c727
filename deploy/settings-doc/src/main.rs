//! The `settings-doc` binary: prints or writes the provider's settings
//! table, or checks that a document carries the current one.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use settings_doc::{document, markdown, provider_settings, splice};

/// Generates the operator guide's settings table from kcli-provider's clap
/// definitions.
#[derive(Debug, Parser)]
#[command(name = "settings-doc", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print every setting as JSON: [{env, flag, default, required, secret, kind, help}].
    Json,
    /// Print the Markdown table.
    Table,
    /// Replace the table between the markers in PATH.
    Write {
        /// Markdown file with the marker lines, e.g. docs/operator-guide.md.
        path: PathBuf,
    },
    /// Exit 1 unless PATH carries the current table.
    Check {
        /// Markdown file with the marker lines, e.g. docs/operator-guide.md.
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("settings-doc: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    let settings = provider_settings();
    let table = markdown::table(&settings);
    match command {
        Command::Json => {
            let json = serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())?;
            println!("{json}");
        }
        Command::Table => print!("{table}"),
        Command::Write { path } => {
            let committed = read(&path)?;
            let updated =
                splice(&committed, &table).map_err(|e| format!("{}: {e}", path.display()))?;
            std::fs::write(&path, updated)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Command::Check { path } => {
            let committed = read(&path)?;
            let updated =
                splice(&committed, &table).map_err(|e| format!("{}: {e}", path.display()))?;
            if let Some((line, old, new)) = document::first_difference(&committed, &updated) {
                eprintln!(
                    "settings-doc: {} is out of date at line {line}\n  committed: {old}\n  generated: {new}\n\
                     run: cargo run -p settings-doc -- write {}",
                    path.display(),
                    path.display()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
