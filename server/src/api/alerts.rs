//! `zenith.v1.AlertService`.

use tonic::{Request, Response, Status};
use zenith_proto::v1::alert_service_server::AlertService;
use zenith_proto::v1::*;

use super::actor::actor;
use super::page_token;
use crate::alerts::store::AlertFilter;
use crate::alerts::{AlertError, Page, SharedAlerts, spec};
use crate::queue::timestamp_to_ms;

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

pub struct AlertApi {
    alerts: SharedAlerts,
}

impl AlertApi {
    pub fn new(alerts: SharedAlerts) -> Self {
        Self { alerts }
    }
}

fn page_size(value: i32) -> Result<usize, AlertError> {
    match value {
        n if n < 0 => Err(AlertError::invalid("page_size", "must not be negative")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as usize).min(MAX_PAGE_SIZE)),
    }
}

/// The id a page token continues from; empty for the first page.
fn page_start(token: &str) -> Result<String, AlertError> {
    if token.is_empty() {
        return Ok(String::new());
    }
    Ok(page_token::decode(token, 1)?.remove(0))
}

fn next_token<T>(page: &Page<T>) -> String {
    if page.next.is_empty() {
        String::new()
    } else {
        page_token::encode(&[&page.next])
    }
}

#[tonic::async_trait]
impl AlertService for AlertApi {
    async fn create_rule(
        &self,
        request: Request<CreateRuleRequest>,
    ) -> Result<Response<CreateRuleResponse>, Status> {
        let rule = self.alerts.create_rule(request.into_inner().spec).await?;
        Ok(Response::new(CreateRuleResponse { rule: Some(rule) }))
    }

    async fn update_rule(
        &self,
        request: Request<UpdateRuleRequest>,
    ) -> Result<Response<UpdateRuleResponse>, Status> {
        let rule = self.alerts.update_rule(request.into_inner().spec).await?;
        Ok(Response::new(UpdateRuleResponse { rule: Some(rule) }))
    }

    async fn delete_rule(
        &self,
        request: Request<DeleteRuleRequest>,
    ) -> Result<Response<DeleteRuleResponse>, Status> {
        self.alerts.delete_rule(&request.into_inner().id).await?;
        Ok(Response::new(DeleteRuleResponse {}))
    }

    async fn get_rule(
        &self,
        request: Request<GetRuleRequest>,
    ) -> Result<Response<GetRuleResponse>, Status> {
        let rule = self.alerts.get_rule(&request.into_inner().id).await?;
        Ok(Response::new(GetRuleResponse { rule: Some(rule) }))
    }

    async fn list_rules(
        &self,
        request: Request<ListRulesRequest>,
    ) -> Result<Response<ListRulesResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let after = page_start(&request.page_token)?;
        let page = self.alerts.list_rules(&after, limit).await?;
        Ok(Response::new(ListRulesResponse {
            next_page_token: next_token(&page),
            rules: page.items,
        }))
    }

    async fn create_channel(
        &self,
        request: Request<CreateChannelRequest>,
    ) -> Result<Response<CreateChannelResponse>, Status> {
        let channel = self
            .alerts
            .create_channel(request.into_inner().spec)
            .await?;
        Ok(Response::new(CreateChannelResponse {
            channel: Some(channel),
        }))
    }

    async fn update_channel(
        &self,
        request: Request<UpdateChannelRequest>,
    ) -> Result<Response<UpdateChannelResponse>, Status> {
        let channel = self
            .alerts
            .update_channel(request.into_inner().spec)
            .await?;
        Ok(Response::new(UpdateChannelResponse {
            channel: Some(channel),
        }))
    }

    async fn delete_channel(
        &self,
        request: Request<DeleteChannelRequest>,
    ) -> Result<Response<DeleteChannelResponse>, Status> {
        self.alerts.delete_channel(&request.into_inner().id).await?;
        Ok(Response::new(DeleteChannelResponse {}))
    }

    async fn get_channel(
        &self,
        request: Request<GetChannelRequest>,
    ) -> Result<Response<GetChannelResponse>, Status> {
        let channel = self.alerts.get_channel(&request.into_inner().id).await?;
        Ok(Response::new(GetChannelResponse {
            channel: Some(channel),
        }))
    }

    async fn list_channels(
        &self,
        request: Request<ListChannelsRequest>,
    ) -> Result<Response<ListChannelsResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let after = page_start(&request.page_token)?;
        let page = self.alerts.list_channels(&after, limit).await?;
        Ok(Response::new(ListChannelsResponse {
            next_page_token: next_token(&page),
            channels: page.items,
        }))
    }

    async fn test_channel(
        &self,
        request: Request<TestChannelRequest>,
    ) -> Result<Response<TestChannelResponse>, Status> {
        let delivery = self.alerts.test_channel(&request.into_inner().id).await?;
        Ok(Response::new(TestChannelResponse {
            delivery: Some(delivery),
        }))
    }

    async fn list_alerts(
        &self,
        request: Request<ListAlertsRequest>,
    ) -> Result<Response<ListAlertsResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let before = page_start(&request.page_token)?;
        let mut states = Vec::new();
        for (index, state) in request.states.iter().enumerate() {
            match AlertState::try_from(*state) {
                Ok(AlertState::Unspecified) | Err(_) => {
                    return Err(AlertError::invalid(
                        format!("states[{index}]"),
                        "use PENDING, FIRING or RESOLVED",
                    )
                    .into());
                }
                Ok(state) => states.push(state),
            }
        }
        if states.is_empty() {
            states = vec![AlertState::Pending, AlertState::Firing];
        }
        if !request.rule_id.is_empty() {
            spec::check_id("rule_id", &request.rule_id)?;
        }
        for (field, value) in [("queue", &request.queue), ("service", &request.service)] {
            if !value.is_empty() {
                super::validate::name(field, value)?;
            }
        }
        let filter = AlertFilter {
            states,
            rule_id: request.rule_id,
            queue: request.queue,
            service: request.service,
            since_ms: request.since.as_ref().map(timestamp_to_ms),
        };
        let page = self.alerts.list_alerts(&filter, &before, limit).await?;
        Ok(Response::new(ListAlertsResponse {
            next_page_token: next_token(&page),
            alerts: page.items,
        }))
    }

    async fn get_alert(
        &self,
        request: Request<GetAlertRequest>,
    ) -> Result<Response<GetAlertResponse>, Status> {
        let (alert, notifications) = self.alerts.get_alert(&request.into_inner().id).await?;
        Ok(Response::new(GetAlertResponse {
            alert: Some(alert),
            notifications,
        }))
    }

    async fn acknowledge_alert(
        &self,
        request: Request<AcknowledgeAlertRequest>,
    ) -> Result<Response<AcknowledgeAlertResponse>, Status> {
        let actor = actor(&request)?;
        let request = request.into_inner();
        let alert = self
            .alerts
            .acknowledge(&request.id, &actor, &request.comment)
            .await?;
        Ok(Response::new(AcknowledgeAlertResponse {
            alert: Some(alert),
        }))
    }

    async fn list_notifications(
        &self,
        request: Request<ListNotificationsRequest>,
    ) -> Result<Response<ListNotificationsResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let before = page_start(&request.page_token)?;
        let page = self
            .alerts
            .list_notifications(&request.rule_id, &request.alert_id, &before, limit)
            .await?;
        Ok(Response::new(ListNotificationsResponse {
            next_page_token: next_token(&page),
            notifications: page.items,
        }))
    }

    async fn create_silence(
        &self,
        request: Request<CreateSilenceRequest>,
    ) -> Result<Response<CreateSilenceResponse>, Status> {
        let actor = actor(&request)?;
        let silence = self
            .alerts
            .create_silence(request.into_inner().spec, &actor)
            .await?;
        Ok(Response::new(CreateSilenceResponse {
            silence: Some(silence),
        }))
    }

    async fn list_silences(
        &self,
        request: Request<ListSilencesRequest>,
    ) -> Result<Response<ListSilencesResponse>, Status> {
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let before = page_start(&request.page_token)?;
        let page = self
            .alerts
            .list_silences(request.include_expired, &before, limit)
            .await?;
        Ok(Response::new(ListSilencesResponse {
            next_page_token: next_token(&page),
            silences: page.items,
        }))
    }

    async fn expire_silence(
        &self,
        request: Request<ExpireSilenceRequest>,
    ) -> Result<Response<ExpireSilenceResponse>, Status> {
        let silence = self.alerts.expire_silence(&request.into_inner().id).await?;
        Ok(Response::new(ExpireSilenceResponse {
            silence: Some(silence),
        }))
    }
}
