//! What a load run measured, in memory that stays flat however many requests it sends:
//! a latency histogram per request kind, answers counted by status, the 429s and the waits
//! they asked for, and a timeline of bounded length for the latency-over-time plot. No
//! request is kept.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::Serialize;

/// The slowest latency a histogram holds exactly; slower ones are clamped to it.
const MAX_MICROS: u64 = 3_600_000_000;
/// At most this many points on the timeline: when it fills, neighbours merge and each
/// point covers twice the time, so an hour-long run costs what a minute-long one does.
const MAX_POINTS: usize = 240;

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Answer {
    Status(u16),
    /// No answer in time.
    Timeout,
    /// No answer at all: refused, reset, TLS, too many 429s.
    NoAnswer,
}

impl Answer {
    pub fn ok(self) -> bool {
        matches!(self, Answer::Status(s) if (200..300).contains(&s))
    }

    fn label(self) -> String {
        match self {
            Answer::Status(s) => s.to_string(),
            Answer::Timeout => "timeout".into(),
            Answer::NoAnswer => "no answer".into(),
        }
    }
}

fn histogram(sigfig: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, sigfig).expect("fixed bounds are valid")
}

fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).clamp(1, MAX_MICROS)
}

struct Kind {
    latency: Histogram<u64>,
    /// Counted by the answer itself; named only when read out (no text per request).
    answers: BTreeMap<Answer, u64>,
}

struct Point {
    requests: u64,
    failures: u64,
    latency: Histogram<u64>,
}

/// The running tally; [`Stats::summary`] reads it out.
pub struct Stats {
    kinds: BTreeMap<&'static str, Kind>,
    throttled: u64,
    waited: Duration,
    longest_wait: Duration,
    /// Time covered by one point of the timeline.
    width: Duration,
    points: Vec<Point>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            kinds: BTreeMap::new(),
            throttled: 0,
            waited: Duration::ZERO,
            longest_wait: Duration::ZERO,
            // Fine enough that a run of seconds draws a curve; it doubles as the run goes on.
            width: Duration::from_millis(100),
            points: Vec::new(),
        }
    }
}

impl Stats {
    /// One request of `kind`, `at` this long into the run: how it ended, how long its answer
    /// took (waits for `Retry-After` left out), and the waits its 429s asked for.
    pub fn record(
        &mut self,
        kind: &'static str,
        at: Duration,
        answer: Answer,
        latency: Duration,
        waits: &[Duration],
    ) {
        let k = self.kinds.entry(kind).or_insert_with(|| Kind {
            latency: histogram(3),
            answers: BTreeMap::new(),
        });
        k.latency.saturating_record(micros(latency));
        *k.answers.entry(answer).or_default() += 1;
        for w in waits {
            self.throttled += 1;
            self.waited += *w;
            self.longest_wait = self.longest_wait.max(*w);
        }
        let mut slot = (at.as_nanos() / self.width.as_nanos()) as usize;
        while slot >= MAX_POINTS {
            self.halve();
            slot = (at.as_nanos() / self.width.as_nanos()) as usize;
        }
        while self.points.len() <= slot {
            self.points.push(Point {
                requests: 0,
                failures: 0,
                latency: histogram(2),
            });
        }
        let p = &mut self.points[slot];
        p.requests += 1;
        p.failures += u64::from(!answer.ok());
        p.latency.saturating_record(micros(latency));
    }

    /// Merge neighbouring points: the timeline keeps its length, each point twice the time.
    fn halve(&mut self) {
        let mut merged = Vec::with_capacity(self.points.len() / 2 + 1);
        let mut points = std::mem::take(&mut self.points).into_iter();
        while let Some(mut a) = points.next() {
            if let Some(b) = points.next() {
                a.requests += b.requests;
                a.failures += b.failures;
                let _ = a.latency.add(&b.latency);
            }
            merged.push(a);
        }
        self.points = merged;
        self.width *= 2;
    }

    /// Everything measured, as figures.
    pub fn summary(&self, wall: Duration) -> Summary {
        let requests: u64 = self.kinds.values().map(|k| k.latency.len()).sum();
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        let kinds = self
            .kinds
            .iter()
            .map(|(name, k)| KindSummary {
                kind: name.to_string(),
                requests: k.latency.len(),
                p50_ms: ms(&k.latency, 0.50),
                p95_ms: ms(&k.latency, 0.95),
                p99_ms: ms(&k.latency, 0.99),
                max_ms: k.latency.max() as f64 / 1000.0,
                answers: k.answers.iter().map(|(a, n)| (a.label(), *n)).collect(),
                histogram: encode(&k.latency),
            })
            .collect::<Vec<_>>();
        let mut answers: BTreeMap<String, u64> = BTreeMap::new();
        for k in self.kinds.values() {
            for (a, n) in &k.answers {
                *answers.entry(a.label()).or_default() += n;
            }
        }
        let failed = self
            .kinds
            .values()
            .flat_map(|k| k.answers.iter())
            .filter(|(a, _)| !a.ok())
            .map(|(_, n)| n)
            .sum();
        Summary {
            wall_s: wall.as_secs_f64(),
            requests,
            failed,
            per_second: if wall.is_zero() {
                0.0
            } else {
                requests as f64 / wall.as_secs_f64()
            },
            slowest_ms: self
                .kinds
                .values()
                .map(|k| k.latency.max())
                .max()
                .unwrap_or(0) as f64
                / 1000.0,
            kinds,
            answers,
            throttled: Throttled {
                answers_429: self.throttled,
                waited_s: self.waited.as_secs_f64(),
                longest_retry_after_s: self.longest_wait.as_secs_f64(),
            },
            timeline: self
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| TimePoint {
                    at_s: (self.width * i as u32).as_secs_f64(),
                    width_s: self.width.as_secs_f64(),
                    requests: p.requests,
                    failures: p.failures,
                    p50_ms: if p.requests == 0 {
                        0.0
                    } else {
                        ms(&p.latency, 0.50)
                    },
                    p99_ms: if p.requests == 0 {
                        0.0
                    } else {
                        ms(&p.latency, 0.99)
                    },
                })
                .collect(),
        }
    }
}

/// The figures of a load run.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Summary {
    /// From the first request of the cycle to the last (cleanup apart).
    pub wall_s: f64,
    pub requests: u64,
    /// Requests answered with anything but 2xx, or not answered.
    pub failed: u64,
    pub per_second: f64,
    pub slowest_ms: f64,
    /// Per request kind, in name order.
    pub kinds: Vec<KindSummary>,
    /// Every answer of the run, by status (`201`, `timeout`, `no answer`).
    pub answers: BTreeMap<String, u64>,
    pub throttled: Throttled,
    pub timeline: Vec<TimePoint>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct KindSummary {
    pub kind: String,
    pub requests: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub answers: BTreeMap<String, u64>,
    /// The latency histogram itself (HdrHistogram V2, deflated, base64), so the shares of a
    /// partitioned run merge into exact percentiles.
    pub histogram: String,
}

impl KindSummary {
    /// This kind's figures with `other`'s (the same kind, measured by another share) added.
    pub fn merge(&mut self, other: &KindSummary) -> Result<(), String> {
        let mut h = decode(&self.histogram)?;
        h.add(decode(&other.histogram)?)
            .map_err(|e| format!("the latency histograms do not add up: {e:?}"))?;
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        self.requests = h.len();
        self.p50_ms = ms(0.50);
        self.p95_ms = ms(0.95);
        self.p99_ms = ms(0.99);
        self.max_ms = h.max() as f64 / 1000.0;
        for (a, n) in &other.answers {
            *self.answers.entry(a.clone()).or_default() += n;
        }
        self.histogram = encode(&h);
        Ok(())
    }
}

fn encode(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = V2DeflateSerializer::new().serialize(h, &mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("a latency histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("a latency histogram cannot be read: {e:?}"))
}

impl Summary {
    /// The figures of shares that ran side by side against one endpoint: their requests add
    /// up over the longest share's time, the histograms merge exactly, and each point of the
    /// timeline adds the shares' points that fall in it (its percentiles are the slowest
    /// share's, as points cannot be merged exactly).
    pub fn merge(parts: &[Summary]) -> Result<Summary, String> {
        let Some(first) = parts.first() else {
            return Err("nothing to merge".into());
        };
        let mut out = first.clone();
        for p in &parts[1..] {
            out.wall_s = out.wall_s.max(p.wall_s);
            out.requests += p.requests;
            out.failed += p.failed;
            out.slowest_ms = out.slowest_ms.max(p.slowest_ms);
            for k in &p.kinds {
                match out.kinds.iter_mut().find(|o| o.kind == k.kind) {
                    Some(o) => o.merge(k)?,
                    None => out.kinds.push(k.clone()),
                }
            }
            for (a, n) in &p.answers {
                *out.answers.entry(a.clone()).or_default() += n;
            }
            out.throttled.answers_429 += p.throttled.answers_429;
            out.throttled.waited_s += p.throttled.waited_s;
            out.throttled.longest_retry_after_s = out
                .throttled
                .longest_retry_after_s
                .max(p.throttled.longest_retry_after_s);
        }
        out.kinds.sort_by(|a, b| a.kind.cmp(&b.kind));
        out.per_second = if out.wall_s > 0.0 {
            out.requests as f64 / out.wall_s
        } else {
            0.0
        };
        let width = parts
            .iter()
            .flat_map(|p| p.timeline.first().map(|t| t.width_s))
            .fold(0.0_f64, f64::max);
        out.timeline = Vec::new();
        if width > 0.0 {
            for t in parts.iter().flat_map(|p| &p.timeline) {
                let slot = (t.at_s / width).floor() as usize;
                while out.timeline.len() <= slot {
                    out.timeline.push(TimePoint {
                        at_s: out.timeline.len() as f64 * width,
                        width_s: width,
                        requests: 0,
                        failures: 0,
                        p50_ms: 0.0,
                        p99_ms: 0.0,
                    });
                }
                let o = &mut out.timeline[slot];
                o.requests += t.requests;
                o.failures += t.failures;
                o.p50_ms = o.p50_ms.max(t.p50_ms);
                o.p99_ms = o.p99_ms.max(t.p99_ms);
            }
        }
        Ok(out)
    }
}

/// The 429s the target answered, each honoured by waiting its `Retry-After`.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Throttled {
    pub answers_429: u64,
    pub waited_s: f64,
    pub longest_retry_after_s: f64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TimePoint {
    pub at_s: f64,
    pub width_s: f64,
    pub requests: u64,
    pub failures: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_answers_per_kind() {
        let mut s = Stats::default();
        for i in 1..=100u64 {
            let answer = if i <= 98 {
                Answer::Status(201)
            } else {
                Answer::Status(500)
            };
            s.record(
                "create-user",
                Duration::from_millis(i * 10),
                answer,
                Duration::from_millis(i),
                &[],
            );
        }
        s.record(
            "match-user",
            Duration::from_millis(5),
            Answer::Timeout,
            Duration::from_secs(30),
            &[Duration::from_secs(2), Duration::from_secs(3)],
        );
        let sum = s.summary(Duration::from_secs(2));
        assert_eq!(sum.requests, 101);
        assert_eq!(sum.failed, 3);
        assert!((sum.per_second - 50.5).abs() < 1e-9);
        let create = &sum.kinds[0];
        assert_eq!(create.kind, "create-user");
        assert!((create.p50_ms - 50.0).abs() < 0.1, "{}", create.p50_ms);
        assert!((create.p99_ms - 99.0).abs() < 0.1, "{}", create.p99_ms);
        assert_eq!(create.answers["201"], 98);
        assert_eq!(sum.answers["timeout"], 1);
        assert_eq!(sum.throttled.answers_429, 2);
        assert!((sum.throttled.waited_s - 5.0).abs() < 1e-9);
        assert!((sum.throttled.longest_retry_after_s - 3.0).abs() < 1e-9);
        assert_eq!(sum.timeline.len(), 11, "a point a tenth of a second");
        assert_eq!(sum.timeline.iter().map(|p| p.requests).sum::<u64>(), 101);
        assert_eq!(sum.timeline[10].failures, 1, "the 500 at 1 s");
        assert_eq!(sum.timeline[0].failures, 1, "the timeout at 5 ms");
    }

    #[test]
    fn the_timeline_keeps_its_length_however_long_the_run() {
        let mut s = Stats::default();
        for sec in 0..10_000u64 {
            s.record(
                "match-user",
                Duration::from_secs(sec),
                Answer::Status(200),
                Duration::from_millis(1),
                &[],
            );
        }
        let sum = s.summary(Duration::from_secs(10_000));
        assert!(sum.timeline.len() <= MAX_POINTS, "{}", sum.timeline.len());
        assert_eq!(sum.timeline.iter().map(|p| p.requests).sum::<u64>(), 10_000);
        assert!(sum.timeline[0].width_s >= 10_000.0 / MAX_POINTS as f64);
    }
}
