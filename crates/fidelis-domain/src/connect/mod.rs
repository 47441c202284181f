//! The connect context: Connect+ dataflows that load CSV files through the same commands as
//! the API. Pure rules only: the date formats a file may use, and (next) dataflow files,
//! templates and their mandatory fields. Reading files, SFTP and running rows live outside
//! the domain.

pub mod dates;
pub mod document;
pub mod error;
pub mod expr;
pub mod files;
pub mod flow;
pub mod source;
pub mod template;

pub use dates::{DateError, DateFormat};
pub use document::{BillDocument, DocumentLine};
pub use error::ConnectError;
pub use expr::{Expr, Mapping};
pub use files::UploadError;
pub use flow::{Attribution, Dataflow};
pub use source::{PgpKey, SftpSource, Source};
pub use template::{Field, Need, Template};
