//! The bank's list as CSV (RFC 4180), read strictly: a stray quote, a quote that never
//! closes or a row with the wrong number of fields skips that row, with its line, and
//! reading goes on at the next line, so one bad row loses no other. (A lenient reader
//! would take an unclosed quote as a field running to the end of the file.)

use std::borrow::Cow;

use super::{Invitation, Reference, RowProblem, Rows, RowsBuilder, MAX_ROW_BYTES};
use crate::{Error, Result};

/// The header of the result CSV, which the bank's mailer reads.
pub const RESULT_CSV_HEADER: &str = "reference,registration_id,check_code,link,expires_at";

/// Reads a list: a header row with one `reference` column (any case), then one row
/// per customer; blank lines are passed over, a UTF-8 byte order mark is allowed.
pub(super) fn read(bytes: &[u8]) -> Result<Rows> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = Reader {
        input: bytes,
        pos: 0,
        line: 1,
    };
    let Some((line, header)) = reader.next_record() else {
        return Err(Error::InvalidCsv("the file has no header row".to_owned()));
    };
    let header = header
        .map_err(|problem| Error::InvalidCsv(format!("line {line}: the header row: {problem}")))?;
    let columns: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, name)| {
            std::str::from_utf8(name)
                .is_ok_and(|name| name.trim().eq_ignore_ascii_case("reference"))
        })
        .map(|(index, _)| index)
        .collect();
    let column = match columns.as_slice() {
        [column] => *column,
        [] => {
            return Err(Error::InvalidCsv(
                "the header row has no reference column".to_owned(),
            ))
        }
        _ => {
            return Err(Error::InvalidCsv(
                "the header row has more than one reference column".to_owned(),
            ))
        }
    };
    let mut rows = RowsBuilder::default();
    while let Some((line, record)) = reader.next_record() {
        let reference = record.and_then(|fields| {
            if fields.len() != header.len() {
                return Err(RowProblem::FieldCount {
                    expected: header.len(),
                    found: fields.len(),
                });
            }
            let text = std::str::from_utf8(&fields[column]).map_err(|_| RowProblem::NotUtf8)?;
            Reference::parse(text)
        });
        rows.push(line, reference);
    }
    Ok(rows.rows)
}

/// The result CSV: per invitation its reference, registration ID, check code, link and
/// expiry (RFC 3339, UTC), under [`RESULT_CSV_HEADER`].
pub fn result_csv(invitations: &[Invitation]) -> String {
    let mut csv = format!("{RESULT_CSV_HEADER}\r\n");
    for invitation in invitations {
        let fields = [
            quoted(&invitation.reference),
            Cow::Owned(invitation.registration_id.to_string()),
            Cow::Borrowed(invitation.check_code.as_str()),
            quoted(&invitation.uri),
            Cow::Owned(kyc_core::time::format_time(invitation.expires_at)),
        ];
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    csv
}

/// A field as CSV: in quotes, with quotes doubled, when it holds a comma, a quote, a
/// line break or white space at either end.
fn quoted(text: &str) -> Cow<'_, str> {
    let plain = !text.contains([',', '"', '\r', '\n']) && text.trim() == text;
    match plain {
        true => Cow::Borrowed(text),
        false => Cow::Owned(format!("\"{}\"", text.replace('"', "\"\""))),
    }
}

/// Reads records, each with the line it starts on.
struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    line: u64,
}

/// A record's fields, or why it is skipped.
type Record = std::result::Result<Vec<Vec<u8>>, RowProblem>;

impl Reader<'_> {
    /// The next record that is not a blank line, with its line; `None` at the end.
    fn next_record(&mut self) -> Option<(u64, Record)> {
        loop {
            if self.pos >= self.input.len() {
                return None;
            }
            let (start, line) = (self.pos, self.line);
            let record = self.record();
            if record.is_err() {
                // The record's first line is the one at fault: read on from the next.
                (self.pos, self.line) = (start, line);
                self.skip_rest_of_line();
            }
            let taken = &self.input[start..self.pos];
            if matches!(taken, b"\n" | b"\r\n") {
                continue;
            }
            let record = match taken.len() > MAX_ROW_BYTES {
                true => Err(RowProblem::RowTooLong),
                false => record,
            };
            return Some((line, record));
        }
    }

    /// Reads a record up to and with its line end.
    fn record(&mut self) -> Record {
        let mut fields = Vec::new();
        loop {
            let field = match self.peek() {
                Some(b'"') => self.quoted_field()?,
                _ => self.plain_field()?,
            };
            fields.push(field);
            match self.bump() {
                Some(b',') => {}
                Some(b'\r') => {
                    // plain_field and quoted_field stop at '\r' only before '\n'.
                    self.pos += 1;
                    self.line += 1;
                    return Ok(fields);
                }
                Some(_) => {
                    self.line += 1;
                    return Ok(fields);
                }
                None => return Ok(fields),
            }
        }
    }

    /// An unquoted field, up to a comma or a line end; a quote in it is bad quoting.
    fn plain_field(&mut self) -> Field {
        let mut field = Vec::new();
        loop {
            match self.peek() {
                None | Some(b',' | b'\n') => return Ok(field),
                Some(b'\r') if self.input.get(self.pos + 1) == Some(&b'\n') => return Ok(field),
                Some(b'"') => return Err(RowProblem::BadQuoting),
                Some(&byte) => {
                    field.push(byte);
                    self.pos += 1;
                }
            }
        }
    }

    /// A quoted field, quotes doubled inside; it may span lines. The closing quote must
    /// be followed by a comma or a line end.
    fn quoted_field(&mut self) -> Field {
        self.pos += 1;
        let mut field = Vec::new();
        loop {
            match self.bump() {
                None => return Err(RowProblem::BadQuoting),
                Some(b'"') if self.peek() == Some(&b'"') => {
                    field.push(b'"');
                    self.pos += 1;
                }
                Some(b'"') => break,
                Some(byte) => {
                    if byte == b'\n' {
                        self.line += 1;
                    }
                    field.push(byte);
                }
            }
        }
        match (self.peek(), self.input.get(self.pos + 1)) {
            (None | Some(b',' | b'\n'), _) | (Some(b'\r'), Some(b'\n')) => Ok(field),
            _ => Err(RowProblem::BadQuoting),
        }
    }

    /// Moves past the next line end.
    fn skip_rest_of_line(&mut self) {
        match self.input[self.pos..].iter().position(|&b| b == b'\n') {
            Some(offset) => {
                self.pos += offset + 1;
                self.line += 1;
            }
            None => self.pos = self.input.len(),
        }
    }

    fn peek(&self) -> Option<&u8> {
        self.input.get(self.pos)
    }

    fn bump(&mut self) -> Option<u8> {
        let byte = self.input.get(self.pos).copied();
        if byte.is_some() {
            self.pos += 1;
        }
        byte
    }
}

/// A field, or why its record is skipped.
type Field = std::result::Result<Vec<u8>, RowProblem>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invitations::SkippedRow;

    fn references(rows: &Rows) -> Vec<(u64, &str)> {
        rows.references
            .iter()
            .map(|(line, reference)| (*line, reference.as_str()))
            .collect()
    }

    fn skipped(rows: &Rows) -> Vec<(u64, &'static str)> {
        rows.skipped
            .iter()
            .map(|SkippedRow { line, problem }| (*line, problem.code()))
            .collect()
    }

    #[test]
    fn the_reference_column_is_read_and_the_others_ignored() -> Result<()> {
        let rows = read(
            b"\xef\xbb\xbfname,Reference,email\r\n\
              \"Yamada, Taro\",C-001,taro@example.com\r\n\
              \r\n\
              \"Line\nbreak\", C-002 ,\"say \"\"hi\"\"\"\n\
              x,C-003,y",
        )?;
        assert_eq!(
            references(&rows),
            [(2, "C-001"), (4, "C-002"), (6, "C-003")]
        );
        assert!(rows.skipped.is_empty(), "{:?}", rows.skipped);
        Ok(())
    }

    #[test]
    fn a_malformed_row_is_skipped_with_its_line_and_nothing_else_is_lost() -> Result<()> {
        let long = "x".repeat(MAX_ROW_BYTES);
        let text = format!(
            "reference,name\n\
             A,one\n\
             ,empty\n\
             A,again\n\
             B,\"unclosed\n\
             C,three\n\
             D\"x,stray quote\n\
             \"E\"x,after closing quote\n\
             F,too,many\n\
             G\u{1b}[2K,escape\n\
             H\u{202e},bidi\n\
             {},long reference\n\
             I,{long}\n\
             J,last",
            "r".repeat(129)
        );
        let rows = read(text.as_bytes())?;
        assert_eq!(references(&rows), [(2, "A"), (6, "C"), (14, "J")]);
        assert_eq!(
            skipped(&rows),
            [
                (3, "missing_reference"),
                (4, "duplicate_reference"),
                (5, "bad_quoting"),
                (7, "bad_quoting"),
                (8, "bad_quoting"),
                (9, "field_count"),
                (10, "control_character"),
                (11, "control_character"),
                (12, "reference_too_long"),
                (13, "row_too_long"),
            ]
        );
        assert_eq!(
            rows.skipped[1].to_string(),
            "line 4: the reference of line 2 again, skipped"
        );
        Ok(())
    }

    #[test]
    fn a_header_without_one_reference_column_is_an_error() {
        for text in [
            &b""[..],
            b"\n\n",
            b"name,email\nA,b",
            b"reference,Reference\nA,B",
        ] {
            let error = read(text).err().map(|e| e.code());
            assert_eq!(
                error,
                Some("invalid_csv"),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        let bad_header = read(b"\"reference\nA").err().map(|e| e.to_string());
        assert_eq!(
            bad_header.as_deref(),
            Some("invalid csv: line 1: the header row: bad quoting")
        );
    }

    #[test]
    fn a_reference_that_is_not_utf8_is_skipped_and_other_columns_need_not_be() -> Result<()> {
        let rows = read(b"reference,name\n\xff,x\nA,\xff\n")?;
        assert_eq!(references(&rows), [(3, "A")]);
        assert_eq!(skipped(&rows), [(2, "not_utf8")]);
        Ok(())
    }

    #[test]
    fn fields_are_quoted_when_they_need_it() {
        assert_eq!(quoted("C-001"), "C-001");
        assert_eq!(quoted("a,b"), "\"a,b\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
