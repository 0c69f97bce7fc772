//! The audited origin's TLS certificate, seen from the outside: one handshake of our own
//! (no HTTP request) that records what the platform's verifier thinks of the chain and the
//! leaf's subject, issuer and validity. A fault there means browsers and search engines reach
//! no page at all; an expiry within two weeks is what a weekly job must catch in time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use url::Url;

use crate::config::CrawlConfig;
use crate::model::{Certificate, ErrorKind};

/// Our closed list for a certificate the verifier refused.
pub fn fault_kind(error: &rustls::Error) -> ErrorKind {
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                ErrorKind::TlsExpired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                ErrorKind::TlsNotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                ErrorKind::TlsNameMismatch
            }
            CertificateError::BadEncoding => ErrorKind::Tls,
            // Unknown issuer, a self-signed leaf, a signature no trusted root verifies.
            _ => ErrorKind::TlsUntrusted,
        },
        _ => ErrorKind::Tls,
    }
}

/// The same, from the error's text, when the typed error did not survive the HTTP client's
/// wrapping (it reaches us as `invalid peer certificate: …`).
pub fn fault_kind_from_text(detail: &str) -> Option<ErrorKind> {
    let text = detail.to_ascii_lowercase();
    if !text.contains("certificate") {
        return None;
    }
    Some(if text.contains("expired") {
        ErrorKind::TlsExpired
    } else if text.contains("not valid yet") || text.contains("notvalidyet") {
        ErrorKind::TlsNotYetValid
    } else if text.contains("not valid for name") || text.contains("notvalidforname") {
        ErrorKind::TlsNameMismatch
    } else if text.contains("invalid peer certificate") {
        ErrorKind::TlsUntrusted
    } else {
        ErrorKind::Tls
    })
}

/// Records the real verifier's verdict and the leaf, and lets the handshake finish so that
/// the certificate can be read even when it is refused.
#[derive(Debug)]
struct Recorder {
    inner: Arc<dyn ServerCertVerifier>,
    verdict: Mutex<Option<rustls::Error>>,
    leaf: Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            .err();
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = verdict;
        *self.leaf.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(end_entity.clone().into_owned());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Read the certificate of an `https` origin; `None` for `http`, or when no handshake was
/// possible at all (the crawl's own requests then record why).
pub async fn inspect(url: &Url, config: &CrawlConfig) -> Option<Certificate> {
    if url.scheme() != "https" {
        return None;
    }
    let host = url.host_str()?.to_string();
    let port = url.port_or_known_default()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = rustls_platform_verifier::Verifier::new_with_extra_roots(
        config.ca_certs.iter().cloned(),
        provider.clone(),
    )
    .ok()?;
    let recorder = Arc::new(Recorder {
        inner: Arc::new(inner),
        verdict: Mutex::new(None),
        leaf: Mutex::new(None),
    });
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let address = match config.resolve.iter().find(|(h, _)| *h == host) {
        Some((_, ip)) => std::net::SocketAddr::new(*ip, port),
        None => tokio::net::lookup_host((host.as_str(), port))
            .await
            .ok()?
            .next()?,
    };
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect(address).await.ok()?;
        let name = ServerName::try_from(host.clone()).ok()?;
        tokio_rustls::TlsConnector::from(Arc::new(tls))
            .connect(name, tcp)
            .await
            .ok()
    };
    let _ = tokio::time::timeout(config.timeout, handshake).await;
    let leaf = recorder.leaf.lock().ok()?.clone()?;
    let verdict = recorder.verdict.lock().ok()?.clone();
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).ok()?;
    let validity = cert.validity();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    Some(Certificate {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: rfc3339(validity.not_before.timestamp()),
        not_after: rfc3339(validity.not_after.timestamp()),
        days_left: (validity.not_after.timestamp() - now).div_euclid(86_400),
        fault: verdict.as_ref().map(fault_kind),
        fault_detail: verdict.map(|e| e.to_string()),
    })
}

fn rfc3339(unix: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(unix.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}
