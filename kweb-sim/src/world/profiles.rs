//! Profiles (`kweb-reference.md` §6.15): kcli's VM profile defaults, the
//! captured default `profiles.yml`, the built-in cluster profile samples and
//! the container profile listing. The VM defaults and the samples differ
//! between kcli releases ([`super::release::DRIFTS`]).

use serde_json::{Map, Value, json};

use super::World;

/// The captured `profiles.yml` of the testdriver world (VM profile `small`,
/// container profile `mycontainer`).
pub const TESTDRIVER_PROFILES_YML: &str = include_str!("../../assets/profiles.yml");
/// The captured `GET /vmprofiles` body: `small` merged over kcli's defaults.
const VMPROFILES_CAPTURE: &str = include_str!("../../assets/vmprofiles_small.json");
/// The captured `GET /kubeprofiles` body (five built-in samples, in order)
/// of the pin, valid from kcli 99.0.202608141013 on.
const KUBEPROFILES_CAPTURE: &str = include_str!("../../assets/kubeprofiles.json");
/// The `GET /kubeprofiles` body of kcli 99.0.202604230911 and every build
/// before 99.0.202608141013 (six samples, with `sample-openshift-contrail`).
const KUBEPROFILES_BEFORE_2026_08: &str =
    include_str!("../../assets/kubeprofiles_before_99.0.202608141013.json");

/// Parses a kcli YAML profiles file into an ordered map.
///
/// # Errors
/// A message naming the YAML error, or saying the top level is not a mapping.
pub fn parse_profiles_yaml(text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    let v: Value =
        serde_yaml_ng::from_str(text).map_err(|e| format!("invalid profiles YAML: {e}"))?;
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err("profiles YAML must be a mapping of profile names to settings".into()),
    }
}

/// kcli's ~93 VM defaults in kcli's key order, with the default client's
/// `pool`, `client`, `type`, `host` and `url` filled in; without
/// `vncpassword` before kcli 99.0.202607171017.
#[must_use]
pub fn vm_defaults(world: &World) -> Map<String, Value> {
    let capture: Value = serde_json::from_str(VMPROFILES_CAPTURE).unwrap_or(Value::Null);
    let mut d = capture["profiles"]["small"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if !world.kcli_release.behaviour().vm_defaults_vncpassword {
        d.shift_remove("vncpassword");
    }
    d.insert("nets".into(), json!(["default"]));
    d.insert("numcpus".into(), json!(2));
    d.insert("memory".into(), json!(512));
    d.insert("disks".into(), json!([{"size": 10, "default": true}]));
    d.insert("pool".into(), json!(world.default_pool()));
    let client = world.client();
    d.insert("client".into(), json!(world.default_client));
    d.insert(
        "type".into(),
        json!(client.map_or_else(
            || world.flavour.client_type().to_owned(),
            |c| c.kind.clone()
        )),
    );
    d.insert(
        "host".into(),
        json!(client.map_or("127.0.0.1", |c| c.host.as_str())),
    );
    d.insert(
        "url".into(),
        client
            .and_then(|c| c.url.clone())
            .map_or(Value::Null, Value::String),
    );
    d
}

/// A VM profile merged over its `base` chain (no defaults).
#[must_use]
pub fn profile_chain(world: &World, name: &str) -> Option<Map<String, Value>> {
    let mut seen = Vec::new();
    let mut chain = Vec::new();
    let mut current = name.to_owned();
    while let Some(p) = world.profiles.get(&current).and_then(Value::as_object) {
        if seen.contains(&current) {
            break;
        }
        seen.push(current.clone());
        chain.push(p.clone());
        match p.get("base").and_then(Value::as_str) {
            Some(b) => current = b.to_owned(),
            None => break,
        }
    }
    if chain.is_empty() {
        return None;
    }
    let mut merged = Map::new();
    for p in chain.into_iter().rev() {
        for (k, v) in p {
            merged.insert(k, v);
        }
    }
    merged.remove("base");
    Some(merged)
}

/// Whether profile `p` is a VM profile for the default client.
fn is_vm_profile(world: &World, p: &Map<String, Value>) -> bool {
    let kind = p.get("type").and_then(Value::as_str).unwrap_or("vm");
    let client_ok = p
        .get("client")
        .and_then(Value::as_str)
        .is_none_or(|c| c == world.default_client);
    kind == "vm" && client_ok
}

/// The `GET /vmprofiles` body.
#[must_use]
pub fn vmprofiles(world: &World) -> Value {
    let defaults = vm_defaults(world);
    let mut out = Map::new();
    for (name, p) in &world.profiles {
        let Some(pm) = p.as_object() else { continue };
        if !is_vm_profile(world, pm) {
            continue;
        }
        let mut merged = defaults.clone();
        for (k, v) in profile_chain(world, name).unwrap_or_default() {
            merged.insert(k, v);
        }
        out.insert(name.clone(), Value::Object(merged));
    }
    json!({ "profiles": out })
}

/// Whether `name` is a VM profile usable by `POST /vms`.
#[must_use]
pub fn is_vm_profile_name(world: &World, name: &str) -> bool {
    world
        .profiles
        .get(name)
        .and_then(Value::as_object)
        .is_some_and(|p| is_vm_profile(world, p))
}

/// The cluster profiles: the release's built-in samples, then
/// `clusterprofiles.yml`.
#[must_use]
pub fn kubeprofiles(world: &World) -> Map<String, Value> {
    let samples = if world.kcli_release.behaviour().kubeprofile_samples_2026_08 {
        KUBEPROFILES_CAPTURE
    } else {
        KUBEPROFILES_BEFORE_2026_08
    };
    let capture: Value = serde_json::from_str(samples).unwrap_or(Value::Null);
    let mut out = capture["profiles"].as_object().cloned().unwrap_or_default();
    for (k, v) in &world.kubeprofiles {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// The `GET /containerprofiles` rows: `[name, image, nets, ports, volumes, cmd]`.
#[must_use]
pub fn containerprofiles(world: &World) -> Value {
    let mut names: Vec<&String> = world
        .profiles
        .iter()
        .filter(|(_, p)| p.get("type").and_then(Value::as_str) == Some("container"))
        .map(|(k, _)| k)
        .collect();
    names.sort();
    let rows: Vec<Value> = names
        .into_iter()
        .map(|n| {
            let p = &world.profiles[n.as_str()];
            let field = |k: &str| match p.get(k) {
                None | Some(Value::Null) => json!(""),
                Some(v) => v.clone(),
            };
            let volumes = match p.get("volumes") {
                None | Some(Value::Null) => field("disks"),
                Some(v) => v.clone(),
            };
            json!([
                n,
                field("image"),
                field("nets"),
                field("ports"),
                volumes,
                field("cmd")
            ])
        })
        .collect();
    json!({ "profiles": rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::pyjson::dumps;
    use crate::world::presets::{Options, Preset, build};

    #[test]
    fn testdriver_vmprofiles_equal_the_capture() {
        let w = build(Preset::Testdriver, 0, &Options::default());
        let capture: Value = serde_json::from_str(VMPROFILES_CAPTURE).unwrap_or(Value::Null);
        assert_eq!(dumps(&vmprofiles(&w)), dumps(&capture));
        assert_eq!(
            dumps(&containerprofiles(&w)),
            r#"{"profiles": [["mycontainer", "nginx", "", "", "", ""]]}"#
        );
    }

    /// Each release's samples are its real kweb's bytes: the pin's capture,
    /// and the body of kcli 99.0.202604230911 saved from its real kweb.
    #[test]
    fn kubeprofile_samples_follow_the_release() {
        use crate::world::release::KcliRelease;
        let mut w = build(Preset::Testdriver, 0, &Options::default());
        let body = |w: &World| dumps(&json!({ "profiles": kubeprofiles(w) }));
        assert_eq!(body(&w), KUBEPROFILES_CAPTURE.trim_end());
        w.kcli_release = "99.0.202604230911".parse::<KcliRelease>().expect("release");
        assert_eq!(body(&w), KUBEPROFILES_BEFORE_2026_08.trim_end());
        assert!(kubeprofiles(&w).contains_key("sample-openshift-contrail"));
        assert!(!vm_defaults(&w).contains_key("vncpassword"));
        w.kcli_release = "99.0.202607200632".parse::<KcliRelease>().expect("release");
        assert_eq!(kubeprofiles(&w).len(), 6);
        let keys: Vec<String> = vm_defaults(&w).keys().cloned().collect();
        let vnc = keys.iter().position(|k| k == "vnc").expect("vnc");
        assert_eq!(keys[vnc + 1], "vncpassword");
    }
}
