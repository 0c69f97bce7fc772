//! The baseline of a weekly run: an earlier complete audit to compare with (`--baseline`,
//! `authwall diff`), read from its CSV and its run record.

use std::path::Path;

use anyhow::{Context, Result};

use super::diff::Rules;
use super::format::read_rows;
use super::row::{AuditRow, SCHEMA_VERSION};
use super::summary::{RunRecord, record_path};

/// An earlier run to compare with.
pub struct Baseline {
    pub rows: Vec<AuditRow>,
    pub origin: String,
    /// Which authwall wrote it (`None`: nothing says, as for a first run).
    pub written_by: Option<WrittenBy>,
}

/// The version of authwall and the CSV schema a run was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenBy {
    pub version: String,
    pub schema: u32,
}

impl WrittenBy {
    /// This build.
    pub fn this() -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_string(),
            schema: SCHEMA_VERSION,
        }
    }

    /// Which authwall wrote the audit at `csv`, from its run record, else its rows' schema.
    pub fn of(csv: &Path, rows: &[AuditRow]) -> Option<Self> {
        match RunRecord::read_beside(csv) {
            Some(record) => Some(Self {
                version: record.version,
                schema: record.schema_version,
            }),
            None => rows.first().map(|row| Self {
                version: String::new(),
                schema: row.schema,
            }),
        }
    }

    /// Whether runs written by `self` and `other` were judged by the same rules.
    pub fn rules(old: Option<&Self>, new: Option<&Self>) -> Rules {
        match (old, new) {
            (Some(old), Some(new)) if old != new => Rules::Changed,
            _ => Rules::Same,
        }
    }
}

impl Baseline {
    /// The baseline must be a complete run, as its run record says. No file at all is the
    /// first run of a weekly job: everything is new.
    pub fn load(path: &Path) -> Result<Baseline> {
        if !path.exists() {
            return Ok(Baseline {
                rows: Vec::new(),
                origin: String::new(),
                written_by: None,
            });
        }
        // What the file is comes first: a CSV that is not authwall's says so.
        let rows = read_rows(path)
            .with_context(|| format!("cannot use the baseline {}", path.display()))?;
        let record = RunRecord::read_beside(path).with_context(|| {
            format!(
                "baseline {}: its run record {} is missing or unreadable, so nothing says the \
                 run was complete; refusing to compare with it",
                path.display(),
                record_path(path).display()
            )
        })?;
        if !record.complete {
            let reasons = record.incomplete_reasons.join("; ");
            anyhow::bail!(
                "baseline {} is from an incomplete run ({}); compare with a complete run",
                path.display(),
                if reasons.is_empty() {
                    "interrupted or could not run"
                } else {
                    &reasons
                }
            );
        }
        let origin = Baseline::origin_of(path, &rows);
        let written_by = WrittenBy::of(path, &rows);
        Ok(Baseline {
            rows,
            origin,
            written_by,
        })
    }

    /// The audited origin: from the run record, else from the first row.
    pub fn origin_of(path: &Path, rows: &[AuditRow]) -> String {
        if let Some(record) = RunRecord::read_beside(path).filter(|r| !r.origin.is_empty()) {
            return record.origin;
        }
        rows.first()
            .and_then(|r| url::Url::parse(&r.url).ok())
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    pub fn first_run(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Whether two audited origins are the same site: the same host once a leading `www.` is
/// dropped. Scheme and port may differ (a staging port, the demo's random port).
pub fn same_site(a: &str, b: &str) -> bool {
    let host = |origin: &str| {
        url::Url::parse(origin)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .map(|h| h.trim_start_matches("www.").to_string())
    };
    match (host(a), host(b)) {
        (Some(a), Some(b)) => a == b,
        // An origin that cannot be told (an empty first run) is no other site.
        _ => true,
    }
}

/// Refuse to compare audits of two different sites: every finding of one would read as
/// "fixed" in the other, a false all-clear. `(file, origin)` of each side, for the message.
pub fn check_same_site(old: (&Path, &str), new: (&str, &str), allow: bool) -> Result<()> {
    if allow || same_site(old.1, new.1) {
        return Ok(());
    }
    let when = |path: &Path| {
        RunRecord::read_beside(path)
            .map(|r| format!(", audited {}", r.started_at))
            .unwrap_or_default()
    };
    anyhow::bail!(
        "{} ({}{}) and {} ({}) are audits of different sites: comparing them would call every \
         finding fixed; --allow-other-site compares them anyway",
        old.0.display(),
        old.1,
        when(old.0),
        new.0,
        new.1
    )
}

#[cfg(test)]
mod site_tests {
    use super::same_site;

    #[test]
    fn the_same_site_ignores_www_scheme_and_port() {
        assert!(same_site(
            "https://www.example.com",
            "http://example.com:8080"
        ));
        assert!(same_site("http://127.0.0.1:4000", "http://127.0.0.1:5000"));
        assert!(same_site("", "https://example.com"));
        assert!(!same_site(
            "https://example.com",
            "https://shop.example.com"
        ));
        assert!(!same_site("https://a.example", "https://b.example"));
    }
}
