//! What search matches: a job's words. Both backends index the words this module makes, and
//! queries are cut into words the same way, so SQLite and PostgreSQL find the same jobs.

use zenith_proto::v1::Job;

/// The longest search text kept for one job, in bytes.
pub const MAX_SEARCH_TEXT: usize = 32 * 1024;

/// The words of a text: maximal runs of letters and digits, lowercased.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words search matches for a job, space-separated: its id, type, payload (when it is
/// text) and last error, capped in length.
pub fn search_text(job: &Job) -> String {
    let mut text = SearchText::default();
    text.push_words(&job.id);
    text.push_words(&job.r#type);
    if let Ok(payload) = std::str::from_utf8(&job.payload) {
        // Parsed JSON gives its strings unescaped ("\u00e9" is é); any other text counts as is.
        match serde_json::from_str::<serde_json::Value>(payload) {
            Ok(value) => text.push_json(&value),
            Err(_) => text.push_words(payload),
        }
    }
    text.push_words(&job.last_error);
    text.text
}

/// Words joined by spaces, up to `MAX_SEARCH_TEXT`: once a word does not fit, nothing more is
/// added, so the text is a prefix of the job's words.
#[derive(Default)]
struct SearchText {
    text: String,
    cut: bool,
}

impl SearchText {
    fn push_words(&mut self, text: &str) {
        if self.cut {
            return;
        }
        for word in words(text) {
            let separator = usize::from(!self.text.is_empty());
            if self.text.len() + separator + word.len() > MAX_SEARCH_TEXT {
                self.cut = true;
                return;
            }
            if separator == 1 {
                self.text.push(' ');
            }
            self.text.push_str(&word);
        }
    }

    fn push_json(&mut self, value: &serde_json::Value) {
        if self.cut {
            return;
        }
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::Bool(flag) => self.push_words(if *flag { "true" } else { "false" }),
            serde_json::Value::Number(number) => self.push_words(&number.to_string()),
            serde_json::Value::String(string) => self.push_words(string),
            serde_json::Value::Array(items) => items.iter().for_each(|item| self.push_json(item)),
            serde_json::Value::Object(fields) => {
                for (key, value) in fields {
                    self.push_words(key);
                    self.push_json(value);
                }
            }
        }
    }
}

/// True when `phrase` occurs in `words` as consecutive words.
pub fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    phrase.is_empty() || words.windows(phrase.len()).any(|window| window == phrase)
}
