//! A dataflow file (TOML): which template, where files come from, how columns map to API
//! fields, the date format of each date field, an optional row filter, the attribution and
//! the batching. `Dataflow::parse` checks all of it before anything runs and lists every
//! problem at once, the unmapped mandatory fields among them.
//!
//! ```toml
//! name = "pos-bills"
//! template = "transaction-v2-add"
//! [source]
//! folder = "inbox/bills"            # or: sftp = "sftp://user@host:22/outbox" (+ host_key…)
//! pattern = "^bills_.*\\.csv$"
//! processed = "processed/bills"
//! errors = "errors/bills"
//! [file]
//! delimiter = ","
//! [mapping]
//! billNumber = "Bill No"
//! billAmount = "Amount"
//! billingDate = "Bill Date"
//! mobile = "Mobile"
//! [dates]
//! billingDate = "yyyy-MM-dd HH:mm:ss"
//! [attribution]
//! till = "demo.till"                 # or: till_column = "Till"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::source::RawSource;
use super::{DateFormat, Expr, Mapping, PgpKey, Source, Template};

/// Which till each row is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribution {
    Till(String),
    TillColumn(String),
}

/// A checked dataflow.
#[derive(Debug, Clone)]
pub struct Dataflow {
    pub name: String,
    pub template: Template,
    pub source: Source,
    /// The key that decrypts `.pgp` / `.gpg` / `.asc` files before they are read.
    pub pgp: Option<PgpKey>,
    /// File names taken from the source (a regex as written).
    pub pattern: String,
    pub processed: Option<String>,
    pub errors: Option<String>,
    pub delimiter: u8,
    /// Column names of headerless files; `None`: the first line names them.
    pub columns: Option<Vec<String>>,
    pub mapping: BTreeMap<String, Mapping>,
    pub dates: BTreeMap<String, DateFormat>,
    pub filter: Option<Expr>,
    pub attribution: Attribution,
    pub batch_size: usize,
    pub retries: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    name: String,
    template: String,
    #[serde(default)]
    source: RawSource,
    #[serde(default)]
    file: RawFile,
    #[serde(default)]
    mapping: BTreeMap<String, String>,
    #[serde(default)]
    dates: BTreeMap<String, String>,
    filter: Option<String>,
    attribution: RawAttribution,
    batch_size: Option<usize>,
    retries: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    delimiter: Option<String>,
    columns: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttribution {
    till: Option<String>,
    till_column: Option<String>,
}

const DEFAULT_BATCH: usize = 2_000;
/// File names a source takes when the dataflow names no pattern.
pub const DEFAULT_PATTERN: &str = r"\.csv$";

impl Dataflow {
    /// Parses and checks a dataflow file; every problem found is listed.
    pub fn parse(text: &str) -> Result<Self, Vec<String>> {
        let raw: RawFlow = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
        let mut problems = Vec::new();
        let template = match Template::parse(&raw.template) {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(e);
                None
            }
        };
        let mut mapping = BTreeMap::new();
        for (field, value) in &raw.mapping {
            if let Some(t) = template {
                if !t.knows(field) {
                    problems.push(format!(
                        "mapping.{field}: `{}` has no field `{field}`",
                        t.name()
                    ));
                }
            }
            match Mapping::parse(value) {
                Ok(m) => {
                    mapping.insert(field.clone(), m);
                }
                Err(e) => problems.push(format!("mapping.{field}: {e}")),
            }
        }
        if let Some(t) = template {
            let missing = t.missing(|f| raw.mapping.contains_key(f));
            if !missing.is_empty() {
                problems.push(format!(
                    "`{}` needs these mandatory fields mapped: {}",
                    t.name(),
                    missing.join("; ")
                ));
            }
        }
        let mut dates = BTreeMap::new();
        for (field, name) in &raw.dates {
            match DateFormat::parse_name(name) {
                Ok(f) => {
                    dates.insert(field.clone(), f);
                }
                Err(e) => problems.push(format!("dates.{field}: {e}")),
            }
            if template.is_some_and(|t| !t.field(field).is_some_and(|f| f.date)) {
                problems.push(format!("dates.{field}: not a date field of the template"));
            }
        }
        if let Some(t) = template {
            // A mapped date field without a format is read in the first listed one.
            for f in t.fields().iter().filter(|f| f.date) {
                if mapping.contains_key(f.name) && !dates.contains_key(f.name) {
                    dates.insert(f.name.to_string(), DateFormat::IsoLocal);
                }
            }
        }
        let filter = match (&raw.filter, template) {
            (Some(f), _) => match Expr::parse(f) {
                Ok(e) => Some(e),
                Err(e) => {
                    problems.push(format!("filter: {e}"));
                    None
                }
            },
            (None, Some(Template::TransactionAddWithFilter)) => {
                problems.push("`transaction-v2-add-with-filter` needs a filter".into());
                None
            }
            (None, _) => None,
        };
        let (source, pgp) = raw.source.check(&mut problems);
        let pattern = raw
            .source
            .pattern
            .clone()
            .unwrap_or_else(|| DEFAULT_PATTERN.into());
        if let Err(e) = regex::Regex::new(&pattern) {
            problems.push(format!("source.pattern is not a regular expression: {e}"));
        }
        let delimiter = match raw.file.delimiter.as_deref().unwrap_or(",") {
            "\\t" | "\t" | "tab" => b'\t',
            d if d.len() == 1 && d != "\"" && d != "\n" => d.as_bytes()[0],
            d => {
                problems.push(format!("file.delimiter `{d}` must be one character"));
                b','
            }
        };
        let attribution = match (raw.attribution.till, raw.attribution.till_column) {
            (Some(t), None) => Attribution::Till(t),
            (None, Some(c)) => Attribution::TillColumn(c),
            _ => {
                problems.push("attribution: name a till or a till_column (one of them)".into());
                Attribution::Till(String::new())
            }
        };
        let batch_size = raw.batch_size.unwrap_or(DEFAULT_BATCH);
        if !(1..=10_000).contains(&batch_size) {
            problems.push("batch_size must be between 1 and 10000".into());
        }
        if raw.name.trim().is_empty() {
            problems.push("name must not be empty".into());
        }
        match (template, problems.is_empty()) {
            (Some(template), true) => Ok(Self {
                name: raw.name,
                template,
                source,
                pgp,
                pattern,
                processed: raw.source.processed,
                errors: raw.source.errors,
                delimiter,
                columns: raw.file.columns,
                mapping,
                dates,
                filter,
                attribution,
                batch_size,
                retries: raw.retries.unwrap_or(3),
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: &str = r#"
name = "pos-bills"
template = "transaction-v2-add"
[source]
folder = "inbox"
[mapping]
billNumber = "Bill No"
billAmount = "exp{hdr{Amount} * 1}"
billingDate = "Bill Date"
mobile = "Mobile"
[dates]
billingDate = "dd/MM/yyyy HH:mm:ss"
[attribution]
till = "demo.till"
"#;

    #[test]
    fn a_complete_flow_parses() {
        let f = Dataflow::parse(FLOW).unwrap();
        assert_eq!(f.template, Template::TransactionAdd);
        assert_eq!(f.source, Source::Folder("inbox".into()));
        assert_eq!(f.dates["billingDate"], DateFormat::DaySlashMonth);
        assert_eq!(f.attribution, Attribution::Till("demo.till".into()));
        assert_eq!((f.delimiter, f.batch_size), (b',', 2_000));
    }

    #[test]
    fn unmapped_mandatory_fields_are_listed() {
        let text = FLOW
            .replace("billAmount = \"exp{hdr{Amount} * 1}\"\n", "")
            .replace("mobile = \"Mobile\"\n", "");
        let problems = Dataflow::parse(&text).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("billAmount"), "{problems:?}");
        assert!(problems[0].contains("one of mobile, email"), "{problems:?}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = FLOW
            .replace("transaction-v2-add", "transaction-v2-add-with-filter")
            .replace("dd/MM/yyyy HH:mm:ss", "yyyy/MM/dd")
            .replace(
                "mobile = \"Mobile\"",
                "mobile = \"Mobile\"\npoints = \"Pts\"",
            )
            .replace("till = \"demo.till\"", "");
        let problems = Dataflow::parse(&text).unwrap_err();
        let all = problems.join("\n");
        for want in [
            "needs a filter",
            "dates.billingDate",
            "mapping.points",
            "attribution",
        ] {
            assert!(all.contains(want), "{want} not in {all}");
        }
    }

    #[test]
    fn an_sftp_source_names_its_host_key_and_a_login() {
        let sftp = FLOW.replace(
            "folder = \"inbox\"",
            "sftp = \"sftp://loader@files.example.com:2222/outbox\"\n\
             host_key = \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 files\"\n\
             key_file = \"keys/loader\"\n\
             pgp_key = \"keys/secret.asc\"\npgp_passphrase_env = \"PGP_PASS\"",
        );
        let f = Dataflow::parse(&sftp).unwrap();
        let Source::Sftp(s) = &f.source else {
            panic!("{:?}", f.source)
        };
        assert_eq!(
            (s.user.as_str(), s.port, s.path.as_str()),
            ("loader", 2222, "/outbox")
        );
        assert_eq!(s.key_file.as_deref(), Some("keys/loader"));
        let pgp = f.pgp.unwrap();
        assert_eq!(pgp.passphrase_env.as_deref(), Some("PGP_PASS"));

        let bare = FLOW.replace(
            "folder = \"inbox\"",
            "sftp = \"sftp://files.example.com/outbox\"\npattern = \"([\"",
        );
        let all = Dataflow::parse(&bare).unwrap_err().join("\n");
        for want in [
            "user@host",
            "host_key is required",
            "key_file or",
            "pattern",
        ] {
            assert!(all.contains(want), "{want} not in {all}");
        }
        let stray = FLOW.replace(
            "folder = \"inbox\"",
            "folder = \"in\"\nhost_key = \"SHA256:x\"",
        );
        let all = Dataflow::parse(&stray).unwrap_err().join("\n");
        assert!(all.contains("only for an sftp source"), "{all}");
    }

    #[test]
    fn a_date_field_without_a_format_reads_the_first_format() {
        let f =
            Dataflow::parse(&FLOW.replace("billingDate = \"dd/MM/yyyy HH:mm:ss\"", "")).unwrap();
        assert_eq!(f.dates["billingDate"], DateFormat::IsoLocal);
    }
}
