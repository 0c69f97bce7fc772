//! What a settled page shows: one script (`evidence.js`), evaluated once in the page's main
//! world, returns its title, visible text, password inputs, links and prompts by value.

use serde::Deserialize;
use url::Url;

use super::{MAX_LINKS, MAX_PROMPT_LINK_CHARS, MAX_PROMPTS, Rendered};

/// The script, with its limits filled in.
pub(super) fn script() -> String {
    include_str!("evidence.js")
        .replace("__MAX_LINKS__", &MAX_LINKS.to_string())
        .replace("__MAX_PROMPTS__", &MAX_PROMPTS.to_string())
        .replace("__SHORT__", &MAX_PROMPT_LINK_CHARS.to_string())
}

/// What the script returns. Every field may be missing or of another type on a hostile page
/// (it can replace the globals the script uses): missing is empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Evidence {
    pub url: String,
    pub title: String,
    pub text: u32,
    pub password: bool,
    pub links: Vec<String>,
    pub prompts: Vec<String>,
}

impl Evidence {
    pub fn from_value(value: serde_json::Value) -> Result<Self, String> {
        serde_json::from_value(value).map_err(|e| format!("the page's evidence is unreadable: {e}"))
    }

    /// Fill `rendered` in, keeping the limits even if the page tampered with the script.
    pub fn apply(self, rendered: &mut Rendered) {
        rendered.title = self.title;
        rendered.visible_text = self.text;
        rendered.password_input = self.password;
        rendered.links = self
            .links
            .iter()
            .filter_map(|href| Url::parse(href).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .take(MAX_LINKS)
            .collect();
        rendered.prompts = self.prompts.into_iter().take(MAX_PROMPTS).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_filled_in() {
        let script = script();
        assert!(!script.contains("__"), "{script}");
        assert!(script.contains("MAX_LINKS = 2000"));
    }

    #[test]
    fn links_are_http_only_and_missing_fields_are_empty() {
        let value = serde_json::json!({
            "title": "T",
            "links": ["https://a.example/x", "javascript:void(0)", "mailto:x@y", "not a url"],
        });
        let mut rendered = Rendered::empty(&Url::parse("https://a.example/").unwrap());
        Evidence::from_value(value).unwrap().apply(&mut rendered);
        assert_eq!(rendered.title, "T");
        assert_eq!(rendered.links.len(), 1);
        assert_eq!(rendered.visible_text, 0);
        assert!(rendered.prompts.is_empty());
    }

    #[test]
    fn a_value_of_the_wrong_shape_is_an_error() {
        assert!(Evidence::from_value(serde_json::json!({"text": "many"})).is_err());
    }
}
