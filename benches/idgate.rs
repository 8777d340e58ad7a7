//! `cargo bench`: is idgate ever the bottleneck? Each figure is measured here, in one run on
//! one machine, beside a baseline measured the same way, and printed with the ratio; nothing
//! is asserted (docs/performance.md keeps the figures and how to read them).
//!
//!   (a) idgate's load engine against `wrk`, the same request to the same `idgate serve`;
//!   (b) the whole default suite on the embedded target: wall and CPU time of `idgate run`;
//!   (c) signed SAML Responses a second on one core, against `openssl speed rsa2048`;
//!   (d) SCIM requests a second of a conformance run with `--jobs 4` against `idgate serve`;
//!   (e) the peak memory of `idgate load` replaying 10,000 users, 1,000 groups, 10 members each.
//!
//! `cargo bench -- NAME...` runs only the named ones (`wrk`, `suite`, `signing`, `jobs`,
//! `memory`). A baseline tool that is not installed is said, with its install line.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
const IDGATE: &str = env!("CARGO_BIN_EXE_idgate");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| name.contains(w.as_str()));
    println!("idgate bench on {} ({} cores)", machine(), cores());
    let scratch = tempfile::tempdir().expect("a scratch folder");
    if run("wrk") {
        wrk(scratch.path());
    }
    if run("suite") {
        suite(scratch.path());
    }
    if run("signing") {
        signing();
    }
    if run("jobs") {
        jobs(scratch.path());
    }
    if run("memory") {
        memory(scratch.path());
    }
}

/// `idgate serve` on a free port, trusting the committed test IdP; stopped when dropped.
struct Serve {
    child: Child,
    base: String,
}

impl Serve {
    fn start(dir: &Path) -> Serve {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("an address").port()
        };
        let child = Command::new(IDGATE)
            .args(["serve", "--port", &port.to_string(), "--key-dir"])
            .arg(Path::new(ROOT).join("fixtures/saml"))
            .current_dir(dir)
            .env("IDGATE_SCIM_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("idgate serve starts");
        let addr = format!("127.0.0.1:{port}");
        for _ in 0..200 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Serve {
            child,
            base: format!("http://{addr}/scim/v2"),
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd` to its end: its wall time, its CPU time (user + system) and its peak resident
/// memory, read from the kernel for this child alone.
// The child is reaped by wait4, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn measure(mut cmd: Command) -> (Duration, Duration, u64, std::process::ExitStatus) {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the command starts");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child by pid, with valid pointers to both out-parameters.
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    use std::os::unix::process::ExitStatusExt;
    (
        wall,
        cpu,
        usage.ru_maxrss as u64 * 1024,
        std::process::ExitStatus::from_raw(status),
    )
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// (a) The same GET, the one Entra sends to match a user, from idgate's load engine and from
/// wrk, each with 16 in flight, three rounds of 3 seconds in turns (so the machine's drift
/// hits both alike); the medians and their ratio.
fn wrk(dir: &Path) {
    println!(
        "\n(a) idgate's load engine against wrk: GET /Users?filter=userName eq \"…\" on idgate serve, 16 in flight, 3 rounds of 3 s in turns"
    );
    if !have("wrk") {
        println!("    skipped: needs wrk (install: apt-get install wrk)");
        return;
    }
    let serve = Serve::start(dir);
    let path = "/Users?filter=userName+eq+%22bench%40example.com%22";
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let client = idgate::http::Client::new(
        &serve.base,
        idgate::redact::Secret::new(TOKEN),
        None,
        idgate::http::ClientOptions::default(),
    )
    .expect("a client");
    let request = idgate::http::Request {
        method: "GET".into(),
        path: path.into(),
        headers: vec![("Accept".into(), "application/scim+json".into())],
        body: None,
        auth: idgate::http::Credential::Bearer,
    };
    let (mut theirs, mut ours) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..3 {
        let out = Command::new("wrk")
            .args(["-t", "2", "-c", "16", "-d", "3s", "-H"])
            .arg(format!("Authorization: Bearer {TOKEN}"))
            .arg(format!("{}{path}", serve.base))
            .output()
            .expect("wrk runs");
        let text = String::from_utf8_lossy(&out.stdout);
        theirs.push(
            text.lines()
                .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0),
        );
        let summary = rt.block_on(idgate::load::repeat::repeat(
            &client,
            &request,
            16,
            Duration::from_secs(3),
        ));
        ours.push(summary.per_second);
        last = Some(summary);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let show = |v: &[f64]| {
        v.iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "    wrk      {:>10.0} requests/s (rounds: {})",
        median(&mut theirs.clone()),
        show(&theirs)
    );
    let s = last.expect("three rounds");
    println!(
        "    idgate   {:>10.0} requests/s (rounds: {}; last round p50 {:.2} ms, p99 {:.2} ms, {} not 2xx)",
        median(&mut ours.clone()),
        show(&ours),
        s.kinds[0].p50_ms,
        s.kinds[0].p99_ms,
        s.failed
    );
    println!(
        "    ratio    {:>10.2} of wrk (goal: at least 0.8)",
        median(&mut ours) / median(&mut theirs).max(f64::MIN_POSITIVE)
    );
}

/// (b) `idgate run` against the embedded target, five times: the median wall and CPU time,
/// and the same for a SCIM-only run.
fn suite(dir: &Path) {
    println!("\n(b) the whole default suite on the embedded target (`idgate run`), 5 runs each");
    for (label, extra) in [
        ("run", &[][..]),
        ("run --skip saml", &["--skip", "saml"][..]),
    ] {
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        for i in 0..5 {
            let mut cmd = Command::new(IDGATE);
            cmd.args(["run", "-q", "--reports", &format!("suite-{i}")])
                .args(extra)
                .current_dir(dir);
            let (wall, cpu, _, status) = measure(cmd);
            if !status.success() {
                println!("    {label}: exited {status}, not measured");
                return;
            }
            walls.push(wall);
            cpus.push(cpu);
        }
        walls.sort();
        cpus.sort();
        println!(
            "    idgate {label:<16} wall median {:>6.3} s (min {:.3}, max {:.3}), CPU median {:.3} s{}",
            walls[2].as_secs_f64(),
            walls[0].as_secs_f64(),
            walls[4].as_secs_f64(),
            cpus[2].as_secs_f64(),
            if extra.is_empty() {
                "  (goal: wall under 0.5 s)"
            } else {
                ""
            }
        );
    }
}

/// (c) The valid Response of the battery (its Assertion and the Response each signed),
/// built and signed over and over on one thread, against `openssl speed rsa2048` signing.
fn signing() {
    println!(
        "\n(c) signed SAML Responses a second on one core, against openssl's RSA-2048 signing"
    );
    let key = |name: &str| {
        let dir = Path::new(ROOT).join("fixtures/saml");
        idgate::saml::IdpKey::from_pem(
            &std::fs::read(dir.join(format!("{name}-key.pem"))).expect("a fixture key"),
            &std::fs::read(dir.join(format!("{name}-cert.pem"))).expect("a fixture cert"),
        )
        .expect("the fixture pair loads")
    };
    let (idp, attacker, cloned) = (key("idp"), key("attacker"), key("cloned"));
    let make = || {
        let spec = idgate::saml::ResponseSpec::new(
            "https://idp.example/",
            "https://sp.example.test/acs",
            "https://sp.example.test",
            "alice@example.com",
            time::OffsetDateTime::now_utc(),
        );
        let ctx = idgate::saml::cases::CaseContext::new(spec, &idp, &attacker, &cloned);
        idgate::saml::cases::build("saml.valid", &ctx).expect("the valid case builds")
    };
    // `<ds:Signature>` or `<ds:Signature xmlns...>`, not SignatureValue or SignatureMethod.
    let xml = make().xml;
    let signatures = ["<ds:Signature>", "<ds:Signature "]
        .iter()
        .map(|t| xml.matches(t).count())
        .sum::<usize>()
        .max(1);
    let started = Instant::now();
    let mut n = 0u32;
    while started.elapsed() < Duration::from_secs(3) {
        std::hint::black_box(make());
        n += 1;
    }
    let per_second = f64::from(n) / started.elapsed().as_secs_f64();
    println!(
        "    idgate   {per_second:>10.0} Responses/s ({signatures} signatures each: {:.0} signatures/s)",
        per_second * signatures as f64
    );
    if !have("openssl") {
        println!("    skipped the baseline: needs openssl (install: apt-get install openssl)");
        return;
    }
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa2048"])
        .output()
        .expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let openssl: f64 = text
        .lines()
        .find(|l| l.starts_with("rsa 2048 bits") || l.starts_with("rsa  2048 bits"))
        .and_then(|l| {
            l.split_whitespace()
                .filter_map(|w| w.trim_end_matches('s').parse::<f64>().ok())
                .nth(3)
        })
        .unwrap_or(0.0);
    println!("    openssl  {openssl:>10.0} RSA-2048 signs/s");
    let ceiling = openssl / signatures as f64;
    println!(
        "    ratio    {:>10.2} of the {ceiling:.0} Responses/s openssl's signing allows (goal: at least 0.8)",
        per_second / ceiling.max(f64::MIN_POSITIVE)
    );
}

/// (d) A conformance run of both Entra dialects and the RFC 7644 client with four scenarios
/// at a time against `idgate serve`: the SCIM requests it sent, a second.
fn jobs(dir: &Path) {
    println!(
        "\n(d) a conformance run with --jobs 4 against idgate serve (entra and rfc7644 clients)"
    );
    let serve = Serve::start(dir);
    let mut cmd = Command::new(IDGATE);
    cmd.args(["run", "-q", "--jobs", "4", "--scim-url", &serve.base])
        .args([
            "--client",
            "entra",
            "--client",
            "rfc7644",
            "--reports",
            "jobs",
        ])
        .current_dir(dir)
        .env("IDGATE_SCIM_TOKEN", TOKEN);
    let (wall, cpu, _, status) = measure(cmd);
    let report: serde_json::Value = std::fs::read_to_string(dir.join("jobs/report.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let requests: usize = report["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["steps"].as_array().into_iter().flatten())
        .map(|st| st["exchanges"].as_array().map_or(0, Vec::len))
        .sum();
    let inside = |k: &str| {
        time::OffsetDateTime::parse(
            report[k].as_str().unwrap_or(""),
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
    };
    let run_s = match (inside("started_at"), inside("finished_at")) {
        (Some(a), Some(b)) => (b - a).as_seconds_f64(),
        _ => 0.0,
    };
    println!(
        "    {requests} requests (cleanup apart) in {:.2} s of run, {:.2} s of process ({status}); CPU {:.2} s",
        run_s,
        wall.as_secs_f64(),
        cpu.as_secs_f64()
    );
    println!(
        "    {:>10.0} requests/s inside the run, {:.0} over the whole process",
        requests as f64 / run_s.max(f64::MIN_POSITIVE),
        requests as f64 / wall.as_secs_f64()
    );
}

/// (e) `idgate load` replaying a tenant of 10,000 users, 1,000 groups and 10 members each
/// against `idgate serve`: its peak resident memory.
fn memory(dir: &Path) {
    println!(
        "\n(e) idgate load: 10,000 users, 1,000 groups, 10 members each, against idgate serve"
    );
    let serve = Serve::start(dir);
    let mut cmd = Command::new(IDGATE);
    cmd.args([
        "load",
        "-q",
        "--scim-url",
        &serve.base,
        "--concurrency",
        "16",
    ])
    .args([
        "--users",
        "10000",
        "--groups",
        "1000",
        "--members-per-group",
        "10",
    ])
    .args(["--reports", "memory"])
    .current_dir(dir)
    .env("IDGATE_SCIM_TOKEN", TOKEN);
    let (wall, cpu, rss, status) = measure(cmd);
    let report: serde_json::Value = std::fs::read_to_string(dir.join("memory/load.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    println!(
        "    {} requests at {:.0} a second; wall {:.1} s, CPU {:.1} s ({status})",
        report["summary"]["requests"],
        report["summary"]["per_second"].as_f64().unwrap_or(0.0),
        wall.as_secs_f64(),
        cpu.as_secs_f64()
    );
    println!(
        "    peak resident memory {:.1} MiB (goal: under 100 MiB)",
        rss as f64 / (1024.0 * 1024.0)
    );
}

fn machine() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
