//! A shared pace for requests: at most `rate` a second across every task that waits on it,
//! each given the next free slot. What a load run's `--rate` and its paced cleanup obey.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug)]
pub struct Pace {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pace {
    /// `rate` requests a second; a rate too small to mean anything waits an hour a request.
    pub fn per_second(rate: f64) -> Pace {
        Pace {
            interval: Duration::try_from_secs_f64(1.0 / rate)
                .unwrap_or(Duration::from_secs(3600))
                .min(Duration::from_secs(3600)),
            next: Mutex::new(None),
        }
    }

    /// Waits until this caller's slot: the first goes at once, each later one an interval
    /// after the one before, or at once when the pace has fallen behind (no burst to catch up).
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_an_interval_apart_and_never_bunch_up() {
        let pace = Pace::per_second(10.0);
        let start = Instant::now();
        for _ in 0..5 {
            pace.wait().await;
        }
        // The first at once, then four intervals of 100 ms (paused time is exact).
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        // Idle for a second: the next goes at once, not five at once to catch up.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle = Instant::now();
        pace.wait().await;
        pace.wait().await;
        assert_eq!(idle.elapsed(), Duration::from_millis(100));
    }
}
