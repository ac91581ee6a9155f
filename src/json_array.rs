//! The elements of a JSON array read one at a time from a stream, each as
//! its own bytes, so an import of a 788 MB file holds one record at a time
//! instead of the whole document as `serde_json::Value`s (7.7 GB at a
//! million customers).
//!
//! Only the array's structure is read here (strings, nesting, the commas
//! between elements); each element is parsed by serde_json afterwards, so a
//! bad element is one record's problem and the next is read as usual.

use std::io::BufRead;

/// Why the array cannot be read on: the file is not a JSON array, or its
/// structure is broken (nothing after this can be told apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The 1-based element being read when it broke (0: before the first).
    pub element: usize,
    pub reason: String,
}

pub struct JsonArray<R> {
    input: R,
    /// The current element's bytes.
    element: Vec<u8>,
    /// Elements read so far.
    read: usize,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Start,
    /// After `[` or a `,`: an element (or, first, `]`) comes next.
    Element,
    /// After the closing `]`, or after an error.
    Done,
}

/// Where the scanner is inside an element.
#[derive(Default)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Scan {
    /// Takes one byte of an element; true when the byte ends it (a closing
    /// bracket at depth 0 is part of it; a `,`, `]` or space ending a bare
    /// value is not, and is not taken).
    fn ends_at(&mut self, b: u8, started: bool) -> Option<bool> {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                return (self.depth == 0).then_some(true);
            }
            return None;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' if self.depth > 0 => {
                self.depth -= 1;
                return (self.depth == 0).then_some(true);
            }
            b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n' if self.depth == 0 && started => {
                return Some(false);
            }
            _ => {}
        }
        None
    }
}

impl<R: BufRead> JsonArray<R> {
    pub fn new(input: R) -> JsonArray<R> {
        JsonArray {
            input,
            element: Vec::with_capacity(4096),
            read: 0,
            state: State::Start,
        }
    }

    fn broken(&mut self, reason: impl Into<String>) -> Broken {
        self.state = State::Done;
        Broken {
            element: self.read,
            reason: reason.into(),
        }
    }

    /// The next byte that is not white space, not taken.
    fn peek_token(&mut self) -> Result<Option<u8>, Broken> {
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) => return Err(self.broken(e.to_string())),
            };
            let Some(&first) = chunk.first() else {
                return Ok(None);
            };
            let blank = chunk.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if blank == 0 {
                return Ok(Some(first));
            }
            self.input.consume(blank);
        }
    }

    /// The next element's bytes with its 1-based number, or None after the
    /// closing `]`.
    pub fn next_element(&mut self) -> Result<Option<(usize, &[u8])>, Broken> {
        if self.state == State::Start {
            // A UTF-8 byte order mark (some editors write one) is no content.
            if self
                .input
                .fill_buf()
                .is_ok_and(|b| b.starts_with(b"\xEF\xBB\xBF"))
            {
                self.input.consume(3);
            }
            match self.peek_token()? {
                Some(b'[') => self.input.consume(1),
                _ => return Err(self.broken("the file does not start with [")),
            }
            if self.peek_token()? == Some(b']') {
                self.input.consume(1);
                return self.end().map(|()| None);
            }
            self.state = State::Element;
        }
        if self.state == State::Done {
            return Ok(None);
        }
        self.read += 1;
        self.scan_element()?;
        match self.peek_token()? {
            Some(b',') => self.input.consume(1),
            Some(b']') => {
                self.input.consume(1);
                self.end()?;
            }
            Some(_) => return Err(self.broken("expected , or ] after it")),
            None => return Err(self.broken("the file ends before the closing ]")),
        }
        Ok(Some((self.read, &self.element)))
    }

    /// After the closing `]`: only white space may follow.
    fn end(&mut self) -> Result<(), Broken> {
        match self.peek_token()? {
            None => {
                self.state = State::Done;
                Ok(())
            }
            Some(_) => Err(self.broken("more follows the closing ]")),
        }
    }

    /// Copies one element's bytes into `self.element`.
    fn scan_element(&mut self) -> Result<(), Broken> {
        self.element.clear();
        if matches!(self.peek_token()?, Some(b',' | b']')) {
            return Err(self.broken("an element is missing"));
        }
        let mut scan = Scan::default();
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) => return Err(self.broken(e.to_string())),
            };
            if chunk.is_empty() {
                return Err(self.broken("the file ends inside it"));
            }
            let mut taken = chunk.len();
            let mut done = false;
            for (i, &b) in chunk.iter().enumerate() {
                let started = !self.element.is_empty() || i > 0;
                if let Some(inclusive) = scan.ends_at(b, started) {
                    taken = if inclusive { i + 1 } else { i };
                    done = true;
                    break;
                }
            }
            self.element.extend_from_slice(&chunk[..taken]);
            self.input.consume(taken);
            if done {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(text: &str) -> Result<Vec<String>, Broken> {
        // A tiny buffer: elements and strings span many reads.
        let mut array = JsonArray::new(std::io::BufReader::with_capacity(3, text.as_bytes()));
        let mut found = Vec::new();
        while let Some((n, e)) = array.next_element()? {
            assert_eq!(n, found.len() + 1);
            found.push(String::from_utf8_lossy(e).into_owned());
        }
        Ok(found)
    }

    #[test]
    fn elements_come_whole_whatever_they_hold() {
        let text = r#" [ {"a": "x,]}\"y", "b": [1, {"c": 2}]} ,{"d":null}, 12 , "s]" ,true]  "#;
        assert_eq!(
            elements(text).unwrap(),
            [
                r#"{"a": "x,]}\"y", "b": [1, {"c": 2}]}"#,
                r#"{"d":null}"#,
                "12",
                r#""s]""#,
                "true"
            ]
        );
        assert_eq!(elements("[]").unwrap(), Vec::<String>::new());
        assert_eq!(elements("\u{feff}[ ]\n").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_broken_array_says_where() {
        let at = |text: &str| elements(text).unwrap_err().element;
        assert_eq!(at(r#"{"a": 1}"#), 0);
        assert_eq!(at(r#"[{"a": 1}, {"b": "#), 2);
        assert_eq!(at(r#"[{"a": 1} {"b": 2}]"#), 1);
        assert_eq!(at(r#"[{"a": 1},]"#), 2);
        assert_eq!(at(r#"[{"a": 1}] x"#), 1);
        assert_eq!(at(r#"[{"a": 1}"#), 1);
    }
}
