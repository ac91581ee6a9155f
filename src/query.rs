//! The customer filter, shared by the app's `/` and the CLI's `--filter`.

use crate::domain::Customer;

/// The lower-case text a filter searches: company name, domain and email.
pub fn search_text(c: &Customer) -> String {
    format!(
        "{}\n{}\n{}",
        c.company.name, c.company.domain, c.billing.email
    )
    .to_lowercase()
}

/// A filter query, prepared once: a case-insensitive substring.
#[derive(Clone, Debug, Default)]
pub struct Query {
    needle: String,
}

impl Query {
    pub fn new(text: &str) -> Query {
        Query {
            needle: text.trim().to_lowercase(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.needle.is_empty()
    }

    /// Whether a customer's `search_text` matches.
    pub fn matches_text(&self, search_text: &str) -> bool {
        search_text.contains(&self.needle)
    }

    pub fn matches(&self, c: &Customer) -> bool {
        self.is_empty() || self.matches_text(&search_text(c))
    }
}
