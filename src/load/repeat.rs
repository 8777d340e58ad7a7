//! One request, sent over and over by the load engine's own path (the pace, the transport,
//! the histograms) for a fixed time: what `benches/idgate.rs` sets beside `wrk` sending the
//! same request, to show idgate is not the bottleneck of a load run.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};

use super::stats::{Answer, Stats, Summary};
use crate::http::{Client, Request, TransportError};

/// Sends `request` through `client`, `concurrency` at a time, until `duration` has passed.
pub async fn repeat(
    client: &Client,
    request: &Request,
    concurrency: usize,
    duration: Duration,
) -> Summary {
    let stats = Mutex::new(Stats::default());
    let start = Instant::now();
    let worker = |_| async {
        while start.elapsed() < duration {
            let at = start.elapsed();
            let sent = Instant::now();
            let answer = match client.send(request).await {
                Ok(x) => Answer::Status(x.response.status),
                Err(TransportError::Timeout { .. }) => Answer::Timeout,
                Err(_) => Answer::NoAnswer,
            };
            stats
                .lock()
                .expect("stats")
                .record("repeat", at, answer, sent.elapsed(), &[]);
        }
    };
    stream::iter(0..concurrency.max(1))
        .for_each_concurrent(concurrency.max(1), worker)
        .await;
    let wall = start.elapsed();
    stats.into_inner().expect("stats").summary(wall)
}
