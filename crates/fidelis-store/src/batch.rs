//! Set-based writes: many rows in one statement, for the paths that write thousands of rows
//! at a time (Connect+ imports).
//!
//! A batch travels as ONE parameter, a JSON array of arrays (element k of a row is column
//! k), and the database unpacks it into a derived table ([`Backend::json_rows`]). One
//! statement then inserts, updates or upserts the whole batch: no per-row round trip and
//! no per-row parameter binding, and no limit on the number of parameters.
//!
//! Ids are reserved before the rows are written ([`reserve_ids`]), so rows that refer to
//! each other (an entry to its lot, a bill number to its bill) are written in one
//! statement per table without reading ids back.

use serde_json::Value;

use crate::{Backend, StoreError, Unit};

/// A column of a [`Backend::json_rows`] table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    Int(&'static str),
    Text(&'static str),
}

impl Backend {
    /// The derived table `x` of the rows in parameter `$param`, a JSON array of arrays.
    pub(crate) fn json_rows(self, param: usize, cols: &[Col]) -> String {
        let mut select = Vec::with_capacity(cols.len());
        for (i, c) in cols.iter().enumerate() {
            select.push(match (self, c) {
                (Backend::Postgres, Col::Int(n)) => format!("(r->>{i})::bigint AS {n}"),
                (Backend::Postgres, Col::Text(n)) => format!("r->>{i} AS {n}"),
                (Backend::Sqlite, Col::Int(n) | Col::Text(n)) => format!("value->>{i} AS {n}"),
            });
        }
        let source = match self {
            Backend::Postgres => format!("jsonb_array_elements(CAST(${param} AS jsonb)) AS j(r)"),
            Backend::Sqlite => format!("json_each(${param})"),
        };
        format!("(SELECT {} FROM {source}) AS x", select.join(", "))
    }
}

/// The rows of a batch, as the one JSON parameter `json_rows` reads.
#[derive(Debug, Default)]
pub(crate) struct Rows(Vec<Value>);

impl Rows {
    pub fn with_capacity(n: usize) -> Self {
        Rows(Vec::with_capacity(n))
    }

    pub fn push(&mut self, row: Vec<Value>) {
        self.0.push(Value::Array(row));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parameter's text.
    pub fn to_param(&self) -> Result<String, StoreError> {
        serde_json::to_string(&self.0).map_err(|e| StoreError::Corrupt(format!("batch rows: {e}")))
    }
}

/// `n` fresh ids of `table`'s `id` column, in increasing order, for rows the unit then
/// inserts with explicit ids. PostgreSQL draws them from the column's identity sequence
/// (other writers draw others); SQLite hands out the next rowids, which no other writer
/// can take: the unit holds the database's write lock from its start.
pub(crate) async fn reserve_ids(
    unit: &mut Unit,
    table: &'static str,
    n: usize,
) -> Result<Vec<i64>, StoreError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let count = i64::try_from(n).map_err(|_| StoreError::Conflict("batch too large".into()))?;
    match unit.backend() {
        Backend::Postgres => {
            // The sequence is looked up once (a function in the select list would run
            // once per id).
            let ids: Vec<(i64,)> = sqlx::query_as(&format!(
                "WITH s AS MATERIALIZED \
                 (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS seq) \
                 SELECT nextval(s.seq) FROM s, generate_series(1, $1)"
            ))
            .bind(count)
            .fetch_all(&mut **unit)
            .await?;
            let mut ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
            ids.sort_unstable();
            Ok(ids)
        }
        Backend::Sqlite => {
            let (max,): (i64,) =
                sqlx::query_as(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
                    .fetch_one(&mut **unit)
                    .await?;
            Ok((1..=count).map(|i| max + i).collect())
        }
    }
}
