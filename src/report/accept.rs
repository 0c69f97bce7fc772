//! Findings the team has accepted (`[[accept]]` in authwall.toml): still rows, still in the
//! `finding` column, marked in the `accepted` column and left out of the exit code, until the
//! day they expire.

use std::time::SystemTime;

use globset::{GlobBuilder, GlobMatcher};

use crate::audit::Finding;
use crate::config::Acceptance;
use crate::report::row::AuditRow;

/// The entries of one run, compiled, and the day they are judged on.
#[derive(Debug, Default)]
pub struct Acceptances {
    entries: Vec<(Acceptance, GlobMatcher)>,
    /// `YYYY-MM-DD`, UTC.
    today: String,
}

/// Which entries a row matched.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Hits {
    /// In force: their findings are accepted.
    pub active: Vec<usize>,
    /// Past their `until`: their findings count again.
    pub expired: Vec<usize>,
}

impl Acceptances {
    /// `today`: `YYYY-MM-DD` (UTC); [`today`] gives the real one.
    pub fn new(entries: &[Acceptance], today: &str) -> anyhow::Result<Self> {
        let entries = entries
            .iter()
            .map(|entry| {
                let glob = GlobBuilder::new(&entry.url)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| anyhow::anyhow!("[[accept]] url {:?}: {e}", entry.url))?;
                Ok((entry.clone(), glob.compile_matcher()))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            entries,
            today: today.to_string(),
        })
    }

    /// Whether the entry is past its `until` day.
    fn expired(&self, i: usize) -> bool {
        // `YYYY-MM-DD` strings sort as the days they name.
        self.entries[i]
            .0
            .until
            .as_deref()
            .is_some_and(|until| until < self.today.as_str())
    }

    /// Mark the row's accepted findings (its `accepted` cell) and say which entries matched.
    pub fn apply(&self, row: &mut AuditRow) -> Hits {
        let mut hits = Hits::default();
        if self.entries.is_empty() || row.finding.is_empty() {
            return hits;
        }
        let findings: Vec<Finding> = row
            .finding
            .split(';')
            .filter_map(Finding::from_label)
            .collect();
        let mut accepted = Vec::new();
        for (i, (entry, glob)) in self.entries.iter().enumerate() {
            if !findings.contains(&entry.finding) || !matches(glob, &entry.url, &row.url) {
                continue;
            }
            if self.expired(i) {
                hits.expired.push(i);
            } else {
                hits.active.push(i);
                accepted.push(entry.finding);
            }
        }
        accepted.sort();
        accepted.dedup();
        row.accepted = accepted
            .iter()
            .map(Finding::to_string)
            .collect::<Vec<_>>()
            .join(";");
        hits
    }
}

/// A path glob matches the URL's path (and query when the glob has a `?`); another glob the
/// whole URL.
fn matches(glob: &GlobMatcher, pattern: &str, url: &str) -> bool {
    if !pattern.starts_with('/') {
        return glob.is_match(url);
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    match parsed.query().filter(|_| pattern.contains('?')) {
        Some(query) => glob.is_match(format!("{}?{query}", parsed.path())),
        None => glob.is_match(parsed.path()),
    }
}

/// Today, `YYYY-MM-DD` in UTC.
pub fn today() -> String {
    humantime::format_rfc3339(SystemTime::now()).to_string()[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str, finding: Finding, until: Option<&str>) -> Acceptance {
        Acceptance {
            url: url.to_string(),
            finding,
            reason: "decided".to_string(),
            until: until.map(String::from),
        }
    }

    fn row(url: &str, finding: &str) -> AuditRow {
        AuditRow {
            url: url.to_string(),
            finding: finding.to_string(),
            ..AuditRow::default()
        }
    }

    #[test]
    fn an_entry_accepts_its_finding_on_the_urls_its_glob_matches() {
        let accepts = Acceptances::new(
            &[
                entry("/legacy/**", Finding::Public401, None),
                entry(
                    "https://a.example/x?*",
                    Finding::PrivateLinkedPublicly,
                    None,
                ),
            ],
            "2026-12-03",
        )
        .unwrap();
        let mut r = row("https://a.example/legacy/a/b", "public_401;sitemap_non_200");
        assert_eq!(accepts.apply(&mut r).active, [0]);
        assert_eq!(r.accepted, "public_401");
        let mut other_finding = row("https://a.example/legacy/a", "public_403");
        assert_eq!(accepts.apply(&mut other_finding), Hits::default());
        assert_eq!(other_finding.accepted, "");
        let mut whole = row("https://a.example/x?ref=1", "private_linked_publicly");
        assert_eq!(accepts.apply(&mut whole).active, [1]);
        let mut outside = row("https://a.example/legacy-2", "public_401");
        assert_eq!(accepts.apply(&mut outside), Hits::default());
    }

    #[test]
    fn until_is_the_last_day_it_holds() {
        let on = |today: &str| {
            let accepts = Acceptances::new(
                &[entry("/x", Finding::Public401, Some("2026-12-03"))],
                today,
            )
            .unwrap();
            let mut r = row("https://a.example/x", "public_401");
            let hits = accepts.apply(&mut r);
            (hits.active.len(), hits.expired.len(), r.accepted)
        };
        assert_eq!(on("2026-12-03"), (1, 0, "public_401".to_string()));
        assert_eq!(on("2026-12-04"), (0, 1, String::new()));
    }

    #[test]
    fn today_is_a_day() {
        let day = today();
        assert_eq!(day.len(), 10);
        assert!(humantime::parse_rfc3339(&format!("{day}T00:00:00Z")).is_ok());
    }
}
