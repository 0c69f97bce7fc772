//! The resident memory of a process and all its descendants, from /proc (Linux). Chromium is
//! a tree of processes (browser, zygotes, renderers, GPU, network, storage) that share much of
//! their memory: summing their RSS counts a shared page once per process (an idle browser
//! "holds" 0.9 GiB that way, 0.4 GiB really). So each process counts its PSS, its share of
//! every page it maps; the sum is what the tree holds. Its RSS stands in where the kernel has
//! no `smaps_rollup` (before 4.14).

use std::collections::HashMap;

/// Resident bytes (PSS) of `pid` and its descendants; 0 when /proc cannot be read (other
/// systems).
pub(super) fn tree_rss_bytes(pid: u32) -> u64 {
    if pid == 0 {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in entries.flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(parent) = parent_of(child) {
            children.entry(parent).or_default().push(child);
        }
    }
    let mut total = 0;
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        total += pss_bytes(p).unwrap_or_else(|| rss_bytes(p));
        if let Some(kids) = children.get(&p) {
            todo.extend(kids);
        }
    }
    total
}

/// The parent pid, from /proc/PID/stat: the field after the state, which follows the command
/// name in parentheses (a name may itself hold spaces and parentheses: take the last `)`).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// PSS of one process, in bytes.
fn pss_bytes(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    kib_field(&rollup, "Pss:")
}

/// A `Name:   123 kB` line's value, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
}

/// VmRSS of one process, in bytes.
fn rss_bytes(pid: u32) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    kib_field(&status, "VmRSS:").unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_has_resident_memory() {
        if !std::path::Path::new("/proc/self/status").exists() {
            return;
        }
        let rss = tree_rss_bytes(std::process::id());
        assert!(rss > 1 << 20, "{rss}");
    }

    #[test]
    fn fields_are_read_in_bytes() {
        let text = "Rss:              213116 kB\nPss:              129008 kB\n";
        assert_eq!(kib_field(text, "Pss:"), Some(129008 * 1024));
        assert_eq!(kib_field(text, "Swap:"), None);
    }

    #[test]
    fn no_process_no_memory() {
        assert_eq!(tree_rss_bytes(0), 0);
    }
}
