//! Deterministic, realistic customers for trying konto out and for
//! benchmarks (`konto gen`). Each one is built on a demo customer of the
//! same country (so address, postal code, culture and phone fit), with a
//! new company name, contact, domain and email drawn from the demo data's
//! own words by a seeded generator: the same seed gives the same customers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::{Cloud, Customer, PurchasePermissions};

/// A small, fast, seeded generator (splitmix64); not for secrets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

/// Lower-case ASCII letters and digits of `s` (umlauts spelled out), for
/// domains and email addresses.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            _ => {
                use unicode_normalization::UnicodeNormalization;
                out.extend(c.to_string().nfd().filter(char::is_ascii_alphanumeric));
            }
        }
    }
    out
}

/// Customers are generated in blocks of this many, each from its own seed,
/// so that blocks can be made on every core and the result still depends on
/// the seed alone.
const BLOCK: usize = 16_384;

/// `count` customers of `cloud` (usgov: built on the US demo customers).
pub fn generate(templates: &[Customer], count: usize, seed: u64, cloud: Cloud) -> Vec<Customer> {
    let pool: Vec<&Customer> = templates
        .iter()
        .filter(|c| {
            c.cloud == cloud || (cloud == Cloud::Usgov && c.billing.address.country == "US")
        })
        .collect();
    if pool.is_empty() {
        return Vec::new();
    }
    let mut by_country: HashMap<&str, Vec<&Customer>> = HashMap::new();
    for c in &pool {
        by_country
            .entry(c.billing.address.country.as_str())
            .or_default()
            .push(c);
    }
    let maker = Maker {
        pool,
        by_country,
        seed,
        cloud,
    };
    let mut blocks: Vec<usize> = (0..count.div_ceil(BLOCK)).collect();
    let made = crate::parallel::map_on_cores(&mut blocks, |&mut block| {
        maker.block(block as u64, block * BLOCK..count.min((block + 1) * BLOCK))
    });
    let mut all = Vec::with_capacity(count);
    for block in made {
        all.extend(block);
    }
    all
}

/// What every block of generated customers is made from.
struct Maker<'a> {
    pool: Vec<&'a Customer>,
    /// The pool by country code.
    by_country: HashMap<&'a str, Vec<&'a Customer>>,
    seed: u64,
    cloud: Cloud,
}

impl Maker<'_> {
    /// Customers number `range` (from 0), block `block` of them.
    fn block(&self, block: u64, range: std::ops::Range<usize>) -> Vec<Customer> {
        let mut out = Vec::with_capacity(range.len());
        let mut rng = Rng(self.seed ^ block.wrapping_mul(0xA076_1D64_78BD_642F));
        let start = DateTime::from_timestamp(1_546_300_800, 0).unwrap_or_default(); // 2019-01-01
        let span = 7 * 365 * 24 * 3600;
        let (seed, cloud) = (self.seed, self.cloud);
        for i in range {
            let template = self.pool[rng.below(self.pool.len())];
            let same_country = self
                .by_country
                .get(template.billing.address.country.as_str())
                .map_or(&self.pool, |c| c);
            let pick = |rng: &mut Rng| same_country[rng.below(same_country.len())];
            // Name: a surname of the country, the template's trade words, its
            // legal form; the number keeps names and domains unique.
            let surname = pick(&mut rng).billing.last_name.clone();
            let words: Vec<&str> = template.company.name.split_whitespace().collect();
            let trade = words
                .get(1..words.len().saturating_sub(1))
                .unwrap_or(&[])
                .join(" ");
            let form = words.last().copied().unwrap_or("");
            let name = [surname.as_str(), trade.as_str(), form]
                .iter()
                .filter(|w| !w.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            let name = format!("{name} {}", i + 1);
            let contact = pick(&mut rng);
            // Unique across seeds and runs: slug, seed, number.
            let base = match slug(&surname) {
                s if s.is_empty() => "customer".to_string(),
                s => s,
            };
            let stem = format!("{base}-{seed}-{}", i + 1);
            let tld = template
                .billing
                .email
                .rsplit('.')
                .next()
                .unwrap_or("com")
                .to_string();
            let suffix = if cloud == Cloud::Usgov {
                "onmicrosoft.us"
            } else {
                "onmicrosoft.com"
            };
            let created = start + chrono::Duration::seconds((rng.next() % span) as i64);
            let updated: DateTime<Utc> =
                created + chrono::Duration::seconds((rng.next() % (365 * 24 * 3600)) as i64);
            let mut c = template.clone();
            c.id = rng.uuid();
            c.cloud = cloud;
            c.version = 1;
            c.created = created;
            c.updated = updated;
            c.company.name = name.clone();
            c.company.domain = format!("{stem}.{suffix}");
            c.company.tenant_id = rng.uuid();
            c.billing.company_name = name;
            c.billing.first_name = contact.billing.first_name.clone();
            c.billing.last_name = contact.billing.last_name.clone();
            // Names in scripts without a Latin spelling here get "billing@".
            let local: Vec<String> = [&contact.billing.first_name, &contact.billing.last_name]
                .iter()
                .map(|n| slug(n))
                .filter(|s| !s.is_empty())
                .collect();
            let local = if local.is_empty() {
                "billing".to_string()
            } else {
                local.join(".")
            };
            c.billing.email = format!("{local}@{stem}.{tld}");
            c.permissions = PurchasePermissions {
                azure_reservations: rng.below(5) == 0,
                azure_savings_plan: rng.below(7) == 0,
            };
            out.push(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{Policy, check_record};

    #[test]
    fn the_same_seed_gives_the_same_valid_customers() {
        let demo = crate::demo::demo_customers().unwrap();
        let a = generate(&demo, 2000, 7, Cloud::Commercial);
        let b = generate(&demo, 2000, 7, Cloud::Commercial);
        assert_eq!(a, b);
        assert_ne!(a, generate(&demo, 2000, 8, Cloud::Commercial));
        let mut domains: Vec<&str> = a.iter().map(|c| c.company.domain.as_str()).collect();
        domains.sort();
        domains.dedup();
        assert_eq!(domains.len(), 2000, "domains are unique");
        for c in &a {
            if let Err(e) = check_record(c, &Policy::default()) {
                panic!("{} ({}): {e:?}", c.company.name, c.billing.address.country);
            }
        }
        let gov = generate(&demo, 20, 1, Cloud::Usgov);
        assert!(
            gov.iter()
                .all(|c| c.cloud == Cloud::Usgov && c.company.domain.ends_with(".onmicrosoft.us"))
        );
    }
}
