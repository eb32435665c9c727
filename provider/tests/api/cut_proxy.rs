//! A TCP proxy that cuts requests mid-flight (API-018): every `every`-th
//! connection whose request starts with a given prefix (e.g. `POST /vms `)
//! is forwarded whole (head and `Content-Length` body) and then closed on
//! both sides `after` that, before any answer can come back: kweb has the
//! request, the client never hears the outcome. Other connections pass
//! through.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; it stops with the test's runtime.
pub(crate) struct CutProxy {
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    /// Connections cut so far.
    pub(crate) cuts: Arc<AtomicUsize>,
}

impl CutProxy {
    /// Proxies to `upstream` (`http://host:port`).
    pub(crate) async fn start(
        upstream: &str,
        prefix: &'static str,
        after: Duration,
        every: usize,
    ) -> Self {
        let target = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let cuts = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&cuts);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let cuts = Arc::clone(&counter);
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let _ = relay(client, &target, prefix, after, every, &seen, &cuts).await;
                });
            }
        });
        Self { url, cuts }
    }

    /// How many connections were cut.
    pub(crate) fn cut_count(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

async fn relay(
    mut client: TcpStream,
    target: &str,
    prefix: &str,
    after: Duration,
    every: usize,
    seen: &AtomicUsize,
    cuts: &AtomicUsize,
) -> std::io::Result<()> {
    let mut first = vec![0_u8; 16 * 1024];
    let n = client.read(&mut first).await?;
    let mut upstream = TcpStream::connect(target).await?;
    upstream.write_all(&first[..n]).await?;
    let matching = first[..n].starts_with(prefix.as_bytes());
    let cut = matching
        && seen
            .fetch_add(1, Ordering::SeqCst)
            .is_multiple_of(every.max(1));
    if !cut {
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    // Forward the rest of the request, wait `after`, then drop both sides
    // without passing any answer back.
    let mut request = first[..n].to_vec();
    let mut sink = vec![0_u8; 16 * 1024];
    while !complete(&request) {
        let n = client.read(&mut sink).await?;
        if n == 0 {
            break;
        }
        upstream.write_all(&sink[..n]).await?;
        request.extend_from_slice(&sink[..n]);
    }
    // Real sockets: the cut comes `after` of wall clock, while kweb works.
    tokio::time::sleep(after).await;
    cuts.fetch_add(1, Ordering::SeqCst);
    drop(upstream);
    drop(client);
    Ok(())
}

/// Whether `request` holds a whole HTTP/1.1 request (head and the body its
/// `Content-Length` announces).
fn complete(request: &[u8]) -> bool {
    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    request.len() >= end + 4 + length
}
