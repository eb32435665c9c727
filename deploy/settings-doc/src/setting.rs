//! One provider setting as the operator sees it.

use serde::Serialize;

/// What values a setting takes, which decides the units column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "values")]
pub enum Kind {
    /// A human-readable duration (`500ms`, `30s`, `5m`, `1h`; TMO-006).
    /// Recognised by a default that parses as one.
    Duration,
    /// `true` or `false`.
    Bool,
    /// One of a fixed set of values (clap `value_enum` / possible values).
    Choice(Vec<String>),
    /// A comma-separated list (clap `value_delimiter = ','`).
    List,
    /// A whole number; the help text gives its unit.
    Integer,
    /// Free text: a URL, an address, a path, a name.
    Text,
}

impl Kind {
    /// The "Type / units" cell of the table.
    pub fn describe(&self) -> String {
        match self {
            Kind::Duration => "duration (`500ms`, `30s`, `5m`, `1h`)".to_owned(),
            Kind::Bool => "`true` / `false`".to_owned(),
            Kind::Choice(values) => {
                let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                format!("one of {}", quoted.join(", "))
            }
            Kind::List => "comma-separated list".to_owned(),
            Kind::Integer => "integer".to_owned(),
            Kind::Text => "text".to_owned(),
        }
    }
}

/// One setting: how to set it, its default, what it takes, what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// Environment variable, e.g. `POLL_INTERVAL`.
    pub env: String,
    /// Command-line flag, e.g. `--poll-interval`.
    pub flag: String,
    /// Default as clap shows it, e.g. `30s`; `None` when there is none.
    pub default: Option<String>,
    /// Whether the provider refuses to start without it.
    pub required: bool,
    /// Whether clap hides its value (secrets such as `SP_AUTH_TOKEN`).
    pub secret: bool,
    /// What values it takes.
    pub kind: Kind,
    /// The doc comment of the field, on one line.
    pub help: String,
}

impl Setting {
    /// Reads a clap argument; `None` for arguments without an environment
    /// variable (`--help`, `--version`).
    pub fn from_arg(arg: &clap::Arg) -> Option<Setting> {
        let env = arg.get_env()?.to_string_lossy().into_owned();
        let flag = arg
            .get_long()
            .map_or_else(|| arg.get_id().to_string(), |long| format!("--{long}"));
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        let default = (!defaults.is_empty()).then(|| defaults.join(","));
        let possible: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        let kind = if !possible.is_empty() {
            if possible.len() == 2 && possible.iter().all(|v| v == "true" || v == "false") {
                Kind::Bool
            } else {
                Kind::Choice(possible)
            }
        } else if arg.get_value_delimiter().is_some() {
            Kind::List
        } else if default
            .as_deref()
            .is_some_and(|d| humantime::parse_duration(d).is_ok())
            || arg.get_value_parser().type_id() == std::any::TypeId::of::<std::time::Duration>()
        {
            Kind::Duration
        } else if default.as_deref().is_some_and(|d| d.parse::<u64>().is_ok()) {
            Kind::Integer
        } else {
            Kind::Text
        };
        let help = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(|text| {
                text.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        Some(Setting {
            env,
            flag,
            default,
            required: arg.is_required_set(),
            secret: arg.is_hide_env_values_set(),
            kind,
            help,
        })
    }
}
