//! Rules about the files a dataflow's sources hold: which names are still being written
//! (never taken), which are encrypted, what name an uploaded file may have, and what goes
//! wrong with an upload.

use crate::error::{CodedError, ErrorClass};

/// Suffixes of files that are still being written: ours (`.part`) and those of common
/// transfer tools (`.tmp`, WinSCP's `.filepart`, `.partial`, `.crdownload`).
const IN_PROGRESS: &[&str] = &[".part", ".tmp", ".filepart", ".partial", ".crdownload"];

/// Suffixes of PGP-encrypted files.
const ENCRYPTED: &[&str] = &[".pgp", ".gpg", ".asc"];

/// A name a source never takes however the pattern reads: hidden files (uploads are written
/// under a hidden temporary name) and files still being written.
pub fn in_progress(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.') || IN_PROGRESS.iter().any(|s| lower.ends_with(s))
}

/// The name of the decrypted file, when `name` is an encrypted one (`bills.csv.pgp` →
/// `bills.csv`).
pub fn decrypted_name(name: &str) -> Option<&str> {
    let lower = name.to_ascii_lowercase();
    ENCRYPTED
        .iter()
        .find(|s| lower.ends_with(*s))
        .map(|s| &name[..name.len() - s.len()])
        .filter(|n| !n.is_empty())
}

/// Why an upload was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// No dataflow of that name that this org can reach.
    #[error("Dataflow not found: {0}")]
    UnknownDataflow(String),
    #[error("Invalid file name: {0}")]
    BadName(String),
    #[error("The file is empty")]
    Empty,
    #[error("A file named {0} is already waiting in the dataflow's inbox")]
    AlreadyWaiting(String),
    #[error("Invalid upload: {0}")]
    BadBody(String),
    /// The inbox could not be written (logged; the caller may retry).
    #[error("the inbox could not be written: {0}")]
    Storage(String),
}

impl CodedError for UploadError {
    fn code(&self) -> u32 {
        match self {
            Self::UnknownDataflow(_) => 9101,
            Self::BadName(_) => 9102,
            Self::Empty => 9103,
            Self::AlreadyWaiting(_) => 9104,
            Self::BadBody(_) => 9105,
            Self::Storage(_) => 500,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::UnknownDataflow(_) => ErrorClass::NotFound,
            Self::AlreadyWaiting(_) => ErrorClass::Conflict,
            Self::Storage(_) => ErrorClass::Internal,
            _ => ErrorClass::Invalid,
        }
    }
}

/// Checks an uploaded file's name: a plain file name (no folder, not hidden, not a name a
/// source would skip) that `pattern` accepts, so the pickup will take it.
pub fn check_upload_name(name: &str, pattern: &regex::Regex) -> Result<(), UploadError> {
    let bad = |why: &str| Err(UploadError::BadName(format!("{name:?} {why}")));
    if name.is_empty() || name.len() > 200 {
        return bad("must have 1 to 200 characters");
    }
    if name.contains(['/', '\\', '\0']) || name.chars().any(char::is_control) {
        return bad("must be a plain file name");
    }
    if in_progress(name) {
        return bad("is hidden or marks a file still being written");
    }
    if !pattern.is_match(name) {
        return bad(&format!(
            "does not match the dataflow's pattern {}",
            pattern.as_str()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_being_written_are_never_taken() {
        for name in [
            ".bills.csv",
            "bills.csv.part",
            "bills.CSV.TMP",
            "b.csv.filepart",
        ] {
            assert!(in_progress(name), "{name}");
        }
        for name in ["bills.csv", "part.csv", "tmp_bills.csv"] {
            assert!(!in_progress(name), "{name}");
        }
    }

    #[test]
    fn encrypted_names_lose_their_suffix() {
        assert_eq!(decrypted_name("bills.csv.pgp"), Some("bills.csv"));
        assert_eq!(decrypted_name("bills.csv.GPG"), Some("bills.csv"));
        assert_eq!(decrypted_name("bills.csv.asc"), Some("bills.csv"));
        assert_eq!(decrypted_name("bills.csv"), None);
        assert_eq!(decrypted_name(".pgp"), None);
    }

    #[test]
    fn upload_names_are_plain_and_match_the_pattern() {
        let p = regex::Regex::new(r"^bills_.*\.csv$").unwrap();
        assert!(check_upload_name("bills_1.csv", &p).is_ok());
        for bad in [
            "",
            "../bills_1.csv",
            "dir/bills_1.csv",
            ".bills_1.csv",
            "bills_1.csv.part",
            "other.csv",
            "bills_\n.csv",
        ] {
            let e = check_upload_name(bad, &p).unwrap_err();
            assert_eq!(e.code(), 9102, "{bad}");
        }
    }
}
