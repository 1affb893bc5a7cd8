//! crm's hand-written formats against the crates that do the same work, on
//! the same input (see `bench/README.md`, "Hand-written formats against
//! their crates"; run with `bench/formats.sh`):
//!
//! - customer TOML files: crm's fast reader (`Customer::parse_all`) against
//!   toml 1.x and toml_edit;
//! - git's index: crm's `IndexFile` against gix-index and libgit2, on an
//!   index real git made;
//! - a pack of new blobs: crm's `pack_blobs` against gix-pack's pack
//!   generation and bundle (pack + index) writing.
//!
//! Every figure is the median of `--runs` timed runs after one untimed
//! warm-up run, the implementations of one table taking turns run by run:
//! the wall-clock time and the process's CPU time (all threads), each with
//! its ratio to crm's (`× crm`).

mod fixture;
mod index_bench;
mod pack_bench;
mod toml_bench;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Command-line settings.
pub struct Args {
    /// Customer files parsed by the TOML benchmark.
    pub customers: usize,
    /// Entries of the benchmark index (customer files; staff and crm.toml come on top).
    pub index_entries: usize,
    /// Blob counts of the pack benchmark.
    pub pack_sizes: Vec<usize>,
    /// Timed runs per figure.
    pub runs: usize,
    /// Only this part (`toml`, `index`, `pack`).
    pub only: Option<String>,
    /// The store whose files are the input (bench/run.sh's fixture).
    pub fixture: PathBuf,
}

fn parse_args() -> Args {
    let mut args = Args {
        customers: 100_000,
        index_entries: 100_000,
        pack_sizes: vec![5_871, 50_000],
        runs: 5,
        only: None,
        fixture: PathBuf::from("target/bench-fixture-100k"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--customers" => args.customers = value().parse().expect("--customers N"),
            "--index-entries" => args.index_entries = value().parse().expect("--index-entries N"),
            "--pack-sizes" => {
                args.pack_sizes = value().split(',').map(|s| s.parse().expect("--pack-sizes N,M")).collect()
            }
            "--runs" => args.runs = value().parse().expect("--runs N"),
            "--only" => args.only = Some(value()),
            "--fixture" => args.fixture = PathBuf::from(value()),
            "-h" | "--help" => {
                println!(
                    "crm-formats-bench [--runs N] [--customers N] [--index-entries N] [--pack-sizes N,M] \
                     [--only toml|index|pack] [--fixture STORE_DIR]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

/// What one run took: wall-clock time, and the CPU time of this process
/// (all its threads, user and system). On a shared machine the CPU time is
/// the steadier figure; the wall time is what a command waits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sample {
    pub wall: Duration,
    pub cpu: Duration,
}

fn process_cpu_time() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The medians (wall and CPU, each on its own) of `runs` results of each
/// of `jobs`, run round-robin (one run of each job, then the next round),
/// so that a burst of load on the machine falls on every job alike; each
/// job has one untimed warm-up run first.
pub fn medians(runs: usize, jobs: &mut [&mut dyn FnMut() -> Sample]) -> Vec<Sample> {
    for job in jobs.iter_mut() {
        job();
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); jobs.len()];
    for _ in 0..runs.max(1) {
        for (job, t) in jobs.iter_mut().zip(&mut samples) {
            t.push(job());
        }
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    samples
        .into_iter()
        .map(|t| Sample {
            wall: median(t.iter().map(|s| s.wall).collect()),
            cpu: median(t.iter().map(|s| s.cpu).collect()),
        })
        .collect()
}

/// Runs and times `f`.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Sample) {
    let (start, cpu) = (Instant::now(), process_cpu_time());
    let out = f();
    (out, Sample { wall: start.elapsed(), cpu: process_cpu_time() - cpu })
}

/// One line of a result table.
pub struct Row {
    pub what: String,
    pub median: Sample,
    /// Items handled per run (for the per-item figure), 0 for none.
    pub items: usize,
    pub note: String,
}

pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.01 {
        format!("{:.0} ms", s * 1e3)
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// Prints a table; the first row is crm's, the reference for `× crm`.
pub fn print_table(title: &str, rows: &[Row]) {
    println!("\n{title}");
    let width = rows.iter().map(|r| r.what.chars().count()).max().unwrap_or(10).max(14);
    println!(
        "{:<width$} | {:>9} | {:>6} | {:>9} | {:>6} | {:>9} | note",
        "implementation", "wall", "× crm", "cpu", "× crm", "wall/item"
    );
    println!("{}", "-".repeat(width + 64));
    let base = rows.first().map(|r| r.median).unwrap_or_default();
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    for r in rows {
        let per_item = if r.items > 0 {
            fmt_duration(Duration::from_secs_f64(r.median.wall.as_secs_f64() / r.items as f64))
        } else {
            "-".into()
        };
        println!(
            "{:<width$} | {:>9} | {:>6.2} | {:>9} | {:>6.2} | {:>9} | {}",
            r.what,
            fmt_duration(r.median.wall),
            ratio(r.median.wall, base.wall),
            fmt_duration(r.median.cpu),
            ratio(r.median.cpu, base.cpu),
            per_item,
            r.note
        );
    }
}

fn main() {
    let args = parse_args();
    crm::store::tune_libgit2();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "crm formats benchmark: median of {} runs (after one warm-up), {threads} cores, git {}",
        args.runs,
        git_version()
    );
    let wants = |part: &str| args.only.as_deref().is_none_or(|o| o == part);
    if wants("toml") {
        toml_bench::run(&args);
    }
    if wants("index") {
        index_bench::run(&args);
    }
    if wants("pack") {
        pack_bench::run(&args);
    }
}

fn git_version() -> String {
    std::process::Command::new("git")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().trim_start_matches("git version ").to_string())
        .unwrap_or_else(|| "?".into())
}
