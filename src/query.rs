//! The customer filter, shared by the app's `/` and the CLI's `--filter`.
//!
//! A query is words, all of which must match (case-insensitive substrings).
//! A plain word is looked for in the company name, domain, email, contact
//! name, city and customer id; `field:word` narrows it to one field:
//! `country:de`, `cloud:usgov`, `name:`, `domain:`, `email:`, `contact:`,
//! `city:`, `id:`.

use crate::domain::Customer;

/// The lower-case text plain words are looked for in.
pub fn search_text(c: &Customer) -> String {
    let b = &c.billing;
    format!(
        "{}\n{}\n{}\n{} {}\n{}\n{}",
        c.company.name, c.company.domain, b.email, b.first_name, b.last_name, b.address.city, c.id
    )
    .to_lowercase()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Country,
    Cloud,
    Name,
    Domain,
    Email,
    Contact,
    City,
    Id,
}

impl Field {
    fn parse(prefix: &str) -> Option<Field> {
        Some(match prefix {
            "country" => Field::Country,
            "cloud" => Field::Cloud,
            "name" | "company" => Field::Name,
            "domain" => Field::Domain,
            "email" => Field::Email,
            "contact" => Field::Contact,
            "city" => Field::City,
            "id" => Field::Id,
            _ => return None,
        })
    }

    fn value(self, c: &Customer) -> String {
        let b = &c.billing;
        match self {
            Field::Country => b.address.country.clone(),
            Field::Cloud => c.cloud.key().to_string(),
            Field::Name => c.company.name.clone(),
            Field::Domain => c.company.domain.clone(),
            Field::Email => b.email.clone(),
            Field::Contact => format!("{} {}", b.first_name, b.last_name),
            Field::City => b.address.city.clone(),
            Field::Id => c.id.clone(),
        }
        .to_lowercase()
    }
}

/// A filter query, prepared once.
#[derive(Clone, Debug, Default)]
pub struct Query {
    words: Vec<String>,
    fields: Vec<(Field, String)>,
}

impl Query {
    pub fn new(text: &str) -> Query {
        let mut query = Query::default();
        for word in text.to_lowercase().split_whitespace() {
            match word
                .split_once(':')
                .and_then(|(p, v)| Some((Field::parse(p)?, v)))
            {
                Some((field, value)) => query.fields.push((field, value.to_string())),
                None => query.words.push(word.to_string()),
            }
        }
        query
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.fields.is_empty()
    }

    /// Whether a customer matches, given its `search_text` (precomputed by
    /// callers that filter often).
    pub fn matches_with(&self, c: &Customer, search_text: &str) -> bool {
        self.words.iter().all(|w| search_text.contains(w.as_str()))
            && self
                .fields
                .iter()
                .all(|(f, v)| f.value(c).contains(v.as_str()))
    }

    pub fn matches(&self, c: &Customer) -> bool {
        self.is_empty() || self.matches_with(c, &search_text(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::sample_customer;

    #[test]
    fn words_must_all_match_anywhere() {
        let c = sample_customer();
        assert!(Query::new("contoso stuttgart").matches(&c));
        assert!(
            Query::new("JÜRGEN").matches(&c),
            "contact names are searched"
        );
        assert!(!Query::new("contoso berlin").matches(&c));
    }

    #[test]
    fn field_prefixes_narrow_to_one_field() {
        let c = sample_customer();
        assert!(Query::new("country:de").matches(&c));
        assert!(!Query::new("country:us").matches(&c));
        assert!(Query::new("cloud:commercial city:stutt").matches(&c));
        assert!(
            !Query::new("email:stuttgart").matches(&c),
            "the city is not in the email"
        );
        // An unknown prefix is an ordinary word.
        assert!(!Query::new("colour:red").matches(&c));
    }
}
