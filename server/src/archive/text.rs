//! What search matches: a job's words. Both backends index the words this module makes, and
//! queries are cut into words the same way, so SQLite and PostgreSQL find the same jobs.

use zenith_proto::v1::Job;

/// The longest search text kept for one job, in bytes.
pub const MAX_SEARCH_TEXT: usize = 32 * 1024;

/// Longer words (base64 blobs, hashes of hashes) are left out of the search text: no one
/// searches for them, and PostgreSQL refuses lexemes over 2,047 bytes.
pub const MAX_WORD_BYTES: usize = 255;

/// PostgreSQL keeps at most 256 positions of one word, so the search text holds no more
/// repeats of a word than that: both backends then see the same words at the same places and
/// match the same phrases. (Its other limit, positions up to 16,383, is never reached: 32 KiB
/// holds that many words only if nearly all are one byte long, and there are 36 such words.)
pub const MAX_REPEATS: usize = 256;

/// The words of a text: maximal runs of letters and digits, lowercased.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words search matches for a job, space-separated: its id, type, payload (when it is
/// text) and last error, capped in length; words over `MAX_WORD_BYTES` are left out.
pub fn search_text(job: &Job) -> String {
    let mut text = SearchText::default();
    text.push_words(&job.id);
    text.push_words(&job.r#type);
    if let Ok(payload) = std::str::from_utf8(&job.payload) {
        // Parsed JSON gives its strings unescaped ("\u00e9" is é), each object's keys in sorted
        // order, each key next to its value; any other text counts as is.
        match serde_json::from_str::<serde_json::Value>(payload) {
            Ok(value) => text.push_json(&value),
            Err(_) => text.push_words(payload),
        }
    }
    text.push_words(&job.last_error);
    text.text
}

/// The words search matches for a log message, space-separated, capped as a job's are.
pub fn message_search_text(message: &str) -> String {
    let mut text = SearchText::default();
    text.push_words(message);
    text.text
}

/// Words joined by spaces, up to `MAX_SEARCH_TEXT`: once a word does not fit, nothing more is
/// added. Overlong words and repeats past `MAX_REPEATS` are skipped.
#[derive(Default)]
struct SearchText {
    text: String,
    repeats: std::collections::HashMap<String, usize>,
    cut: bool,
}

impl SearchText {
    fn push_words(&mut self, text: &str) {
        if self.cut {
            return;
        }
        for word in words(text) {
            if word.len() > MAX_WORD_BYTES {
                continue;
            }
            let separator = usize::from(!self.text.is_empty());
            if self.text.len() + separator + word.len() > MAX_SEARCH_TEXT {
                self.cut = true;
                return;
            }
            if self.repeats.get(&word) == Some(&MAX_REPEATS) {
                continue;
            }
            if separator == 1 {
                self.text.push(' ');
            }
            self.text.push_str(&word);
            *self.repeats.entry(word).or_default() += 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn words_are_lowercased_runs_of_letters_and_digits() {
        assert_eq!(
            words("Hello, World! abc123 x_y 3.14 it's C:\\Temp"),
            owned(&[
                "hello", "world", "abc123", "x", "y", "3", "14", "it", "s", "c", "temp"
            ])
        );
        assert_eq!(
            words("Ünïcödé 日本語 ٣٤٥ Привет"),
            owned(&["ünïcödé", "日本語", "٣٤٥", "привет"])
        );
        assert!(words("  \"%_\\*^:()-  ").is_empty());
        assert!(words("").is_empty());
    }

    #[test]
    fn search_text_holds_id_type_payload_and_error() {
        let job = Job {
            id: "Job-1".into(),
            r#type: "send_email".into(),
            payload:
                br#"{"email":"Ann@Example.com","n":12,"ok":true,"tags":["a\u00e9"],"nil":null}"#
                    .to_vec(),
            last_error: "SMTP timeout".into(),
            ..Job::default()
        };
        assert_eq!(
            search_text(&job),
            "job 1 send email email ann example com n 12 nil ok true tags aé smtp timeout"
        );
    }

    #[test]
    fn non_json_text_counts_as_words_and_binary_payloads_do_not() {
        let text = Job {
            id: "j".into(),
            payload: b"order=1234; status:shipped".to_vec(),
            ..Job::default()
        };
        assert_eq!(search_text(&text), "j order 1234 status shipped");
        let binary = Job {
            id: "j".into(),
            payload: vec![0xff, 0xfe, b'a', b'b'],
            ..Job::default()
        };
        assert_eq!(search_text(&binary), "j");
    }

    #[test]
    fn search_text_is_capped_at_a_word_boundary_and_skips_overlong_words() {
        let long_word = "x".repeat(MAX_WORD_BYTES + 1);
        let distinct: String = (0..10_000).map(|n| format!("w{n:06} ")).collect();
        let payload = format!("{long_word} {distinct}");
        let job = Job {
            id: "j".into(),
            payload: payload.into_bytes(),
            last_error: "never reached".into(),
            ..Job::default()
        };
        let text = search_text(&job);
        assert!(text.len() <= MAX_SEARCH_TEXT);
        assert!(text.len() > MAX_SEARCH_TEXT - "w000000 ".len());
        assert!(text.starts_with("j w000000 w000001"));
        assert!(text.split(' ').skip(1).all(|word| word.len() == 7));
    }

    #[test]
    fn search_text_keeps_as_many_repeats_of_a_word_as_postgresql_does() {
        let job = Job {
            id: "j".into(),
            payload: format!("{}c d", "a b ".repeat(300)).into_bytes(),
            ..Job::default()
        };
        let words = words(&search_text(&job));
        assert_eq!(words.len(), 1 + 2 * MAX_REPEATS + 2);
        assert_eq!(
            words.iter().filter(|word| *word == "a").count(),
            MAX_REPEATS
        );
        assert_eq!(
            words.iter().filter(|word| *word == "b").count(),
            MAX_REPEATS
        );
        assert_eq!(words[words.len() - 3..], ["b", "c", "d"]);
    }

    #[test]
    fn phrases_are_consecutive_words() {
        let text = owned(&["order", "1234", "shipped", "to", "ann"]);
        assert!(contains_phrase(&text, &owned(&["1234", "shipped"])));
        assert!(contains_phrase(&text, &owned(&["ann"])));
        assert!(contains_phrase(&text, &[]));
        assert!(!contains_phrase(&text, &owned(&["shipped", "1234"])));
        assert!(!contains_phrase(&text, &owned(&["order", "shipped"])));
        assert!(!contains_phrase(&text, &owned(&["ann", "smith"])));
        assert!(!contains_phrase(&[], &owned(&["ann"])));
    }
}
