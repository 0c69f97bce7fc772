//! `authwall.toml`: every `audit` option, as a file a weekly job keeps next to its crontab.
//!
//! The file is read as if its values were written on the command line *before* the user's own
//! arguments: scalars given on the command line win (clap's `args_override_self`), repeatable
//! options add up, and every boolean has a `--no-…` twin to turn a file's `true` off. Keys are
//! the long option names (`max-pages = 100`), so there is one list of options: clap's.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{ArgAction, CommandFactory, Parser};

use crate::cli::{Cli, Command};

/// The file read when `--config` is not given (and `--no-config` is not either).
pub const DEFAULT_FILE: &str = "authwall.toml";

/// Boolean keys as they are written in the file, with their defaults. Flags whose command-line
/// form is negative (`--no-sitemaps`) are positive in the file (`sitemaps = true`).
pub const BOOL_KEYS: &[(&str, bool)] = &[
    ("ignore-robots", false),
    ("sitemaps", true),
    ("include-subdomains", false),
    ("default-private", true),
    ("probe", true),
    ("quiet", false),
    ("insecure", false),
    ("fail-on-new", false),
    ("browser-sandbox", true),
    ("allow-other-site", false),
    ("member-titles", false),
    ("allow-login-over-http", false),
];

/// Options that make no sense in the file (they choose the file).
const NOT_IN_FILE: &[&str] = &["config", "no-config", "help", "resume"];

/// The command line with the config file's values put in front of the user's `audit` (or
/// `check`) arguments. Other subcommands (`demo` above all) are returned unchanged.
pub fn apply(argv: Vec<OsString>) -> Result<Vec<OsString>> {
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        // Let clap report usage errors (and --help) itself when the caller parses again.
        Err(_) => return Ok(argv),
    };
    let (args, word) = match cli.command {
        Command::Audit(args) => (*args, "audit"),
        // A list is checked with the same options (its URLs come from the list).
        Command::Check(check) => (check.audit, "check"),
        _ => return Ok(argv),
    };
    let path = match (&args.config, args.no_config) {
        (Some(path), _) => path.clone(),
        (None, true) => return Ok(argv),
        (None, false) if Path::new(DEFAULT_FILE).exists() => PathBuf::from(DEFAULT_FILE),
        (None, false) => return Ok(argv),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let mut tokens = tokens(&text, &path)?;
    if args.url.is_some() || word == "check" {
        // The URL on the command line wins over the file's `url`.
        tokens.retain(|t| !matches!(t, Token::Url(_)));
    }
    let at = argv
        .iter()
        .position(|a| a == word)
        .map_or(argv.len(), |i| i + 1);
    let mut out = argv[..at].to_vec();
    out.extend(tokens.into_iter().map(Token::into_arg));
    out.extend_from_slice(&argv[at..]);
    Ok(out)
}

enum Token {
    Arg(String),
    Url(String),
}

impl Token {
    fn into_arg(self) -> OsString {
        match self {
            Token::Arg(s) | Token::Url(s) => s.into(),
        }
    }
}

/// The file's keys as command-line tokens, checked against the `audit` command's arguments.
fn tokens(text: &str, path: &Path) -> Result<Vec<Token>> {
    let mut table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    // `[[site]]` is `authwall batch`'s list of sites (see [`sites`]).
    table.remove("site");
    // Where each key stands, for messages that point at the line to fix.
    let spans = toml_edit::Document::parse(text).ok();
    let line_of = |key: &str| {
        let span = spans
            .as_ref()?
            .as_table()
            .get_key_value(key)
            .and_then(|(k, _)| k.span())?;
        Some(text[..span.start].matches('\n').count() + 1)
    };
    table_tokens(table, &|key| match line_of(key) {
        Some(line) => format!("`{key}` in {} line {line}", path.display()),
        None => format!("`{key}` in {}", path.display()),
    })
}

/// One site of `authwall batch`: its start URL and its own options as command-line tokens.
#[derive(Debug, Clone)]
pub struct Site {
    pub url: String,
    pub args: Vec<OsString>,
}

/// The `[[site]]` tables of a config file: `url` and any `audit` option by its long name.
pub fn sites(path: &Path) -> Result<Vec<Site>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let mut table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let Some(entries) = table.remove("site") else {
        return Ok(Vec::new());
    };
    let toml::Value::Array(entries) = entries else {
        bail!(
            "`site` in {} must be a list of [[site]] tables",
            path.display()
        );
    };
    let mut sites = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let where_ =
            |key: &str| format!("`{key}` in [[site]] number {} of {}", i + 1, path.display());
        let toml::Value::Table(entry) = entry else {
            bail!("{} must be a table", where_("site"));
        };
        let mut url = None;
        let mut args = Vec::new();
        for token in table_tokens(entry, &where_)? {
            match token {
                Token::Url(u) => url = Some(u),
                Token::Arg(a) => args.push(a.into()),
            }
        }
        let url = url.with_context(|| {
            format!(
                "[[site]] number {} of {} has no `url`",
                i + 1,
                path.display()
            )
        })?;
        sites.push(Site { url, args });
    }
    Ok(sites)
}

/// The keys of a table as command-line tokens, checked against the `audit` command's
/// arguments; `where_(key)` says where a key stands, for messages.
fn table_tokens(table: toml::Table, where_key: &dyn Fn(&str) -> String) -> Result<Vec<Token>> {
    let command = Cli::command();
    let audit = command
        .find_subcommand("audit")
        .context("the audit command is missing")?;
    let flag = |name: &str| {
        audit
            .get_arguments()
            .find(|a| a.get_long() == Some(name))
            .filter(|_| !NOT_IN_FILE.contains(&name))
    };
    let unknown = |key: &str, where_: String| {
        let near = near_key(key, audit);
        let hint = match near {
            Some(near) => format!("did you mean `{near}`? "),
            None => String::new(),
        };
        anyhow::anyhow!("unknown key {where_} ({hint}see `authwall init` for the keys)")
    };
    let mut tokens = Vec::new();
    for (key, value) in table {
        let where_ = || where_key(&key);
        if key == "accept" {
            // `[[accept]]` tables: one hidden `--accept JSON` each.
            let toml::Value::Array(entries) = value else {
                bail!("{} must be a list of [[accept]] tables", where_());
            };
            for entry in entries {
                let toml::Value::Table(entry) = entry else {
                    bail!("{} must be a list of [[accept]] tables", where_());
                };
                tokens.push(Token::Arg("--accept".to_string()));
                tokens.push(Token::Arg(serde_json::to_string(&entry)?));
            }
            continue;
        }
        if key == "url" {
            let url = value
                .as_str()
                .with_context(|| format!("{} must be a string", where_()))?;
            tokens.push(Token::Url(url.to_string()));
            continue;
        }
        if let toml::Value::Boolean(on) = value {
            // `sitemaps = false` is `--no-sitemaps`; `quiet = true` is `--quiet`.
            let name = if on { key.clone() } else { format!("no-{key}") };
            let name = match flag(&name) {
                Some(_) => name,
                None if !on && key.starts_with("no-") => key.trim_start_matches("no-").to_string(),
                None => return Err(unknown(&key, where_())),
            };
            match flag(&name) {
                Some(arg) if matches!(arg.get_action(), ArgAction::SetTrue) => {
                    tokens.push(Token::Arg(format!("--{name}")));
                }
                _ => bail!("{} is not a yes/no option", where_()),
            }
            continue;
        }
        let Some(arg) = flag(&key) else {
            return Err(unknown(&key, where_()));
        };
        if !arg.get_action().takes_values() {
            bail!("{} must be true or false", where_());
        }
        let values = match value {
            toml::Value::Array(items) => items,
            other => vec![other],
        };
        if values.len() > 1 && !matches!(arg.get_action(), ArgAction::Append) {
            bail!("{} takes one value, not a list", where_());
        }
        for value in values {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                _ => bail!("{} must be a string or a number", where_()),
            };
            // Checked here, so that the message names the file and line, not `--{key}`.
            let alone = ["authwall", "audit", &format!("--{key}"), &text];
            if let Err(e) = Cli::try_parse_from(alone) {
                let message = e.to_string();
                let first = message.lines().next().unwrap_or_default();
                // clap words it for the command line (`for '--max-pages <N>': …`): keep the why.
                let why = first.rsplit_once("': ").map_or(first, |(_, why)| why);
                let why = why.trim_start_matches("error: ");
                bail!("{}: {text:?} is not a valid value ({why})", where_());
            }
            tokens.push(Token::Arg(format!("--{key}")));
            tokens.push(Token::Arg(text));
        }
    }
    Ok(tokens)
}

/// The option a mistyped key probably meant: `max_pages` -> `max-pages`, `max-page` ->
/// `max-pages`.
fn near_key(key: &str, audit: &clap::Command) -> Option<String> {
    let wanted = key.to_ascii_lowercase().replace('_', "-");
    let keys = audit
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .filter(|long| !NOT_IN_FILE.contains(long))
        .map(|long| long.trim_start_matches("no-").to_string())
        .chain(std::iter::once("url".to_string()));
    keys.map(|k| (strsim::levenshtein(&wanted, &k), k))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, k)| k)
}

/// `authwall init`: a commented starter file, generated from the options themselves so that
/// it can never drift from them.
pub fn starter(url: Option<&str>) -> String {
    let command = Cli::command();
    let mut out = String::from(
        "# authwall.toml: options for `authwall audit`, read from the working directory (or\n\
         # --config FILE). Keys are the long option names; command-line flags win over the\n\
         # file, and repeatable options (private, include, exclude, sitemap…) add to its lists.\n\
         # Uncomment and edit what you need.\n\n\
         # The site to audit (one origin per run).\n",
    );
    match url {
        Some(url) => out.push_str(&format!("url = {url:?}\n")),
        None => out.push_str("# url = \"https://www.example.com/\"\n"),
    }
    let Some(audit) = command.find_subcommand("audit") else {
        return out;
    };
    for arg in audit.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if NOT_IN_FILE.contains(&long)
            || arg.is_hide_set()
            || matches!(arg.get_action(), ArgAction::SetTrue)
        {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        let default: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        let value = match (default.first(), arg.get_action()) {
            (_, ArgAction::Append) => "[]".to_string(),
            (Some(d), _) if d.parse::<u64>().is_ok() => d.clone(),
            (Some(d), _) => format!("{d:?}"),
            // No default (unlimited, or unset): say so without a value to uncomment.
            (None, _) => String::new(),
        };
        out.push_str(&format!("\n# {help}\n# {long} = {value}\n"));
    }
    out.push_str("\n# Yes/no options, with their defaults.\n");
    for (key, default) in BOOL_KEYS {
        out.push_str(&format!("# {key} = {default}\n"));
    }
    out.push_str(
        "\n# Findings the team has accepted (`authwall accept URL FINDING --reason …` adds one):\n\
         # still in the CSV, marked in its `accepted` column, left out of the exit code.\n\
         # [[accept]]\n\
         # url=\"/staging-link\"         # a path glob, or a whole-URL glob\n\
         # finding=\"private_linked_publicly\"\n\
         # reason=\"goes with the redesign\"\n\
         # until=\"2027-03-31\"          # optional: counts again after this day (UTC)\n",
    );
    out
}

/// Parse a command line the way `main` does: the config file first.
pub fn parse(argv: Vec<OsString>) -> Result<Cli> {
    Ok(Cli::try_parse_from(apply(argv)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn args_with_file(file: &str, cli: &[&str]) -> Result<crate::cli::AuditArgs> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.toml");
        std::fs::write(&path, file)?;
        let mut argv: Vec<OsString> = ["authwall", "audit", "--config"]
            .iter()
            .map(OsString::from)
            .collect();
        argv.push(path.into());
        argv.extend(cli.iter().map(OsString::from));
        match parse(argv)?.command {
            Command::Audit(a) => Ok(*a),
            _ => bail!("not audit"),
        }
    }

    /// Every option of `audit` has a key, and writing each key with its documented default
    /// gives exactly the default settings: the file and the flags cannot drift apart.
    #[test]
    fn every_option_has_a_config_key_with_the_same_default() {
        let command = Cli::command();
        let audit = command.find_subcommand("audit").unwrap();
        let mut file = String::from("url = \"https://example.com/\"\n");
        for arg in audit.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if NOT_IN_FILE.contains(&long) {
                continue;
            }
            if matches!(arg.get_action(), ArgAction::SetTrue) {
                let covered = BOOL_KEYS
                    .iter()
                    .any(|(k, _)| *k == long || format!("no-{k}") == long);
                assert!(covered, "boolean --{long} has no key in BOOL_KEYS");
                continue;
            }
            let default = arg
                .get_default_values()
                .first()
                .map(|v| v.to_string_lossy().into_owned());
            match (default, arg.get_action()) {
                (_, ArgAction::Append) => file.push_str(&format!("{long} = []\n")),
                (Some(d), _) => file.push_str(&format!("{long} = {d:?}\n")),
                (None, _) => {} // no default: the option is simply absent
            }
        }
        for (key, default) in BOOL_KEYS {
            file.push_str(&format!("{key} = {default}\n"));
        }
        let from_file = Config::from_args(&args_with_file(&file, &[]).unwrap()).unwrap();
        let plain = args_with_file("", &["https://example.com/"]).unwrap();
        let plain = Config::from_args(&plain).unwrap();
        assert_eq!(
            serde_json::to_value(&from_file).unwrap(),
            serde_json::to_value(&plain).unwrap(),
            "file:\n{file}"
        );
    }

    #[test]
    fn the_command_line_wins_over_the_file_and_lists_add_up() {
        let file =
            "url = \"https://a.example/\"\nmax-pages = 10\nexclude = [\"/tag/*\"]\nquiet = true\n";
        let a = args_with_file(
            file,
            &["--max-pages", "20", "--exclude", "/x/*", "--no-quiet"],
        )
        .unwrap();
        assert_eq!(a.max_pages, 20);
        assert_eq!(a.exclude, ["/tag/*", "/x/*"]);
        assert!(!a.quiet, "--no-quiet turns the file's quiet off");
        assert_eq!(a.url.as_deref(), Some("https://a.example/"));
        let a = args_with_file(file, &["https://b.example/"]).unwrap();
        assert_eq!(a.url.as_deref(), Some("https://b.example/"));
        assert_eq!(a.max_pages, 10);
        assert!(a.quiet);
    }

    #[test]
    fn negative_flags_are_positive_keys() {
        let a = args_with_file("sitemaps = false\nprobe = false\n", &["x"]).unwrap();
        assert!(a.no_sitemaps && a.no_probe);
        let a = args_with_file("sitemaps = false\n", &["x", "--sitemaps"]).unwrap();
        assert!(!a.no_sitemaps, "--sitemaps undoes the file");
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_the_key_and_the_file() {
        let err = args_with_file("max-pagez = 3\n", &["x"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`max-pagez`") && err.contains("a.toml"),
            "{err}"
        );
        let err = args_with_file("max-pages = true\n", &["x"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`max-pages`"), "{err}");
        let err = args_with_file("not toml at all [", &["x"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid TOML"), "{err}");
    }

    #[test]
    fn accept_tables_reach_the_report_settings_and_bad_ones_say_why() {
        let file = "url = \"https://a.example/\"\n\
                    [[accept]]\nurl = \"/legacy/**\"\nfinding = \"public_401\"\n\
                    reason = \"goes next quarter\"\nuntil = \"2027-03-31\"\n\
                    [[accept]]\nurl = \"/x\"\nfinding = \"sitemap_redirect\"\nreason = \"legacy\"\n";
        let config = Config::from_args(&args_with_file(file, &[]).unwrap()).unwrap();
        let accept = &config.report.accept;
        assert_eq!(accept.len(), 2);
        assert_eq!(accept[0].finding, crate::audit::Finding::Public401);
        assert_eq!(accept[0].until.as_deref(), Some("2027-03-31"));
        for (bad, says) in [
            ("url = \"/x\"\nfinding = \"public_401\"\n", "reason"),
            ("url = \"/x\"\nfinding = \"nope\"\nreason = \"r\"\n", "nope"),
            (
                "url = \"/x\"\nfinding = \"public_401\"\nreason = \" \"\n",
                "reason",
            ),
            (
                "url = \"/x\"\nfinding = \"public_401\"\nreason = \"r\"\nuntil = \"2027-02-30\"\n",
                "not a day",
            ),
        ] {
            let file = format!("url = \"https://a.example/\"\n[[accept]]\n{bad}");
            let err = args_with_file(&file, &[])
                .and_then(|a| Config::from_args(&a))
                .unwrap_err();
            assert!(format!("{err:#}").contains(says), "{bad}: {err:#}");
        }
    }

    #[test]
    fn the_starter_file_parses_and_names_every_key() {
        let starter = starter(None);
        // Uncommenting every line gives a valid file with the default settings.
        let uncommented: String = starter
            .lines()
            .filter(|l| {
                l.starts_with("# ")
                    && l.contains(" = ")
                    && !l.ends_with(" = ")
                    && !l.starts_with("# url ")
            })
            .map(|l| format!("{}\n", &l[2..]))
            .collect();
        let file = format!("url = \"https://example.com/\"\n{uncommented}");
        let from_file = Config::from_args(&args_with_file(&file, &[]).unwrap()).unwrap();
        let plain =
            Config::from_args(&args_with_file("", &["https://example.com/"]).unwrap()).unwrap();
        assert_eq!(
            serde_json::to_value(&from_file).unwrap(),
            serde_json::to_value(&plain).unwrap()
        );
        assert!(starter.contains("# max-pages = 50000"));
        assert!(starter.contains("# sitemaps = true"));
    }
}

#[cfg(test)]
mod example_file {
    /// examples/authwall.toml stays a valid config file.
    #[test]
    fn the_example_config_file_is_valid() {
        let text = include_str!("../../examples/authwall.toml");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("authwall.toml");
        std::fs::write(&path, text).unwrap();
        let argv = ["authwall", "audit", "--config", path.to_str().unwrap()]
            .iter()
            .map(std::ffi::OsString::from)
            .collect();
        let cli = super::parse(argv).unwrap();
        let crate::cli::Command::Audit(args) = cli.command else {
            panic!("not audit")
        };
        let config = crate::config::Config::from_args(&args).unwrap();
        assert_eq!(config.crawl.start.as_str(), "https://www.example-shop.com/");
        assert!(config.report.fail_on_new && config.report.quiet);
    }
}
