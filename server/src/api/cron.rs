//! `zenith.v1.CronService`.

use tonic::{Request, Response, Status};
use zenith_proto::v1::cron_service_server::CronService;
use zenith_proto::v1::*;

use super::actor::actor;
use super::{page_token, validate};
use crate::cron::{CronError, RunCursor, SharedCron, spec};
use crate::queue::{timestamp_from_ms, timestamp_to_ms};

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;
const DEFAULT_PREVIEW: usize = 10;
const MAX_PREVIEW: usize = 100;
const MAX_REASON_BYTES: usize = 500;

pub struct CronApi {
    cron: SharedCron,
}

impl CronApi {
    pub fn new(cron: SharedCron) -> Self {
        Self { cron }
    }
}

fn page_size(field: &str, value: i32) -> Result<usize, CronError> {
    match value {
        n if n < 0 => Err(CronError::invalid(field, "must not be negative")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as usize).min(MAX_PAGE_SIZE)),
    }
}

fn run_cursor(token: &str) -> Result<Option<RunCursor>, CronError> {
    if token.is_empty() {
        return Ok(None);
    }
    let parts = page_token::decode(token, 3)?;
    let invalid = || CronError::invalid("page_token", "not a token from a previous response");
    Ok(Some(RunCursor {
        fire_time_ms: parts[0].parse().map_err(|_| invalid())?,
        schedule_id: parts[1].clone(),
        manual: parts[2] == "1",
    }))
}

#[tonic::async_trait]
impl CronService for CronApi {
    async fn create_schedule(
        &self,
        request: Request<CreateScheduleRequest>,
    ) -> Result<Response<CreateScheduleResponse>, Status> {
        let actor = actor(&request)?;
        let request = request.into_inner();
        let schedule = self
            .cron
            .create(request.spec, request.paused, &actor)
            .await?;
        Ok(Response::new(CreateScheduleResponse {
            schedule: Some(schedule),
        }))
    }

    async fn update_schedule(
        &self,
        request: Request<UpdateScheduleRequest>,
    ) -> Result<Response<UpdateScheduleResponse>, Status> {
        let actor = actor(&request)?;
        let schedule = self.cron.update(request.into_inner().spec, &actor).await?;
        Ok(Response::new(UpdateScheduleResponse {
            schedule: Some(schedule),
        }))
    }

    async fn upsert_schedule(
        &self,
        request: Request<UpsertScheduleRequest>,
    ) -> Result<Response<UpsertScheduleResponse>, Status> {
        let actor = actor(&request)?;
        let (schedule, created, changed) =
            self.cron.upsert(request.into_inner().spec, &actor).await?;
        Ok(Response::new(UpsertScheduleResponse {
            schedule: Some(schedule),
            created,
            changed,
        }))
    }

    async fn delete_schedule(
        &self,
        request: Request<DeleteScheduleRequest>,
    ) -> Result<Response<DeleteScheduleResponse>, Status> {
        let actor = actor(&request)?;
        let id = request.into_inner().id;
        spec::check_id("id", &id)?;
        self.cron.delete(&id, &actor).await?;
        Ok(Response::new(DeleteScheduleResponse {}))
    }

    async fn get_schedule(
        &self,
        request: Request<GetScheduleRequest>,
    ) -> Result<Response<GetScheduleResponse>, Status> {
        let id = request.into_inner().id;
        spec::check_id("id", &id)?;
        Ok(Response::new(GetScheduleResponse {
            schedule: Some(self.cron.get(&id).await?),
        }))
    }

    async fn list_schedules(
        &self,
        request: Request<ListSchedulesRequest>,
    ) -> Result<Response<ListSchedulesResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size("page_size", request.page_size)?;
        let after = if request.page_token.is_empty() {
            String::new()
        } else {
            page_token::decode(&request.page_token, 1)?.remove(0)
        };
        let queue = (!request.queue.is_empty()).then_some(request.queue.as_str());
        if let Some(queue) = queue {
            validate::name("queue", queue)?;
        }
        let (schedules, more) = self.cron.list(&after, queue, limit).await?;
        let next_page_token = match schedules.last() {
            Some(last) if more => {
                page_token::encode(&[last.spec.as_ref().map_or("", |spec| spec.id.as_str())])
            }
            _ => String::new(),
        };
        Ok(Response::new(ListSchedulesResponse {
            schedules,
            next_page_token,
        }))
    }

    async fn pause_schedule(
        &self,
        request: Request<PauseScheduleRequest>,
    ) -> Result<Response<PauseScheduleResponse>, Status> {
        let actor = actor(&request)?;
        let request = request.into_inner();
        spec::check_id("id", &request.id)?;
        validate::label("reason", &request.reason, MAX_REASON_BYTES, false)?;
        let schedule = self
            .cron
            .pause(&request.id, &request.reason, &actor)
            .await?;
        Ok(Response::new(PauseScheduleResponse {
            schedule: Some(schedule),
        }))
    }

    async fn resume_schedule(
        &self,
        request: Request<ResumeScheduleRequest>,
    ) -> Result<Response<ResumeScheduleResponse>, Status> {
        let actor = actor(&request)?;
        let id = request.into_inner().id;
        spec::check_id("id", &id)?;
        let schedule = self.cron.resume(&id, &actor).await?;
        Ok(Response::new(ResumeScheduleResponse {
            schedule: Some(schedule),
        }))
    }

    async fn trigger_schedule(
        &self,
        request: Request<TriggerScheduleRequest>,
    ) -> Result<Response<TriggerScheduleResponse>, Status> {
        let actor = actor(&request)?;
        let request = request.into_inner();
        spec::check_id("id", &request.id)?;
        validate::label("request_id", &request.request_id, 128, false)?;
        let triggered = self
            .cron
            .trigger(&request.id, &request.request_id, &actor)
            .await?;
        Ok(Response::new(TriggerScheduleResponse {
            run: Some(triggered.run),
            job: Some(triggered.job),
        }))
    }

    async fn preview_schedule(
        &self,
        request: Request<PreviewScheduleRequest>,
    ) -> Result<Response<PreviewScheduleResponse>, Status> {
        let request = request.into_inner();
        let count = match request.count {
            n if n < 0 => return Err(CronError::invalid("count", "must not be negative").into()),
            0 => DEFAULT_PREVIEW,
            n if n as usize > MAX_PREVIEW => {
                return Err(
                    CronError::invalid("count", format!("must be at most {MAX_PREVIEW}")).into(),
                );
            }
            n => n as usize,
        };
        let cadence = if request.id.is_empty() {
            spec::cadence(
                "",
                &request.cron,
                request.interval.as_ref(),
                &request.time_zone,
            )?
        } else {
            if !request.cron.is_empty() || request.interval.is_some() {
                return Err(CronError::invalid(
                    "id",
                    "give a schedule id or an expression, not both",
                )
                .into());
            }
            spec::check_id("id", &request.id)?;
            self.cron.stored_cadence(&request.id).await?
        };
        let after = request.after.as_ref().map(timestamp_to_ms);
        let times = self.cron.preview(&cadence, after, count).await?;
        Ok(Response::new(PreviewScheduleResponse {
            fire_times: times
                .into_iter()
                .map(|ms| FireTime {
                    time: Some(timestamp_from_ms(ms)),
                    local_time: cadence.local_time(ms),
                })
                .collect(),
            time_zone: cadence.time_zone().to_owned(),
        }))
    }

    async fn list_schedule_runs(
        &self,
        request: Request<ListScheduleRunsRequest>,
    ) -> Result<Response<ListScheduleRunsResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size("page_size", request.page_size)?;
        let schedule_id = (!request.schedule_id.is_empty()).then_some(request.schedule_id.as_str());
        if let Some(id) = schedule_id {
            spec::check_id("schedule_id", id)?;
        }
        let after = run_cursor(&request.page_token)?;
        let (runs, more) = self
            .cron
            .list_runs(schedule_id, after.as_ref(), limit)
            .await?;
        let next_page_token = match runs.last() {
            Some((cursor, _)) if more => page_token::encode(&[
                &cursor.fire_time_ms.to_string(),
                &cursor.schedule_id,
                if cursor.manual { "1" } else { "0" },
            ]),
            _ => String::new(),
        };
        Ok(Response::new(ListScheduleRunsResponse {
            runs: runs.into_iter().map(|(_, run)| run).collect(),
            next_page_token,
        }))
    }
}
