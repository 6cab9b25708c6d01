//! A statement as text and arguments, written once for both databases. [`Sql::bind`] appends
//! the placeholder of the store's dialect (`?` for SQLite, `$n` for PostgreSQL), so no
//! placeholder is ever written by hand and the aggregates' SQL holds no dialect at all; what
//! truly differs between the two lives in [`crate::dialect`].

use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// One argument. Booleans are stored as 0/1 integers in both databases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bytes(Vec<u8>),
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_owned()))
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Int(Some(i64::from(v)))
    }
}

impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Arg {
        Arg::Bytes(v)
    }
}

#[derive(Debug)]
pub(crate) struct Sql {
    pub(crate) dialect: Dialect,
    pub(crate) text: String,
    pub(crate) args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(dialect: Dialect, text: impl Into<String>) -> Sql {
        Sql { dialect, text: text.into(), args: Vec::new() }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub(crate) fn bind(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                let _ = write!(self.text, "${}", self.args.len());
            }
        }
        self
    }

    /// Appends `(a, b, …)`, one placeholder per value.
    pub(crate) fn list<A: Into<Arg>>(&mut self, values: impl IntoIterator<Item = A>) -> &mut Sql {
        self.text.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self.text.push(')');
        self
    }

    /// Appends ` VALUES (…), (…)`: one tuple per row.
    pub(crate) fn values<const N: usize>(
        &mut self,
        rows: impl IntoIterator<Item = [Arg; N]>,
    ) -> &mut Sql {
        self.text.push_str(" VALUES ");
        for (i, row) in rows.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.list(row);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect_and_count_every_argument() {
        for (dialect, want) in [
            (Dialect::Sqlite, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) WHERE x = ?"),
            (Dialect::Postgres, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE x = $5"),
        ] {
            let mut q = Sql::new(dialect, "INSERT INTO t (a, b)");
            q.values([[Arg::from(1), Arg::from("x")], [Arg::from(2), Arg::from(None::<String>)]]);
            q.push(" WHERE x = ").bind(true);
            assert_eq!(q.text, want);
            assert_eq!(q.args.len(), 5);
            assert_eq!(q.args[4], Arg::Int(Some(1)));
        }
    }
}
