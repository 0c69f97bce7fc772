//! `authwall accept URL FINDING --reason …`: add an `[[accept]]` entry to authwall.toml, the
//! file's comments and layout kept, so that nobody hand-edits TOML to silence a weekly check.

use anyhow::{Context, Result};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::Exit;
use crate::audit::Finding;
use crate::cli::{AcceptArgs, validate};
use crate::config::Acceptance;

pub fn run(args: &AcceptArgs) -> Result<Exit> {
    let entry = Acceptance {
        url: args.url.clone(),
        finding: Finding::from_label(&args.finding).with_context(|| {
            format!(
                "unknown finding {:?} (see the CSV's finding column)",
                args.finding
            )
        })?,
        reason: args.reason.clone(),
        until: args.until.clone(),
    };
    // The same checks as when the file is read: what is written can be read back.
    validate::acceptance(&serde_json::to_string(&entry)?)?;
    let path = &args.config;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let text = add(&text, &entry).with_context(|| format!("cannot edit {}", path.display()))?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "{}: accepted {} on {}{} — {}",
        path.display(),
        entry.finding,
        entry.url,
        entry
            .until
            .as_deref()
            .map(|d| format!(" until {d}"))
            .unwrap_or_default(),
        entry.reason
    );
    Ok(Exit::Clean)
}

/// The file's text with one more `[[accept]]` table at its end.
fn add(text: &str, entry: &Acceptance) -> Result<String> {
    let mut doc: DocumentMut = text.parse().context("not valid TOML")?;
    let mut table = Table::new();
    table.insert("url", value(&entry.url));
    table.insert("finding", value(entry.finding.to_string()));
    table.insert("reason", value(&entry.reason));
    if let Some(until) = &entry.until {
        table.insert("until", value(until));
    }
    match doc.get_mut("accept") {
        None => {
            let mut list = ArrayOfTables::new();
            list.push(table);
            doc.insert("accept", Item::ArrayOfTables(list));
        }
        Some(Item::ArrayOfTables(list)) => list.push(table),
        Some(_) => anyhow::bail!("`accept` must be a list of [[accept]] tables"),
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str, until: Option<&str>) -> Acceptance {
        Acceptance {
            url: url.to_string(),
            finding: Finding::Public401,
            reason: "goes next quarter".to_string(),
            until: until.map(String::from),
        }
    }

    #[test]
    fn adding_keeps_the_files_comments_and_earlier_entries() {
        let file = "# weekly check of the shop\nurl = \"https://a.example/\" # the live site\n\n\
                    # accepted in the May review\n[[accept]]\nurl = \"/old\"\nfinding = \"public_403\"\n\
                    reason = \"legacy\"\n";
        let out = add(file, &entry("/legacy/**", Some("2027-03-31"))).unwrap();
        assert!(out.starts_with(file), "{out}");
        assert!(out.contains("# the live site") && out.contains("# accepted in the May review"));
        let table: toml::Table = out.parse().unwrap();
        let accept = table["accept"].as_array().unwrap();
        assert_eq!(accept.len(), 2);
        assert_eq!(accept[1]["url"].as_str(), Some("/legacy/**"));
        assert_eq!(accept[1]["until"].as_str(), Some("2027-03-31"));
    }

    #[test]
    fn adding_to_an_empty_file_starts_the_list() {
        let out = add("", &entry("/x", None)).unwrap();
        let table: toml::Table = out.parse().unwrap();
        assert_eq!(table["accept"].as_array().unwrap().len(), 1);
        assert!(!out.contains("until"));
    }
}
