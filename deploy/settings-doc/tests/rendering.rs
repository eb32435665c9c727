//! Settings are read from clap arguments and rendered as table rows.

use clap::{CommandFactory, Parser, ValueEnum};
use settings_doc::{Kind, Setting, markdown, settings, splice};

#[derive(Debug, Clone, ValueEnum)]
enum Policy {
    Report,
    Adopt,
    Delete,
}

/// A stand-in with one argument of each kind the provider uses.
#[derive(Debug, Parser)]
#[command(name = "sample")]
struct Sample {
    /// How often kweb is polled.
    #[arg(long, env = "POLL_INTERVAL", default_value = "30s")]
    poll_interval: String,
    /// kweb base | URL.
    #[arg(long, env = "KWEB_URL")]
    kweb_url: String,
    /// What to do with orphans.
    #[arg(long, env = "ORPHAN_POLICY", value_enum, default_value = "report")]
    orphan_policy: Policy,
    /// Accept the agent variant.
    #[arg(long, env = "AGENT_COMPAT", default_value = "true", action = clap::ArgAction::Set)]
    agent_compat: bool,
    /// Extra hint keys.
    #[arg(long, env = "HINTS_EXTRA_ALLOWED", value_delimiter = ',')]
    hints_extra_allowed: Vec<String>,
    /// Bearer token.
    #[arg(long, env = "SP_AUTH_TOKEN", hide_env_values = true)]
    sp_auth_token: Option<String>,
    /// Burst, in requests.
    #[arg(long, env = "KWEB_BURST", default_value = "20")]
    kweb_burst: u32,
    /// Not a setting: no environment variable.
    #[arg(long)]
    verbose: bool,
}

fn by_env(all: &[Setting], env: &str) -> Setting {
    all.iter()
        .find(|s| s.env == env)
        .cloned()
        .expect("setting present")
}

#[test]
fn every_argument_with_an_environment_variable_is_a_setting_in_order() {
    let all = settings(&Sample::command());
    let names: Vec<&str> = all.iter().map(|s| s.env.as_str()).collect();
    assert_eq!(
        names,
        [
            "POLL_INTERVAL",
            "KWEB_URL",
            "ORPHAN_POLICY",
            "AGENT_COMPAT",
            "HINTS_EXTRA_ALLOWED",
            "SP_AUTH_TOKEN",
            "KWEB_BURST"
        ]
    );
}

#[test]
fn kinds_follow_the_declarations() {
    let all = settings(&Sample::command());
    assert_eq!(by_env(&all, "POLL_INTERVAL").kind, Kind::Duration);
    assert_eq!(by_env(&all, "KWEB_URL").kind, Kind::Text);
    assert_eq!(
        by_env(&all, "ORPHAN_POLICY").kind,
        Kind::Choice(vec!["report".into(), "adopt".into(), "delete".into()])
    );
    assert_eq!(by_env(&all, "AGENT_COMPAT").kind, Kind::Bool);
    assert_eq!(by_env(&all, "HINTS_EXTRA_ALLOWED").kind, Kind::List);
    assert_eq!(by_env(&all, "KWEB_BURST").kind, Kind::Integer);
}

#[test]
fn required_secret_flag_and_default_are_read() {
    let all = settings(&Sample::command());
    let url = by_env(&all, "KWEB_URL");
    assert!(url.required);
    assert_eq!(url.flag, "--kweb-url");
    assert_eq!(url.default, None);
    assert!(by_env(&all, "SP_AUTH_TOKEN").secret);
    assert_eq!(
        by_env(&all, "POLL_INTERVAL").default.as_deref(),
        Some("30s")
    );
}

#[test]
fn the_table_escapes_pipes_and_marks_required_and_unset() {
    let table = markdown::table(&settings(&Sample::command()));
    let row = |env: &str| {
        table
            .lines()
            .find(|line| line.starts_with(&format!("| `{env}` ")))
            .unwrap_or_else(|| panic!("no row for {env} in\n{table}"))
            .to_owned()
    };
    assert!(row("KWEB_URL").contains("| required |"));
    // clap drops the doc comment's final period.
    assert!(row("KWEB_URL").contains("kweb base \\| URL |"));
    assert!(row("SP_AUTH_TOKEN").contains("| unset |"));
    assert!(row("POLL_INTERVAL").contains("| `30s` | duration"));
    assert_eq!(table.lines().filter(|l| l.starts_with("| `")).count(), 7);
}

#[test]
fn splice_replaces_only_the_marked_region() {
    let doc = format!(
        "intro\n{}\nold table\n{}\noutro\n",
        settings_doc::document::BEGIN,
        settings_doc::document::END
    );
    let out = splice(&doc, "| new |\n").expect("markers present");
    assert_eq!(
        out,
        format!(
            "intro\n{}\n| new |\n{}\noutro\n",
            settings_doc::document::BEGIN,
            settings_doc::document::END
        )
    );
    assert!(splice("no markers", "x").is_err());
    let swapped = format!(
        "{}\n{}\n",
        settings_doc::document::END,
        settings_doc::document::BEGIN
    );
    assert_eq!(
        splice(&swapped, "x"),
        Err(settings_doc::DocumentError::Order)
    );
}
