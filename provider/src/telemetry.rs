//! Logging set-up: JSON lines on stdout at `LOG_LEVEL` (Go provider compatible).

/// Installs the global subscriber once; later calls do nothing.
pub fn init(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(format!(
        "{level},hyper=warn,reqwest=warn,async_nats=warn"
    ))
    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
}
