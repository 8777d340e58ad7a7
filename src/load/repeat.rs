//! One request, sent over and over by the load engine's own path (the pace, the transport,
//! the histograms) for a fixed time: what `benches/idgate.rs` sets beside `wrk` sending the
//! same request, to show idgate is not the bottleneck of a load run.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::stats::{Answer, Stats, Summary};
use crate::http::{Client, Request, TransportError};

/// Sends `request` through `client`, `concurrency` at a time, until `duration` has passed.
pub async fn repeat(
    client: &Client,
    request: &Request,
    concurrency: usize,
    duration: Duration,
) -> Summary {
    let stats = Arc::new(Mutex::new(Stats::default()));
    let start = Instant::now();
    // A task each, so the runtime spreads the work of the requests in flight over its threads
    // as a load generator must (one task polling them all would use one core).
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (client, request, stats) = (client.clone(), request.clone(), Arc::clone(&stats));
            tokio::spawn(async move {
                while start.elapsed() < duration {
                    let at = start.elapsed();
                    let sent = Instant::now();
                    let answer = match client.send(&request).await {
                        Ok(x) => Answer::Status(x.response.status),
                        Err(TransportError::Timeout { .. }) => Answer::Timeout,
                        Err(_) => Answer::NoAnswer,
                    };
                    stats
                        .lock()
                        .expect("stats")
                        .record("repeat", at, answer, sent.elapsed(), &[]);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let wall = start.elapsed();
    let stats = stats.lock().expect("stats");
    stats.summary(wall)
}
