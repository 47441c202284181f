//! Header mapping values: a file column by name, `const{value}`, or `exp{…}` computing a
//! value from `hdr{Column}` references with evalexpr (arithmetic, comparisons, `if`,
//! string functions such as `str::to_uppercase`). Row filters are expressions too.

use evalexpr::{
    build_operator_tree, ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Node,
    Value,
};

/// Where an API field's value comes from.
#[derive(Debug, Clone)]
pub enum Mapping {
    Column(String),
    Const(String),
    Expr(Expr),
}

/// A compiled expression and the columns it reads (as variables `h0`, `h1`, …).
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
    tree: Node<DefaultNumericTypes>,
    columns: Vec<String>,
}

impl Mapping {
    /// Parses a mapping value as written in a dataflow file.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(v) = wrapped(raw, "const{") {
            return Ok(Self::Const(v.to_string()));
        }
        if let Some(e) = wrapped(raw, "exp{") {
            return Ok(Self::Expr(Expr::parse(e)?));
        }
        if raw.is_empty() {
            return Err("a mapping needs a column name, const{…} or exp{…}".into());
        }
        Ok(Self::Column(raw.to_string()))
    }

    /// The columns the value is read from.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Self::Column(c) => vec![c.as_str()],
            Self::Const(_) => Vec::new(),
            Self::Expr(e) => e.columns.iter().map(String::as_str).collect(),
        }
    }

    /// The value for a row; `cell` gives a column's value (`None`: no such column).
    pub fn value<'r>(&self, cell: impl Fn(&str) -> Option<&'r str>) -> Result<String, String> {
        match self {
            Self::Column(c) => cell(c)
                .map(str::to_string)
                .ok_or_else(|| format!("the file has no column `{c}`")),
            Self::Const(v) => Ok(v.clone()),
            Self::Expr(e) => e.eval(cell).map(|v| render(&v)),
        }
    }
}

/// `prefix…}` → `…`, the closing brace being the last character.
fn wrapped<'a>(raw: &'a str, prefix: &str) -> Option<&'a str> {
    raw.strip_prefix(prefix)?.strip_suffix('}')
}

impl Expr {
    /// Compiles `source`, replacing each `hdr{Column}` by a variable.
    pub fn parse(source: &str) -> Result<Self, String> {
        let mut columns: Vec<String> = Vec::new();
        let mut text = String::new();
        let mut rest = source;
        while let Some(at) = rest.find("hdr{") {
            text.push_str(&rest[..at]);
            let after = &rest[at + 4..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("`hdr{{` without `}}` in `{source}`"))?;
            let name = after[..end].trim().to_string();
            if name.is_empty() {
                return Err(format!("an empty hdr{{}} in `{source}`"));
            }
            let index = match columns.iter().position(|c| *c == name) {
                Some(i) => i,
                None => {
                    columns.push(name);
                    columns.len() - 1
                }
            };
            text.push_str(&format!(" h{index} "));
            rest = &after[end + 1..];
        }
        text.push_str(rest);
        let tree = build_operator_tree::<DefaultNumericTypes>(&text)
            .map_err(|e| format!("`{source}` is not a valid expression: {e}"))?;
        Ok(Self {
            source: source.to_string(),
            tree,
            columns,
        })
    }

    /// Evaluates the expression over a row. A cell that reads as a number is a number.
    pub fn eval<'r>(
        &self,
        cell: impl Fn(&str) -> Option<&'r str>,
    ) -> Result<Value<DefaultNumericTypes>, String> {
        let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
        for (i, name) in self.columns.iter().enumerate() {
            let raw = cell(name).ok_or_else(|| format!("the file has no column `{name}`"))?;
            let value = match (raw.trim().parse::<i64>(), raw.trim().parse::<f64>()) {
                (Ok(n), _) => Value::from_int(n),
                (_, Ok(f)) if !raw.trim().is_empty() => Value::from_float(f),
                _ => Value::String(raw.to_string()),
            };
            ctx.set_value(format!("h{i}"), value)
                .map_err(|e| e.to_string())?;
        }
        self.tree
            .eval_with_context(&ctx)
            .map_err(|e| format!("`{}` failed: {e}", self.source))
    }

    /// Evaluates a filter: `true` keeps the row.
    pub fn keeps<'r>(&self, cell: impl Fn(&str) -> Option<&'r str>) -> Result<bool, String> {
        match self.eval(cell)? {
            Value::Boolean(b) => Ok(b),
            other => Err(format!(
                "the filter `{}` gave {other} where true or false was expected",
                self.source
            )),
        }
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }
}

/// A value as text for an API field: whole floats without a fraction.
fn render(v: &Value<DefaultNumericTypes>) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn row() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("Bill No", "B-17"),
            ("Amount", "120.50"),
            ("Qty", "3"),
            ("Store", "marina"),
        ])
    }

    fn value(m: &str) -> Result<String, String> {
        let r = row();
        Mapping::parse(m)?.value(|c| r.get(c).copied())
    }

    #[test]
    fn columns_constants_and_expressions() {
        assert_eq!(value("Bill No").unwrap(), "B-17");
        assert_eq!(value("const{INSTORE}").unwrap(), "INSTORE");
        assert_eq!(value("exp{hdr{Amount} * 2}").unwrap(), "241");
        assert_eq!(value("exp{hdr{Qty} + 1}").unwrap(), "4");
        assert_eq!(
            value("exp{if(hdr{Qty} > 2, \"bulk\", \"single\")}").unwrap(),
            "bulk"
        );
        assert_eq!(
            value("exp{str::to_uppercase(hdr{Store})}").unwrap(),
            "MARINA"
        );
        assert_eq!(value("exp{hdr{Store} + \"-01\"}").unwrap(), "marina-01");
    }

    #[test]
    fn bad_mappings_say_what_is_wrong() {
        assert!(value("Nope").unwrap_err().contains("no column `Nope`"));
        assert!(value("exp{hdr{Amount} *}").is_err());
        assert!(value("exp{hdr{Amount}").is_err());
        assert!(value("exp{hdr{} + 1}").is_err());
        assert!(value("").is_err());
    }

    #[test]
    fn filters_keep_rows_by_a_condition() {
        let r = row();
        let f = Expr::parse("hdr{Amount} >= 100 && hdr{Store} == \"marina\"").unwrap();
        assert_eq!(f.keeps(|c| r.get(c).copied()), Ok(true));
        let f = Expr::parse("hdr{Qty} > 5").unwrap();
        assert_eq!(f.keeps(|c| r.get(c).copied()), Ok(false));
        let not_boolean = Expr::parse("hdr{Qty} + 5").unwrap();
        assert!(not_boolean.keeps(|c| r.get(c).copied()).is_err());
        assert_eq!(f.columns(), ["Qty"]);
    }
}
