//! Specs generated from DCM's own service-type schemas
//! ([`crate::sp::dcm_schemas`]) with a seed, and the pure judgement of the
//! SP's answer to each (`features/sp/generated_specs.feature`).
//!
//! Three families:
//! - [`Family::Realistic`]: what a DCM catalog sends: schema-shaped members
//!   with modest values, other providers' `provider_hints` (the schema's
//!   example namespaces, never the one the target declares reading:
//!   `--sp-hint-namespace`, `kcli` for the reference provider), metadata
//!   labels and unknown members
//!   (the schemas allow additional properties). Members whose values name a
//!   backend catalog entry (`guest_os`, a cluster `version`) are left out,
//!   since a conformant SP may refuse an unknown one with 422 (VAL-011), and
//!   every member but `service_type` may be missing (VAL-009). Must be
//!   accepted and echoed verbatim (API-004, VAL-007).
//! - [`Family::Arbitrary`]: anything the schema allows, wide values included.
//! - [`Family::NearValid`]: an arbitrary spec with one constrained member
//!   broken (wrong JSON type, constraint violated, required member removed).
//!
//! Arbitrary and near-valid specs must never get a 5xx, and every rejection
//! must be a problem document whose `status` is the HTTP status (ERR-001,
//! ERR-002). Generation uses proptest strategies over the schema; a failing
//! case is shrunk with proptest's value trees by the step that sends it.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};

use crate::sp::checks;
use crate::wire::Exchange;

/// Settings of the generated checks (`--seed`, `--generated-cases`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenSettings {
    /// Run seed; each scenario derives its own from it and its name.
    pub seed: u64,
    /// Cases per scenario (each case is one create, plus a GET for realistic specs).
    pub cases: u32,
}

impl Default for GenSettings {
    /// A fresh random seed and 12 cases.
    fn default() -> Self {
        let bytes = *uuid::Uuid::new_v4().as_bytes();
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&bytes[..8]);
        Self {
            seed: u64::from_le_bytes(seed),
            cases: 12,
        }
    }
}

/// Which kind of spec to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Catalog-like valid specs (must be accepted and echoed).
    Realistic,
    /// Any schema-valid spec (never a 5xx).
    Arbitrary,
    /// A schema-valid spec with one member broken (never a 5xx).
    NearValid,
}

impl Family {
    /// Parses the feature-file word (`realistic`, `arbitrary`, `near-valid`).
    ///
    /// # Errors
    /// An unknown word.
    pub fn parse(word: &str) -> Result<Self, String> {
        match word {
            "realistic" => Ok(Self::Realistic),
            "arbitrary" => Ok(Self::Arbitrary),
            "near-valid" => Ok(Self::NearValid),
            other => Err(format!("unknown spec family `{other}`")),
        }
    }
}

/// Members a realistic spec leaves out: their values name backend catalog
/// entries that a conformant SP may refuse with 422 (VAL-011).
const CATALOG_MEMBERS: &[(&str, &str)] = &[("vm", "guest_os"), ("cluster", "version")];

/// A deterministic test runner for `seed` and a scenario label.
#[must_use]
pub fn runner(seed: u64, label: &str) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    // FNV-1a over the label, so each scenario gets its own stream.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    bytes[8..16].copy_from_slice(&h.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// The spec strategy for `service_type` (`schema` from
/// [`crate::sp::dcm_schemas::spec_schema`]). `own_hints`: the
/// `provider_hints` namespace the target declares reading (the
/// `hint-namespace` fact); no spec carries it, so every hint sent is another
/// provider's, which the SP must ignore and echo.
pub fn strategy(
    schema: &Value,
    service_type: &str,
    family: Family,
    own_hints: Option<&str>,
) -> BoxedStrategy<Value> {
    let own = own_hints.map(str::to_owned);
    specs(schema, service_type, family)
        .prop_map(move |v| without_hints(v, own.as_deref()))
        .boxed()
}

/// Removes `provider_hints.{namespace}`.
fn without_hints(mut v: Value, namespace: Option<&str>) -> Value {
    if let (Some(ns), Some(hints)) = (
        namespace,
        v.get_mut("provider_hints").and_then(Value::as_object_mut),
    ) {
        hints.remove(ns);
    }
    v
}

fn specs(schema: &Value, service_type: &str, family: Family) -> BoxedStrategy<Value> {
    let st = service_type.to_owned();
    match family {
        Family::Realistic => object(schema, family, true, Some(service_type))
            .prop_map(move |v| realistic_fixups(&st, v))
            .boxed(),
        Family::Arbitrary => object(schema, family, true, Some(service_type))
            .prop_map(move |v| with_service_type(&st, v))
            .boxed(),
        Family::NearValid => {
            let schema = schema.clone();
            (
                object(&schema, Family::Arbitrary, true, Some(service_type)),
                any::<prop::sample::Index>(),
                0u8..3,
            )
                .prop_map(move |(v, at, kind)| {
                    let v = with_service_type(&st, v);
                    break_one(&schema, v, at, kind)
                })
                .boxed()
        }
    }
}

fn with_service_type(service_type: &str, mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("service_type".into(), json!(service_type));
    }
    v
}

/// Realistic specs name their service type and follow the application-level
/// disk rules (one disk named `boot`, unique names: VAL-005, VAL-006).
fn realistic_fixups(service_type: &str, v: Value) -> Value {
    let mut v = with_service_type(service_type, v);
    if let Some(disks) = v
        .pointer_mut("/storage/disks")
        .and_then(Value::as_array_mut)
    {
        for (i, d) in disks.iter_mut().enumerate() {
            if let Some(o) = d.as_object_mut() {
                let name = if i == 0 {
                    "boot".to_owned()
                } else {
                    format!("data{i}")
                };
                o.insert("name".into(), json!(name));
            }
        }
    }
    v
}

fn type_of(schema: &Value) -> &str {
    schema["type"].as_str().unwrap_or_else(|| {
        if schema.get("properties").is_some() {
            "object"
        } else {
            ""
        }
    })
}

fn value(schema: &Value, family: Family) -> BoxedStrategy<Value> {
    if let Some(options) = schema["enum"].as_array().filter(|a| !a.is_empty()) {
        return prop::sample::select(options.clone()).boxed();
    }
    match type_of(schema) {
        "object" => object(schema, family, false, None),
        "string" => string(schema, family),
        "integer" => integer(schema, family),
        "array" => array(schema, family),
        "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
        _ => free_json(),
    }
}

/// A small arbitrary JSON value for members the schema leaves open.
fn free_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        "[a-z0-9 ._-]{0,12}".prop_map(Value::String),
        (-1000i64..100_000).prop_map(|n| json!(n)),
        any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z][a-z0-9_]{0,7}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Bounded repetition so generated strings stay short; realistic numbers
/// start with a non-zero digit.
fn bounded(pattern: &str, family: Family) -> String {
    let (plus, star) = match family {
        Family::Realistic => ("{1,3}", "{0,6}"),
        _ => ("{1,12}", "{0,16}"),
    };
    let p = pattern.trim_start_matches('^').trim_end_matches('$');
    // Realistic sizes are never zero (VAL-006; ACM's `^[1-9][0-9]*(MB|GB|TB)$`)
    // and small enough for a lab backend to hold a dozen of them: a real
    // kweb on libvirt's test driver has a 100 GiB pool, so 100GB disks fail
    // there for capacity, not for conformance.
    let p = if family == Family::Realistic {
        p.replace("[0-9]+(MB|GB|TB)", "([1-9][0-9]{0,2}MB|[1-9]GB)")
            .replace("[0-9]+", "[1-9][0-9]{0,2}")
    } else {
        p.to_owned()
    };
    p.replace(")+", &format!("){plus}"))
        .replace("]+", &format!("]{plus}"))
        .replace("]*", &format!("]{star}"))
}

fn string(schema: &Value, family: Family) -> BoxedStrategy<Value> {
    let example = schema["example"].as_str().map(str::to_owned);
    if let Some(pattern) = schema["pattern"].as_str() {
        let bounded = bounded(pattern, family);
        let Ok(from_pattern) = proptest::string::string_regex(&bounded) else {
            return Just(Value::String(example.unwrap_or_default())).boxed();
        };
        // A realistic value stays inside the bounded pattern, examples too
        // (DCM's `100GB` disk example is larger than a lab pool).
        let example = example.filter(|e| {
            family != Family::Realistic
                || regex::Regex::new(&format!("^(?:{bounded})$")).is_ok_and(|r| r.is_match(e))
        });
        let max = schema["maxLength"].as_u64().unwrap_or(u64::MAX) as usize;
        let generated = from_pattern
            .prop_filter("maxLength", move |s| s.chars().count() <= max)
            .prop_map(Value::String);
        return match (family, example) {
            (Family::Realistic, Some(e)) => prop_oneof![Just(Value::String(e)), generated].boxed(),
            _ => generated.boxed(),
        };
    }
    match (family, example) {
        (Family::Realistic, Some(e)) => prop_oneof![
            Just(Value::String(e)),
            "[a-z][a-z0-9-]{0,12}".prop_map(Value::String)
        ]
        .boxed(),
        (Family::Realistic, None) => "[a-z][a-z0-9-]{0,12}".prop_map(Value::String).boxed(),
        _ => "\\PC{0,24}".prop_map(Value::String).boxed(),
    }
}

fn integer(schema: &Value, family: Family) -> BoxedStrategy<Value> {
    let min = schema["minimum"].as_i64().unwrap_or(0);
    match family {
        Family::Realistic => (min..=min + 3).prop_map(|n| json!(n)).boxed(),
        _ => prop_oneof![
            (min..=min + 8).prop_map(|n| json!(n)),
            (min..=i64::from(i32::MAX)).prop_map(|n| json!(n)),
        ]
        .boxed(),
    }
}

fn array(schema: &Value, family: Family) -> BoxedStrategy<Value> {
    let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
    let extra = if family == Family::Realistic { 1 } else { 3 };
    prop::collection::vec(value(&schema["items"], family), min..=min + extra)
        .prop_map(Value::Array)
        .boxed()
}

/// An object: required members always, optional ones half the time, and up
/// to one unknown member when the schema allows additional properties.
/// `top`: the spec itself (service type given), where realistic specs make
/// every member optional (VAL-009) and leave catalog members out.
fn object(
    schema: &Value,
    family: Family,
    top: bool,
    service_type: Option<&str>,
) -> BoxedStrategy<Value> {
    let required: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    let mut members: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
    for (name, sub) in schema["properties"].as_object().into_iter().flatten() {
        if sub["readOnly"] == json!(true) {
            continue;
        }
        if family == Family::Realistic
            && top
            && CATALOG_MEMBERS
                .iter()
                .any(|(st, m)| Some(*st) == service_type && m == name)
        {
            continue;
        }
        let key = name.clone();
        let member = value(sub, family).prop_map(move |v| Some((key.clone(), v)));
        let always = required.contains(name) && !(top && family == Family::Realistic)
            || name == "service_type";
        if always {
            members.push(member.boxed());
        } else {
            members.push(prop_oneof![Just(None), member].boxed());
        }
    }
    let additional = &schema["additionalProperties"];
    let known: Vec<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let extras: BoxedStrategy<Vec<(String, Value)>> = if additional.is_object() {
        map_members(schema, additional, family)
    } else if *additional == Value::Bool(false) {
        Just(Vec::new()).boxed()
    } else {
        prop::collection::vec(
            ("x_cst_[a-z]{2,5}", free_json())
                .prop_filter("unknown", move |(k, _)| !known.contains(k)),
            0..=1,
        )
        .boxed()
    };
    (members, extras)
        .prop_map(|(members, extras)| {
            let mut out = Map::new();
            for (k, v) in members.into_iter().flatten() {
                out.insert(k, v);
            }
            for (k, v) in extras {
                out.entry(k).or_insert(v);
            }
            Value::Object(out)
        })
        .boxed()
}

/// Members of a map-like object (`additionalProperties` is a schema:
/// `provider_hints`, `labels`). Realistic keys come from the schema's
/// example.
fn map_members(
    schema: &Value,
    values: &Value,
    family: Family,
) -> BoxedStrategy<Vec<(String, Value)>> {
    let example_keys: Vec<String> = schema["example"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let keys: BoxedStrategy<String> = match family {
        Family::Realistic if !example_keys.is_empty() => prop::sample::select(example_keys).boxed(),
        _ => "[a-z][a-z0-9-]{0,10}".boxed(),
    };
    prop::collection::vec((keys, value(values, family)), 0..=2).boxed()
}

/// Every constrained member of `v` under `schema`, as (JSON pointer, schema).
fn constrained(schema: &Value, v: &Value, at: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(o) => {
            for (k, sub) in schema["properties"].as_object().into_iter().flatten() {
                let path = format!("{at}/{k}");
                if let Some(child) = o.get(k) {
                    out.push((path.clone(), sub.clone()));
                    constrained(sub, child, &path, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("{at}/{i}");
                out.push((path.clone(), schema["items"].clone()));
                constrained(&schema["items"], item, &path, out);
            }
        }
        _ => {}
    }
}

/// Breaks one constrained member: `kind` 0 wrong JSON type, 1 constraint
/// violated (falls back to a wrong type), 2 a required member removed.
fn break_one(schema: &Value, mut v: Value, at: prop::sample::Index, kind: u8) -> Value {
    let mut paths = Vec::new();
    constrained(schema, &v, "", &mut paths);
    if paths.is_empty() {
        return v;
    }
    let (path, sub) = paths[at.index(paths.len())].clone();
    let Some(target) = v.pointer_mut(&path) else {
        return v;
    };
    let wrong_type = |t: &Value| match t {
        Value::String(_) => json!(7),
        Value::Number(_) => json!("7"),
        Value::Object(_) | Value::Array(_) => json!("not-an-object"),
        _ => json!({}),
    };
    *target = match kind {
        1 => violate(&sub, target).unwrap_or_else(|| wrong_type(target)),
        _ => wrong_type(target),
    };
    if kind == 2
        && let Some((parent, member)) = path.rsplit_once('/')
        && let Some(obj) = v.pointer_mut(parent).and_then(Value::as_object_mut)
    {
        obj.remove(member);
    }
    v
}

/// A value that breaks `schema`'s own constraint, if it has one.
fn violate(schema: &Value, current: &Value) -> Option<Value> {
    if let Some(options) = schema["enum"].as_array() {
        return match current {
            Value::Number(_) => (0i64..)
                .find(|n| !options.contains(&json!(n)))
                .map(|n| json!(n)),
            _ => Some(json!("not-in-the-enum")),
        };
    }
    if let Some(min) = schema["minimum"].as_i64() {
        return Some(json!(min - 1));
    }
    if schema.get("pattern").is_some() {
        return Some(json!(format!("{}!", current.as_str().unwrap_or("x"))));
    }
    if let Some(min) = schema["minItems"].as_u64()
        && min > 0
    {
        return Some(json!([]));
    }
    None
}

/// The first difference between two JSON values, as `pointer: a != b`.
#[must_use]
pub fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    None => return Some(format!("{at}/{k}: sent {va}, missing in the answer")),
                    Some(vb) => {
                        if let Some(d) = first_difference(va, vb, &format!("{at}/{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{at}/{k}: not sent, added by the SP as {}", y[k]))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, &format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(format!(
            "{}: sent {a}, answered {b}",
            if at.is_empty() { "/" } else { at }
        )),
    }
}

/// Judges the answer to a create of `sent` (the spec), per family.
///
/// # Errors
/// The broken rule, with its requirement ID.
pub fn judge(family: Family, sent: &Value, ex: &Exchange) -> Result<(), String> {
    let Some(status) = ex.status() else {
        return Err(format!(
            "TMO-001: the create got no answer: {}",
            ex.error.clone().unwrap_or_default()
        ));
    };
    match family {
        Family::Realistic => {
            if !matches!(status, 200 | 201) {
                return Err(format!(
                    "VAL-007/VAL-009/API-011: a realistic spec generated from DCM's schema was \
                     answered {status}, not 201"
                ));
            }
            echoed(sent, ex)
        }
        Family::Arbitrary | Family::NearValid => {
            if status >= 500 {
                return Err(format!(
                    "ERR-009/ERR-010: a spec {} DCM's schema was answered {status}: no spec may \
                     cause a 5xx (a malformed one is a 400, VAL-005; an unsupported one a 422, VAL-011)",
                    if family == Family::Arbitrary {
                        "valid under"
                    } else {
                        "one member away from"
                    }
                ));
            }
            if status >= 400 {
                checks::problem(ex, &[status], None, false)?;
            }
            Ok(())
        }
    }
}

/// The answer carries `sent` as its spec, JSON-equal (API-004, VAL-007).
///
/// # Errors
/// The first difference.
pub fn echoed(sent: &Value, ex: &Exchange) -> Result<(), String> {
    let body = ex.json()?;
    match first_difference(sent, &body["spec"], "") {
        None => Ok(()),
        Some(d) => Err(format!(
            "API-004/VAL-007: the spec must come back exactly as sent (unknown members and other \
             providers' hints included); first difference at spec{d}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sp::dcm_schemas::spec_schema;
    use proptest::strategy::{Strategy, ValueTree};

    fn sample(st: &str, family: Family, seed: u64, n: usize) -> Vec<Value> {
        sample_for(st, family, seed, n, Some("kcli"))
    }

    fn sample_for(
        st: &str,
        family: Family,
        seed: u64,
        n: usize,
        own_hints: Option<&str>,
    ) -> Vec<Value> {
        let schema = spec_schema(st).expect("schema");
        let strat = strategy(&schema, st, family, own_hints);
        let mut r = runner(seed, "test");
        (0..n)
            .map(|_| strat.new_tree(&mut r).expect("tree").current())
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_specs() {
        assert_eq!(
            sample("vm", Family::Arbitrary, 7, 5),
            sample("vm", Family::Arbitrary, 7, 5)
        );
        assert_ne!(
            sample("vm", Family::Arbitrary, 7, 5),
            sample("vm", Family::Arbitrary, 8, 5)
        );
    }

    #[test]
    fn arbitrary_specs_are_valid_under_dcm_schema() {
        for st in ["vm", "cluster"] {
            let schema = spec_schema(st).expect("schema");
            let validator = jsonschema::validator_for(&schema).expect("compiles");
            for spec in sample(st, Family::Arbitrary, 42, 64) {
                // `metadata` is required upstream but optional here (API-013).
                let mut s = spec.clone();
                s.as_object_mut()
                    .expect("object")
                    .entry("metadata")
                    .or_insert(json!({"name": "x"}));
                assert!(validator.is_valid(&s), "{st}: {s}");
                assert_eq!(spec["service_type"], st);
            }
        }
    }

    #[test]
    fn realistic_specs_have_a_boot_disk_and_no_catalog_members_or_kcli_hints() {
        for spec in sample("vm", Family::Realistic, 3, 64) {
            assert!(spec.get("guest_os").is_none(), "{spec}");
            assert!(spec.pointer("/provider_hints/kcli").is_none(), "{spec}");
            if let Some(disks) = spec.pointer("/storage/disks").and_then(Value::as_array) {
                assert_eq!(disks[0]["name"], "boot", "{spec}");
            }
        }
        for spec in sample("cluster", Family::Realistic, 3, 32) {
            assert!(spec.get("version").is_none(), "{spec}");
        }
    }

    /// The schema's example namespaces (`kubevirt`, `vmware`, `aws`) are
    /// sent unless the target declares reading one of them.
    #[test]
    fn no_spec_carries_the_hint_namespace_the_target_declares() {
        let carries = |own: Option<&str>, family: Family| {
            sample_for("vm", family, 9, 96, own)
                .iter()
                .filter(|s| s.pointer("/provider_hints/aws").is_some())
                .count()
        };
        for family in [Family::Realistic, Family::Arbitrary, Family::NearValid] {
            assert_eq!(carries(Some("aws"), family), 0, "{family:?}");
        }
        assert!(carries(None, Family::Realistic) > 0);
        assert!(carries(Some("kcli"), Family::Realistic) > 0);
    }

    #[test]
    fn realistic_sizes_fit_a_lab_pool() {
        let size = regex::Regex::new("^([1-9][0-9]{0,2}MB|[1-9]GB)$").expect("regex");
        for spec in sample("vm", Family::Realistic, 11, 64) {
            let disks = spec.pointer("/storage/disks").and_then(Value::as_array);
            for disk in disks.into_iter().flatten() {
                let capacity = disk["capacity"].as_str().unwrap_or_default();
                assert!(size.is_match(capacity), "disk {capacity}: {spec}");
            }
            if let Some(memory) = spec.pointer("/memory/size").and_then(Value::as_str) {
                assert!(size.is_match(memory), "memory {memory}: {spec}");
            }
        }
    }

    #[test]
    fn near_valid_specs_mostly_break_the_schema() {
        let schema = spec_schema("vm").expect("schema");
        let validator = jsonschema::validator_for(&schema).expect("compiles");
        let broken = sample("vm", Family::NearValid, 5, 64)
            .into_iter()
            .filter(|s| !validator.is_valid(s))
            .count();
        assert!(
            broken > 40,
            "only {broken} of 64 near-valid specs break the schema"
        );
    }

    /// (sent, answered, difference found)
    #[test]
    fn differences_are_located() {
        let cases = [
            (json!({"a": 1}), json!({"a": 1}), None),
            (json!({"a": {"b": 1}}), json!({"a": {"b": 2}}), Some("/a/b")),
            (json!({"a": 1, "x": true}), json!({"a": 1}), Some("/x")),
            (json!({"a": 1}), json!({"a": 1, "d": 0}), Some("/d")),
            (json!({"l": [1, 2]}), json!({"l": [1]}), Some("/l")),
        ];
        for (a, b, want) in cases {
            let got = first_difference(&a, &b, "");
            match want {
                None => assert!(got.is_none(), "{got:?}"),
                Some(p) => assert!(got.as_deref().is_some_and(|g| g.starts_with(p)), "{got:?}"),
            }
        }
    }
}
