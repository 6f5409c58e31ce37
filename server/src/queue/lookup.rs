//! Jobs by id alone, many at once: how search joins live state onto archived candidates.

use zenith_proto::v1::Job;

use super::job::job_from_fields;
use super::{Engine, Result};

impl Engine {
    /// The live job for each id, in order; None for an id Redis no longer holds. Two round
    /// trips whatever the number of ids: the job index, then every job hash pipelined.
    pub async fn jobs_by_id(&self, ids: &[String]) -> Result<Vec<Option<Job>>> {
        let queues = self.job_queues(ids).await?;
        let found: Vec<(&String, &String)> = ids
            .iter()
            .zip(&queues)
            .filter_map(|(id, queue)| Some((id, queue.as_ref()?)))
            .collect();
        if found.is_empty() {
            return Ok(vec![None; ids.len()]);
        }
        let mut pipe = redis::pipe();
        for (id, queue) in &found {
            pipe.cmd("HGETALL").arg(self.keys.queue(queue).job(id));
        }
        let hashes: Vec<Vec<(String, Vec<u8>)>> = pipe.query_async(&mut self.conn()).await?;
        let mut hashes = found.iter().zip(hashes);
        let mut jobs = Vec::with_capacity(ids.len());
        for queue in &queues {
            let job = match queue {
                None => None,
                Some(_) => {
                    let ((_, queue), fields) = hashes.next().expect("one hash per indexed id");
                    // An index entry can outlive its hash for a moment while a job is removed.
                    if fields.is_empty() {
                        None
                    } else {
                        Some(job_from_fields(queue, fields)?)
                    }
                }
            };
            jobs.push(job);
        }
        Ok(jobs)
    }
}
