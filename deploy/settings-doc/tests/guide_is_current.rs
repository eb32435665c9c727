//! docs/operator-guide.md carries the table generated from the provider's
//! clap definitions: changing a setting without regenerating fails here.

use settings_doc::{document, markdown, provider_settings, splice};

#[test]
fn operator_guide_settings_table_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operator-guide.md");
    let committed = std::fs::read_to_string(path).expect("docs/operator-guide.md is readable");
    let generated = splice(&committed, &markdown::table(&provider_settings()))
        .expect("the guide has the markers");
    if let Some((line, old, new)) = document::first_difference(&committed, &generated) {
        panic!(
            "docs/operator-guide.md is out of date at line {line}\n  committed: {old}\n  generated: {new}\n\
             run: cargo run -p settings-doc -- write docs/operator-guide.md"
        );
    }
}

#[test]
fn every_setting_has_an_environment_variable_flag_and_description() {
    for setting in provider_settings() {
        assert!(
            setting.flag.starts_with("--"),
            "{} has no long flag",
            setting.env
        );
        assert!(
            !setting.help.is_empty(),
            "{} has no doc comment",
            setting.env
        );
    }
}
