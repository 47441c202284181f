//! A CSV file read as the rows of a dataflow: each data row becomes its template's API
//! fields (mapped, dates read as instants), or is filtered out, or fails with a reason.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::io::Read;

use fidelis_domain::connect::Dataflow;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A row mapped to API fields.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedRow {
    /// API field → value; date fields are also in `dates`.
    pub fields: BTreeMap<String, String>,
    pub dates: BTreeMap<String, Timestamp>,
}

/// What became of one data row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    Mapped(MappedRow),
    /// The filter kept it out.
    Filtered,
    /// The row cannot be read as its template's fields (`code`, `message`).
    Failed {
        code: &'static str,
        message: String,
    },
}

/// Codes of rows that fail before reaching the application (its own codes come after).
pub const BAD_ROW: &str = "ROW_UNREADABLE";
pub const BAD_VALUE: &str = "MAPPING_FAILED";
pub const BAD_DATE: &str = "INVALID_DATE";
pub const MISSING_VALUE: &str = "MANDATORY_VALUE_MISSING";

/// The data rows of one file, in order, numbered from 1 (the header line is not a row).
/// `F` is the dataflow, borrowed or owned (a reader on its own thread owns it).
pub struct Rows<F: Borrow<Dataflow>, R: Read> {
    flow: F,
    zone: TimeZone,
    reader: csv::Reader<R>,
    headers: Vec<String>,
    record: csv::StringRecord,
    number: u64,
}

/// A file that cannot be read as CSV at all.
#[derive(Debug, thiserror::Error)]
#[error("the file cannot be read as CSV: {0}")]
pub struct FileError(#[from] csv::Error);

impl<F: Borrow<Dataflow>, R: Read> Rows<F, R> {
    /// Opens `input` for `flow`; zone-less dates are read in `zone` (the org's).
    pub fn new(flow: F, zone: TimeZone, input: R) -> Result<Self, FileError> {
        let d: &Dataflow = flow.borrow();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(d.delimiter)
            .has_headers(d.columns.is_none())
            .flexible(true)
            .from_reader(input);
        let headers = match &d.columns {
            Some(c) => c.clone(),
            None => reader
                .headers()?
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .collect(),
        };
        Ok(Self {
            flow,
            zone,
            reader,
            headers,
            record: csv::StringRecord::new(),
            number: 0,
        })
    }

    /// The header line's names (or the configured columns).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Columns the mapping and filter read that the file does not have: such a file
    /// is refused before its first row.
    pub fn missing_columns(&self) -> Vec<&str> {
        let flow: &Dataflow = self.flow.borrow();
        let mut wanted: Vec<&str> = flow
            .mapping
            .values()
            .flat_map(|m| m.columns())
            .chain(
                flow.filter
                    .iter()
                    .flat_map(|f| f.columns().iter().map(String::as_str)),
            )
            .filter(|c| !self.headers.iter().any(|h| h == c))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        wanted
    }

    /// The next row: its number, its cells as read, and what it became; `None` at the end.
    pub fn next_row(&mut self) -> Option<(u64, Vec<String>, RowOutcome)> {
        let read = self.reader.read_record(&mut self.record);
        match read {
            Ok(false) => None,
            Ok(true) => {
                self.number += 1;
                let cells: Vec<String> = self.record.iter().map(str::to_string).collect();
                let outcome = self.outcome(&cells);
                Some((self.number, cells, outcome))
            }
            Err(e) => {
                self.number += 1;
                let outcome = RowOutcome::Failed {
                    code: BAD_ROW,
                    message: e.to_string(),
                };
                Some((self.number, Vec::new(), outcome))
            }
        }
    }

    fn outcome(&self, cells: &[String]) -> RowOutcome {
        let cell = |name: &str| {
            self.headers
                .iter()
                .position(|h| h == name)
                .map(|i| cells.get(i).map_or("", String::as_str))
        };
        if let Some(f) = &self.flow.borrow().filter {
            match f.keeps(cell) {
                Ok(true) => {}
                Ok(false) => return RowOutcome::Filtered,
                Err(message) => {
                    return RowOutcome::Failed {
                        code: BAD_VALUE,
                        message,
                    }
                }
            }
        }
        let mut fields = BTreeMap::new();
        for (field, mapping) in &self.flow.borrow().mapping {
            match mapping.value(cell) {
                Ok(v) => {
                    let v = v.trim().to_string();
                    if !v.is_empty() {
                        fields.insert(field.clone(), v);
                    }
                }
                Err(message) => {
                    return RowOutcome::Failed {
                        code: BAD_VALUE,
                        message: format!("{field}: {message}"),
                    }
                }
            }
        }
        let missing = self
            .flow
            .borrow()
            .template
            .missing(|f| fields.contains_key(f));
        if let Some(m) = missing.first() {
            return RowOutcome::Failed {
                code: MISSING_VALUE,
                message: format!("no value for {m}"),
            };
        }
        let mut dates = BTreeMap::new();
        for (field, format) in &self.flow.borrow().dates {
            if let Some(v) = fields.get(field) {
                match format.parse(v, &self.zone) {
                    Ok(t) => {
                        dates.insert(field.clone(), t);
                    }
                    Err(e) => {
                        return RowOutcome::Failed {
                            code: BAD_DATE,
                            message: format!("{field}: {e}"),
                        }
                    }
                }
            }
        }
        RowOutcome::Mapped(MappedRow { fields, dates })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: &str = r#"
name = "bills"
template = "transaction-v2-add"
filter = "hdr{Amount} != 0"
[mapping]
billNumber = "Bill No"
billAmount = "Amount"
billingDate = "Bill Date"
mobile = "Mobile"
[dates]
billingDate = "yyyy-MM-dd HH:mm:ss"
[attribution]
till = "demo.till"
"#;

    fn rows(csv: &str) -> Vec<(u64, RowOutcome)> {
        let flow = Dataflow::parse(FLOW).unwrap();
        let sg = TimeZone::get("Asia/Singapore").unwrap();
        let mut r = Rows::new(&flow, sg, csv.as_bytes()).unwrap();
        let mut out = Vec::new();
        while let Some((n, _, o)) = r.next_row() {
            out.push((n, o));
        }
        out
    }

    #[test]
    fn rows_map_filter_and_fail_with_reasons() {
        let file = "Bill No,Amount,Bill Date,Mobile\n\
                    B-1,100.00,2026-11-25 19:00:00,6591230001\n\
                    B-2,0,2026-11-25 19:00:00,6591230002\n\
                    B-3,50,2026-02-30 10:00:00,6591230003\n\
                    B-4,50,2026-11-25 10:00:00,\n";
        let out = rows(file);
        assert_eq!(out.len(), 4);
        let RowOutcome::Mapped(first) = &out[0].1 else {
            panic!("{out:?}")
        };
        assert_eq!(first.fields["billNumber"], "B-1");
        assert_eq!(
            first.dates["billingDate"],
            "2026-11-25T11:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(out[1].1, RowOutcome::Filtered);
        assert!(
            matches!(&out[2].1, RowOutcome::Failed { code, .. } if *code == BAD_DATE),
            "{out:?}"
        );
        assert!(
            matches!(&out[3].1, RowOutcome::Failed { code, message } if *code == MISSING_VALUE && message.contains("customer identifier")),
            "{out:?}"
        );
    }

    #[test]
    fn a_missing_column_is_named_before_any_row() {
        let flow = Dataflow::parse(FLOW).unwrap();
        let file = "Bill No,Amount,Mobile\nB-1,10,6591230001\n";
        let r = Rows::new(&flow, TimeZone::UTC, file.as_bytes()).unwrap();
        assert_eq!(r.missing_columns(), ["Bill Date"]);
        let out = rows(file);
        assert!(
            matches!(&out[0].1, RowOutcome::Failed { message, .. } if message.contains("Bill Date")),
            "{out:?}"
        );
    }
}
