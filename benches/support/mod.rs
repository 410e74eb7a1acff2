//! What both benchmarks measure of a jobform process: its wall time, its
//! own CPU time and its peak resident set, sampled from `/proc` until it
//! exits.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// What one jobform process cost.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// From spawn to exit.
    pub(crate) wall: Duration,
    /// `utime + stime`: jobform's own CPU, not the emulator's serving it.
    pub(crate) cpu: Duration,
    /// `VmHWM` in KiB.
    pub(crate) peak_kib: u64,
}

/// Waits for `child`, spawned at `started`, sampling it every 2 ms. Both
/// figures only grow (`VmHWM` is a high-water mark, CPU time adds up), so
/// the last sample before it exits is the whole run but its last 2 ms.
pub(crate) fn sample(child: &mut Child, started: Instant) -> (ExitStatus, Sample) {
    let status_file = format!("/proc/{}/status", child.id());
    let stat_file = format!("/proc/{}/stat", child.id());
    let (mut peak_kib, mut ticks) = (0, 0);
    let status = loop {
        if let Some(kib) = std::fs::read_to_string(&status_file).ok().and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:")?.split_whitespace().next()?.parse().ok())
        }) {
            peak_kib = peak_kib.max(kib);
        }
        // `utime` and `stime`: fields 14 and 15, counted after the command name.
        if let Some(used) = std::fs::read_to_string(&stat_file).ok().and_then(|stat| {
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        }) {
            ticks = ticks.max(used);
        }
        if let Some(status) = child.try_wait().expect("wait for jobform") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    // Linux reports CPU time in clock ticks of 1/100 s.
    (status, Sample { wall: started.elapsed(), cpu: Duration::from_millis(ticks * 10), peak_kib })
}

/// KiB to MiB, for display (sizes far below f64's exact range).
#[allow(clippy::cast_precision_loss)]
pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub(crate) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
