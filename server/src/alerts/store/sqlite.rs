use sqlx::SqlitePool;

use super::*;

pub struct SqliteAlerts {
    pool: SqlitePool,
}

impl SqliteAlerts {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

#[async_trait::async_trait]
impl AlertStore for SqliteAlerts {
    async fn insert_rule(&self, rule: &StoredRule) -> Result<bool> {
        let _ = &self.pool;
        todo!()
    }

    async fn replace_rule(
        &self,
        spec: &RuleSpec,
        updated_at_ms: i64,
    ) -> Result<Option<StoredRule>> {
        let _ = &self.pool;
        todo!()
    }

    async fn delete_rule(&self, id: &str, now_ms: i64) -> Result<bool> {
        let _ = &self.pool;
        todo!()
    }

    async fn get_rule(&self, id: &str) -> Result<Option<StoredRule>> {
        let _ = &self.pool;
        todo!()
    }

    async fn list_rules(&self, after_id: &str, limit: usize) -> Result<Vec<StoredRule>> {
        let _ = &self.pool;
        todo!()
    }

    async fn seed_default_rules(&self, rules: &[StoredRule]) -> Result<usize> {
        let _ = &self.pool;
        todo!()
    }

    async fn open_alert_counts(&self) -> Result<HashMap<String, (i32, i32)>> {
        let _ = &self.pool;
        todo!()
    }

    async fn insert_channel(&self, channel: &StoredChannel) -> Result<bool> {
        let _ = &self.pool;
        todo!()
    }

    async fn replace_channel(
        &self,
        spec: &ChannelSpec,
        updated_at_ms: i64,
    ) -> Result<Option<StoredChannel>> {
        let _ = &self.pool;
        todo!()
    }

    async fn delete_channel(&self, id: &str, now_ms: i64) -> Result<bool> {
        let _ = &self.pool;
        todo!()
    }

    async fn get_channel(&self, id: &str) -> Result<Option<StoredChannel>> {
        let _ = &self.pool;
        todo!()
    }

    async fn list_channels(&self, after_id: &str, limit: usize) -> Result<Vec<StoredChannel>> {
        let _ = &self.pool;
        todo!()
    }

    async fn insert_silence(&self, silence: &StoredSilence) -> Result<()> {
        let _ = &self.pool;
        todo!()
    }

    async fn get_silence(&self, id: &str) -> Result<Option<StoredSilence>> {
        let _ = &self.pool;
        todo!()
    }

    async fn list_silences(
        &self,
        include_expired: bool,
        now_ms: i64,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredSilence>> {
        let _ = &self.pool;
        todo!()
    }

    async fn active_silences(&self, now_ms: i64) -> Result<Vec<StoredSilence>> {
        let _ = &self.pool;
        todo!()
    }

    async fn expire_silence(&self, id: &str, now_ms: i64) -> Result<Option<StoredSilence>> {
        let _ = &self.pool;
        todo!()
    }

    async fn open_alerts(&self, rule_id: &str) -> Result<Vec<StoredAlert>> {
        let _ = &self.pool;
        todo!()
    }

    async fn insert_alert(&self, alert: &StoredAlert) -> Result<bool> {
        let _ = &self.pool;
        todo!()
    }

    async fn observe_alert(&self, alert: &StoredAlert) -> Result<()> {
        let _ = &self.pool;
        todo!()
    }

    async fn transition_alert(
        &self,
        id: &str,
        from: AlertState,
        to: AlertState,
        at_ms: i64,
        resolve_handled: bool,
    ) -> Result<bool> {
        let _ = &self.pool;
        todo!()
    }

    async fn unhandled_resolved(&self, since_ms: i64) -> Result<Vec<StoredAlert>> {
        let _ = &self.pool;
        todo!()
    }

    async fn mark_resolve_handled(&self, ids: &[String]) -> Result<()> {
        let _ = &self.pool;
        todo!()
    }

    async fn get_alert(&self, id: &str) -> Result<Option<StoredAlert>> {
        let _ = &self.pool;
        todo!()
    }

    async fn alerts_by_ids(&self, ids: &[String]) -> Result<Vec<StoredAlert>> {
        let _ = &self.pool;
        todo!()
    }

    async fn list_alerts(
        &self,
        filter: &AlertFilter,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredAlert>> {
        let _ = &self.pool;
        todo!()
    }

    async fn acknowledge(
        &self,
        id: &str,
        by: &str,
        comment: &str,
        at_ms: i64,
    ) -> Result<Acknowledged> {
        let _ = &self.pool;
        todo!()
    }

    async fn create_notification(
        &self,
        notification: &NewNotification,
        alert_ids: &[String],
        claim: NotifyClaim,
    ) -> Result<Vec<String>> {
        let _ = &self.pool;
        todo!()
    }

    async fn record_test(
        &self,
        notification: &NewNotification,
        attempt: &StoredAttempt,
        delivered: bool,
    ) -> Result<()> {
        let _ = &self.pool;
        todo!()
    }

    async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>> {
        let _ = &self.pool;
        todo!()
    }

    async fn finish_attempt(
        &self,
        notification_id: &str,
        channel_id: &str,
        attempt: &StoredAttempt,
        outcome: DeliveryOutcome,
    ) -> Result<()> {
        let _ = &self.pool;
        todo!()
    }

    async fn list_notifications(
        &self,
        rule_id: &str,
        alert_id: &str,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredNotification>> {
        let _ = &self.pool;
        todo!()
    }

    async fn prune_history(&self, cutoff_ms: i64, limit: usize) -> Result<(u64, u64)> {
        let _ = &self.pool;
        todo!()
    }
}
