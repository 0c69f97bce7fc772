//! TLS faults on the audited origin, with certificates generated at run time (rcgen) and served
//! by a local HTTPS server on 127.0.0.1.

use std::sync::Arc;

use authwall::Exit;
use authwall::model::ErrorKind;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::util::Run;

/// A test CA, and leaf certificates it (or nobody) signs.
struct Pki {
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "authwall test CA");
        let key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        Pki {
            ca_pem: ca.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names`, valid from `days_from` to `days_to` days from now; signed by the CA,
    /// or by itself when `self_signed`.
    fn leaf(
        &self,
        names: &[&str],
        days_from: i64,
        days_to: i64,
        self_signed: bool,
    ) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now + time::Duration::days(days_from);
        params.not_after = now + time::Duration::days(days_to);
        let key = KeyPair::generate().unwrap();
        let cert = if self_signed {
            params.self_signed(&key).unwrap()
        } else {
            params.signed_by(&key, &self.issuer).unwrap()
        };
        let der = key.serialize_der();
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        )
    }
}

/// Serve `router` over HTTPS on 127.0.0.1 with this certificate; returns the port.
async fn serve_tls(
    router: Router,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> u16 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, router) = (acceptor.clone(), router.clone());
            tokio::spawn(async move {
                // Handshakes that the client refuses end here; that is the point of the test.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(router);
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
            });
        }
    });
    port
}

const HOME: &str = r#"<a href="/a">a</a>"#;

fn site(home: &'static str) -> Router {
    Router::new()
        .route("/robots.txt", get(|| async { (StatusCode::NOT_FOUND, "") }))
        .route("/", get(move || async move { Html(home) }))
        .route("/a", get(|| async { Html("a") }))
        .route(
            "/old",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [("location", "http://localhost/old")],
                )
                    .into_response()
            }),
        )
}

/// Audit https://localhost:PORT/ trusting the test CA, plus `extra` arguments.
async fn audit_tls(port: u16, ca: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let mut args = vec![
        "--ca-cert",
        ca_file.to_str().unwrap(),
        "--no-probe",
        "--no-sitemaps",
    ];
    args.extend_from_slice(extra);
    let run = crate::util::audit_url(&format!("https://localhost:{port}/"), &args).await;
    drop(dir);
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_certificate_is_recorded_and_its_expiry_date_kept() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&["localhost"], -1, 90, false);
    let port = serve_tls(site(HOME), cert, key).await;
    let run = audit_tls(port, &pki.ca_pem, &[]).await;
    let certificate = run
        .result
        .facts
        .certificate
        .as_ref()
        .expect("a certificate was read");
    assert_eq!(certificate.fault, None);
    assert!(
        (88..=90).contains(&certificate.days_left),
        "{certificate:?}"
    );
    assert!(certificate.subject.contains("localhost"), "{certificate:?}");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.csv.with_extension("run.json")).unwrap())
            .unwrap();
    assert!(
        record["certificate"]["not_after"].as_str().is_some(),
        "{record}"
    );
    assert_eq!(run.row("/a").status, Some(200));
    assert!(
        !run.result.summary.contains("TLS"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_expires_within_two_weeks_is_announced() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&["localhost"], -60, 5, false);
    let port = serve_tls(site(HOME), cert, key).await;
    let run = audit_tls(port, &pki.ca_pem, &[]).await;
    assert!(
        run.result
            .summary
            .contains("TLS certificate expires in 4 days")
            || run
                .result
                .summary
                .contains("TLS certificate expires in 5 days"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_leads_the_summary_and_makes_the_run_incomplete() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&["localhost"], -400, -30, false);
    let port = serve_tls(site(HOME), cert, key).await;
    let run = audit_tls(port, &pki.ca_pem, &[]).await;
    let second_line = run
        .result
        .summary
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(
        second_line.contains("TLS: certificate expired on"),
        "{}",
        run.result.summary
    );
    assert_eq!(
        run.row("/robots.txt").error,
        Some(ErrorKind::TlsExpired),
        "{}",
        run.row("/robots.txt").note
    );
    assert_eq!(run.result.exit, Exit::Incomplete, "{}", run.result.summary);
    let note = &run.row("/robots.txt").note;
    assert!(
        note.contains("subject CN=localhost") && note.contains("issuer CN=authwall test CA"),
        "{note}"
    );

    // With --insecure the audit goes on, and the fault is still reported once, at the top.
    let run = audit_tls(port, &pki.ca_pem, &["--insecure"]).await;
    assert_eq!(run.row("/a").status, Some(200));
    assert_eq!(
        run.result.summary.matches("certificate expired").count(),
        1,
        "{}",
        run.result.summary
    );
    assert!(
        run.result
            .summary
            .lines()
            .nth(1)
            .unwrap_or_default()
            .contains("TLS:")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_is_a_name_mismatch() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&["other.example"], -1, 90, false);
    let port = serve_tls(site(HOME), cert, key).await;
    let run = audit_tls(port, &pki.ca_pem, &[]).await;
    assert_eq!(
        run.row("/robots.txt").error,
        Some(ErrorKind::TlsNameMismatch)
    );
    assert_eq!(
        run.result.facts.certificate.as_ref().and_then(|c| c.fault),
        Some(ErrorKind::TlsNameMismatch)
    );
    assert_eq!(run.result.exit, Exit::Incomplete);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_is_untrusted() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&["localhost"], -1, 90, true);
    let port = serve_tls(site(HOME), cert, key).await;
    let run = audit_tls(port, &pki.ca_pem, &[]).await;
    assert_eq!(
        run.row("/robots.txt").error,
        Some(ErrorKind::TlsUntrusted),
        "{}",
        run.row("/robots.txt").note
    );
    assert!(
        run.result.summary.contains("not trusted"),
        "{}",
        run.result.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_page_that_goes_back_to_http_is_a_downgrade() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&["localhost"], -1, 90, false);
    let port = serve_tls(
        site(r#"<a href="/a">a</a> <a href="/old">old</a> <a href="http://localhost/login">sign in</a>"#),
        cert,
        key,
    ).await;
    let run = audit_tls(port, &pki.ca_pem, &[]).await;
    assert!(
        run.row("/").finding.contains("https_downgrade"),
        "links a login page over http"
    );
    assert!(
        run.row("/old").finding.contains("https_downgrade"),
        "redirects to http"
    );
    assert!(!run.row("/a").finding.contains("https_downgrade"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_forms_over_https_are_fine_unless_they_post_to_http() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf(&["localhost"], -1, 90, false);
    let router = site(
        r#"<a href="/login">in</a> <a href="/careless">c</a> <a href="/careful">c</a>"#,
    )
    .route(
        "/login",
        get(|| async { Html(r#"<form action="/session"><input type="password"></form>"#) }),
    )
    .route(
        "/careless",
        get(|| async {
            Html(r#"<form action="http://localhost/session"><input type="password"></form>"#)
        }),
    )
    .route(
        "/careful",
        get(|| async {
            Html(r#"<form action="https://localhost/session"><input type="password"></form>"#)
        }),
    );
    let port = serve_tls(router, cert, key).await;
    let run = audit_tls(port, &pki.ca_pem, &[]).await;
    assert!(
        !run.row("/login").finding.contains("login_over_http"),
        "an HTTPS login page"
    );
    assert!(
        run.row("/careless").finding.contains("login_over_http"),
        "posts to http://"
    );
    assert!(
        !run.row("/careful").finding.contains("login_over_http"),
        "posts to https://"
    );
}
