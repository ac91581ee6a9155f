//! The customer filter, shared by the app's `/` and the CLI's `--filter`.
//!
//! A query is words, all of which must match. A plain word is matched
//! fuzzily (nucleo, helix's matcher: the letters in order, gaps allowed,
//! accents and case ignored) against each of the company name, contact name,
//! email, city and domain on its own (the `.onmicrosoft.com` every domain
//! ends in is left out unless the word has a dot), and scores as its best
//! field: a word whose letters are strewn over several fields is no match.
//! A plain word of four or more characters also matches a customer id that
//! starts with it. nucleo's syntax works too: `'exact`, `^prefix`,
//! `suffix$`, `!not`. `field:word` narrows a word to one field:
//! `country:de`, `cloud:usgov`, `name:`, `domain:`, `email:`, `contact:`,
//! `city:` (fuzzy within that field) and `id:` (a part of the id).
//! `is:attention` keeps the customers whose record breaks a rule added
//! after it was saved.
//! Matches are ranked: the higher the score, the better.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::{Listing, Row, RowRef};
use crate::domain::{Cloud, Customer};

/// The text of one customer a query looks at.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    /// What plain words look at, each field on its own: name, contact,
    /// email, city and domain (without the ending every domain shares).
    pub searched: [&'a str; SEARCHED],
    /// Whether they are ASCII, or kept folded to ASCII.
    pub folded: Folded<'a>,
    /// The whole row: its other fields are read only when a word asks
    /// for them (`id:`, `country:`, a domain-like word), not for every row.
    pub row: RowRef<'a>,
    pub cloud: Cloud,
    /// `letters` of all the searched fields, kept with the row.
    pub letters: u64,
}

/// How the searched fields of a row are kept for matching.
#[derive(Clone, Copy, Debug)]
pub enum Folded<'a> {
    /// They are ASCII: matched as they are.
    Ascii,
    /// Folded to ASCII as nucleo normalises each char (ü → u), separated by
    /// `SEPARATOR`; a field that is ASCII as it is has an empty part.
    Kept(&'a str),
    /// Not kept folded: folded while matching, where that gives ASCII.
    No,
}

impl<'a> Fields<'a> {
    /// The fields a word looks at, folded for a plain (ASCII) word, and
    /// whether they are all ASCII.
    fn source(&self, fold: bool) -> ([&'a str; SEARCHED], bool) {
        match self.folded {
            Folded::Ascii => (self.searched, true),
            Folded::Kept(text) if fold => {
                let mut out = self.searched;
                // By bytes: the parts are short, and `str::split` costs more
                // per part than the search itself (the separator is ASCII,
                // so every cut is at a char boundary).
                let mut rest = text;
                for (n, slot) in out.iter_mut().enumerate() {
                    let end = rest
                        .bytes()
                        .position(|b| b == SEPARATOR as u8)
                        .unwrap_or(rest.len());
                    let (part, after) = rest.split_at(end);
                    // An empty part: the field is ASCII as it is.
                    if !part.is_empty() {
                        *slot = part;
                    }
                    match after.get(1..) {
                        Some(next) => rest = next,
                        None if n + 1 < SEARCHED => return (self.searched, false),
                        None => {}
                    }
                }
                (out, true)
            }
            _ => (self.searched, false),
        }
    }
}

/// How many fields plain words look at.
pub const SEARCHED: usize = 5;

/// Every searched field, a bit each (see `Query::score_in`).
pub const ALL_FIELDS: u8 = (1 << SEARCHED) - 1;

/// The letters and digits a text holds (accents and case folded), one bit
/// each: a word can only match a haystack that holds all of its letters, and
/// one AND answers that for most rows before nucleo is asked.
pub fn letters(text: &str) -> u64 {
    use nucleo_matcher::chars::{normalize, to_lower_case};
    let bit = |c: char| match c.to_ascii_lowercase() {
        c @ 'a'..='z' => 1u64 << (c as u32 - 'a' as u32),
        c @ '0'..='9' => 1u64 << (26 + c as u32 - '0' as u32),
        _ => 0,
    };
    let mut mask = 0;
    for c in text.chars() {
        if c.is_ascii() {
            mask |= bit(c);
        } else {
            // Every letter nucleo may read it as (its own case folding and
            // accent stripping, ł → l, Ü → u), so no match is ruled out.
            for variant in [
                to_lower_case(c),
                normalize(c),
                to_lower_case(normalize(c)),
                normalize(to_lower_case(c)),
            ] {
                mask |= bit(variant);
            }
        }
    }
    mask
}

/// Separates the fields of a row in the list's text.
pub const SEPARATOR: char = '|';

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
    const ALL: [Field; 8] = [
        Field::Country,
        Field::Cloud,
        Field::Name,
        Field::Domain,
        Field::Email,
        Field::Contact,
        Field::City,
        Field::Id,
    ];

    /// The field's prefix in a query (`city:`), without the colon.
    fn prefix(self) -> &'static str {
        match self {
            Field::Country => "country",
            Field::Cloud => "cloud",
            Field::Name => "name",
            Field::Domain => "domain",
            Field::Email => "email",
            Field::Contact => "contact",
            Field::City => "city",
            Field::Id => "id",
        }
    }

    fn parse(prefix: &str) -> Option<Field> {
        if prefix == "company" {
            return Some(Field::Name);
        }
        Field::ALL.into_iter().find(|f| f.prefix() == prefix)
    }

    /// The field's text in row `f`: borrowed from the row, or (a domain
    /// with its ending put back, an id kept as a UUID) written into
    /// `buffer`, so that no row looked at costs an allocation.
    fn value<'s>(self, f: &Fields<'s>, buffer: &'s mut String) -> &'s str {
        let row = &f.row;
        match self {
            Field::Country => row.country(),
            Field::Cloud => f.cloud.key(),
            Field::Name => row.name(),
            Field::Email => row.email(),
            Field::Contact => row.contact(),
            Field::City => row.city(),
            Field::Domain => row.domain_in(buffer),
            Field::Id => row.id_in(buffer),
        }
    }
}

/// A plain word: its atom, and the word itself for the id-prefix match.
#[derive(Clone, Debug)]
struct Word {
    /// As typed.
    text: String,
    atom: Atom,
    id_prefix: Option<String>,
    /// A word with a dot may be a whole domain: it is also tried against
    /// the full domain (the haystack leaves its common ending out).
    domain_like: bool,
    /// Its letters: a row without all of them cannot match it.
    letters: u64,
    /// Matched against the fields folded to plain letters (nucleo's own
    /// accent folding, done once per row): true unless the word has a
    /// letter like `ü`, which then must match itself.
    folded: bool,
}

/// A filter query, prepared once.
#[derive(Clone, Debug, Default)]
pub struct Query {
    text: String,
    words: Vec<Word>,
    /// Each with whether its value is matched against folded text (see
    /// `Word::folded`).
    fields: Vec<(Field, Atom, bool)>,
    /// `is:attention`: only rows that need attention.
    attention: bool,
}

/// The word that keeps the rows needing attention.
pub const ATTENTION_WORD: &str = "is:attention";

/// Shortest plain word that is also tried as the start of a customer id
/// (shorter ones would match thousands of random ids).
const ID_PREFIX_MIN: usize = 4;

fn atom(text: &str) -> Atom {
    Atom::parse(text, CaseMatching::Ignore, Normalization::Smart)
}

impl Query {
    pub fn new(text: &str) -> Query {
        let mut query = Query {
            text: text.trim().to_string(),
            ..Query::default()
        };
        for word in text.split_whitespace() {
            if word.eq_ignore_ascii_case(ATTENTION_WORD) {
                query.attention = true;
                continue;
            }
            let field = word.split_once(':').and_then(|(p, v)| {
                Some((Field::parse(&p.to_lowercase())?, v)).filter(|(_, v)| !v.is_empty())
            });
            match field {
                Some((Field::Id, value)) => query.fields.push((
                    Field::Id,
                    Atom::new(
                        value,
                        CaseMatching::Ignore,
                        Normalization::Never,
                        AtomKind::Substring,
                        false,
                    ),
                    false,
                )),
                Some((field, value)) => {
                    query.fields.push((field, atom(value), value.is_ascii()));
                }
                None => {
                    let atom = atom(word);
                    let id_prefix = (atom.kind == AtomKind::Fuzzy
                        && !atom.negative
                        && word.chars().count() >= ID_PREFIX_MIN)
                        .then(|| word.to_lowercase());
                    let domain_like = word.contains('.');
                    // A negated word matches where its letters are missing.
                    // (Its plain ASCII letters only: a non-ASCII one matches
                    // by rules `letters` need not mirror.)
                    let ascii: String = word.chars().filter(char::is_ascii).collect();
                    let word_letters = if atom.negative { 0 } else { letters(&ascii) };
                    query.words.push(Word {
                        text: word.to_string(),
                        atom,
                        id_prefix,
                        domain_like,
                        letters: word_letters,
                        folded: word.is_ascii(),
                    });
                }
            }
        }
        query
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.fields.is_empty() && !self.attention
    }

    /// Whether it asks which customers need attention: known from full
    /// records (the app marks rows as it checks them; the CLI reads them).
    pub fn asks_attention(&self) -> bool {
        self.attention
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether every customer this query matches is also matched by
    /// `previous`, so only `previous`'s matches need to be looked at. True
    /// when the query only grew at the end and uses no syntax that could
    /// widen it (a negation, anchors, exact words).
    pub fn narrows(&self, previous: &Query) -> bool {
        let plain = |q: &Query| !q.text.contains(['!', '^', '$', '\'', '\\']);
        !previous.is_empty()
            && plain(self)
            && plain(previous)
            && self.text.starts_with(&previous.text)
            // "country:d" → "country:de" narrows, but "country:" (an
            // ordinary word while empty) → "country:d" does not.
            && !previous.text.ends_with(':')
            // "is:attentio" was a fuzzy word, "is:attention" is not.
            && self.attention == previous.attention
    }

    /// Whether the fields the last word of `previous` matched in a row are
    /// the only ones this query's last word can match there: it narrows
    /// `previous` with the same words, the last one grown (a fuzzy word's
    /// match in a field means its start matches there too).
    pub fn keeps_fields_of(&self, previous: &Query) -> bool {
        self.narrows(previous)
            && !self.words.is_empty()
            && self.words.len() == previous.words.len()
            && self
                .words
                .iter()
                .zip(&previous.words)
                .all(|(now, before)| now.text.starts_with(&before.text))
    }

    /// The score of a customer (higher is better), or None if it does not
    /// match. The empty query matches everything with score 0.
    pub fn score(
        &self,
        f: &Fields<'_>,
        matcher: &mut Matcher,
        scratch: &mut Scratch,
    ) -> Option<u32> {
        self.score_in(f, matcher, scratch, ALL_FIELDS)
            .map(|(score, _)| score)
    }

    /// `score`, with the last word looking only at the fields in
    /// `last_fields` (a bit each, `Fields::searched` order), and the fields
    /// it matched.
    #[expect(
        clippy::cognitive_complexity,
        reason = "the filter's per-row hot path (BENCHMARKS.md): a split is a change to measure on its own"
    )]
    pub fn score_in(
        &self,
        f: &Fields<'_>,
        matcher: &mut Matcher,
        scratch: &mut Scratch,
        last_fields: u8,
    ) -> Option<(u32, u8)> {
        if self.attention && !f.row.needs_attention() {
            return None;
        }
        let mut matched_fields = 0;
        let mut total: u32 = 0;
        for (field, atom, folded) in &self.fields {
            let value = field.value(f, &mut scratch.field);
            let text = Scratch::fill_one(&mut scratch.one, value, *folded);
            total += u32::from(atom.score(text, matcher)?);
        }
        if self.words.is_empty() {
            return Some((total, matched_fields));
        }
        let last = self.words.len() - 1;
        // Letters first: most rows lack one of a word's letters, and then
        // neither folding nor nucleo is needed.
        let has = |w: &Word| f.letters & w.letters == w.letters;
        // Per flavour (as they are, folded): the fields, whether all ASCII,
        // and whether `scratch` holds them prepared.
        let mut sources: [Option<([&str; SEARCHED], bool)>; 2] = [None, None];
        let mut prepared = [false; 2];
        for (n_word, word) in self.words.iter().enumerate() {
            let fields = if n_word == last {
                last_fields
            } else {
                ALL_FIELDS
            };
            let mut score = None;
            if has(word) {
                let flavour = usize::from(word.folded);
                let (source, ascii) =
                    *sources[flavour].get_or_insert_with(|| f.source(word.folded));
                if !ascii && !prepared[flavour] {
                    scratch.texts[flavour].fill(&source, word.folded);
                    prepared[flavour] = true;
                }
                let texts = &scratch.texts[flavour];
                let text = |n: usize| match ascii {
                    true => Utf32Str::Ascii(source[n].as_bytes()),
                    false => texts.get(&source, n),
                };
                if word.atom.negative {
                    // Not in any field.
                    for n in 0..SEARCHED {
                        word.atom.score(text(n), matcher)?;
                    }
                    score = Some(0);
                } else {
                    for n in (0..SEARCHED).filter(|n| fields & (1 << n) != 0) {
                        if let Some(s) = word.atom.score(text(n), matcher) {
                            score = Some(score.map_or(s, |best: u16| best.max(s)));
                            if n_word == last {
                                matched_fields |= 1 << n;
                            }
                        }
                    }
                }
            }
            if score.is_none() && word.domain_like {
                let domain = Field::Domain.value(f, &mut scratch.field);
                let text = Scratch::fill_one(&mut scratch.one, domain, word.folded);
                score = word.atom.score(text, matcher);
            }
            match score {
                Some(score) => total += u32::from(score),
                None => {
                    let prefix = word.id_prefix.as_deref()?;
                    if !f.row.id_starts_with(prefix) {
                        return None;
                    }
                    total += 16 * prefix.len() as u32;
                }
            }
        }
        Some((total, matched_fields))
    }

    /// Char indices of `text`, the value of `field`, that the query's words
    /// match: its plain words, and the words given for that field
    /// (`city:mün`).
    fn highlights_in(&self, field: Field, text: &str, matcher: &mut Matcher) -> Vec<u32> {
        let mut indices = Vec::new();
        if text.is_empty() {
            return indices;
        }
        let mut scratch = Scratch::default();
        for word in self.words.iter().filter(|w| !w.atom.negative) {
            // Folding keeps one char per char, so indices stay the text's.
            let haystack = scratch.one(text, word.folded);
            word.atom.indices(haystack, matcher, &mut indices);
        }
        for (_, atom, folded) in self
            .fields
            .iter()
            .filter(|(f, atom, _)| *f == field && !atom.negative)
        {
            let haystack = scratch.one(text, *folded);
            atom.indices(haystack, matcher, &mut indices);
        }
        indices.sort_unstable();
        indices.dedup();
        indices
    }

    /// What to highlight in a row's company name and domain, the fields the
    /// list shows.
    pub fn row_highlights(&self, row: &RowRef, matcher: &mut Matcher) -> (Vec<u32>, Vec<u32>) {
        (
            self.highlights_in(Field::Name, row.name(), matcher),
            self.highlights_in(Field::Domain, &row.domain(), matcher),
        )
    }

    /// For a row listed because of a field the list does not show
    /// (contact, email, city): that field's prefix as the query syntax
    /// writes it, its text and what to highlight in it; the first such
    /// field that matches.
    pub fn hidden_match<'a>(
        &self,
        row: &RowRef<'a>,
        matcher: &mut Matcher,
    ) -> Option<(&'static str, &'a str, Vec<u32>)> {
        if self.is_empty() {
            return None;
        }
        [
            (Field::Contact, row.contact()),
            (Field::Email, row.email()),
            (Field::City, row.city()),
        ]
        .into_iter()
        .find_map(|(field, text)| {
            let hits = self.highlights_in(field, text, matcher);
            (!hits.is_empty()).then_some((field.prefix(), text, hits))
        })
    }

    /// For the CLI and small lists: whether a whole customer matches
    /// (looked at exactly as the app's list looks at it).
    pub fn matches(&self, c: &Customer) -> bool {
        if self.is_empty() {
            return true;
        }
        let mut listing = Listing::of_rows(c.cloud, &[Row::of(c)]);
        if self.attention {
            let policy = crate::validate::Policy::default();
            listing.set_attention(0, crate::validate::check_record(c, &policy).is_err());
        }
        listing.get(0).is_some_and(|row| {
            self.score(&row.fields(), &mut new_matcher(), &mut Scratch::default())
                .is_some()
        })
    }
}

/// Buffers for the text nucleo is given, reused from row to row.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The searched fields as they are (0) and folded (1).
    texts: [Texts; 2],
    one: Texts,
    /// A field's text where the row does not keep it whole (`Field::value`).
    field: String,
}

impl Scratch {
    /// One text as nucleo takes it, folded or not.
    fn one<'a>(&'a mut self, text: &'a str, fold: bool) -> Utf32Str<'a> {
        Scratch::fill_one(&mut self.one, text, fold)
    }

    /// `one`, with `Texts` of its own (so `text` may be in `field`).
    fn fill_one<'a>(one: &'a mut Texts, text: &'a str, fold: bool) -> Utf32Str<'a> {
        let texts = std::slice::from_ref(&text);
        one.fill(texts, fold);
        one.get(texts, 0)
    }
}

/// Several texts as nucleo takes them: bytes when ASCII, else one `char`
/// each (nucleo's own `Utf32Str::new` splits grapheme clusters, which costs
/// microseconds a row; by chars, a match index is a char index too).
/// Folded, every char is replaced by what nucleo's normalisation makes of
/// it (ü → u, ł → l): nearly every text becomes ASCII, which nucleo matches
/// several times faster, and a match scores the same.
#[derive(Debug, Default)]
struct Texts {
    bytes: String,
    chars: Vec<char>,
    spans: [Span; SEARCHED],
}

#[derive(Clone, Copy, Debug, Default)]
enum Span {
    /// The text itself (ASCII).
    #[default]
    Given,
    Bytes(usize, usize),
    Chars(usize, usize),
}

impl Texts {
    fn fill(&mut self, texts: &[&str], fold: bool) {
        self.bytes.clear();
        self.chars.clear();
        for (text, span) in texts.iter().zip(&mut self.spans) {
            let start = self.bytes.len();
            *span = if text.is_ascii() {
                Span::Given
            } else if fold && fold_ascii(text, &mut self.bytes) {
                Span::Bytes(start, self.bytes.len())
            } else {
                let start = self.chars.len();
                self.chars.extend(text.chars());
                Span::Chars(start, self.chars.len())
            };
        }
    }

    fn get<'a>(&'a self, texts: &[&'a str], n: usize) -> Utf32Str<'a> {
        match self.spans.get(n).copied().unwrap_or_default() {
            Span::Given => Utf32Str::Ascii(texts.get(n).copied().unwrap_or_default().as_bytes()),
            Span::Bytes(a, b) => {
                Utf32Str::Ascii(self.bytes.as_bytes().get(a..b).unwrap_or_default())
            }
            Span::Chars(a, b) => Utf32Str::Unicode(self.chars.get(a..b).unwrap_or_default()),
        }
    }
}

/// Appends `text` with every char as nucleo normalises it (ü → u, one
/// char for one) to `out`, if that makes it ASCII; else leaves `out` as it
/// was and returns false.
pub fn fold_ascii(text: &str, out: &mut String) -> bool {
    let start = out.len();
    for c in text.chars() {
        let plain = nucleo_matcher::chars::normalize(c);
        if !plain.is_ascii() {
            out.truncate(start);
            return false;
        }
        out.push(plain);
    }
    true
}

pub fn new_matcher() -> Matcher {
    Matcher::new(Config::DEFAULT)
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
    fn words_match_fuzzily_without_accents() {
        let c = sample_customer();
        assert!(
            Query::new("cntso").matches(&c),
            "letters in order, gaps allowed"
        );
        assert!(Query::new("jurgen").matches(&c), "accents ignored");
        assert!(
            !Query::new("xyzzy").matches(&c),
            "letters that are not there"
        );
    }

    #[test]
    fn field_prefixes_narrow_to_one_field() {
        let c = sample_customer();
        assert!(Query::new("country:de").matches(&c));
        assert!(!Query::new("country:us").matches(&c));
        assert!(Query::new("cloud:commercial city:stutt").matches(&c));
        // A value with an accent matches it as it is, like a plain word.
        let row = Row {
            city: "München".into(),
            ..Row::default()
        };
        let l = Listing::of_rows(Cloud::Commercial, std::slice::from_ref(&row));
        let matches = |q: &str| {
            Query::new(q)
                .score(
                    &l.get(0).unwrap().fields(),
                    &mut new_matcher(),
                    &mut Scratch::default(),
                )
                .is_some()
        };
        assert!(matches("city:münchen") && matches("city:munchen"));
        assert!(
            !Query::new("email:stuttgart").matches(&c),
            "the city is not in the email"
        );
        // An unknown prefix is an ordinary word.
        assert!(!Query::new("colour:red").matches(&c));
    }

    #[test]
    fn ids_match_by_their_start_or_with_id() {
        let c = sample_customer();
        let start: String = c.id.chars().take(8).collect();
        assert!(Query::new(&start).matches(&c));
        assert!(Query::new(&format!("id:{}", &c.id[9..13])).matches(&c));
        assert!(!Query::new("id:zzzz").matches(&c));
    }

    #[test]
    fn closer_matches_score_higher() {
        let row = |name: &str| Row {
            name: name.into(),
            ..Row::default()
        };
        let score = |q: &Query, r: &Row| {
            let l = Listing::of_rows(Cloud::Commercial, std::slice::from_ref(r));
            q.score(
                &l.get(0)?.fields(),
                &mut new_matcher(),
                &mut Scratch::default(),
            )
        };
        let q = Query::new("fabrik");
        let exact = score(&q, &row("Fabrikam Ltd")).unwrap();
        let spread = score(&q, &row("Fast Arbeit Bau Riko Kemp")).unwrap();
        assert!(exact > spread);
    }

    #[test]
    fn a_word_scores_the_same_on_folded_text() {
        // Folding is what nucleo does to each char anyway; only its
        // one-letter shortcut differs (it scores the best occurrence on
        // ASCII text, the first on other text).
        let mut matcher = new_matcher();
        for text in [
            "Müller & Söhne",
            "Łódź Straße",
            "Ærø Gärtnerei",
            "Zoë's Café",
        ] {
            let mut chars = Vec::new();
            let mut folded = Texts::default();
            for word in [
                "mu", "ull", "sohne", "lodz", "str", "aero", "gart", "zoe", "cafe", "e s",
            ] {
                let atom = atom(word);
                chars.clear();
                chars.extend(text.chars());
                let plain = atom.score(Utf32Str::Unicode(&chars), &mut matcher);
                let texts = [text];
                folded.fill(&texts, true);
                let fast = atom.score(folded.get(&texts, 0), &mut matcher);
                assert_eq!(plain, fast, "{word:?} in {text:?}");
            }
        }
    }

    #[test]
    fn a_word_matches_within_one_field() {
        let row = Row {
            name: "Bern Consulting".into(),
            city: "Linz".into(),
            ..Row::default()
        };
        let l = Listing::of_rows(Cloud::Commercial, std::slice::from_ref(&row));
        let score = |q: &str| {
            Query::new(q).score(
                &l.get(0).unwrap().fields(),
                &mut new_matcher(),
                &mut Scratch::default(),
            )
        };
        assert!(score("bern").is_some());
        assert!(score("linz").is_some());
        assert!(score("bern linz").is_some(), "two words, two fields");
        assert!(score("berlinz").is_none(), "letters strewn over two fields");
    }

    #[test]
    fn growing_a_plain_query_narrows_it() {
        assert!(Query::new("mue").narrows(&Query::new("mu")));
        assert!(Query::new("mu be").narrows(&Query::new("mu")));
        assert!(!Query::new("mu").narrows(&Query::new("mue")));
        assert!(!Query::new("!mu").narrows(&Query::new("!m")));
        assert!(!Query::new("x").narrows(&Query::new("")));
        assert!(!Query::new("country:d").narrows(&Query::new("country:")));
    }
}
