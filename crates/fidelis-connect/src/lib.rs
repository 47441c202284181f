//! Connect+ dataflows, the part that touches files: reading a CSV file row by row into the
//! API fields of its template (`rows`), and writing the rows that failed, unchanged, with
//! their error code and message, to an error file that can be fed back as it is (`errors`);
//! and where files come from (`sources`: a watched folder, an SFTP folder, uploads, PGP
//! decryption, the scheduled pickup inside `serve`).
//! Files are streamed; nothing holds a whole file in memory.

pub mod errors;
pub mod rows;
pub mod sources;

pub use errors::ErrorFile;
pub use rows::{MappedRow, RowOutcome, Rows};
