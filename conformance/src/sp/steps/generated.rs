//! Steps of the generated checks (`features/sp/generated_specs.feature`):
//! specs from DCM's schemas ([`crate::sp::generated`]) are sent one by one;
//! the first failing case is shrunk with proptest's value tree and reported
//! with the seed, the minimal spec and a curl line.

use cucumber::then;
use proptest::strategy::{Strategy, ValueTree};
use serde_json::Value;

use crate::sp::dcm_schemas;
use crate::sp::generated::{self, Family};
use crate::sp::world::{SpWorld, StepResult};
use crate::wire::Exchange;

/// Shrinking stops after this many extra requests.
const MAX_SHRINK_REQUESTS: u32 = 48;

/// A metadata name as DCM's schema wants it (`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, ≤ 63).
fn schema_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Gives a valid `metadata.name` a run-unique value, so generated specs
/// never collide with each other or another scenario (API-033), and the
/// backend names carry the run prefix (ORP-020).
fn unique_name(mut spec: Value, name: &str) -> Value {
    if let Some(slot) = spec.pointer_mut("/metadata/name")
        && slot.as_str().is_some_and(schema_name)
    {
        *slot = Value::String(name.to_owned());
    }
    spec
}

/// A judged case: `Err` holds the broken rule and the exchange that shows it.
type Verdict = Result<(), (String, Exchange)>;

/// Sends one generated spec and judges the answer (and, for realistic
/// specs, a GET of the stored resource). The outer `Err`: the scenario
/// cannot send at all (no endpoint).
async fn attempt(w: &mut SpWorld, family: Family, spec: &Value) -> Result<Verdict, String> {
    let n = w
        .memory
        .get("generated_n")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        + 1;
    w.memory.insert("generated_n".into(), serde_json::json!(n));
    let spec = unique_name(spec.clone(), &format!("{}-{n}", w.name));
    let id = w.ctx.new_id();
    let service = w.service.clone();
    let ex = w.create(&service, Some(&id), spec.clone()).await?;
    if let Err(e) = generated::judge(family, &spec, &ex) {
        return Ok(Err((e, ex)));
    }
    if family == Family::Realistic {
        let got = w.get_current().await?;
        if got.status() != Some(200) {
            let why = format!(
                "API-040: GET of an accepted generated spec answered {:?}",
                got.status()
            );
            return Ok(Err((why, got)));
        }
        if let Err(e) = generated::echoed(&spec, &got) {
            return Ok(Err((format!("on GET: {e}"), got)));
        }
    }
    Ok(Ok(()))
}

#[then(
    regex = r#"^(?:every|no) "(realistic|arbitrary|near-valid)" spec generated from DCM's schema .+$"#
)]
async fn generated_specs(w: &mut SpWorld, family: String) -> StepResult {
    let family = Family::parse(&family)?;
    let service = w.service.clone();
    let schema = dcm_schemas::spec_schema(&service)?;
    let settings = w.ctx.generated;
    let label = format!("{service}/{family:?}");
    let own_hints = w.ctx.sp.facts().get("hint-namespace").cloned();
    let strategy = generated::strategy(&schema, &service, family, own_hints.as_deref());
    let mut runner = generated::runner(settings.seed, &label);
    for case in 1..=settings.cases {
        let mut tree = strategy
            .new_tree(&mut runner)
            .map_err(|e| format!("the spec generator failed: {e}"))?;
        let spec = tree.current();
        let Err((mut why, mut ex)) = attempt(w, family, &spec).await? else {
            continue;
        };
        let mut minimal = w.resources.last().map_or(spec.clone(), |r| r.spec.clone());
        let mut requests = 0;
        if tree.simplify() {
            while requests < MAX_SHRINK_REQUESTS {
                requests += 1;
                let candidate = tree.current();
                match attempt(w, family, &candidate).await? {
                    Err((r, e)) => {
                        why = r;
                        ex = e;
                        minimal = w.resources.last().map_or(candidate, |t| t.spec.clone());
                        if !tree.simplify() {
                            break;
                        }
                    }
                    Ok(()) => {
                        if !tree.complicate() {
                            break;
                        }
                    }
                }
            }
        }
        return Err(format!(
            "{why}\n  generated check {label}, case {case} of {}, seed {} (replay: \
             dcm-conformance sp --seed {} --name \"{}\"), shrunk with {requests} more requests to \
             the spec\n  {minimal}\n  reproduce: {}",
            settings.cases,
            settings.seed,
            settings.seed,
            w.scenario,
            ex.curl()
        ));
    }
    Ok(())
}
