//! Load generator for `scripts/load-provider`: drives a running provider
//! (and its kweb-sim and NATS) and prints the numbers of the issue's
//! "Speed and size" section. Arguments: PROVIDER_URL SIM_URL NATS_URL PROVIDER_PID VMS.
//!
//! `load defaults PROVIDER_URL NATS_URL` measures a provider started with the
//! default poll settings (`POLL_INTERVAL` 30 s, `TRANSITION_POLL_INTERVAL`
//! 1 s): kweb requests per second while idle, create → `RUNNING` event
//! propagation, and the idle rate again once nothing is in transition.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::{Value, json};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn rss_mib(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn metric(http: &reqwest::Client, base: &str, name: &str) -> Option<f64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// Sum of `dcm_kcli_kweb_requests_total` over all labels.
async fn kweb_requests(http: &reqwest::Client, base: &str) -> f64 {
    let Ok(response) = http.get(format!("{base}/metrics")).send().await else {
        return f64::NAN;
    };
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("dcm_kcli_kweb_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// kweb requests per second over one 30 s `POLL_INTERVAL`.
async fn idle_rate(http: &reqwest::Client, base: &str) -> f64 {
    let before = kweb_requests(http, base).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    (kweb_requests(http, base).await - before) / 30.0
}

/// Reads `sub` until a status event of `id` with `status` arrives (`true`)
/// or `deadline` passes (`false`).
async fn event_seen(
    sub: &mut async_nats::Subscriber,
    id: &str,
    status: &str,
    deadline: Instant,
) -> bool {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, sub.next()).await {
            Ok(Some(message)) => {
                let event: Value = serde_json::from_slice(&message.payload).unwrap_or(Value::Null);
                if event["data"]["id"] == id && event["data"]["status"] == status {
                    return true;
                }
            }
            _ => return false,
        }
    }
}

async fn defaults(base: &str, nats: &str) {
    let http = reqwest::Client::new();
    // Past the start-up burst (first poll, registration retries).
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!("defaults_idle_kweb_rps {:.3}", idle_rate(&http, base).await);
    let client = async_nats::connect(nats).await.expect("nats");
    let mut sub = client.subscribe("dcm.vm").await.expect("subscribe");
    client.flush().await.expect("flush");
    let mut samples = Vec::new();
    for i in 0..20 {
        let id = format!("prop-{i}");
        let started = Instant::now();
        let r = http
            .post(format!("{base}/api/v1alpha1/vms?id={id}"))
            .json(&json!({"spec": {"service_type": "vm", "metadata": {"name": id}}}))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status().as_u16(), 201, "{:?}", r.text().await);
        if event_seen(&mut sub, &id, "RUNNING", started + Duration::from_secs(40)).await {
            samples.push(started.elapsed());
        } else {
            println!("defaults_propagation_sample_{i} timeout");
        }
        // Creates 700 ms apart: their phase against the 1 s cadence varies.
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    samples.sort();
    println!(
        "defaults_create_to_running_p50_ms {:.0}",
        percentile(&samples, 0.5).as_secs_f64() * 1000.0
    );
    println!(
        "defaults_create_to_running_max_ms {:.0}",
        samples
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    );
    // Nothing is in transition any more: back to POLL_INTERVAL.
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "defaults_idle_after_kweb_rps {:.3}",
        idle_rate(&http, base).await
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, base, nats] = args.as_slice()
        && mode == "defaults"
    {
        defaults(base, nats).await;
        return;
    }
    let [_, base, sim, nats, pid, count] = args.as_slice() else {
        eprintln!("usage: load PROVIDER_URL SIM_URL NATS_URL PROVIDER_PID VMS");
        std::process::exit(2);
    };
    let total: usize = count.parse().unwrap_or(10_000);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("rss_idle_mib {:.1}", rss_mib(pid));

    // Creates: sequential latency sample, then bulk creation at concurrency 16.
    let mut latencies = Vec::new();
    for i in 0..200 {
        let started = Instant::now();
        let r = http
            .post(format!("{base}/api/v1alpha1/vms?id=load-{i}"))
            .json(
                &json!({"spec": {"service_type": "vm", "metadata": {"name": format!("load-{i}")}}}),
            )
            .send()
            .await
            .expect("create");
        assert_eq!(r.status().as_u16(), 201, "{:?}", r.text().await);
        latencies.push(started.elapsed());
    }
    latencies.sort();
    println!(
        "create_p50_ms {:.2}",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0
    );
    println!(
        "create_p99_ms {:.2}",
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0
    );
    let next = Arc::new(AtomicU64::new(200));
    let bulk_started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..16 {
        let http = http.clone();
        let base = base.clone();
        let next = Arc::clone(&next);
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i as usize >= total {
                    break;
                }
                let spec = json!({"spec": {"service_type": "vm", "metadata": {"name": format!("load-{i}")}}});
                let _ = http.post(format!("{base}/api/v1alpha1/vms?id=load-{i}")).json(&spec).send().await;
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let secs = bulk_started.elapsed().as_secs_f64();
    println!(
        "bulk_creates {} in {secs:.1}s ({:.0}/s)",
        total.saturating_sub(200),
        (total.saturating_sub(200)) as f64 / secs
    );
    // Let a few polls run over the full set.
    tokio::time::sleep(Duration::from_secs(4)).await;
    if let Some(poll) = metric(&http, base, "dcm_kcli_monitor_last_poll_duration_seconds").await {
        println!("poll_cycle_ms_at_{total}_vms {:.1}", poll * 1000.0);
    }
    let managed = metric(&http, base, "dcm_kcli_resources_managed{type=\"vm\"}")
        .await
        .unwrap_or(0.0);
    println!("managed_vms {managed}");
    println!("rss_at_{total}_vms_mib {:.1}", rss_mib(pid));

    // GET throughput and latency: 64 concurrent clients for 5 s.
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for w in 0..64u64 {
        let http = http.clone();
        let base = base.clone();
        let stop = Arc::clone(&stop);
        readers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let ok = http
                    .get(format!("{base}/api/v1alpha1/vms/load-{}", i % 200))
                    .send()
                    .await
                    .map(|r| r.status().as_u16() == 200);
                if ok.unwrap_or(false) {
                    lat.push(started.elapsed());
                }
                i += 64;
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for r in readers {
        all.extend(r.await.unwrap_or_default());
    }
    all.sort();
    println!("get_rps {:.0}", all.len() as f64 / 5.0);
    println!(
        "get_p50_ms {:.2}",
        percentile(&all, 0.5).as_secs_f64() * 1000.0
    );
    println!(
        "get_p99_ms {:.2}",
        percentile(&all, 0.99).as_secs_f64() * 1000.0
    );

    // Status propagation: simulator state change → CloudEvent received.
    let client = async_nats::connect(nats.as_str()).await.expect("nats");
    let mut sub = client.subscribe("dcm.vm").await.expect("subscribe");
    client.flush().await.expect("flush");
    let mut samples = Vec::new();
    for i in 0..5 {
        let name = format!("dcm-load-{}", 1000 + i);
        let id = format!("load-{}", 1000 + i);
        let started = Instant::now();
        let _ = http
            .post(format!("{sim}/_sim/populate"))
            .json(&json!({"vms": [{"name": name, "status": "down"}]}))
            .send()
            .await;
        if event_seen(&mut sub, &id, "STOPPED", started + Duration::from_secs(10)).await {
            samples.push(started.elapsed());
        } else {
            println!("propagation_sample_{i} timeout");
        }
    }
    samples.sort();
    println!(
        "propagation_max_ms {:.0}",
        samples
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    );
    println!(
        "propagation_p50_ms {:.0}",
        percentile(&samples, 0.5).as_secs_f64() * 1000.0
    );
}
