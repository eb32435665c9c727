//! The settings as a Markdown table.

use crate::setting::Setting;

/// Renders the table: one row per setting, in the given order, ending with a
/// newline. Columns: environment variable, flag, default, type and units,
/// description. A required setting shows "required" as its default; a
/// setting without default shows "unset".
pub fn table(settings: &[Setting]) -> String {
    let mut out = String::from(
        "| Environment variable | Flag | Default | Type / units | Description |\n\
         |---|---|---|---|---|\n",
    );
    for setting in settings {
        let default = match (&setting.default, setting.required) {
            (_, true) => "required".to_owned(),
            (Some(value), false) if value.is_empty() => "empty".to_owned(),
            (Some(value), false) => format!("`{value}`"),
            (None, false) => "unset".to_owned(),
        };
        let mut help = setting.help.clone();
        if setting.secret {
            help.push_str(" (secret: its value is never shown in `--help` or logs)");
        }
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} |\n",
            setting.env,
            setting.flag,
            cell(&default),
            cell(&setting.kind.describe()),
            cell(&help),
        ));
    }
    out
}

/// Escapes what would end a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
