//! Load benchmark for kweb-sim (and, with `--url`, any kweb): prints numbers.
//!
//! ```text
//! cargo run --release -p kweb-sim --example bench -- [--url http://127.0.0.1:18200] [--vms 100]
//!     [--seconds 3] [--concurrency 4] [--latency-samples 50] [--populate sim|kweb|none]
//! ```
//! Without `--url` a simulator is started in-process. `--populate sim` uses
//! `POST /_sim/populate`; `--populate kweb` creates the VMs with `POST /vms`
//! (works on a real kweb). Output: one `key: value` line per measurement.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use kweb_sim::{Application, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser)]
struct Args {
    /// Base URL of a running kweb or kweb-sim (`http://host:port`).
    #[arg(long)]
    url: Option<String>,
    /// VMs to create before measuring.
    #[arg(long, default_value_t = 100)]
    vms: usize,
    /// Duration of the throughput run, seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Concurrent clients in the throughput run.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Sequential `GET /vms` samples for the latency figures.
    #[arg(long, default_value_t = 50)]
    latency_samples: usize,
    /// How to create the VMs: `sim`, `kweb` or `none`.
    #[arg(long, default_value = "sim")]
    populate: String,
}

async fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(request).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    Ok(out)
}

fn request(method: &str, path: &str, body: Option<&str>) -> Vec<u8> {
    match body {
        Some(b) => format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )
        .into_bytes(),
        None => format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n\r\n").into_bytes(),
    }
}

fn ok(resp: &[u8]) -> bool {
    resp.starts_with(b"HTTP/1.0 200")
}

async fn populate(addr: SocketAddr, how: &str, n: usize) -> std::io::Result<()> {
    match how {
        "sim" => {
            let vms: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"name":"bench-{i:05}","status":"up","nets":["default"],"disks":[10],"image":"cirros.qcow2"}}"#))
                .collect();
            let body = format!(r#"{{"vms":[{}]}}"#, vms.join(","));
            let resp = exchange(addr, &request("POST", "/_sim/populate", Some(&body))).await?;
            if !ok(&resp) {
                return Err(std::io::Error::other(
                    String::from_utf8_lossy(&resp).into_owned(),
                ));
            }
        }
        "kweb" => {
            for i in 0..n {
                let body = format!(
                    r#"{{"name":"bench-{i:05}","profile":"kvirt","disks":[],"nets":["default"]}}"#
                );
                exchange(addr, &request("POST", "/vms", Some(&body))).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let addr: SocketAddr = match &args.url {
        Some(url) => {
            let hostport = url.trim_start_matches("http://").trim_end_matches('/');
            tokio::net::lookup_host(hostport)
                .await?
                .next()
                .ok_or_else(|| std::io::Error::other(format!("cannot resolve {hostport}")))?
        }
        None => {
            let started = Instant::now();
            let config = Config {
                bind: "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
                ..Config::default()
            };
            let app = Application::build(config).await?;
            let addr = app.local_addr()?;
            tokio::spawn(app.run_until_stopped());
            let first = exchange(addr, &request("GET", "/host", None)).await?;
            println!(
                "startup_to_first_response_ms: {:.2}",
                started.elapsed().as_secs_f64() * 1000.0
            );
            if !ok(&first) {
                return Err(std::io::Error::other("first request failed"));
            }
            addr
        }
    };
    let t = Instant::now();
    populate(addr, &args.populate, args.vms).await?;
    println!(
        "target: {}",
        args.url.as_deref().unwrap_or("in-process kweb-sim")
    );
    println!("vms: {}", args.vms);
    println!("populate_ms: {:.1}", t.elapsed().as_secs_f64() * 1000.0);

    let get = request("GET", "/vms", None);
    let mut lat = Vec::with_capacity(args.latency_samples);
    let mut bytes = 0usize;
    for _ in 0..args.latency_samples {
        let t = Instant::now();
        let resp = exchange(addr, &get).await?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        bytes = resp.len();
        if !ok(&resp) {
            return Err(std::io::Error::other("GET /vms failed"));
        }
    }
    lat.sort_by(f64::total_cmp);
    println!("get_vms_response_bytes: {bytes}");
    println!("get_vms_latency_ms_p50: {:.2}", percentile(&lat, 0.5));
    println!("get_vms_latency_ms_p99: {:.2}", percentile(&lat, 0.99));

    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let get = get.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut errors = 0u64;
            while Instant::now() < deadline {
                match exchange(addr, &get).await {
                    Ok(r) if ok(&r) => n += 1,
                    _ => errors += 1,
                }
            }
            (n, errors)
        }));
    }
    let started = Instant::now();
    let (mut total, mut errors) = (0u64, 0u64);
    for t in tasks {
        let (n, e) = t.await.map_err(std::io::Error::other)?;
        total += n;
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("get_vms_requests: {total}");
    println!("get_vms_errors: {errors}");
    println!("get_vms_req_per_s: {:.1}", total as f64 / secs);
    Ok(())
}
