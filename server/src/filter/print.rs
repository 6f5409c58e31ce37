//! Canonical printing: one space around operators and connectives, parentheses only where an
//! AND/OR operand is itself an AND/OR or a NOT applies to one, strings double-quoted with the
//! fewest escapes. Parsing the printed text gives the same filter back.

use std::fmt::{self, Write};

use super::{Comparison, Expr, Field, Filter, PathStep, Value};
use crate::queue::state_name;

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.root {
            Some(expr) => expr.fmt(f),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(operands) => join(f, operands, " AND "),
            Expr::Or(operands) => join(f, operands, " OR "),
            Expr::Not(operand) => {
                f.write_str("NOT ")?;
                operand_fmt(f, operand)
            }
            Expr::Compare(comparison) => comparison.fmt(f),
        }
    }
}

fn join(f: &mut fmt::Formatter<'_>, operands: &[Expr], connective: &str) -> fmt::Result {
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            f.write_str(connective)?;
        }
        operand_fmt(f, operand)?;
    }
    Ok(())
}

fn operand_fmt(f: &mut fmt::Formatter<'_>, operand: &Expr) -> fmt::Result {
    match operand {
        Expr::And(_) | Expr::Or(_) => write!(f, "({operand})"),
        _ => fmt::Display::fmt(operand, f),
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A free-text term is its phrase alone, always quoted so keywords and symbols in it
        // read back as text.
        if self.field == Field::Text {
            return self.value.fmt(f);
        }
        write!(f, "{} {} {}", self.field, self.op.symbol(), self.value)
    }
}

/// Path keys made only of these characters print bare; others are quoted.
pub(super) fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

fn key_fmt(f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
    if is_bare_key(key) {
        f.write_str(key)
    } else {
        quoted(f, key)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Field::Id => "id",
            Field::Queue => "queue",
            Field::Type => "type",
            Field::State => "state",
            Field::Error => "error",
            Field::StackTrace => "stack_trace",
            Field::ContentType => "content_type",
            Field::UniqueKey => "unique_key",
            Field::CancelReason => "cancel_reason",
            Field::Priority => "priority",
            Field::Attempts => "attempts",
            Field::MaxAttempts => "max_attempts",
            Field::CreatedAt => "created_at",
            Field::ScheduledAt => "scheduled_at",
            Field::StartedAt => "started_at",
            Field::FinishedAt => "finished_at",
            Field::Tags => "tags",
            Field::Payload => "payload",
            Field::Text => "text",
            Field::Header(name) => {
                f.write_str("headers.")?;
                return key_fmt(f, name);
            }
            Field::PayloadPath(path) => {
                f.write_str("payload")?;
                for step in path {
                    match step {
                        PathStep::Key(key) => {
                            f.write_char('.')?;
                            key_fmt(f, key)?;
                        }
                        PathStep::Index(index) => write!(f, "[{index}]")?,
                    }
                }
                return Ok(());
            }
        };
        f.write_str(name)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(text) => quoted(f, text),
            Value::Int(n) => write!(f, "{n}"),
            // Debug keeps the fraction or exponent, so the number reads back as a decimal.
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
            Value::Time(instant) => write!(f, "\"{instant}\""),
            Value::State(state) => write!(f, "\"{}\"", state_name(*state)),
        }
    }
}

fn quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}
