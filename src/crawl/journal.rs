//! The resume journal: what every request answered, one JSON line per answer, next to the CSV
//! (`<csv>.journal`). A run that stops early (Ctrl-C, SIGTERM, `--max-duration`, a refusal
//! storm, `kill -9`) leaves it behind; `--resume` replays it: a URL whose answer is in the
//! journal is not requested again, its recorded answer goes through the same code as a live
//! one, so the resumed run ends with the rows an uninterrupted run would have written. A run
//! that completes deletes its journal.
//!
//! Why a journal of answers rather than a snapshot of the crawl's state: the engine keeps
//! little (no bodies, no link lists), and the answers are all it needs to rebuild the rest
//! exactly (depths, referrers, inlinks, flags, redirect chains). Lines are appended as answers
//! arrive and flushed about once a second and when the run stops; a line cut short by
//! `kill -9` is ignored on replay (that URL is simply asked again).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::extract::{Link, LinkKind, Page};
use super::requests::{Answer, FetchAnswer};
use crate::model::ShellSignals;

/// Records are ~1–2 KB a page: write them 64 KiB at a time.
const WRITE_BUFFER: usize = 64 * 1024;

/// Bump when a record's shape changes: an older journal is refused, never misread.
/// 2: robots.txt answers no longer carry their note (it is read again from the answer).
/// 3: pages carry their app-shell signals.
const VERSION: u32 = 3;

/// Where the journal of the CSV at `csv` lives.
pub fn path_for(csv: &Path) -> PathBuf {
    let mut name = csv.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// The first line: which version wrote it, for an audit of which start URL.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Header {
    Header { version: u32, start: String },
}

/// Appends records; buffered, flushed on [`Writer::flush`].
pub struct Writer {
    out: BufWriter<File>,
    /// A fetch record is built here, then written at once.
    line: Vec<u8>,
}

impl Writer {
    /// Start a new journal (replacing any old one) for an audit of `start`.
    pub fn create(path: &Path, start: &str) -> Result<Self> {
        // Only its owner reads it: it holds what a staging or members-only site answered.
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(path)
            .with_context(|| format!("cannot create the resume journal {}", path.display()))?;
        #[cfg(unix)]
        {
            // An older journal kept its mode through the truncation.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot protect the resume journal {}", path.display()))?;
        }
        let mut writer = Self {
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            line: Vec::new(),
        };
        writer.write_line(&Header::Header {
            version: VERSION,
            start: start.to_string(),
        })?;
        Ok(writer)
    }

    /// Go on writing after the records of an earlier run.
    pub fn append_to(path: &Path) -> Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the resume journal {}", path.display()))?;
        // A line cut short by `kill -9` must not swallow the next record.
        if file.metadata()?.len() > 0 {
            let mut last = [0u8];
            file.read_exact_at(&mut last, file.metadata()?.len() - 1)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Self {
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            line: Vec::new(),
        })
    }

    fn write_line(&mut self, record: &impl Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Append a live answer: the JSON serde writes for it, built faster for pages.
    pub fn append(&mut self, answer: &Answer) -> Result<()> {
        let Answer::Fetch(FetchAnswer {
            url,
            response,
            page,
            sitemap,
            fingerprint,
            challenge,
            member,
            ..
        }) = answer
        else {
            return self.write_line(answer);
        };
        let url = url.as_str();
        // One per page, with every link of the page: serde_json escapes every string byte by
        // byte, field names included, which made this record a twentieth of a crawl's CPU.
        // The links are written here instead (see `write_page`); the rest goes through serde.
        let line = &mut self.line;
        line.clear();
        line.extend_from_slice(br#"{"t":"fetch","url":"#);
        write_str(line, url)?;
        line.extend_from_slice(br#","response":"#);
        serde_json::to_writer(&mut *line, response)?;
        line.extend_from_slice(br#","page":"#);
        match page {
            Some(page) => write_page(line, page)?,
            None => line.extend_from_slice(b"null"),
        }
        line.extend_from_slice(br#","sitemap":"#);
        serde_json::to_writer(&mut *line, &sitemap)?;
        line.extend_from_slice(br#","fingerprint":"#);
        serde_json::to_writer(&mut *line, &fingerprint)?;
        line.extend_from_slice(br#","challenge":"#);
        line.extend_from_slice(if *challenge { b"true" } else { b"false" });
        if member.is_some() {
            line.extend_from_slice(br#","member":"#);
            serde_json::to_writer(&mut *line, member)?;
        }
        line.extend_from_slice(b"}\n");
        self.out.write_all(line)?;
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().context("cannot write the resume journal")
    }
}

/// A [`Page`] as serde_json writes it, its links without the serializer. Every field is named
/// (no `..`): a field added to `Page` does not compile until it is written here too.
fn write_page(line: &mut Vec<u8>, page: &Page) -> Result<()> {
    let Page {
        title,
        meta_robots,
        canonical,
        meta_refresh,
        links,
        invalid_links,
        has_password_input,
        password_form_actions,
        parse_error,
        shell,
        main_words,
        // The member comparison's text is never journaled.
        text: _,
    } = page;
    line.extend_from_slice(br#"{"title":"#);
    serde_json::to_writer(&mut *line, title)?;
    line.extend_from_slice(br#","meta_robots":"#);
    serde_json::to_writer(&mut *line, meta_robots)?;
    line.extend_from_slice(br#","canonical":"#);
    serde_json::to_writer(&mut *line, canonical)?;
    line.extend_from_slice(br#","meta_refresh":"#);
    serde_json::to_writer(&mut *line, meta_refresh)?;
    line.extend_from_slice(br#","links":["#);
    for (i, Link { url, kind }) in links.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        line.extend_from_slice(br#"{"url":"#);
        write_str(line, url)?;
        line.extend_from_slice(match kind {
            LinkKind::Anchor => br#","kind":"Anchor"}"#.as_slice(),
            LinkKind::Area => br#","kind":"Area"}"#,
            LinkKind::Canonical => br#","kind":"Canonical"}"#,
            LinkKind::Alternate => br#","kind":"Alternate"}"#,
        });
    }
    line.extend_from_slice(br#"],"invalid_links":"#);
    serde_json::to_writer(&mut *line, invalid_links)?;
    line.extend_from_slice(br#","has_password_input":"#);
    serde_json::to_writer(&mut *line, has_password_input)?;
    line.extend_from_slice(br#","password_form_actions":"#);
    serde_json::to_writer(&mut *line, password_form_actions)?;
    line.extend_from_slice(br#","parse_error":"#);
    serde_json::to_writer(&mut *line, parse_error)?;
    let ShellSignals {
        words,
        scripts,
        mount_point,
        inline_data,
    } = shell;
    let _ = write!(
        line,
        r#","shell":{{"words":{words},"scripts":{scripts},"mount_point":{mount_point},"inline_data":{inline_data}}},"main_words":{main_words}}}"#
    );
    Ok(())
}

/// A JSON string. Link URLs are serialised `Url`s, which rarely hold a byte that JSON
/// escapes: those are copied as they are, the rest go through serde_json.
fn write_str(line: &mut Vec<u8>, s: &str) -> Result<()> {
    // A fold without an early exit, so that the compiler checks many bytes at a time.
    let escapes = s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !escapes {
        line.push(b'"');
        line.extend_from_slice(s.as_bytes());
        line.push(b'"');
    } else {
        serde_json::to_writer(&mut *line, s)?;
    }
    Ok(())
}

/// The answers of an earlier run, looked up by key. Only offsets are held in memory; a record
/// is read from the file when it is replayed.
pub struct Replay {
    file: File,
    index: HashMap<String, (u64, usize)>,
}

impl Replay {
    /// Index the journal at `path`, which must belong to an audit of `start`.
    pub fn open(path: &Path, start: &str) -> Result<Self> {
        let file = File::open(path).with_context(|| {
            format!(
                "nothing to resume: cannot open {} (it is written while an audit runs and \
                 deleted when one completes)",
                path.display()
            )
        })?;
        let mut reader = BufReader::new(file.try_clone()?);
        let mut index = HashMap::new();
        let mut offset = 0u64;
        let mut line = Vec::new();
        let mut first = true;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            if first {
                match serde_json::from_slice(&line).ok() {
                    Some(Header::Header { version, start: s }) if version == VERSION => {
                        if s != start {
                            bail!(
                                "{} is the journal of an audit of {s}, not of {start}",
                                path.display()
                            );
                        }
                    }
                    _ => bail!(
                        "{} is not a resume journal of this version of authwall",
                        path.display()
                    ),
                }
                first = false;
            } else if let Ok(answer) = serde_json::from_slice::<Answer>(&line) {
                let key = answer.key();
                // The last answer wins (an answer recorded twice is the same URL asked again).
                index.insert(key, (offset, n));
            }
            // A line that does not parse (cut short by kill -9) is skipped: asked again.
            offset += n as u64;
        }
        if first {
            bail!("{} is empty", path.display());
        }
        Ok(Self { file, index })
    }

    /// Answers recorded.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The recorded answer for `key`, once.
    pub fn take(&mut self, key: &str) -> Option<Answer> {
        let (offset, len) = self.index.remove(key)?;
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, offset).ok()?;
        serde_json::from_slice(&buf).ok()
    }
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::crawl::fetch::Response;
    use crate::crawl::requests::CalibrationAnswer;

    #[test]
    fn fetch_records_are_written_as_serde_writes_them() {
        let page_url = Url::parse("https://example.com/dir/page").expect("url");
        let html = r#"<html><head><title>T "q" \ é</title>
            <meta name=robots content="noindex">
            <link rel=canonical href="/canon?a=1#f">
            <meta http-equiv=refresh content="0; url=/next">
            <link rel=alternate href="/fr/">
            </head><body>
            <a href="/a">a</a> <a href='/q?x="y"&z=\w'>q</a> <a href="/café">c</a>
            <map><area href="/area"></map>
            <form action="http://example.com/login"><input type=password></form>
            </body></html>"#;
        let pages = [
            None,
            Some(Page::default()),
            Some(super::super::extract::extract(html, &page_url)),
            Some(Page {
                title: Some("ctl \u{1}\t".into()),
                links: vec![Link {
                    url: "https://example.com/\\\"\u{7f}".into(),
                    kind: LinkKind::Canonical,
                }],
                parse_error: Some("too deep".into()),
                ..Page::default()
            }),
        ];
        assert!(pages[2].as_ref().is_some_and(|p| p.links.len() >= 5));
        let response = Response {
            status: Some(200),
            content_type: "text/html; charset=\"utf-8\"".into(),
            ..Response::default()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.csv.journal");
        let mut w = Writer::create(&path, "https://example.com/").expect("create");
        w.flush().expect("flush");
        let mut expected = std::fs::read(&path).expect("read");
        for page in &pages {
            for challenge in [false, true] {
                let answer = Answer::Fetch(FetchAnswer {
                    id: 0,
                    url: Url::parse("https://example.com/dir/page?\"").expect("url"),
                    response: response.clone(),
                    page: page.clone(),
                    sitemap: None,
                    fingerprint: None,
                    challenge,
                    member: challenge.then(|| {
                        Box::new(crate::model::MemberView {
                            status: 200,
                            html: true,
                            contained: Some(0.5),
                            ..Default::default()
                        })
                    }),
                });
                w.append(&answer).expect("append");
                expected.extend(serde_json::to_vec(&answer).expect("json"));
                expected.push(b'\n');
            }
        }
        w.flush().expect("flush");
        let written = std::fs::read(&path).expect("read");
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&expected)
        );
        let mut r = Replay::open(&path, "https://example.com/").expect("open");
        let Some(Answer::Fetch(FetchAnswer { page, .. })) =
            r.take("f https://example.com/dir/page?%22")
        else {
            panic!("a fetch record");
        };
        assert_eq!(page.as_ref(), pages[3].as_ref(), "the last one wins");
    }

    fn calibration(key: &str) -> Answer {
        Answer::Calibration(CalibrationAnswer {
            key: key.into(),
            fingerprint: None,
        })
    }

    #[test]
    fn records_round_trip_and_a_cut_line_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.csv.journal");
        let mut w = Writer::create(&path, "http://s/").expect("create");
        w.append(&calibration("k1")).expect("append");
        w.flush().expect("flush");
        drop(w);
        // kill -9 in the middle of a record.
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(br#"{"t":"calibration","key":"k2","fingerp"#)
            .expect("write");
        drop(f);
        let mut w = Writer::append_to(&path).expect("append_to");
        w.append(&calibration("k3")).expect("append");
        w.flush().expect("flush");
        let mut r = Replay::open(&path, "http://s/").expect("open");
        assert_eq!(r.len(), 2);
        assert!(r.take(&calibration("k1").key()).is_some());
        assert!(r.take(&calibration("k1").key()).is_none(), "once");
        assert!(r.take(&calibration("k2").key()).is_none());
        assert!(r.take(&calibration("k3").key()).is_some());
        let err = Replay::open(&path, "http://other/").err().expect("refused");
        assert!(err.to_string().contains("not of http://other/"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn only_its_owner_can_read_the_journal() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.csv.journal");
        // An older journal readable by anyone is replaced by one that is not.
        std::fs::write(&path, "old").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        drop(Writer::create(&path, "http://s/").expect("create"));
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
}
