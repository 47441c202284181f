//! The error file of a run: each failed row as it was read, plus `error_code` and
//! `error_message`. Mapping is by column name, so the two extra columns are ignored when the
//! corrected file is fed back as it is.

use std::io::Write;

/// Writes failed rows; the header line goes first, once, when the file has one.
pub struct ErrorFile<W: Write> {
    writer: csv::Writer<W>,
    header: Option<Vec<String>>,
    rows: u64,
}

impl<W: Write> ErrorFile<W> {
    /// An error file for rows with `headers` (`None` for headerless files).
    pub fn new(out: W, delimiter: u8, headers: Option<&[String]>) -> Self {
        let writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(out);
        Self {
            writer,
            header: headers.map(<[String]>::to_vec),
            rows: 0,
        }
    }

    /// Adds a failed row.
    pub fn push(&mut self, cells: &[String], code: &str, message: &str) -> csv::Result<()> {
        if let Some(h) = self.header.take() {
            let mut line = h;
            line.push("error_code".into());
            line.push("error_message".into());
            self.writer.write_record(&line)?;
        }
        let mut line: Vec<&str> = cells.iter().map(String::as_str).collect();
        line.push(code);
        line.push(message);
        self.writer.write_record(&line)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and gives the writer back.
    pub fn finish(self) -> std::io::Result<W> {
        self.writer.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use fidelis_domain::connect::Dataflow;
    use jiff::tz::TimeZone;

    use super::*;
    use crate::{RowOutcome, Rows};

    #[test]
    fn failed_rows_are_kept_as_read_and_the_file_reads_back() {
        let flow = Dataflow::parse(
            "name = \"b\"\ntemplate = \"transaction-v2-add\"\n[mapping]\nbillNumber = \"No\"\n\
             billAmount = \"Amt\"\nmobile = \"Mobile\"\n[attribution]\ntill = \"t\"\n",
        )
        .unwrap();
        let input = "No,Amt,Mobile\nB-1,10,6591230001\n\"B,2\",5,\n";
        let mut rows = Rows::new(&flow, TimeZone::UTC, input.as_bytes()).unwrap();
        let headers = rows.headers().to_vec();
        let mut errors = ErrorFile::new(Vec::new(), b',', Some(&headers));
        while let Some((_, cells, outcome)) = rows.next_row() {
            if let RowOutcome::Failed { code, message } = outcome {
                errors.push(&cells, code, &message).unwrap();
            }
        }
        assert_eq!(errors.rows(), 1);
        let text = String::from_utf8(errors.finish().unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("No,Amt,Mobile,error_code,error_message"));
        let row = lines.next().unwrap();
        assert!(
            row.starts_with("\"B,2\",5,,MANDATORY_VALUE_MISSING,"),
            "{row}"
        );

        // Corrected (a mobile added), the error file is a valid input of the same flow.
        let fixed = text.replace("\"B,2\",5,,", "\"B,2\",5,6591230002,");
        let mut again = Rows::new(&flow, TimeZone::UTC, fixed.as_bytes()).unwrap();
        let (_, _, outcome) = again.next_row().unwrap();
        let RowOutcome::Mapped(m) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(m.fields["billNumber"], "B,2");
        assert_eq!(m.fields["mobile"], "6591230002");
    }
}
