//! `conformance-report.html`: the report as one self-contained page (inline
//! CSS, inline SVG and a few lines of inline script; no network access).
//!
//! Built from the same model as the YAML and JUnit writers
//! ([`Report`] + the [`ScenarioResult`]s), so whatever produces that model
//! gets the page too: call [`render`] (or [`crate::sp::report::write`],
//! which writes all three). Every text from the SP or the feature files is
//! escaped by maud.
//!
//! Sections: verdict and totals, per-area table (with time), filters by
//! area and result, every scenario (requirement ids, level, requirement
//! text; failures with the HTTP exchanges, NATS events and `curl` lines),
//! per-resource status timelines (SVG), the effective timeout table.
//! Elements the Chromium test reads: `#verdict`, `#count-<kind>`,
//! `#area-<CODE>`, `.sc[data-result]`, `body[data-ready]` (set once the
//! script ran).

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::sp::catalogue::{self, AREAS, Grade, Subject};
use crate::sp::context::{Outcome, ScenarioResult};
use crate::sp::report::{Report, Severity, severity};
use crate::sp::target::Capability;
use crate::sp::timeline::{ResourceTimeline, Via};

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:1.2rem 1.5rem 3rem}
h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid #d5d9de;padding-bottom:.3rem}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #d5d9de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eceff3;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:.7rem;font-weight:600;font-size:.85em;color:#fff;background:#6c757d}
.success,.passed{background:#2e7d32}.failure,.failed{background:#c62828}.partial,.warning{background:#ef8f00}
.not-implemented{background:#7b5ea7}.not-applicable,.skipped{background:#8a939c}
.verdict{font-size:1.3rem;padding:.2rem .9rem}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;background:#fff;border:1px solid #d5d9de;padding:.6rem .8rem}
.meta dt{font-weight:600}.meta dd{margin:0;word-break:break-all}
.totals span{margin-right:1.2rem}
.filters{display:flex;gap:1rem;align-items:center;background:#fff;border:1px solid #d5d9de;padding:.5rem .8rem;margin-bottom:.6rem}
details.sc{background:#fff;border:1px solid #d5d9de;margin:.25rem 0;padding:.3rem .6rem}
details.sc>summary{cursor:pointer;display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}
.ids{font-family:ui-monospace,monospace;font-size:.85em;color:#44505c}.secs{margin-left:auto;color:#5b6670;font-variant-numeric:tabular-nums}
pre{background:#10161c;color:#e6edf3;padding:.6rem;overflow:auto;max-height:32rem;font-size:12px;white-space:pre-wrap;word-break:break-all}
code.curl{display:block;background:#eef1f4;padding:.3rem .5rem;margin:.2rem 0;font-size:12px;word-break:break-all}
.reason{color:#8b1a1a;font-weight:600;white-space:pre-wrap}
.tl{background:#fff;border:1px solid #d5d9de;margin:.3rem 0;padding:.3rem .6rem}.tl svg{display:block;width:100%;height:auto}
.legend span{margin-right:.8rem}
"#;

const SCRIPT: &str = r"
(function () {
  var area = document.getElementById('f-area');
  var result = document.getElementById('f-result');
  var shown = document.getElementById('shown');
  function apply() {
    var a = area.value, r = result.value, n = 0;
    var rows = document.querySelectorAll('.sc');
    for (var i = 0; i < rows.length; i++) {
      var e = rows[i];
      var ok = (a === '' || e.getAttribute('data-areas').split(' ').indexOf(a) >= 0) &&
               (r === '' || e.getAttribute('data-result') === r);
      e.hidden = !ok;
      if (ok) { n++; }
    }
    shown.textContent = String(n);
  }
  area.addEventListener('change', apply);
  result.addEventListener('change', apply);
  apply();
  document.body.setAttribute('data-ready', '1');
})();
";

/// The result kinds of the filters and totals, in display order.
const KINDS: &[(&str, &str)] = &[
    ("passed", "passed"),
    ("failed", "failed (MUST)"),
    ("warning", "warning (SHOULD)"),
    ("not-implemented", "not implemented (MAY)"),
    ("not-applicable", "not applicable"),
    ("skipped", "skipped"),
];

/// The kind of one result on a target (`is_ref`): one of [`KINDS`].
fn kind(r: &ScenarioResult, is_ref: bool) -> &'static str {
    match (&r.outcome, severity(r, is_ref)) {
        (Outcome::Passed, _) => "passed",
        (Outcome::Failed, Severity::Must) => "failed",
        (Outcome::Failed, Severity::Should) => "warning",
        (Outcome::Failed, Severity::May) => "not-implemented",
        (Outcome::NotApplicable | Outcome::OutOfProfile | Outcome::NotBinding, _) => {
            "not-applicable"
        }
        (Outcome::Skipped, _) => "skipped",
    }
}

fn areas_of(r: &ScenarioResult) -> String {
    let mut areas: Vec<String> = r
        .requirements()
        .iter()
        .filter_map(|id| id.split('-').next().map(str::to_owned))
        .collect();
    areas.sort();
    areas.dedup();
    if areas.is_empty() {
        areas.push("OTHER".into());
    }
    areas.join(" ")
}

fn grade_name(g: Grade) -> &'static str {
    match g {
        Grade::Must => "MUST",
        Grade::Should => "SHOULD",
        Grade::ShouldRefMust => "SHOULD (Ref: MUST)",
        Grade::May => "MAY",
    }
}

fn subject_name(s: Subject) -> &'static str {
    match s {
        Subject::Sp => "SP",
        Subject::Ref => "Ref",
        Subject::Suite => "Suite",
    }
}

fn level_name(s: Severity) -> &'static str {
    match s {
        Severity::Must => "MUST",
        Severity::Should => "SHOULD",
        Severity::May => "MAY",
    }
}

fn count(report: &Report, kind: &str) -> usize {
    match kind {
        "passed" => report.passed,
        "failed" => report.failed,
        "warning" => report.warnings,
        "not-implemented" => report.not_implemented,
        "not-applicable" => report.not_applicable,
        _ => report.skipped,
    }
}

/// The whole page for `report` and its `results`.
#[must_use]
pub fn render(report: &Report, results: &[ScenarioResult]) -> String {
    let is_ref = report.capabilities.contains(&Capability::Ref);
    let mut sorted: Vec<&ScenarioResult> = results.iter().collect();
    // Failures first, then warnings and gaps, then the rest.
    const ORDER: [&str; 6] = [
        "failed",
        "warning",
        "not-implemented",
        "passed",
        "not-applicable",
        "skipped",
    ];
    let rank = |r: &ScenarioResult| ORDER.iter().position(|k| *k == kind(r, is_ref));
    sorted.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.feature.cmp(&b.feature))
            .then_with(|| a.scenario.cmp(&b.scenario))
    });
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "DCM SP conformance: " (report.result) " (" (report.profile) ")" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    (header(report))
                    h2 { "Areas" }
                    (areas(report))
                    h2 { "Scenarios" }
                    (filters(report))
                    @for r in &sorted {
                        (scenario(r, is_ref))
                    }
                    h2 id="timelines" { "Resources over time" }
                    (timelines(&report.timelines))
                    h2 { "Effective timeout table (TMO-020)" }
                    (timeouts(report))
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    page.into_string()
}

fn header(report: &Report) -> Markup {
    html! {
        h1 {
            "DCM service-provider conformance "
            span id="verdict" class={ "badge verdict " (report.result) } { (report.result) }
            @if !report.claimable { " " span class="badge partial" { "not claimable" } }
        }
        p class="totals" {
            @for (k, label) in KINDS {
                span { (label) ": " strong id={ "count-" (k) } { (count(report, k)) } }
            }
        }
        dl class="meta" {
            dt { "Profile" } dd { (report.profile) " (contract revision " (report.contract_revision) ")" }
            dt { "Target" } dd { (report.target.kind) ": " (report.target.product) " " (report.target.version) }
            @for (st, url) in &report.target.services {
                dt { "Service " (st) } dd { code { (url) } }
            }
            @for (k, v) in &report.facts {
                dt { "Declared " (k) } dd { (v) }
            }
            dt { "Capabilities" } dd {
                @for c in &report.capabilities { code { (c.name()) } " " }
            }
            @if let Some(f) = &report.features {
                dt { "Feature files" } dd { (f.source) " " (f.location) " (" (f.files) " files, sha256 " code { (f.sha256) } ")" }
            }
            dt { "Suite" } dd { "dcm-conformance " (report.suite_version) }
            dt { "Duration" } dd { (format!("{:.1} s", report.duration_seconds)) }
            @for why in &report.not_claimable_because {
                dt { "Not claimable" } dd { (why) }
            }
            @for l in &report.leftovers {
                dt { "Leftover" } dd { (l) }
            }
            @if let Some(o) = &report.orphans {
                dt { "Orphans" } dd { (o) }
            }
        }
    }
}

fn areas(report: &Report) -> Markup {
    html! {
        table {
            thead { tr {
                th { "Area" } th { "Name" } th { "Result" } th { "Passed" } th { "Failed" }
                th { "Warnings" } th { "Not impl." } th { "N/A" } th { "Skipped" } th { "Time (s)" }
            } }
            tbody {
                @for (code, a) in &report.areas {
                    tr id={ "area-" (code) } data-result=(a.result) {
                        td { code { (code) } }
                        td { (AREAS.iter().find(|(c, _)| c == code).map_or("", |(_, n)| *n)) }
                        td { span class={ "badge " (a.result) } { (a.result) } }
                        td class="n" { (a.passed) } td class="n" { (a.failed) } td class="n" { (a.warnings) }
                        td class="n" { (a.not_implemented) } td class="n" { (a.not_applicable) }
                        td class="n" { (a.skipped) } td class="n" { (format!("{:.1}", a.seconds)) }
                    }
                }
            }
        }
    }
}

fn filters(report: &Report) -> Markup {
    html! {
        div class="filters" {
            label { "Area " select id="f-area" {
                option value="" { "all" }
                @for code in report.areas.keys() { option value=(code) { (code) } }
            } }
            label { "Result " select id="f-result" {
                option value="" { "all" }
                @for (k, label) in KINDS { option value=(k) { (label) } }
            } }
            span { strong id="shown" { "0" } " scenarios shown" }
        }
    }
}

fn scenario(r: &ScenarioResult, is_ref: bool) -> Markup {
    let k = kind(r, is_ref);
    let reqs = r.requirements();
    let curls: Vec<&str> = r
        .detail
        .as_deref()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("reproduce: "))
        .collect();
    html! {
        details class="sc" data-areas=(areas_of(r)) data-result=(k) open[k == "failed"] {
            summary {
                span class={ "badge " (k) } { (k) }
                strong { (r.feature) ": " (r.scenario) }
                span class="ids" { (reqs.join(" ")) }
                span class="badge" { (level_name(severity(r, is_ref))) }
                span class="secs" { (format!("{:.2} s", r.seconds)) }
            }
            @if !reqs.is_empty() {
                table {
                    thead { tr { th { "Requirement" } th { "Grade" } th { "Binds" } th { "Text" } } }
                    tbody {
                        @for id in &reqs {
                            @match catalogue::requirements().get(id) {
                                Some(q) => tr {
                                    td { code { (id) } } td { (grade_name(q.grade)) }
                                    td { (subject_name(q.subject)) } td { (q.summary) }
                                },
                                None => tr { td { code { (id) } } td colspan="3" { "not in the contract catalogue" } },
                            }
                        }
                    }
                }
            }
            @if let Some(reason) = &r.reason { p class="reason" { (reason) } }
            @if !curls.is_empty() {
                p { strong { "Reproduce" } }
                @for c in &curls { code class="curl" { (c) } }
            }
            @if let Some(d) = r.detail.as_ref().filter(|d| !d.trim().is_empty()) {
                p { strong { "HTTP exchanges and NATS events" } }
                pre { (d) }
            }
        }
    }
}

/// Fill colour of a status band.
fn colour(status: &str) -> &'static str {
    match status {
        "RUNNING" | "ACTIVE" | "READY" | "SUCCEEDED" => "#2e7d32",
        "PENDING" | "PROVISIONING" | "CREATING" | "STARTING" | "UPDATING" => "#f0a020",
        "FAILED" | "ERROR" => "#c62828",
        "DELETED" | "404" | "DELETING" => "#6c757d",
        "STOPPED" | "SUSPENDED" | "PAUSED" => "#4169b0",
        _ => "#7b5ea7",
    }
}

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 10.0;

fn timelines(all: &[ResourceTimeline]) -> Markup {
    html! {
        @if all.is_empty() {
            p { "The run created no resource." }
        } @else {
            p class="legend" {
                "Bars: the status in the SP's HTTP answers (from one answer to the next change); "
                "dots: status events on NATS. Times are seconds since the run started."
            }
            @for t in all { (timeline(t)) }
        }
    }
}

fn timeline(t: &ResourceTimeline) -> Markup {
    let times: Vec<f64> = t.observations.iter().map(|o| o.at_seconds).collect();
    let start = times.iter().copied().fold(f64::INFINITY, f64::min);
    let end = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (start, end) = if start.is_finite() {
        (start, end.max(start + 0.5))
    } else {
        (0.0, 1.0)
    };
    let span = end - start;
    let x = |at: f64| LEFT + (at - start) / span * (WIDTH - 2.0 * LEFT - 60.0);
    let http: Vec<_> = t
        .observations
        .iter()
        .filter(|o| matches!(o.via, Via::Http(_)))
        .collect();
    let bands: Vec<(f64, f64, &str, String)> = http
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let to = http.get(i + 1).map_or(end, |n| n.at_seconds);
            let via = match &o.via {
                Via::Http(v) | Via::Event(v) => v.clone(),
            };
            (o.at_seconds, to, o.status.as_str(), via)
        })
        .collect();
    html! {
        div class="tl" {
            div { code { (t.service_type) " " (t.id) } " — " (t.scenario) }
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " 64" } role="img" {
                title { "statuses of " (t.id) }
                line x1=(LEFT) y1="44" x2=(WIDTH - 50.0) y2="44" stroke="#9aa3ab" stroke-width="1" {}
                @for (from, to, status, via) in &bands {
                    @let (x0, x1) = (x(*from), x(*to).max(x(*from) + 3.0));
                    rect x=(format!("{x0:.1}")) y="22" width=(format!("{:.1}", x1 - x0)) height="18" fill=(colour(status)) {
                        title { (status) " (" (via) ") at " (format!("{from:.2}")) " s" }
                    }
                    @if x1 - x0 > 8.0 * status.len() as f64 {
                        text x=(format!("{:.1}", x0 + 3.0)) y="35" font-size="11" fill="#fff" { (status) }
                    }
                }
                @for o in t.observations.iter().filter(|o| matches!(o.via, Via::Event(_))) {
                    circle cx=(format!("{:.1}", x(o.at_seconds))) cy="12" r="5" fill=(colour(&o.status)) stroke="#1d232a" stroke-width="1" {
                        title { "event " (o.status) " at " (format!("{:.2}", o.at_seconds)) " s" }
                    }
                }
                text x=(LEFT) y="58" font-size="10" fill="#44505c" { (format!("{start:.1} s")) }
                text x=(WIDTH - 50.0) y="58" font-size="10" fill="#44505c" text-anchor="end" { (format!("{end:.1} s")) }
            }
        }
    }
}

fn timeouts(report: &Report) -> Markup {
    let secs = |d: std::time::Duration| format!("{:.1}", d.as_secs_f64());
    html! {
        table {
            thead { tr { th { "Key" } th { "Effective (s)" } th { "Default (s)" } th { "Maximum (s)" } th { "Overridden" } } }
            tbody {
                @for (k, e) in &report.timeouts {
                    tr {
                        td { code { (k) } } td class="n" { (secs(e.effective)) } td class="n" { (secs(e.default)) }
                        td class="n" { (e.maximum.map_or_else(|| "—".to_owned(), secs)) }
                        td { @if e.overridden { "yes" } @else { "no" } }
                    }
                }
            }
        }
    }
}
