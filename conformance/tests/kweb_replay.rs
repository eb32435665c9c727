//! Replays every real-kweb capture (`fixtures/kweb-captures`) against
//! in-process simulators configured like the captured instances, and
//! compares status line, content type, header order and masked body.
//!
//! Differences must be listed, with a reason, in
//! `fixtures/kweb-replay-exceptions.yaml`; an unlisted difference fails, and
//! so does a listed capture that now matches (stale entry). Prints
//! `replay: N matched, N excepted, N failed`. Captures listed under
//! `releases:` hold only from a kcli release on; kweb-sim emulating the
//! oldest supported release must answer them differently.

use std::process::ExitCode;

use dcm_conformance::kweb::capture::{captures_dir, load_all};
use dcm_conformance::kweb::replay::{ReplayFile, Verdict, check_release_ranges, replay};
use dcm_conformance::kweb::runner::fixtures_dir;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--list") {
        println!("kweb_replay: test");
        return ExitCode::SUCCESS;
    }
    let run = async {
        let captures = load_all(&captures_dir())?;
        let file = ReplayFile::load(&fixtures_dir().join("kweb-replay-exceptions.yaml"))?;
        let outcomes = replay(&captures, &fixtures_dir(), &file).await?;
        let ranges = check_release_ranges(&captures, &file).await?;
        Ok::<_, dcm_conformance::kweb::error::KwebError>((Verdict::judge(&outcomes, &file), ranges))
    };
    match run.await {
        Ok((verdict, ranges)) => {
            for problem in &ranges {
                println!("RELEASE RANGE {problem}");
            }
            for (file, differences) in &verdict.failed {
                println!("MISMATCH {file}");
                for d in differences {
                    println!("  {d}");
                }
            }
            for file in &verdict.stale {
                println!(
                    "STALE EXCEPTION {file}: it matches now; remove it from kweb-replay-exceptions.yaml"
                );
            }
            for file in &verdict.unknown {
                println!("UNKNOWN EXCEPTION {file}: no such capture");
            }
            println!("{}", verdict.line());
            if verdict.passed() && ranges.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            println!("replay: cannot run: {e}");
            println!("replay: 0 matched, 0 excepted, 1 failed");
            ExitCode::FAILURE
        }
    }
}
