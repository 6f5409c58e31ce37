//! Cron schedules on [`Client`] (the `CronService`), and [`ScheduleSpecBuilder`] for their
//! definitions.

use std::time::Duration;

use zenith_proto::v1::{
    CreateScheduleRequest, DeleteScheduleRequest, GetScheduleRequest, Job, JobSpec,
    ListScheduleRunsRequest, ListScheduleRunsResponse, ListSchedulesRequest, ListSchedulesResponse,
    MisfirePolicy, OverlapPolicy, PauseScheduleRequest, PreviewScheduleRequest,
    PreviewScheduleResponse, ResumeScheduleRequest, Schedule, ScheduleRun, ScheduleSpec,
    TriggerScheduleRequest, UpdateScheduleRequest, UpsertScheduleRequest,
};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::time::to_proto_duration;

/// The most the server returns per page of schedules or runs.
const MAX_PAGE_SIZE: usize = 1_000;

fn schedule(schedule: Option<Schedule>) -> Result<Schedule> {
    schedule.ok_or(Error::MissingField("schedule"))
}

/// What [`Client::upsert_schedule`] returns.
#[derive(Clone, Debug)]
pub struct UpsertedSchedule {
    pub schedule: Schedule,
    /// No schedule had the id before.
    pub created: bool,
    /// The definition differed from the stored one (always true when created).
    pub changed: bool,
}

/// What [`Client::trigger_schedule`] returns: the manual run and the job it enqueued.
#[derive(Clone, Debug)]
pub struct TriggeredRun {
    pub run: ScheduleRun,
    pub job: Job,
}

impl Client {
    /// Adds a schedule, paused or not; `ALREADY_EXISTS` when the id is taken.
    pub async fn create_schedule(&self, spec: ScheduleSpec, paused: bool) -> Result<Schedule> {
        let request = CreateScheduleRequest {
            spec: Some(spec),
            paused,
        };
        let response = self.cron.clone().create_schedule(request).await?;
        schedule(response.into_inner().schedule)
    }

    /// Replaces an existing schedule's definition; `NOT_FOUND` when there is none. A paused
    /// schedule stays paused.
    pub async fn update_schedule(&self, spec: ScheduleSpec) -> Result<Schedule> {
        let request = UpdateScheduleRequest { spec: Some(spec) };
        let response = self.cron.clone().update_schedule(request).await?;
        schedule(response.into_inner().schedule)
    }

    /// Creates the schedule or replaces its definition; the same definition again changes
    /// nothing, and a paused schedule stays paused. [`crate::Worker`] declares its schedules
    /// with this at start.
    pub async fn upsert_schedule(&self, spec: ScheduleSpec) -> Result<UpsertedSchedule> {
        let request = UpsertScheduleRequest { spec: Some(spec) };
        let response = self
            .cron
            .clone()
            .upsert_schedule(request)
            .await?
            .into_inner();
        Ok(UpsertedSchedule {
            schedule: schedule(response.schedule)?,
            created: response.created,
            changed: response.changed,
        })
    }

    /// Removes a schedule; its run history stays until it ages out.
    pub async fn delete_schedule(&self, id: impl Into<String>) -> Result<()> {
        let request = DeleteScheduleRequest { id: id.into() };
        self.cron.clone().delete_schedule(request).await?;
        Ok(())
    }

    /// One schedule with its next fire time and latest run.
    pub async fn get_schedule(&self, id: impl Into<String>) -> Result<Schedule> {
        let request = GetScheduleRequest { id: id.into() };
        let response = self.cron.clone().get_schedule(request).await?;
        schedule(response.into_inner().schedule)
    }

    /// One page of schedules ordered by id, optionally of one queue.
    pub async fn list_schedules(
        &self,
        request: ListSchedulesRequest,
    ) -> Result<ListSchedulesResponse> {
        Ok(self
            .cron
            .clone()
            .list_schedules(request)
            .await?
            .into_inner())
    }

    /// Every schedule (of `queue`, unless it is empty) ordered by id, following pages to the
    /// end.
    pub async fn list_all_schedules(&self, queue: impl Into<String>) -> Result<Vec<Schedule>> {
        let mut request = ListSchedulesRequest {
            page_size: MAX_PAGE_SIZE as i32,
            page_token: String::new(),
            queue: queue.into(),
        };
        let mut schedules = Vec::new();
        loop {
            let page = self.list_schedules(request.clone()).await?;
            schedules.extend(page.schedules);
            if page.next_page_token.is_empty() {
                return Ok(schedules);
            }
            request.page_token = page.next_page_token;
        }
    }

    /// Stops the schedule firing until resumed; `reason` is shown to operators.
    pub async fn pause_schedule(
        &self,
        id: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<Schedule> {
        let request = PauseScheduleRequest {
            id: id.into(),
            reason: reason.into(),
        };
        let response = self.cron.clone().pause_schedule(request).await?;
        schedule(response.into_inner().schedule)
    }

    /// Fires the schedule again from its next fire time after now.
    pub async fn resume_schedule(&self, id: impl Into<String>) -> Result<Schedule> {
        let request = ResumeScheduleRequest { id: id.into() };
        let response = self.cron.clone().resume_schedule(request).await?;
        schedule(response.into_inner().schedule)
    }

    /// Enqueues the schedule's job now, paused or not, outside its cadence.
    pub async fn trigger_schedule(&self, id: impl Into<String>) -> Result<TriggeredRun> {
        self.trigger_schedule_with(TriggerScheduleRequest {
            id: id.into(),
            request_id: String::new(),
        })
        .await
    }

    /// [`Client::trigger_schedule`] with a `request_id`: the same one again returns the run it
    /// made instead of a second one.
    pub async fn trigger_schedule_with(
        &self,
        request: TriggerScheduleRequest,
    ) -> Result<TriggeredRun> {
        let response = self
            .cron
            .clone()
            .trigger_schedule(request)
            .await?
            .into_inner();
        Ok(TriggeredRun {
            run: response.run.ok_or(Error::MissingField("run"))?,
            job: response.job.ok_or(Error::MissingField("job"))?,
        })
    }

    /// The next fire times of a stored schedule (`id`) or of an expression or interval in a
    /// time zone.
    pub async fn preview_schedule(
        &self,
        request: PreviewScheduleRequest,
    ) -> Result<PreviewScheduleResponse> {
        Ok(self
            .cron
            .clone()
            .preview_schedule(request)
            .await?
            .into_inner())
    }

    /// One page of runs, newest fire time first: of one schedule, or of all when
    /// `schedule_id` is empty.
    pub async fn list_schedule_runs(
        &self,
        request: ListScheduleRunsRequest,
    ) -> Result<ListScheduleRunsResponse> {
        Ok(self
            .cron
            .clone()
            .list_schedule_runs(request)
            .await?
            .into_inner())
    }

    /// Up to `limit` runs, newest first, following pages: of one schedule, or of all when
    /// `schedule_id` is empty.
    pub async fn collect_schedule_runs(
        &self,
        schedule_id: impl Into<String>,
        limit: usize,
    ) -> Result<Vec<ScheduleRun>> {
        let mut request = ListScheduleRunsRequest {
            schedule_id: schedule_id.into(),
            page_size: 0,
            page_token: String::new(),
        };
        let mut runs = Vec::new();
        while runs.len() < limit {
            request.page_size = (limit - runs.len()).min(MAX_PAGE_SIZE) as i32;
            let page = self.list_schedule_runs(request.clone()).await?;
            runs.extend(page.runs);
            if page.next_page_token.is_empty() {
                break;
            }
            request.page_token = page.next_page_token;
        }
        runs.truncate(limit);
        Ok(runs)
    }
}

/// Builds a [`ScheduleSpec`]: a cadence, then the job each fire enqueues. The queue and job
/// type are required; the server checks the rest.
///
/// ```
/// use std::time::Duration;
/// use zenith_sdk::{MisfirePolicy, OverlapPolicy, ScheduleSpecBuilder};
///
/// let nightly = ScheduleSpecBuilder::cron("nightly-report", "0 3 * * *")
///     .time_zone("Europe/Berlin")
///     .queue("reports")
///     .job_type("build_report")
///     .payload_json(&serde_json::json!({ "kind": "daily" }))?
///     .overlap(OverlapPolicy::Skip)
///     .misfire(MisfirePolicy::FireOnce)
///     .build();
/// let heartbeat = ScheduleSpecBuilder::every("heartbeat", Duration::from_secs(30))
///     .queue("ops")
///     .job_type("ping")
///     .build();
/// assert_eq!(nightly.cron, "0 3 * * *");
/// assert_eq!(heartbeat.interval.map(|i| i.seconds), Some(30));
/// # Ok::<(), zenith_sdk::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a schedule is declared only once built and sent"]
pub struct ScheduleSpecBuilder {
    spec: ScheduleSpec,
}

impl ScheduleSpecBuilder {
    /// Fires on a cron expression of 5 fields (minute first) or 6 (seconds first), read in UTC
    /// unless [`Self::time_zone`] says otherwise.
    pub fn cron(id: impl Into<String>, expression: impl Into<String>) -> Self {
        Self::new(id).cadence_cron(expression)
    }

    /// Fires every `interval` (whole seconds, at least 1 s), at multiples of it since the Unix
    /// epoch.
    pub fn every(id: impl Into<String>, interval: Duration) -> Self {
        Self::new(id).cadence_every(interval)
    }

    fn new(id: impl Into<String>) -> Self {
        Self {
            spec: ScheduleSpec {
                id: id.into(),
                job: Some(JobSpec::default()),
                ..ScheduleSpec::default()
            },
        }
    }

    /// Starts from an existing definition, e.g. to change one field of a stored schedule.
    pub fn from_spec(spec: ScheduleSpec) -> Self {
        let mut spec = spec;
        spec.job.get_or_insert_with(JobSpec::default);
        Self { spec }
    }

    /// Replaces the cadence with a cron expression.
    pub fn cadence_cron(mut self, expression: impl Into<String>) -> Self {
        self.spec.cron = expression.into();
        self.spec.interval = None;
        self
    }

    /// Replaces the cadence with a fixed interval.
    pub fn cadence_every(mut self, interval: Duration) -> Self {
        self.spec.interval = Some(to_proto_duration(interval));
        self.spec.cron.clear();
        self
    }

    /// The IANA time zone the expression is read in, e.g. `Europe/Berlin`. Default UTC.
    pub fn time_zone(mut self, time_zone: impl Into<String>) -> Self {
        self.spec.time_zone = time_zone.into();
        self
    }

    fn job(&mut self) -> &mut JobSpec {
        self.spec.job.get_or_insert_with(JobSpec::default)
    }

    /// The queue each fire enqueues into.
    pub fn queue(mut self, queue: impl Into<String>) -> Self {
        self.job().queue = queue.into();
        self
    }

    /// The type of the jobs it enqueues, which workers dispatch on.
    pub fn job_type(mut self, job_type: impl Into<String>) -> Self {
        self.job().r#type = job_type.into();
        self
    }

    /// Sets the payload to `value` as JSON, with content type `application/json`.
    pub fn payload_json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Result<Self> {
        let payload = serde_json::to_vec(value)?;
        let job = self.job();
        job.payload = payload;
        job.content_type = "application/json".to_owned();
        Ok(self)
    }

    /// Sets an opaque payload.
    pub fn payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.job().payload = payload.into();
        self
    }

    /// Sets the payload's media type; `application/json` payloads must be valid JSON.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.job().content_type = content_type.into();
        self
    }

    /// Adds a metadata header carried with each job.
    pub fn header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.job().headers.insert(key.into(), value.into());
        self
    }

    /// Higher runs first, from -1000 to 1000.
    pub fn priority(mut self, priority: i32) -> Self {
        self.job().priority = priority;
        self
    }

    /// Attempts before a job is dead; 0 means the server default.
    pub fn max_attempts(mut self, max_attempts: i32) -> Self {
        self.job().max_attempts = max_attempts;
        self
    }

    /// The longest one attempt of a job may run.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.job().timeout = Some(to_proto_duration(timeout));
        self
    }

    /// Whether a fire time fires while the previous run is unfinished. Default allow.
    pub fn overlap(mut self, overlap: OverlapPolicy) -> Self {
        self.spec.overlap = overlap.into();
        self
    }

    /// What happens to fire times missed by more than the misfire grace. Default fire once.
    pub fn misfire(mut self, misfire: MisfirePolicy) -> Self {
        self.spec.misfire = misfire.into();
        self
    }

    /// How late a fire time may be and still fire normally. Default 60 s.
    pub fn misfire_grace(mut self, grace: Duration) -> Self {
        self.spec.misfire_grace = Some(to_proto_duration(grace));
        self
    }

    /// With [`MisfirePolicy::CatchUp`]: how far back missed fire times are made up.
    /// Default 1 h.
    pub fn catch_up_window(mut self, window: Duration) -> Self {
        self.spec.catch_up_window = Some(to_proto_duration(window));
        self
    }

    /// Up to this much random delay before each job may run. Default none.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.spec.jitter = Some(to_proto_duration(jitter));
        self
    }

    /// Free text for operators.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.spec.description = description.into();
        self
    }

    /// The definition, for [`Client::create_schedule`], [`Client::upsert_schedule`] or
    /// [`crate::WorkerBuilder::schedule`].
    pub fn build(self) -> ScheduleSpec {
        self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cron_schedule_carries_its_job_template_and_policies() {
        let spec = ScheduleSpecBuilder::cron("nightly", "0 3 * * *")
            .time_zone("Europe/Berlin")
            .queue("reports")
            .job_type("build")
            .payload_json(&serde_json::json!({ "kind": "daily" }))
            .unwrap()
            .header("team", "data")
            .priority(5)
            .max_attempts(3)
            .timeout(Duration::from_secs(600))
            .overlap(OverlapPolicy::Skip)
            .misfire(MisfirePolicy::CatchUp)
            .misfire_grace(Duration::from_secs(30))
            .catch_up_window(Duration::from_secs(7_200))
            .jitter(Duration::from_millis(1_500))
            .description("the daily report")
            .build();
        assert_eq!(spec.id, "nightly");
        assert_eq!(spec.cron, "0 3 * * *");
        assert_eq!(spec.interval, None);
        assert_eq!(spec.time_zone, "Europe/Berlin");
        let job = spec.job.as_ref().expect("job template");
        assert_eq!(job.queue, "reports");
        assert_eq!(job.r#type, "build");
        assert_eq!(job.payload, br#"{"kind":"daily"}"#);
        assert_eq!(job.content_type, "application/json");
        assert_eq!(job.headers["team"], "data");
        assert_eq!(job.priority, 5);
        assert_eq!(job.max_attempts, 3);
        assert_eq!(job.timeout.map(|t| t.seconds), Some(600));
        assert_eq!(spec.overlap(), OverlapPolicy::Skip);
        assert_eq!(spec.misfire(), MisfirePolicy::CatchUp);
        assert_eq!(spec.misfire_grace.map(|d| d.seconds), Some(30));
        assert_eq!(spec.catch_up_window.map(|d| d.seconds), Some(7_200));
        let jitter = spec.jitter.expect("jitter");
        assert_eq!((jitter.seconds, jitter.nanos), (1, 500_000_000));
        assert_eq!(spec.description, "the daily report");
    }

    #[test]
    fn an_interval_schedule_leaves_unset_fields_to_the_server() {
        let spec = ScheduleSpecBuilder::every("tick", Duration::from_secs(30))
            .queue("ops")
            .job_type("ping")
            .payload("raw")
            .build();
        assert_eq!(spec.cron, "");
        assert_eq!(spec.interval.map(|i| (i.seconds, i.nanos)), Some((30, 0)));
        assert_eq!(spec.time_zone, "");
        assert_eq!(spec.overlap(), OverlapPolicy::Unspecified);
        assert_eq!(spec.misfire(), MisfirePolicy::Unspecified);
        assert_eq!(spec.misfire_grace, None);
        assert_eq!(spec.jitter, None);
        let job = spec.job.expect("job template");
        assert_eq!(job.payload, b"raw");
        assert_eq!(job.content_type, "");
        assert!(job.id.is_empty() && job.unique_key.is_empty() && job.delay.is_none());
    }

    #[test]
    fn a_new_cadence_replaces_the_other_kind() {
        let interval = ScheduleSpecBuilder::cron("s", "* * * * *")
            .cadence_every(Duration::from_secs(5))
            .build();
        assert_eq!(interval.cron, "");
        assert_eq!(interval.interval.map(|i| i.seconds), Some(5));
        let cron = ScheduleSpecBuilder::from_spec(interval)
            .cadence_cron("*/5 * * * *")
            .build();
        assert_eq!(cron.cron, "*/5 * * * *");
        assert_eq!(cron.interval, None);
    }
}
