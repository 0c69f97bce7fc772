//! Answering a paused request: over the tab's session or the browser's, with what the
//! [`Serve`](super::Serve) returned, or refused (`BlockedByClient`: the page sees a failed
//! request).

use std::sync::Arc;

use base64::Engine as _;
use chromiumoxide::Page;
use chromiumoxide::browser::Browser as CdpBrowser;
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, FailRequestParams, FulfillRequestParams, HeaderEntry,
};
use chromiumoxide::cdp::browser_protocol::network::ErrorReason;

use super::Served;

/// Headers not handed to the browser: the body is given whole and decoded.
const DROPPED_HEADERS: [&str; 5] = [
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

/// Where a paused request is answered: the tab's session, or the browser's (a request caught
/// by the browser-wide interception).
#[derive(Clone)]
pub(super) enum Via {
    Tab(Page),
    Browser(Arc<CdpBrowser>),
}

impl Via {
    pub async fn fulfill(&self, params: FulfillRequestParams) -> bool {
        match self {
            Via::Tab(page) => page.execute(params).await.is_ok(),
            Via::Browser(browser) => browser.execute(params).await.is_ok(),
        }
    }

    pub async fn fail(&self, id: fetch::RequestId) {
        let params = FailRequestParams::new(id, ErrorReason::BlockedByClient);
        let _ = match self {
            Via::Tab(page) => page.execute(params).await.map(drop),
            Via::Browser(browser) => browser.execute(params).await.map(drop),
        };
    }
}

/// The first value of a header, or "".
pub(super) fn header(served: &Served, name: &str) -> String {
    served
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The browser's answer to a paused request, from what the Serve returned.
pub(super) fn fulfillment(id: fetch::RequestId, served: Served) -> FulfillRequestParams {
    let headers: Vec<HeaderEntry> = served
        .headers
        .into_iter()
        .filter(|(name, _)| !DROPPED_HEADERS.iter().any(|d| name.eq_ignore_ascii_case(d)))
        .map(|(name, value)| HeaderEntry::new(name, value))
        .collect();
    let mut params = FulfillRequestParams::new(id, i64::from(served.status));
    params.response_headers = Some(headers);
    params.body = Some(
        base64::engine::general_purpose::STANDARD
            .encode(&served.body)
            .into(),
    );
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_goes_whole_and_decoded_without_its_transfer_headers() {
        let served = Served {
            status: 401,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Content-Encoding".into(), "gzip".into()),
                ("content-length".into(), "99".into()),
                ("www-authenticate".into(), "Bearer".into()),
            ],
            body: b"{}".to_vec(),
        };
        assert_eq!(header(&served, "content-type"), "application/json");
        let params = fulfillment(fetch::RequestId::from("1".to_string()), served);
        assert_eq!(params.response_code, 401);
        let names: Vec<&str> = params
            .response_headers
            .iter()
            .flatten()
            .map(|h| h.name.as_str())
            .collect();
        assert_eq!(names, ["Content-Type", "www-authenticate"]);
        let body = params.body.expect("a body");
        assert_eq!(AsRef::<str>::as_ref(&body), "e30=");
    }
}
