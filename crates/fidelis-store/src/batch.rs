//! Set-based writes: many rows in one statement, for the paths that write thousands of rows
//! at a time (Connect+ imports).
//!
//! A batch's rows become a derived table `x` that one statement inserts, updates or
//! upserts from ([`Rows::parts`]). PostgreSQL receives the whole batch as ONE parameter, a
//! JSON array of arrays that the server unpacks; SQLite receives the values as bound
//! parameters of a `VALUES` list, in parts of at most [`SQLITE_PART`] rows, each part's
//! row count a power of two so that a few prepared statements serve every batch (unpacking
//! JSON row by row cost SQLite's single writer about a quarter of its time). Either way
//! there is no per-row round trip.
//!
//! Ids are reserved before the rows are written ([`reserve_ids`]), so rows that refer to
//! each other (an entry to its lot, a bill number to its bill) are written in one
//! statement per table without reading ids back.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::error::BoxDynError;
use sqlx::AnyConnection;
use sqlx::{Arguments as _, FromRow};

use crate::{Backend, StoreError, Unit};

/// A column of a batch's derived table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    Int(&'static str),
    Text(&'static str),
}

impl Col {
    fn name(self) -> &'static str {
        match self {
            Col::Int(n) | Col::Text(n) => n,
        }
    }
}

/// One value of a batch row.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(Some(v))
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        Cell::Int(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(Some(v.to_string()))
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(Some(v))
    }
}

impl From<Option<&str>> for Cell {
    fn from(v: Option<&str>) -> Self {
        Cell::Text(v.map(str::to_string))
    }
}

/// The rows of a batch, each of `W` cells.
#[derive(Debug)]
pub(crate) struct Rows<const W: usize>(Vec<[Cell; W]>);

/// Rows per statement on SQLite, at most (its parameters stay far below SQLite's limit).
pub(crate) const SQLITE_PART: usize = 256;

impl<const W: usize> Rows<W> {
    pub fn with_capacity(rows: usize) -> Self {
        Rows(Vec::with_capacity(rows))
    }

    pub fn push(&mut self, row: [Cell; W]) {
        self.0.push(row);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parts a statement runs once each, in order: the derived table `x` of columns
    /// `cols` (SQL to put in a `FROM`) and the values of its parameters (on PostgreSQL one,
    /// `$first`, after the statement's own). No rows, no parts.
    pub fn parts(&self, backend: Backend, first: usize, cols: &[Col; W]) -> Vec<Part<'_, W>> {
        if self.is_empty() {
            return Vec::new();
        }
        match backend {
            Backend::Postgres => vec![Part {
                source: postgres_source(first, cols),
                values: Values::Json(&self.0),
            }],
            Backend::Sqlite => {
                let mut parts = Vec::new();
                let mut rest: &[[Cell; W]] = &self.0;
                while !rest.is_empty() {
                    // A full part, else the largest power of two that fits.
                    let take = if rest.len() >= SQLITE_PART {
                        SQLITE_PART
                    } else {
                        1 << rest.len().ilog2()
                    };
                    let (part, tail) = rest.split_at(take);
                    parts.push(Part {
                        source: sqlite_source(cols, take),
                        values: Values::Bound(part),
                    });
                    rest = tail;
                }
                parts
            }
        }
    }
}

/// One statement's share of a batch ([`Rows::parts`]).
pub(crate) struct Part<'a, const W: usize> {
    /// The derived table `x`, for the statement's `FROM`.
    pub source: String,
    values: Values<'a, W>,
}

enum Values<'a, const W: usize> {
    /// All the rows, as one JSON parameter (PostgreSQL).
    Json(&'a [[Cell; W]]),
    /// This part's rows, a parameter per cell (SQLite).
    Bound(&'a [[Cell; W]]),
}

/// Rows as a JSON array of arrays.
fn to_json<const W: usize>(rows: &[[Cell; W]]) -> Result<String, StoreError> {
    let rows: Vec<Vec<serde_json::Value>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Cell::Int(v) => serde_json::Value::from(*v),
                    Cell::Text(v) => serde_json::Value::from(v.as_deref()),
                })
                .collect()
        })
        .collect();
    serde_json::to_string(&rows).map_err(|e| StoreError::Corrupt(format!("batch rows: {e}")))
}

/// Sets a statement's own parameters (`$1`, `$2`, … in its SQL).
pub(crate) type Own<'a> =
    dyn Fn(&mut AnyArguments<'a>) -> Result<(), BoxDynError> + Send + Sync + 'a;

impl<'a, const W: usize> Part<'a, W> {
    /// The part's statement (`sql` of its derived table) and its arguments. On SQLite the
    /// rows' parameters are anonymous (`?`) and bound first, the statement's own are
    /// renumbered after them: looking up a named parameter walks all the names, and the
    /// driver looks up every parameter once per execution (named rows' values made a
    /// statement's binding quadratic in its rows).
    fn statement(
        &self,
        sql: &impl Fn(&str) -> String,
        own: &Own<'a>,
    ) -> Result<(String, AnyArguments<'a>), StoreError> {
        let bad = |e| StoreError::Corrupt(format!("batch parameter: {e}"));
        let mut args = AnyArguments::default();
        match &self.values {
            Values::Json(rows) => {
                own(&mut args).map_err(bad)?;
                args.add(to_json(rows)?).map_err(bad)?;
                Ok((sql(&self.source), args))
            }
            Values::Bound(rows) => {
                for c in rows.iter().flatten() {
                    match c {
                        Cell::Int(v) => args.add(*v).map_err(bad)?,
                        Cell::Text(v) => args.add(v.as_deref()).map_err(bad)?,
                    }
                }
                let bound = args.len();
                own(&mut args).map_err(bad)?;
                Ok((renumber(&sql(&self.source), bound), args))
            }
        }
    }
}

/// `sql` with each `$N` made `$(N + by)`.
fn renumber(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// The number of parameters `own` sets.
fn own_count(own: &Own<'_>) -> Result<usize, StoreError> {
    let mut args = AnyArguments::default();
    own(&mut args).map_err(|e| StoreError::Corrupt(format!("batch parameter: {e}")))?;
    Ok(args.len())
}

/// Runs the statement `sql` makes of the rows' derived table `x` once per part of `rows`
/// ([`Rows::parts`]) on `conn` (of `backend`), with the statement's own parameters set by
/// `own` (`$1`, `$2`, … in `sql`); the rows it returns, in order.
pub(crate) async fn fetch_all<'a, O, const W: usize>(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &'a Rows<W>,
    cols: &[Col; W],
    own: &Own<'a>,
    sql: impl Fn(&str) -> String,
) -> Result<Vec<O>, StoreError>
where
    O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    fetch_all_with(Plan::Kept, conn, backend, rows, cols, own, sql).await
}

/// Whether a statement's prepared form (and so, on PostgreSQL, its plan) is kept for the
/// next run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    Kept,
    /// Planned afresh on each run, on the table as it is: for a read that joins the rows
    /// to a table. A kept (generic) plan is made once; made on an empty table it scans the
    /// table, and goes on scanning it once the table is large.
    Fresh,
}

/// [`fetch_all`] with the statement's plan kept or made afresh ([`Plan`]).
pub(crate) async fn fetch_all_with<'a, O, const W: usize>(
    plan: Plan,
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &'a Rows<W>,
    cols: &[Col; W],
    own: &Own<'a>,
    sql: impl Fn(&str) -> String,
) -> Result<Vec<O>, StoreError>
where
    O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let mut out = Vec::new();
    for part in rows.parts(backend, own_count(own)? + 1, cols) {
        let (sql, args) = part.statement(&sql, own)?;
        out.extend(
            sqlx::query_as_with::<_, O, _>(&sql, args)
                .persistent(plan == Plan::Kept)
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    Ok(out)
}

/// [`fetch_all`] for a statement that returns no rows: the number of rows it wrote.
pub(crate) async fn execute<'a, const W: usize>(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &'a Rows<W>,
    cols: &[Col; W],
    own: &Own<'a>,
    sql: impl Fn(&str) -> String,
) -> Result<u64, StoreError> {
    let mut written = 0;
    for part in rows.parts(backend, own_count(own)? + 1, cols) {
        let (sql, args) = part.statement(&sql, own)?;
        written += sqlx::query_with(&sql, args)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(written)
}

/// [`fetch_all`] for a statement that returns ONE row, a JSON array (SQLite's
/// `json_group_array`), per part: the arrays' elements, in order. On SQLite each returned
/// row costs the driver a hand-over between threads; one row per part does not. `what`
/// names the rows in an error.
pub(crate) async fn fetch_json<'a, T, const W: usize>(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &'a Rows<W>,
    cols: &[Col; W],
    own: &Own<'a>,
    what: &str,
    sql: impl Fn(&str) -> String,
) -> Result<Vec<T>, StoreError>
where
    T: serde::de::DeserializeOwned,
{
    let parts: Vec<(String,)> = fetch_all(conn, backend, rows, cols, own, sql).await?;
    let mut out = Vec::new();
    for (json,) in parts {
        let items: Vec<T> =
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?;
        out.extend(items);
    }
    Ok(out)
}

/// PostgreSQL's derived table of the JSON rows in parameter `$param`.
fn postgres_source(param: usize, cols: &[Col]) -> String {
    let select: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            Col::Int(n) => format!("(r->>{i})::bigint AS {n}"),
            Col::Text(n) => format!("r->>{i} AS {n}"),
        })
        .collect();
    format!(
        "(SELECT {} FROM jsonb_array_elements(CAST(${param} AS jsonb)) AS j(r)) AS x",
        select.join(", ")
    )
}

/// SQLite's derived table of `rows` rows of anonymous parameters.
fn sqlite_source(cols: &[Col], rows: usize) -> String {
    let select: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("column{} AS {}", i + 1, c.name()))
        .collect();
    let row = format!("({})", vec!["?"; cols.len()].join(", "));
    let values = vec![row; rows].join(", ");
    format!("(SELECT {} FROM (VALUES {values})) AS x", select.join(", "))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: i64) -> Rows<2> {
        let mut rows = Rows::with_capacity(0);
        for i in 0..n {
            rows.push([i.into(), format!("r{i}").into()]);
        }
        rows
    }

    const COLS: [Col; 2] = [Col::Int("a"), Col::Text("b")];

    fn sizes(parts: &[Part<'_, 2>]) -> Vec<usize> {
        parts
            .iter()
            .map(|p| match p.values {
                Values::Bound(r) | Values::Json(r) => r.len(),
            })
            .collect()
    }

    #[test]
    fn sqlite_takes_full_parts_then_powers_of_two_in_order() {
        let r = rows(1000);
        let parts = r.parts(Backend::Sqlite, 3, &COLS);
        assert_eq!(sizes(&parts), [256, 256, 256, 128, 64, 32, 8]);
        // Each part starts where the last ended.
        let firsts: Vec<&Cell> = parts
            .iter()
            .map(|p| match p.values {
                Values::Bound(r) | Values::Json(r) => &r[0][0],
            })
            .collect();
        let firsts: Vec<i64> = firsts
            .into_iter()
            .map(|c| match c {
                Cell::Int(Some(v)) => *v,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(firsts, [0, 256, 512, 768, 896, 960, 992]);
        assert_eq!(
            parts[6].source,
            format!(
                "(SELECT column1 AS a, column2 AS b FROM (VALUES {})) AS x",
                ["(?, ?)"; 8].join(", ")
            )
        );
        // The rows' values come first, the statement's own after them, renumbered.
        let own: &Own<'_> = &|a| {
            a.add(7_i64)?;
            a.add("own")
        };
        let (sql, args) = parts[6]
            .statement(&|x| format!("SELECT $1, $2, $1 FROM {x}"), own)
            .unwrap();
        assert!(
            sql.starts_with("SELECT $17, $18, $17 FROM (SELECT column1"),
            "{sql}"
        );
        assert_eq!(args.len(), 18);
    }

    #[test]
    fn postgres_takes_the_batch_as_one_json_parameter() {
        let r = rows(1000);
        let parts = r.parts(Backend::Postgres, 4, &COLS);
        assert_eq!(sizes(&parts), [1000]);
        assert!(parts[0].source.contains("CAST($4 AS jsonb)"));
        let json = match parts[0].values {
            Values::Json(r) | Values::Bound(r) => to_json(r).unwrap(),
        };
        assert!(json.starts_with(r#"[[0,"r0"],[1,"r1"]"#));
    }

    #[test]
    fn renumbering_moves_every_parameter_and_nothing_else() {
        assert_eq!(
            renumber("SELECT $1, '$', $12 FROM t WHERE a = $2", 100),
            "SELECT $101, '$', $112 FROM t WHERE a = $102"
        );
    }

    #[test]
    fn no_rows_no_statement() {
        assert!(rows(0).parts(Backend::Sqlite, 1, &COLS).is_empty());
        assert!(rows(0).parts(Backend::Postgres, 1, &COLS).is_empty());
    }
}
