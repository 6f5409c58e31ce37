//! The filter language of every List/Count/Search RPC (`proto/zenith/v1/FILTER.md`): parsed
//! once into an AST, printed back canonically, and evaluated against jobs in Rust; never turned
//! into a Redis pattern or SQL text.

mod eval;
mod parse;
mod print;
mod time;

use zenith_proto::v1::{Job, JobState};

pub use time::Instant;

/// Longest filter text accepted, in bytes.
pub const MAX_LENGTH: usize = 16 * 1024;
/// Deepest nesting of parentheses and NOTs accepted.
pub const MAX_DEPTH: usize = 64;

/// A parsed filter; the empty filter matches every job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    root: Option<Expr>,
}

/// Why a filter did not parse: where, and what was expected there.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct FilterError {
    /// Byte offset into the filter text.
    pub position: usize,
    pub message: String,
}

/// A filter expression. `And` and `Or` hold at least two operands; an operand that is itself an
/// `And` or `Or` is printed in parentheses.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare(Comparison),
}

/// `field op value`, checked at parse time: the value has the field's type and the operator
/// applies to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub field: Field,
    pub op: Op,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Id,
    Queue,
    Type,
    State,
    /// `error`: the job's last error.
    Error,
    StackTrace,
    ContentType,
    UniqueKey,
    CancelReason,
    Priority,
    Attempts,
    MaxAttempts,
    CreatedAt,
    ScheduledAt,
    StartedAt,
    FinishedAt,
    Tags,
    /// `headers.<name>`
    Header(String),
    /// `payload`: the raw payload as text.
    Payload,
    /// `payload.<path>`: a value inside a JSON payload.
    PayloadPath(Vec<PathStep>),
    /// A free-text term (search only): the job's words (`archive::text::search_text`) contain
    /// the words of the value, consecutively. Written as a bare word or a quoted phrase; always
    /// with `:`.
    Text,
}

/// One step of a payload path: an object key or an array index.
#[derive(Clone, Debug, PartialEq)]
pub enum PathStep {
    Key(String),
    Index(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `:`
    Has,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(String),
    Int(i64),
    /// A number written with a fraction or an exponent; never NaN or infinite.
    Float(f64),
    Bool(bool),
    Null,
    /// A timestamp field's value, written as an RFC 3339 string.
    Time(Instant),
    /// The `state` field's value, written as a string.
    State(JobState),
}

/// What a field holds, which decides the operators and values it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int,
    Time,
    State,
    Tags,
    Payload,
    Json,
    Words,
}

impl Field {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Field::Id
            | Field::Queue
            | Field::Type
            | Field::Error
            | Field::StackTrace
            | Field::ContentType
            | Field::UniqueKey
            | Field::CancelReason
            | Field::Header(_) => Kind::Text,
            Field::Priority | Field::Attempts | Field::MaxAttempts => Kind::Int,
            Field::CreatedAt | Field::ScheduledAt | Field::StartedAt | Field::FinishedAt => {
                Kind::Time
            }
            Field::State => Kind::State,
            Field::Tags => Kind::Tags,
            Field::Payload => Kind::Payload,
            Field::PayloadPath(_) => Kind::Json,
            Field::Text => Kind::Words,
        }
    }
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Has => ":",
        }
    }
}

impl Expr {
    fn reads_payload(&self) -> bool {
        match self {
            Expr::And(operands) | Expr::Or(operands) => operands.iter().any(Expr::reads_payload),
            Expr::Not(operand) => operand.reads_payload(),
            Expr::Compare(c) => matches!(
                c.field,
                Field::Payload | Field::PayloadPath(_) | Field::Text
            ),
        }
    }
}

impl Filter {
    /// Parses filter text; blank text is the empty filter. Linear in the length of the text.
    /// Free-text terms are refused: they need the search index.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        Ok(Self {
            root: parse::parse(text, false)?,
        })
    }

    /// Parses a search query (`proto/zenith/v1/SEARCH.md`): the filter language plus free-text
    /// terms, bare words and quoted phrases, with terms side by side joined by AND.
    pub fn parse_search(text: &str) -> Result<Self, FilterError> {
        Ok(Self {
            root: parse::parse(text, true)?,
        })
    }

    /// True for the empty filter, which needs no job data to evaluate.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The expression; `None` for the empty filter.
    pub fn expr(&self) -> Option<&Expr> {
        self.root.as_ref()
    }

    /// True when evaluating needs the job's payload, so a caller can skip fetching it otherwise.
    pub fn reads_payload(&self) -> bool {
        self.root.as_ref().is_some_and(Expr::reads_payload)
    }

    /// Whether the job matches. A JSON payload is parsed at most once, and only when a payload
    /// path is reached.
    pub fn matches(&self, job: &Job) -> bool {
        match &self.root {
            None => true,
            Some(expr) => eval::matches(expr, job),
        }
    }
}

impl From<Expr> for Filter {
    fn from(expr: Expr) -> Self {
        Self { root: Some(expr) }
    }
}
