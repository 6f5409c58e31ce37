//! What search matches: a job's words. Both backends index the words this module makes, and
//! queries are cut into words the same way, so SQLite and PostgreSQL find the same jobs.

use zenith_proto::v1::Job;

/// The words of a text: maximal runs of letters and digits, lowercased.
pub fn words(text: &str) -> Vec<String> {
    todo!("{text}")
}

/// The words search matches for a job, space-separated: its id, type, payload (when it is
/// text) and last error, capped in length.
pub fn search_text(job: &Job) -> String {
    todo!("{}", job.id)
}

/// True when `phrase` occurs in `words` as consecutive words.
pub fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    todo!("{words:?} {phrase:?}")
}
