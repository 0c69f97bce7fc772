//! The audit rules. Pure: a URL's [`Record`](crate::model::Record) (what it answered, and the
//! context the engine gathered about it) goes in,
//! visibility, verdict, findings and severity come out. No I/O, no async, no clock: every
//! function here is a table-tested function of its arguments.
//!
//! What this module owns:
//! - the closed value lists of the audit columns ([`Visibility`], [`Verdict`], [`Finding`],
//!   [`Severity`]) with each finding's title, advice and severity;
//! - which paths are private and which to probe ([`PrivateMatcher`], [`DEFAULT_PRIVATE`]);
//! - the signals read from one response: login URLs ([`is_login_url`]), `noindex`
//!   ([`is_noindex`]), bot challenges ([`is_challenge`]), catch-all fingerprints
//!   ([`fingerprint`], [`similar`]);
//! - the rules themselves ([`classify`] over a record).
//!
//! The engine (`crawl/`) decides what to fetch and fills in each record's context; the report
//! writes the [`Classification`] into the row.

mod fingerprint;
mod private;
mod rules;
mod signals;
mod values;

pub use fingerprint::{
    Fingerprint, MAX_TEXT as FINGERPRINT_BYTES, contained, fingerprint, own_shingles, shingles,
    similar,
};
pub use private::{DEFAULT_AMBIGUOUS, DEFAULT_PRIVATE, PathClass, PrivateMatcher};
pub use rules::{Classification, classify, sign_in_shown};
pub use signals::{
    SHELL_MAX_INLINE_DATA, SHELL_MAX_WORDS, is_app_shell, is_capability_url, is_challenge,
    is_login_page_url, is_login_url, is_noindex, is_noindex_for, is_sign_in_back_to,
    is_sign_in_prompt, redact_signed, without_return,
};
pub use values::{Finding, Severity, UnknownSeverity, Verdict, Visibility};
