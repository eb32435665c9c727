//! Every provider configuration shipped under deploy/ passes the provider's
//! own startup validation (`Config::validate`: URLs, REG-011 advertise
//! rules, REG-010 ids, TMO-001 timeouts, durations).
//!
//! Sources: the image's `ENV` (deploy/Containerfile, `kcli-provider`
//! stage), the environment of both compose provider services with
//! `${VAR:-default}` taken at its default, the Quadlet env file, and the
//! Kubernetes base ConfigMap merged with each overlay's ConfigMap patch.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Parser;
use serde_yaml_ng::Value;

type Env = BTreeMap<String, String>;

fn deploy(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn yaml(path: &str) -> Value {
    serde_yaml_ng::from_str(&deploy(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn string_map(value: &Value) -> Env {
    value
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let key = k.as_str().expect("string key").to_owned();
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                other => panic!("{key}: unexpected value {other:?}"),
            };
            (key, value)
        })
        .collect()
}

/// `${NAME:-default}` and `${NAME-default}` as compose resolves them with NAME unset.
fn compose_default(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let inner = &rest[start + 2..end];
        let default = inner
            .split_once(":-")
            .or_else(|| inner.split_once('-'))
            .map_or("", |(_, d)| d);
        out.push_str(default);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `ENV` of the kcli-provider stage and of the `runtime` stage it builds on.
fn image_env() -> Env {
    let text = deploy("Containerfile").replace("\\\n", " ");
    let mut env = Env::new();
    let mut stage = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(from) = line.strip_prefix("FROM ") {
            stage = from.rsplit(' ').next().unwrap_or_default().to_owned();
        } else if let Some(assignments) = line.strip_prefix("ENV ")
            && (stage == "kcli-provider" || stage == "runtime")
        {
            for pair in assignments.split_whitespace() {
                let (k, v) = pair.split_once('=').expect("ENV NAME=value");
                env.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    assert!(
        env.contains_key("LISTEN_ADDRESS"),
        "no ENV in the kcli-provider stage: {env:?}"
    );
    env
}

fn compose_env(service: &str) -> Env {
    let compose = yaml("compose.yaml");
    let env = string_map(&compose["services"][service]["environment"]);
    assert!(
        !env.is_empty(),
        "compose service {service} has no environment"
    );
    let mut merged = image_env();
    merged.extend(env.into_iter().map(|(k, v)| (k, compose_default(&v))));
    merged
}

fn quadlet_env() -> Env {
    let mut merged = image_env();
    for line in deploy("quadlet/kcli-provider.env").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once('=').expect("NAME=value");
        merged.insert(k.to_owned(), v.to_owned());
    }
    merged
}

fn k8s_env(overlay: &str) -> Env {
    let mut merged = string_map(&yaml("k8s/base/configmap.yaml")["data"]);
    merged.extend(string_map(&yaml("k8s/base/secret.yaml")["stringData"]));
    merged.extend(string_map(
        &yaml(&format!("k8s/overlays/{overlay}/config.yaml"))["data"],
    ));
    merged
}

fn validate(source: &str, env: &Env) {
    let flags: BTreeMap<String, String> = settings_doc::provider_settings()
        .into_iter()
        .map(|s| (s.env, s.flag))
        .collect();
    let mut args = vec!["kcli-provider".to_owned()];
    for (key, value) in env {
        let flag = flags
            .get(key)
            .unwrap_or_else(|| panic!("{source}: {key} is not a provider setting"));
        if !value.is_empty() {
            args.push(format!("{flag}={value}"));
        }
    }
    let config = kcli_provider::Config::try_parse_from(&args)
        .unwrap_or_else(|e| panic!("{source}: the provider refuses its settings:\n{e}"));
    if let Err(error) = config.validate() {
        panic!("{source}: the provider would not start: {error}");
    }
}

#[test]
fn the_compose_provider_configuration_is_valid() {
    validate(
        "deploy/compose.yaml kcli-provider",
        &compose_env("kcli-provider"),
    );
}

#[test]
fn the_compose_provider_under_test_configuration_is_valid() {
    // Its SPM_URL is the registry the suite announces at run time: a
    // loopback URL in the shared network namespace.
    let mut env = compose_env("provider-under-test");
    env.insert(
        "SPM_URL".into(),
        "http://127.0.0.1:40123/api/v1alpha1".into(),
    );
    validate("deploy/compose.yaml provider-under-test", &env);
}

#[test]
fn the_quadlet_env_file_is_valid() {
    validate("deploy/quadlet/kcli-provider.env", &quadlet_env());
}

#[test]
fn every_kubernetes_overlay_configuration_is_valid() {
    let overlays = Path::new(env!("CARGO_MANIFEST_DIR")).join("../k8s/overlays");
    let mut checked = 0;
    for entry in std::fs::read_dir(&overlays).expect("overlays directory") {
        let name = entry
            .expect("overlay entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if overlays.join(&name).join("config.yaml").exists() {
            validate(&format!("deploy/k8s/overlays/{name}"), &k8s_env(&name));
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "expected the lab-a, lab-b and sim overlays, found {checked}"
    );
}

#[test]
fn a_broken_configuration_is_refused() {
    let mut env = compose_env("kcli-provider");
    env.insert("CREATE_SYNC_TIMEOUT".into(), "30s".into());
    let result = std::panic::catch_unwind(|| validate("mutated compose", &env));
    assert!(
        result.is_err(),
        "CREATE_SYNC_TIMEOUT above REQUEST_TIMEOUT must be refused (TMO-001)"
    );
}
