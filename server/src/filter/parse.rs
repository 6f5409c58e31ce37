//! A recursive-descent parser straight over the text: every byte is looked at a bounded number of
//! times and nothing is retried, so parsing is linear; nesting is capped so recursion is too.

use zenith_proto::v1::JobState;

use super::time::Instant;
use super::{
    Comparison, Expr, Field, FilterError, Kind, MAX_DEPTH, MAX_LENGTH, Op, PathStep, Value,
};

const FIELDS: &str = "id, queue, type, state, error, stack_trace, content_type, unique_key, \
    cancel_reason, priority, attempts, max_attempts, created_at, scheduled_at, started_at, \
    finished_at, tags, headers.<name>, payload, payload.<path>";
const STATES: &str = "pending, scheduled, active, retry, dead, completed, cancelled, deleted";

/// Parses filter text; with `search`, free-text terms (bare words and quoted phrases standing
/// alone) are accepted too, and terms side by side are joined by AND.
pub(super) fn parse(text: &str, search: bool) -> Result<Option<Expr>, FilterError> {
    if text.len() > MAX_LENGTH {
        return Err(FilterError {
            position: MAX_LENGTH,
            message: format!(
                "a filter is at most {MAX_LENGTH} bytes; this one has {}",
                text.len()
            ),
        });
    }
    let mut parser = Parser {
        text,
        pos: 0,
        search,
    };
    parser.skip_ws();
    if parser.at_end() {
        return Ok(None);
    }
    let expr = parser.expr(0, false, "")?;
    if !parser.at_end() {
        return Err(parser.error("unmatched \")\""));
    }
    Ok(Some(expr))
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Free-text terms allowed (SearchJobs).
    search: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Connective {
    And,
    Or,
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Bytes that end a bare free-text word: space, grouping, quotes and operators.
fn ends_bare_text(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'"' | b'=' | b'!' | b'<' | b'>' | b':')
}

fn is_field_name(word: &str) -> bool {
    matches!(
        word,
        "id" | "queue"
            | "type"
            | "state"
            | "error"
            | "stack_trace"
            | "content_type"
            | "unique_key"
            | "cancel_reason"
            | "priority"
            | "attempts"
            | "max_attempts"
            | "created_at"
            | "scheduled_at"
            | "started_at"
            | "finished_at"
            | "tags"
            | "headers"
            | "payload"
    )
}

fn is_operator_start(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'<' | b'>' | b':')
}

impl<'a> Parser<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// The run of word characters (`[A-Za-z0-9_-]`) at `from`.
    fn word_at(&self, from: usize) -> &'a str {
        let len = self.bytes()[from..]
            .iter()
            .take_while(|&&c| is_word_byte(c))
            .count();
        &self.text[from..from + len]
    }

    fn error_at(&self, position: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            position,
            message: message.into(),
        }
    }

    fn error(&self, message: impl Into<String>) -> FilterError {
        self.error_at(self.pos, message)
    }

    /// What is at the current position, for "found …" in messages.
    fn found(&self) -> String {
        let Some(c) = self.peek() else {
            return "end of filter".into();
        };
        let word = self.word_at(self.pos);
        if !word.is_empty() {
            let shown: String = word.chars().take(32).collect();
            return shown;
        }
        match c {
            b'"' => "a string".into(),
            _ => {
                let c = self.text[self.pos..].chars().next().expect("not at end");
                format!("{:?}", c.to_string())
            }
        }
    }

    /// `unary { (AND | OR) unary }` with one connective throughout; stops before `)` or the end.
    fn expr(&mut self, depth: usize, in_parens: bool, after: &str) -> Result<Expr, FilterError> {
        let mut operands = vec![self.unary(depth, after)?];
        let mut connective = None;
        loop {
            self.skip_ws();
            if self.at_end() || self.peek() == Some(b')') {
                break;
            }
            let word = self.word_at(self.pos);
            let this = match word {
                "AND" => Connective::And,
                "OR" => Connective::Or,
                _ if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") => {
                    return Err(self.error(format!(
                        "keywords are uppercase: write {} instead of {word}",
                        word.to_ascii_uppercase()
                    )));
                }
                // Side by side, search terms are joined by AND.
                _ if self.search => Connective::And,
                _ => {
                    let end = if in_parens { "\")\"" } else { "end of filter" };
                    return Err(
                        self.error(format!("expected AND, OR or {end}, found {}", self.found()))
                    );
                }
            };
            if connective.is_some_and(|c| c != this) {
                let side_by_side = if self.search {
                    " (terms side by side are joined by AND)"
                } else {
                    ""
                };
                return Err(self.error(format!(
                    "AND and OR cannot be mixed without parentheses{side_by_side}; group them, \
                     as in (a AND b) OR c"
                )));
            }
            connective = Some(this);
            let keyword = if matches!(word, "AND" | "OR") {
                word
            } else {
                ""
            };
            self.pos += keyword.len();
            operands.push(self.unary(depth, keyword)?);
        }
        Ok(match connective {
            None => operands.pop().expect("one operand"),
            Some(Connective::And) => Expr::And(operands),
            Some(Connective::Or) => Expr::Or(operands),
        })
    }

    /// `NOT unary | - unary | ( expr ) | comparison`
    fn unary(&mut self, depth: usize, after: &str) -> Result<Expr, FilterError> {
        self.skip_ws();
        let start = self.pos;
        let not = if self.word_at(self.pos) == "NOT" {
            Some(3)
        } else if self.peek() == Some(b'-') {
            Some(1)
        } else {
            None
        };
        if let Some(len) = not {
            self.nest(depth)?;
            self.pos += len;
            let text = self.text;
            let operand = self.unary(depth + 1, &text[start..start + len])?;
            return Ok(Expr::Not(Box::new(operand)));
        }
        if self.peek() == Some(b'(') {
            self.nest(depth)?;
            self.pos += 1;
            let inner = self.expr(depth + 1, true, "\"(\"")?;
            if self.peek() != Some(b')') {
                return Err(self.error(format!(
                    "expected \")\" to close the \"(\" at position {start}, found {}",
                    self.found()
                )));
            }
            self.pos += 1;
            return Ok(inner);
        }
        if let Some(text) = self.text_term()? {
            return Ok(text);
        }
        self.comparison(after)
    }

    /// A free-text term at the current position, if there is one: a quoted phrase, or a bare
    /// word that is not a field followed by an operator. Outside search, such terms are
    /// refused with a pointer to search.
    fn text_term(&mut self) -> Result<Option<Expr>, FilterError> {
        let start = self.pos;
        let phrase = match self.peek() {
            Some(b'"') => self.string()?,
            // Outside search a field name is a comparison whatever follows, for its messages.
            Some(_) if !self.search && is_field_name(self.word_at(start)) => return Ok(None),
            Some(c) if !ends_bare_text(c) && !self.starts_comparison() => {
                let len = self.bytes()[start..]
                    .iter()
                    .take_while(|&&c| !ends_bare_text(c))
                    .count();
                let rest = &self.bytes()[start + len..];
                let before_operator = rest
                    .iter()
                    .find(|c| !c.is_ascii_whitespace())
                    .is_some_and(|&c| is_operator_start(c));
                // Keywords and `something =` are not text; the comparison reports them.
                if before_operator || matches!(&self.text[start..start + len], "AND" | "OR") {
                    return Ok(None);
                }
                self.pos += len;
                self.text[start..start + len].to_owned()
            }
            _ => return Ok(None),
        };
        if !self.search {
            return Err(self.error_at(
                start,
                format!(
                    "free text such as {} is only for search (SearchJobs, zenith search); \
                     here write a comparison such as error : \"timeout\"",
                    Value::String(phrase)
                ),
            ));
        }
        if !phrase.chars().any(char::is_alphanumeric) {
            return Err(self.error_at(
                start,
                format!(
                    "{} has no letters or digits to search for",
                    Value::String(phrase)
                ),
            ));
        }
        Ok(Some(Expr::Compare(Comparison {
            field: Field::Text,
            op: Op::Has,
            value: Value::String(phrase),
        })))
    }

    /// True when the text here reads as `field op`: a word (with any path after it) followed by
    /// an operator, so an unknown field is reported as one rather than taken for free text.
    fn starts_comparison(&self) -> bool {
        let mut probe = Parser {
            text: self.text,
            pos: self.pos,
            search: self.search,
        };
        if !probe
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            return false;
        }
        let name = probe.word_at(probe.pos);
        probe.pos += name.len();
        // Path steps as `field` reads them, and no further, so probes never overlap and
        // parsing stays linear.
        loop {
            match (probe.peek(), probe.bytes().get(probe.pos + 1)) {
                (Some(b'.'), Some(b'"')) => {
                    probe.pos += 1;
                    if probe.string().is_err() {
                        return false;
                    }
                }
                (Some(b'.'), Some(&c)) if is_word_byte(c) => {
                    probe.pos += 1 + probe.word_at(probe.pos + 1).len();
                }
                (Some(b'['), _) => {
                    let index = probe.word_at(probe.pos + 1).len();
                    if probe.bytes().get(probe.pos + 1 + index) != Some(&b']') {
                        break;
                    }
                    probe.pos += index + 2;
                }
                _ => break,
            }
        }
        probe.skip_ws();
        probe.peek().is_some_and(is_operator_start)
    }

    fn nest(&self, depth: usize) -> Result<(), FilterError> {
        if depth >= MAX_DEPTH {
            return Err(self.error(format!(
                "filters nest at most {MAX_DEPTH} levels of parentheses and NOT"
            )));
        }
        Ok(())
    }

    fn comparison(&mut self, after: &str) -> Result<Expr, FilterError> {
        let start = self.pos;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
            || matches!(self.word_at(start), "AND" | "OR")
        {
            let after = if after.is_empty() {
                String::new()
            } else {
                format!(" after {after}")
            };
            return Err(self.error(format!(
                "expected a comparison such as type = \"SendEmail\"{after}, found {}",
                self.found()
            )));
        }
        let field = self.field()?;
        self.skip_ws();
        let op_pos = self.pos;
        let op = self.op(&field)?;
        self.skip_ws();
        let value_pos = self.pos;
        let value = self.value(op)?;
        let value = check(&field, op, value, op_pos, value_pos)?;
        Ok(Expr::Compare(Comparison { field, op, value }))
    }

    /// `name { . key | . "key" | [ index ] }`, resolved to a known field.
    fn field(&mut self) -> Result<Field, FilterError> {
        let start = self.pos;
        let name = self.word_at(start);
        self.pos += name.len();
        let steps_pos = self.pos;
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    if self.peek() == Some(b'"') {
                        steps.push(PathStep::Key(self.string()?));
                    } else {
                        let key = self.word_at(self.pos);
                        if key.is_empty() {
                            return Err(self.error(format!(
                                "expected a key after \".\", found {}",
                                self.found()
                            )));
                        }
                        self.pos += key.len();
                        steps.push(PathStep::Key(key.to_owned()));
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    let digits = self.word_at(self.pos);
                    let index = digits
                        .parse::<u32>()
                        .ok()
                        .filter(|_| digits.bytes().all(|c| c.is_ascii_digit()));
                    let Some(index) = index else {
                        return Err(self.error(format!(
                            "expected an array index after \"[\", found {}",
                            self.found()
                        )));
                    };
                    self.pos += digits.len();
                    if self.peek() != Some(b']') {
                        return Err(self.error(format!("expected \"]\", found {}", self.found())));
                    }
                    self.pos += 1;
                    steps.push(PathStep::Index(index));
                }
                _ => break,
            }
        }
        let plain = match name {
            "id" => Field::Id,
            "queue" => Field::Queue,
            "type" => Field::Type,
            "state" => Field::State,
            "error" => Field::Error,
            "stack_trace" => Field::StackTrace,
            "content_type" => Field::ContentType,
            "unique_key" => Field::UniqueKey,
            "cancel_reason" => Field::CancelReason,
            "priority" => Field::Priority,
            "attempts" => Field::Attempts,
            "max_attempts" => Field::MaxAttempts,
            "created_at" => Field::CreatedAt,
            "scheduled_at" => Field::ScheduledAt,
            "started_at" => Field::StartedAt,
            "finished_at" => Field::FinishedAt,
            "tags" => Field::Tags,
            "payload" if steps.is_empty() => return Ok(Field::Payload),
            "payload" => return Ok(Field::PayloadPath(steps)),
            "headers" => {
                return match <[PathStep; 1]>::try_from(steps) {
                    Ok([PathStep::Key(key)]) => Ok(Field::Header(key)),
                    _ => Err(self.error_at(
                        steps_pos,
                        "headers takes one header name, as in headers.x-request-id \
                         (quote names with dots: headers.\"a.b\")",
                    )),
                };
            }
            _ => {
                return Err(self.error_at(
                    start,
                    format!(
                        "unknown field {:?}; fields are {FIELDS}",
                        &self.text[start..self.pos]
                    ),
                ));
            }
        };
        if !steps.is_empty() {
            return Err(self.error_at(
                steps_pos,
                format!("{name} has no parts to select; only headers and payload do"),
            ));
        }
        Ok(plain)
    }

    fn op(&mut self, field: &Field) -> Result<Op, FilterError> {
        let next = self.bytes().get(self.pos + 1).copied();
        let (op, len) = match (self.peek(), next) {
            (Some(b'<'), Some(b'=')) => (Op::Le, 2),
            (Some(b'>'), Some(b'=')) => (Op::Ge, 2),
            (Some(b'!'), Some(b'=')) => (Op::Ne, 2),
            (Some(b'='), _) => (Op::Eq, 1),
            (Some(b'<'), _) => (Op::Lt, 1),
            (Some(b'>'), _) => (Op::Gt, 1),
            (Some(b':'), _) => (Op::Has, 1),
            _ => {
                return Err(self.error(format!(
                    "expected an operator (=, !=, <, <=, >, >= or :) after {field}, found {}",
                    self.found()
                )));
            }
        };
        self.pos += len;
        Ok(op)
    }

    fn value(&mut self, op: Op) -> Result<Value, FilterError> {
        let expected = || format!("expected a value after \"{}\"", op.symbol());
        match self.peek() {
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(),
            _ => {
                let word = self.word_at(self.pos);
                let value = match word {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    "" if self.peek() == Some(b'=') && op == Op::Eq => {
                        return Err(self.error(format!(
                            "{}, found \"=\"; equality is a single =",
                            expected()
                        )));
                    }
                    "" => {
                        return Err(self.error(format!("{}, found {}", expected(), self.found())));
                    }
                    _ => {
                        return Err(self.error(format!(
                            "{}, found {word}; strings are double-quoted, as in {:?}",
                            expected(),
                            word
                        )));
                    }
                };
                self.pos += word.len();
                Ok(value)
            }
        }
    }

    /// A double-quoted string with `\" \\ \n \r \t \uXXXX` escapes.
    fn string(&mut self) -> Result<String, FilterError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(c) = rest.chars().next() else {
                return Err(self.error_at(open, "unterminated string: no closing \""));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                '\\' => {
                    let escape = self.pos;
                    let unescaped = match rest[1..].chars().next() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => {
                            let code = rest
                                .get(2..6)
                                .filter(|hex| hex.bytes().all(|c| c.is_ascii_hexdigit()))
                                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                                .and_then(char::from_u32);
                            let Some(c) = code else {
                                return Err(self.error_at(
                                    escape,
                                    "\\u takes 4 hex digits naming a character, as in \\u00e9",
                                ));
                            };
                            self.pos += 4;
                            c
                        }
                        None => {
                            return Err(self.error_at(open, "unterminated string: no closing \""));
                        }
                        Some(other) => {
                            return Err(self.error_at(
                                escape,
                                format!(
                                    "unknown escape \"\\{other}\"; \
                                     use \\\", \\\\, \\n, \\r, \\t or \\uXXXX"
                                ),
                            ));
                        }
                    };
                    self.pos += 2;
                    out.push(unescaped);
                }
                c => {
                    self.pos += c.len_utf8();
                    out.push(c);
                }
            }
        }
    }

    /// `-? digits [. digits] [(e|E) [+|-] digits]`: an integer unless it has a fraction or an
    /// exponent.
    fn number(&mut self) -> Result<Value, FilterError> {
        let start = self.pos;
        let b = self.bytes();
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut i = start + usize::from(b[start] == b'-');
        let int_end = digits(i);
        let mut well_formed = int_end > i;
        let mut integer = true;
        i = int_end;
        if b.get(i) == Some(&b'.') {
            integer = false;
            let end = digits(i + 1);
            well_formed &= end > i + 1;
            i = end;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            integer = false;
            let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
            let end = digits(i + 1 + sign);
            well_formed &= end > i + 1 + sign;
            i = end;
        }
        let trailing = b
            .get(i)
            .is_some_and(|&c| is_word_byte(c) || c == b'.' || c == b'"');
        if !well_formed || trailing {
            let end = i + self.word_at(i).len();
            return Err(self.error(format!("malformed number {}", &self.text[start..end])));
        }
        let text = &self.text[start..i];
        let value = if integer {
            text.parse().ok().map(Value::Int)
        } else {
            text.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Value::Float)
        };
        let value = value.ok_or_else(|| self.error(format!("{text} is out of range")))?;
        self.pos = i;
        Ok(value)
    }
}

/// Checks the operator and value against the field's type; timestamps and states become typed.
fn check(
    field: &Field,
    op: Op,
    value: Value,
    op_pos: usize,
    value_pos: usize,
) -> Result<Value, FilterError> {
    let at = |position: usize, message: String| FilterError { position, message };
    let ordering_ops = "=, !=, <, <=, > or >=";
    match field.kind() {
        Kind::Text => match value {
            Value::String(_) => Ok(value),
            other => Err(at(
                value_pos,
                format!("{field} is a string; {other} is not (quote it)"),
            )),
        },
        Kind::Int => {
            if op == Op::Has {
                return Err(at(
                    op_pos,
                    format!("{field} is a number; compare it with {ordering_ops}, not :"),
                ));
            }
            match value {
                Value::Int(_) => Ok(value),
                Value::Float(_) => Err(at(
                    value_pos,
                    format!("{field} is a whole number; {value} is not"),
                )),
                other => Err(at(
                    value_pos,
                    format!("{field} is a number; {other} is not"),
                )),
            }
        }
        Kind::Time => {
            if op == Op::Has {
                return Err(at(
                    op_pos,
                    format!("{field} is a timestamp; compare it with {ordering_ops}, not :"),
                ));
            }
            match value {
                Value::String(text) => Instant::parse_rfc3339(&text)
                    .map(Value::Time)
                    .map_err(|message| at(value_pos, message)),
                other => Err(at(
                    value_pos,
                    format!(
                        "{field} is a timestamp, written as an RFC 3339 string like \
                         \"2026-11-01T00:00:00Z\"; {other} is not"
                    ),
                )),
            }
        }
        Kind::State => {
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err(at(op_pos, "state takes = or !=".into()));
            }
            let state = match &value {
                Value::String(text) => match text.to_ascii_lowercase().as_str() {
                    "pending" => Some(JobState::Pending),
                    "scheduled" => Some(JobState::Scheduled),
                    "active" => Some(JobState::Active),
                    "retry" => Some(JobState::Retry),
                    "dead" => Some(JobState::Dead),
                    "completed" => Some(JobState::Completed),
                    "cancelled" => Some(JobState::Cancelled),
                    "deleted" => Some(JobState::Deleted),
                    _ => None,
                },
                _ => None,
            };
            state.map(Value::State).ok_or_else(|| {
                at(
                    value_pos,
                    format!("state is one of {STATES}; {value} is not"),
                )
            })
        }
        Kind::Tags => {
            if !matches!(op, Op::Has | Op::Eq) {
                return Err(at(
                    op_pos,
                    "tags takes : or = (has the tag); for jobs without a tag write \
                     NOT tags : \"x\""
                        .into(),
                ));
            }
            match value {
                Value::String(_) => Ok(value),
                other => Err(at(value_pos, format!("tags are strings; {other} is not"))),
            }
        }
        Kind::Payload => {
            if op != Op::Has {
                return Err(at(
                    op_pos,
                    "payload takes only : (contains); compare values inside a JSON payload \
                     with payload.<path>"
                        .into(),
                ));
            }
            match value {
                Value::String(_) => Ok(value),
                other => Err(at(
                    value_pos,
                    format!("payload : takes a string; {other} is not (quote it)"),
                )),
            }
        }
        // Free-text terms are made by `text_term`, never read as `field op value`.
        Kind::Words => Ok(value),
        Kind::Json => match (&value, op) {
            (Value::Bool(_) | Value::Null, Op::Lt | Op::Le | Op::Gt | Op::Ge) => Err(at(
                value_pos,
                format!(
                    "{} compares numbers or strings; {value} is not",
                    op.symbol()
                ),
            )),
            _ => Ok(value),
        },
    }
}
