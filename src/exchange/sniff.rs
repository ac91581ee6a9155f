//! What a CSV file from a spreadsheet really is: which character separates
//! its fields and how its text is encoded. Excel in German-speaking offices
//! saves `;` and Windows-1252 unless "CSV UTF-8" is chosen; konto reads
//! either without being told, says what it took, and takes the operator's
//! word (`--delimiter`, `--encoding`) over its guess.

use std::io::Read;

use encoding_rs::WINDOWS_1252;
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::{ImportProblem, Location};
use crate::t;

/// The text encodings konto reads and writes CSV in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// What Excel's plain "CSV" is on a Western European Windows.
    Windows1252,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        })
    }
}

/// How a CSV file is written: detected, or as the operator said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    pub encoding: Encoding,
    /// The file starts with a UTF-8 byte order mark.
    pub bom: bool,
}

/// What the operator said on the command line; `None` is "detect it".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Told {
    pub delimiter: Option<u8>,
    pub encoding: Option<Encoding>,
}

/// The separators a spreadsheet writes, in the order a tie is decided.
pub const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// How much of the file the guess reads: the header and many rows.
const SAMPLE: u64 = 64 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A separator as the operator types it: `,`, `;`, `tab` (or `\t`).
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [b] if b.is_ascii_punctuation() || *b == b' ' => Ok(*b),
            _ => Err(t!("import.bad_delimiter", value = text)),
        },
    }
}

/// A separator as messages show it, and as a shell takes it after
/// `--delimiter`: `';'`, `tab`.
pub fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_string(),
        d => format!("'{}'", char::from(d)),
    }
}

/// Reads the start of `input`, decides its dialect and gives back a reader
/// of the whole file as UTF-8 without a byte order mark. Refused, naming
/// the fix, when what the operator said does not fit the file.
pub fn open<'a>(
    mut input: impl Read + Send + 'a,
    told: Told,
) -> Result<(Dialect, Box<dyn Read + Send + 'a>), ImportProblem> {
    let mut sample = Vec::new();
    input
        .by_ref()
        .take(SAMPLE)
        .read_to_end(&mut sample)
        .map_err(|e| problem(Location::Line(1), e.to_string()))?;
    let complete = (sample.len() as u64) < SAMPLE;
    let bom = sample.starts_with(BOM);
    let encoding = match told.encoding {
        Some(Encoding::Utf8) => {
            check_utf8(&sample, complete)?;
            Encoding::Utf8
        }
        Some(told) => told,
        None if bom || check_utf8(&sample, complete).is_ok() => Encoding::Utf8,
        None => Encoding::Windows1252,
    };
    let header = header_line(&sample, encoding);
    let delimiter = match told.delimiter {
        Some(d) => check_delimiter(&header, d)?,
        None => guess_delimiter(&header),
    };
    let whole = std::io::Cursor::new(sample).chain(input);
    let reader: Box<dyn Read + Send + 'a> = match encoding {
        Encoding::Utf8 => Box::new(DecodeReaderBytesBuilder::new().build(whole)),
        Encoding::Windows1252 => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(WINDOWS_1252))
                .build(whole),
        ),
    };
    let dialect = Dialect {
        delimiter,
        encoding,
        bom,
    };
    Ok((dialect, reader))
}

/// A problem with a whole line or row, not one customer's field.
pub(super) fn problem(location: Location, reason: String) -> ImportProblem {
    ImportProblem {
        location,
        customer: String::new(),
        field: None,
        reason,
    }
}

/// Whether the sample is UTF-8 (a character cut at its end is, when the
/// file goes on); if not, the line it stops being so and what to do.
fn check_utf8(sample: &[u8], complete: bool) -> Result<(), ImportProblem> {
    match std::str::from_utf8(sample) {
        Ok(_) => Ok(()),
        Err(e) if e.error_len().is_none() && !complete => Ok(()),
        Err(e) => {
            let before = sample.get(..e.valid_up_to()).unwrap_or_default();
            let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            Err(problem(
                Location::Line(line),
                t!("import.not_utf8").to_string(),
            ))
        }
    }
}

/// The first line of the sample as text, without a byte order mark.
fn header_line(sample: &[u8], encoding: Encoding) -> String {
    let sample = sample.strip_prefix(BOM).unwrap_or(sample);
    let end = sample
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(sample.len());
    let line = sample.get(..end).unwrap_or_default();
    match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(line).into_owned(),
        Encoding::Windows1252 => WINDOWS_1252
            .decode_without_bom_handling(line)
            .0
            .into_owned(),
    }
}

/// The header's column names when split at `delimiter` (quotes kept as CSV
/// keeps them).
fn header_names(header: &str, delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(header.as_bytes());
    match reader.records().next() {
        Some(Ok(record)) => record.iter().map(|s| s.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

fn names_company(header: &str, delimiter: u8) -> bool {
    header_names(header, delimiter)
        .iter()
        .any(|n| n == "company.name")
}

/// The separator that makes `company.name` a column; failing that, the one
/// that splits the header into the most columns; failing that, `,`.
fn guess_delimiter(header: &str) -> u8 {
    DELIMITERS
        .into_iter()
        .find(|&d| names_company(header, d))
        .or_else(|| {
            DELIMITERS
                .into_iter()
                .max_by_key(|&d| (header_names(header, d).len(), std::cmp::Reverse(d)))
        })
        .unwrap_or(b',')
}

/// The operator's separator, unless the header only makes sense split at
/// another one: then the message says which to use.
fn check_delimiter(header: &str, told: u8) -> Result<u8, ImportProblem> {
    if names_company(header, told) {
        return Ok(told);
    }
    match DELIMITERS.into_iter().find(|&d| names_company(header, d)) {
        Some(fits) => Err(problem(
            Location::Line(1),
            t!(
                "import.try_delimiter",
                told = delimiter_name(told),
                fits = delimiter_name(fits)
            ),
        )),
        None => Ok(told),
    }
}

/// What `konto export --format csv --delimiter D --bom` writes: the byte
/// order mark (which makes Excel read UTF-8), then CSV separated by `D`,
/// one customer at a time.
pub fn csv_writer<W: std::io::Write>(
    mut out: W,
    delimiter: u8,
    bom: bool,
) -> Result<super::DataWriter<W>, String> {
    if bom {
        out.write_all(BOM).map_err(|e| e.to_string())?;
    }
    super::DataWriter::csv_delimited(out, delimiter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], told: Told) -> Result<(Dialect, String), ImportProblem> {
        let (dialect, mut reader) = open(bytes, told)?;
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        Ok((dialect, text))
    }

    #[test]
    fn german_excel_csv_is_detected_and_decoded() {
        let (bytes, _, _) = WINDOWS_1252.encode("company.name;billing.address.city\nMüller;Köln\n");
        let (dialect, text) = read(&bytes, Told::default()).unwrap();
        assert_eq!(dialect.delimiter, b';');
        assert_eq!(dialect.encoding, Encoding::Windows1252);
        assert_eq!(text, "company.name;billing.address.city\nMüller;Köln\n");
    }

    #[test]
    fn utf8_with_a_bom_loses_the_bom() {
        let bytes = b"\xEF\xBB\xBFcompany.name\tid\nM\xC3\xBCller\tc-1\n";
        let (dialect, text) = read(bytes, Told::default()).unwrap();
        assert_eq!(
            (dialect.delimiter, dialect.encoding),
            (b'\t', Encoding::Utf8)
        );
        assert!(dialect.bom);
        assert_eq!(text, "company.name\tid\nMüller\tc-1\n");
    }

    #[test]
    fn a_told_separator_that_does_not_fit_names_the_one_that_does() {
        let bytes = b"company.name;id\nContoso;c-1\n";
        let told = Told {
            delimiter: Some(b','),
            encoding: None,
        };
        let refused = read(bytes, told).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "line 1: the header has no company.name column when split at ','; \
             it is split at ';': use --delimiter ';'"
        );
    }

    #[test]
    fn told_utf8_on_a_windows_file_says_which_line_and_what_to_do() {
        let bytes = b"company.name,id\nContoso,c-1\nM\xFCller,c-2\n";
        let told = Told {
            delimiter: None,
            encoding: Some(Encoding::Utf8),
        };
        let refused = read(bytes, told).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "line 3: the text is not UTF-8; if the file was saved by Excel as \"CSV\", \
             use --encoding windows-1252"
        );
    }

    #[test]
    fn separators_parse_as_typed() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert!(parse_delimiter("ab").is_err());
    }
}
