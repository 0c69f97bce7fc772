//! What a browser showed (`--render`): a sign-in protects, content leaks, a script-drawn wall
//! on a public page hurts, and a private page's API that answers anyone is the leak to name.

use super::*;
use crate::model::{ApiCall, Rendered, ShellSignals};

fn shell(g: Given) -> Given {
    let mut g = g;
    let page = g
        .record
        .fetched
        .get_or_insert_default()
        .page
        .get_or_insert_default();
    page.shell = ShellSignals {
        words: 0,
        scripts: 1,
        mount_point: true,
        inline_data: 0,
    };
    g
}

fn words(g: Given, words: u32) -> Given {
    let mut g = g;
    let page = g
        .record
        .fetched
        .get_or_insert_default()
        .page
        .get_or_insert_default();
    page.shell.words = words;
    g
}

fn rendered(g: Given, view: Rendered) -> Given {
    let mut g = g;
    g.record.rendered = Some(Box::new(view));
    g
}

fn call(path: &str, status: u16, json: bool) -> ApiCall {
    ApiCall {
        url: url(&abs(path)),
        status: Some(status),
        json,
    }
}

#[test]
fn a_private_shell_is_judged_by_what_the_browser_showed() {
    let admin = || shell(get("/admin/", 200).private());
    check(vec![
        (
            "shows a password form",
            rendered(
                admin(),
                Rendered {
                    password_input: true,
                    ..Rendered::default()
                },
            ),
            Verdict::Protected,
            &[],
        ),
        (
            "its script goes to the login page",
            rendered(
                admin(),
                Rendered {
                    final_url: Some(url(&abs("/login?next=/admin/"))),
                    ..Rendered::default()
                },
            ),
            Verdict::Protected,
            &[],
        ),
        (
            "the API it asks answers 401",
            rendered(
                admin(),
                Rendered {
                    api: vec![call("/api/me", 401, true)],
                    text_chars: 12,
                    ..Rendered::default()
                },
            ),
            Verdict::Protected,
            &[],
        ),
        (
            "a Decap-like login button on an empty page",
            rendered(
                admin(),
                Rendered {
                    sign_in: true,
                    text_chars: 27,
                    ..Rendered::default()
                },
            ),
            Verdict::Protected,
            &[],
        ),
        (
            "shows the private content",
            rendered(
                admin(),
                Rendered {
                    text_chars: 900,
                    ..Rendered::default()
                },
            ),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable],
        ),
        (
            "shows little but its API hands out JSON",
            rendered(
                admin(),
                Rendered {
                    api: vec![call("/api/users", 200, true)],
                    text_chars: 40,
                    ..Rendered::default()
                },
            ),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable],
        ),
        (
            "a dashboard full of data with a change-password form",
            rendered(
                admin(),
                Rendered {
                    password_input: true,
                    text_chars: 5000,
                    ..Rendered::default()
                },
            ),
            Verdict::Leak,
            &[PrivateLeak, PrivateIndexable],
        ),
        (
            "shows nothing: still a shell",
            rendered(
                admin(),
                Rendered {
                    error: Some("timeout".into()),
                    ..Rendered::default()
                },
            ),
            Verdict::AppShell,
            &[AppShell],
        ),
    ]);
    let note = rendered(
        admin(),
        Rendered {
            text_chars: 900,
            ..Rendered::default()
        },
    )
    .run()
    .note;
    assert!(note.is_some_and(|n| n.contains("rendered")));
}

#[test]
fn a_public_page_hidden_by_a_script_is_a_wall_and_its_look_alikes_are_not() {
    // The story's HTML holds its text; the script replaces it.
    let story = || {
        words(
            get("/news/story", 200).linked(),
            ShellSignals::WORDS_COUNTED,
        )
    };
    check(vec![
        (
            "a sign-in prompt instead of the story",
            rendered(
                story(),
                Rendered {
                    sign_in: true,
                    text_chars: 60,
                    ..Rendered::default()
                },
            ),
            Verdict::Walled,
            &[PublicScriptWall],
        ),
        (
            "its script sends the visitor to the login page",
            rendered(
                story(),
                Rendered {
                    final_url: Some(url(&abs("/login?next=/news/story"))),
                    ..Rendered::default()
                },
            ),
            Verdict::Walled,
            &[PublicScriptWall],
        ),
        (
            "a story with a 'Log in' link in its navigation",
            rendered(
                story(),
                Rendered {
                    sign_in: true,
                    text_chars: 4000,
                    ..Rendered::default()
                },
            ),
            Verdict::Ok,
            &[],
        ),
        (
            "a story as it was",
            rendered(
                story(),
                Rendered {
                    text_chars: 4000,
                    ..Rendered::default()
                },
            ),
            Verdict::Ok,
            &[],
        ),
        (
            "a page that never held more than its sign-in link",
            rendered(
                words(get("/start", 200).linked(), 4),
                Rendered {
                    sign_in: true,
                    text_chars: 30,
                    ..Rendered::default()
                },
            ),
            Verdict::Ok,
            &[],
        ),
        (
            "an unlinked page with a sign-in: not a wall anyone meets",
            rendered(
                get("/x", 200),
                Rendered {
                    password_input: true,
                    ..Rendered::default()
                },
            ),
            Verdict::Protected,
            &[],
        ),
    ]);
    let walled = rendered(
        story().sitemap(),
        Rendered {
            password_input: true,
            ..Rendered::default()
        },
    );
    assert_eq!(
        walled.run().severity,
        Some(Severity::Critical),
        "in a sitemap"
    );
}

#[test]
fn the_api_of_a_private_page_that_answers_anyone_is_a_leak_whatever_its_path() {
    let mut api = get("/v1/users.json", 200);
    api.record.found.via = DiscoveredVia::Render;
    api.record.context.private_api = true;
    let c = api.clone().run();
    assert_eq!(
        (c.verdict, c.findings.as_slice()),
        (Verdict::Leak, &[PrivateApiLeak][..])
    );
    assert_eq!(c.visibility, Visibility::Private);
    assert_eq!(c.severity, Some(Severity::Critical));
    let mut refused = api;
    refused.record.fetched.get_or_insert_default().status = Some(401);
    refused.record.final_status = Some(401);
    assert_eq!(refused.run().verdict, Verdict::Protected);
}
