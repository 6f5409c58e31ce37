//! Alerting on PostgreSQL. Compare-and-sets are `UPDATE … WHERE <condition>`: under READ
//! COMMITTED a writer that waited for a concurrent one re-checks the condition on the row it
//! committed, so of several replicas exactly one sees its update hit.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};

use super::*;
use crate::archive::store::limit_param;

pub struct PostgresAlerts {
    pool: PgPool,
}

impl PostgresAlerts {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The notifications' alert ids and deliveries with their attempts.
    async fn fill_notifications(&self, notifications: &mut [StoredNotification]) -> Result<()> {
        let ids: Vec<String> = notifications.iter().map(|n| n.id.clone()).collect();
        let links: Vec<(String, String)> = sqlx::query_as(
            "SELECT notification_id, alert_id FROM alert_notification_alerts \
             WHERE notification_id = ANY($1) ORDER BY notification_id, alert_id",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE notification_id = ANY($1) \
             ORDER BY notification_id, channel_id"
        );
        let deliveries = sqlx::query(&sql).bind(&ids).fetch_all(&self.pool).await?;
        let deliveries = deliveries
            .iter()
            .map(delivery_from_row)
            .collect::<Result<_>>()?;
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM alert_delivery_attempts \
             WHERE notification_id = ANY($1) ORDER BY notification_id, channel_id, id"
        );
        let attempts = sqlx::query(&sql).bind(&ids).fetch_all(&self.pool).await?;
        let attempts = attempts
            .iter()
            .map(attempt_from_row)
            .collect::<Result<_>>()?;
        assemble_notifications(notifications, links, deliveries, attempts);
        Ok(())
    }
}

async fn insert_notification(
    tx: &mut Transaction<'static, Postgres>,
    notification: &NewNotification,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO alert_notifications ({NOTIFICATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    );
    sqlx::query(&sql)
        .bind(&notification.id)
        .bind(&notification.rule_id)
        .bind(notification.kind as i32)
        .bind(notification.severity as i32)
        .bind(&notification.title)
        .bind(notification.created_at_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One delivery per channel of the notification, in `state`.
async fn insert_deliveries(
    tx: &mut Transaction<'static, Postgres>,
    notification: &NewNotification,
    state: DeliveryState,
    delivered_at_ms: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_deliveries (notification_id, channel_id, state, next_attempt_at_ms, \
         delivered_at_ms) SELECT $1, channel_id, $2, $3, $4 FROM UNNEST($5::TEXT[]) AS channel_id",
    )
    .bind(&notification.id)
    .bind(state as i32)
    .bind(notification.created_at_ms)
    .bind(delivered_at_ms)
    .bind(&notification.channel_ids)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_attempt(
    tx: &mut Transaction<'static, Postgres>,
    notification_id: &str,
    channel_id: &str,
    attempt: &StoredAttempt,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_delivery_attempts (notification_id, channel_id, at_ms, status_code, \
         error, took_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(notification_id)
    .bind(channel_id)
    .bind(attempt.at_ms)
    .bind(attempt.status_code)
    .bind(&attempt.error)
    .bind(attempt.took_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn alerts_from_rows(rows: &[PgRow]) -> Result<Vec<StoredAlert>> {
    rows.iter().map(alert_from_row).collect()
}

#[async_trait::async_trait]
impl AlertStore for PostgresAlerts {
    async fn insert_rule(&self, rule: &StoredRule) -> Result<bool> {
        let sql = format!(
            "INSERT INTO alert_rules ({RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO NOTHING"
        );
        let done = sqlx::query(&sql)
            .bind(&rule.spec.id)
            .bind(rule.spec.encode_to_vec())
            .bind(rule.origin as i32)
            .bind(rule.created_at_ms)
            .bind(rule.updated_at_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_rule(
        &self,
        spec: &RuleSpec,
        updated_at_ms: i64,
    ) -> Result<Option<StoredRule>> {
        let sql = format!(
            "UPDATE alert_rules SET spec = $1, updated_at_ms = $2 WHERE id = $3 \
             RETURNING {RULE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(spec.encode_to_vec())
            .bind(updated_at_ms)
            .bind(&spec.id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rule_from_row).transpose()
    }

    async fn delete_rule(&self, id: &str, now_ms: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM alert_rules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE alerts SET state = 3, resolved_at_ms = $2, resolve_handled = TRUE, \
             updated_at_ms = $2 WHERE rule_id = $1 AND state IN (1, 2)",
        )
        .bind(id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn get_rule(&self, id: &str) -> Result<Option<StoredRule>> {
        let sql = format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rule_from_row).transpose()
    }

    async fn list_rules(&self, after_id: &str, limit: usize) -> Result<Vec<StoredRule>> {
        let sql =
            format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE id > $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(after_id)
            .bind(limit_param(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rule_from_row).collect()
    }

    async fn seed_default_rules(&self, rules: &[StoredRule]) -> Result<usize> {
        // A second replica's marker insert waits for the first's transaction, then conflicts.
        let mut tx = self.pool.begin().await?;
        let marked = sqlx::query("INSERT INTO alert_seeded (id) VALUES (1) ON CONFLICT DO NOTHING")
            .execute(&mut *tx)
            .await?;
        if marked.rows_affected() == 0 {
            return Ok(0);
        }
        let sql = format!(
            "INSERT INTO alert_rules ({RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO NOTHING"
        );
        let mut added = 0;
        for rule in rules {
            let done = sqlx::query(&sql)
                .bind(&rule.spec.id)
                .bind(rule.spec.encode_to_vec())
                .bind(rule.origin as i32)
                .bind(rule.created_at_ms)
                .bind(rule.updated_at_ms)
                .execute(&mut *tx)
                .await?;
            added += usize::from(done.rows_affected() == 1);
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn open_alert_counts(&self) -> Result<HashMap<String, (i32, i32)>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT rule_id, SUM(CASE WHEN state = 1 THEN 1 ELSE 0 END), \
             SUM(CASE WHEN state = 2 THEN 1 ELSE 0 END) FROM alerts WHERE state IN (1, 2) \
             GROUP BY rule_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(rule_id, pending, firing)| {
                let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
                (rule_id, (count(pending), count(firing)))
            })
            .collect())
    }

    async fn insert_channel(&self, channel: &StoredChannel) -> Result<bool> {
        let sql = format!(
            "INSERT INTO alert_channels ({CHANNEL_COLUMNS}) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING"
        );
        let done = sqlx::query(&sql)
            .bind(&channel.spec.id)
            .bind(channel.spec.encode_to_vec())
            .bind(channel.created_at_ms)
            .bind(channel.updated_at_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_channel(
        &self,
        spec: &ChannelSpec,
        updated_at_ms: i64,
    ) -> Result<Option<StoredChannel>> {
        let sql = format!(
            "UPDATE alert_channels SET spec = $1, updated_at_ms = $2 WHERE id = $3 \
             RETURNING {CHANNEL_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(spec.encode_to_vec())
            .bind(updated_at_ms)
            .bind(&spec.id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(channel_from_row).transpose()
    }

    async fn delete_channel(&self, id: &str, now_ms: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM alert_channels WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        // The failed deliveries' logs say why they stopped.
        sqlx::query(
            "WITH failed AS (UPDATE alert_deliveries SET state = 3, lease_until_ms = NULL \
             WHERE channel_id = $1 AND state = 1 RETURNING notification_id, channel_id) \
             INSERT INTO alert_delivery_attempts (notification_id, channel_id, at_ms, \
             status_code, error, took_ms) \
             SELECT notification_id, channel_id, $2, 0, 'channel deleted', 0 FROM failed",
        )
        .bind(id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn get_channel(&self, id: &str) -> Result<Option<StoredChannel>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(channel_from_row).transpose()
    }

    async fn list_channels(&self, after_id: &str, limit: usize) -> Result<Vec<StoredChannel>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE id > $1 ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(after_id)
            .bind(limit_param(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(channel_from_row).collect()
    }

    async fn insert_silence(&self, silence: &StoredSilence) -> Result<()> {
        let sql =
            format!("INSERT INTO alert_silences ({SILENCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5)");
        sqlx::query(&sql)
            .bind(&silence.id)
            .bind(silence.spec.encode_to_vec())
            .bind(silence.starts_at_ms)
            .bind(silence.ends_at_ms)
            .bind(silence.created_at_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn get_silence(&self, id: &str) -> Result<Option<StoredSilence>> {
        let sql = format!("SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(silence_from_row).transpose()
    }

    async fn list_silences(
        &self,
        include_expired: bool,
        now_ms: i64,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredSilence>> {
        let mut sql = QueryBuilder::<Postgres>::new(format!(
            "SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE TRUE"
        ));
        if !before_id.is_empty() {
            sql.push(" AND id < ").push_bind(before_id);
        }
        if !include_expired {
            sql.push(" AND ends_at_ms > ").push_bind(now_ms);
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(limit_param(limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(silence_from_row).collect()
    }

    async fn active_silences(&self, now_ms: i64) -> Result<Vec<StoredSilence>> {
        let sql = format!(
            "SELECT {SILENCE_COLUMNS} FROM alert_silences \
             WHERE ends_at_ms > $1 AND starts_at_ms <= $1 ORDER BY id"
        );
        let rows = sqlx::query(&sql).bind(now_ms).fetch_all(&self.pool).await?;
        rows.iter().map(silence_from_row).collect()
    }

    async fn expire_silence(&self, id: &str, now_ms: i64) -> Result<Option<StoredSilence>> {
        let sql = format!(
            "UPDATE alert_silences SET ends_at_ms = $2, \
             starts_at_ms = CASE WHEN starts_at_ms > $2 THEN $2 ELSE starts_at_ms END \
             WHERE id = $1 AND ends_at_ms > $2 RETURNING {SILENCE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => silence_from_row(&row).map(Some),
            None => self.get_silence(id).await,
        }
    }

    async fn open_alerts(&self, rule_id: &str) -> Result<Vec<StoredAlert>> {
        let mut sql = QueryBuilder::<Postgres>::new(format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE state IN (1, 2)"
        ));
        if !rule_id.is_empty() {
            sql.push(" AND rule_id = ").push_bind(rule_id);
        }
        sql.push(" ORDER BY id");
        let rows = sql.build().fetch_all(&self.pool).await?;
        alerts_from_rows(&rows)
    }

    async fn insert_alert(&self, alert: &StoredAlert) -> Result<bool> {
        // No conflict target: the partial unique index on open alerts is what conflicts.
        let sql = format!(
            "INSERT INTO alerts ({ALERT_COLUMNS}, queue, service) VALUES ($1, $2, $3, $4, $5, \
             $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
             ON CONFLICT DO NOTHING"
        );
        let done = sqlx::query(&sql)
            .bind(&alert.id)
            .bind(&alert.rule_id)
            .bind(&alert.subject)
            .bind(alert.state as i32)
            .bind(alert.severity as i32)
            .bind(encode_labels(&alert.labels))
            .bind(&alert.summary)
            .bind(alert.value)
            .bind(alert.pending_since_ms)
            .bind(alert.fired_at_ms)
            .bind(alert.resolved_at_ms)
            .bind(alert.acknowledged_at_ms)
            .bind(&alert.acknowledged_by)
            .bind(&alert.acknowledge_comment)
            .bind(alert.fire_notified_at_ms)
            .bind(alert.last_notified_at_ms)
            .bind(alert.resolve_handled)
            .bind(alert.updated_at_ms)
            .bind(alert.queue())
            .bind(alert.service())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn observe_alert(&self, alert: &StoredAlert) -> Result<()> {
        sqlx::query(
            "UPDATE alerts SET value = $1, summary = $2, labels = $3, queue = $4, service = $5, \
             severity = $6 WHERE id = $7 AND state IN (1, 2)",
        )
        .bind(alert.value)
        .bind(&alert.summary)
        .bind(encode_labels(&alert.labels))
        .bind(alert.queue())
        .bind(alert.service())
        .bind(alert.severity as i32)
        .bind(&alert.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn transition_alert(
        &self,
        id: &str,
        from: AlertState,
        to: AlertState,
        at_ms: i64,
        resolve_handled: bool,
    ) -> Result<bool> {
        let fired_at_ms = (to == AlertState::Firing).then_some(at_ms);
        let resolved_at_ms = (to == AlertState::Resolved).then_some(at_ms);
        let done = sqlx::query(
            "UPDATE alerts SET state = $1, fired_at_ms = COALESCE($2, fired_at_ms), \
             resolved_at_ms = COALESCE($3, resolved_at_ms), resolve_handled = $4, \
             updated_at_ms = $5 WHERE id = $6 AND state = $7",
        )
        .bind(to as i32)
        .bind(fired_at_ms)
        .bind(resolved_at_ms)
        .bind(resolve_handled)
        .bind(at_ms)
        .bind(id)
        .bind(from as i32)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn unhandled_resolved(&self, since_ms: i64) -> Result<Vec<StoredAlert>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE state = 3 AND NOT resolve_handled \
             AND resolved_at_ms >= $1 ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(since_ms)
            .fetch_all(&self.pool)
            .await?;
        alerts_from_rows(&rows)
    }

    async fn mark_resolve_handled(&self, ids: &[String]) -> Result<()> {
        sqlx::query("UPDATE alerts SET resolve_handled = TRUE WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn get_alert(&self, id: &str) -> Result<Option<StoredAlert>> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    async fn alerts_by_ids(&self, ids: &[String]) -> Result<Vec<StoredAlert>> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ANY($1) ORDER BY id");
        let rows = sqlx::query(&sql).bind(ids).fetch_all(&self.pool).await?;
        alerts_from_rows(&rows)
    }

    async fn list_alerts(
        &self,
        filter: &AlertFilter,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredAlert>> {
        let mut sql =
            QueryBuilder::<Postgres>::new(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE TRUE"));
        if !before_id.is_empty() {
            sql.push(" AND id < ").push_bind(before_id);
        }
        if !filter.states.is_empty() {
            sql.push(" AND state IN (");
            let mut states = sql.separated(", ");
            for state in &filter.states {
                states.push_bind(*state as i32);
            }
            sql.push(")");
        }
        if !filter.rule_id.is_empty() {
            sql.push(" AND rule_id = ").push_bind(&filter.rule_id);
        }
        if !filter.queue.is_empty() {
            sql.push(" AND queue = ").push_bind(&filter.queue);
        }
        if !filter.service.is_empty() {
            sql.push(" AND service = ").push_bind(&filter.service);
        }
        if let Some(since_ms) = filter.since_ms {
            sql.push(" AND updated_at_ms >= ").push_bind(since_ms);
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(limit_param(limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        alerts_from_rows(&rows)
    }

    async fn acknowledge(
        &self,
        id: &str,
        by: &str,
        comment: &str,
        at_ms: i64,
    ) -> Result<Acknowledged> {
        let sql = format!(
            "UPDATE alerts SET acknowledged_at_ms = $1, acknowledged_by = $2, \
             acknowledge_comment = $3, updated_at_ms = $1 \
             WHERE id = $4 AND state IN (1, 2) AND acknowledged_at_ms IS NULL \
             RETURNING {ALERT_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(at_ms)
            .bind(by)
            .bind(comment)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = row {
            return Ok(Acknowledged::Done(alert_from_row(&row)?));
        }
        Ok(match self.get_alert(id).await? {
            None => Acknowledged::NotFound,
            Some(alert) if alert.state == AlertState::Resolved => Acknowledged::Resolved(alert),
            Some(alert) => Acknowledged::Done(alert),
        })
    }

    async fn create_notification(
        &self,
        notification: &NewNotification,
        alert_ids: &[String],
        claim: NotifyClaim,
    ) -> Result<Vec<String>> {
        // Alerts are claimed in id order, so concurrent claimers lock rows in one order and
        // never deadlock.
        let mut ordered = alert_ids.to_vec();
        ordered.sort();
        ordered.dedup();
        let (claim_sql, claim_binds) = claim_sql(claim, notification.created_at_ms);
        let mut tx = self.pool.begin().await?;
        let mut matched = Vec::new();
        for id in ordered {
            let mut query = sqlx::query_scalar::<_, String>(claim_sql).bind(id);
            for value in &claim_binds {
                query = query.bind(*value);
            }
            if let Some(id) = query.fetch_optional(&mut *tx).await? {
                matched.push(id);
            }
        }
        if matched.is_empty() {
            return Ok(matched);
        }
        insert_notification(&mut tx, notification).await?;
        sqlx::query(
            "INSERT INTO alert_notification_alerts (notification_id, alert_id) \
             SELECT $1, alert_id FROM UNNEST($2::TEXT[]) AS alert_id",
        )
        .bind(&notification.id)
        .bind(&matched)
        .execute(&mut *tx)
        .await?;
        insert_deliveries(&mut tx, notification, DeliveryState::Pending, None).await?;
        tx.commit().await?;
        Ok(matched)
    }

    async fn record_test(
        &self,
        notification: &NewNotification,
        attempt: &StoredAttempt,
        delivered: bool,
    ) -> Result<()> {
        let (state, delivered_at_ms) = if delivered {
            (DeliveryState::Delivered, Some(attempt.at_ms))
        } else {
            (DeliveryState::Failed, None)
        };
        let mut tx = self.pool.begin().await?;
        insert_notification(&mut tx, notification).await?;
        insert_deliveries(&mut tx, notification, state, delivered_at_ms).await?;
        for channel_id in &notification.channel_ids {
            insert_attempt(&mut tx, &notification.id, channel_id, attempt).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>> {
        // SKIP LOCKED: concurrent claimers take different rows instead of waiting on each
        // other; a locked row's condition is re-checked after the lock, so none is taken twice.
        let claimed: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "WITH due AS (SELECT notification_id, channel_id FROM alert_deliveries \
             WHERE state = 1 AND next_attempt_at_ms <= $1 \
             AND (lease_until_ms IS NULL OR lease_until_ms <= $1) \
             ORDER BY next_attempt_at_ms, notification_id, channel_id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE alert_deliveries AS d SET lease_until_ms = $1 + $2 FROM due \
             WHERE d.notification_id = due.notification_id AND d.channel_id = due.channel_id \
             RETURNING d.notification_id, d.channel_id, d.next_attempt_at_ms, \
             (SELECT COUNT(*) FROM alert_delivery_attempts AS a \
             WHERE a.notification_id = d.notification_id AND a.channel_id = d.channel_id)",
        )
        .bind(now_ms)
        .bind(lease_ms)
        .bind(limit_param(limit))
        .fetch_all(&self.pool)
        .await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = claimed.iter().map(|row| row.0.clone()).collect();
        let sql = format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM alert_notifications WHERE id = ANY($1) ORDER BY id"
        );
        let rows = sqlx::query(&sql).bind(&ids).fetch_all(&self.pool).await?;
        let mut notifications = rows
            .iter()
            .map(notification_from_row)
            .collect::<Result<Vec<_>>>()?;
        let links: Vec<(String, String)> = sqlx::query_as(
            "SELECT notification_id, alert_id FROM alert_notification_alerts \
             WHERE notification_id = ANY($1) ORDER BY notification_id, alert_id",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        assemble_notifications(&mut notifications, links, Vec::new(), Vec::new());
        Ok(claimed_deliveries(claimed, notifications))
    }

    async fn finish_attempt(
        &self,
        notification_id: &str,
        channel_id: &str,
        attempt: &StoredAttempt,
        outcome: DeliveryOutcome,
    ) -> Result<()> {
        let (state, next_attempt_at_ms, delivered_at_ms) = finish_columns(attempt, outcome);
        let mut tx = self.pool.begin().await?;
        insert_attempt(&mut tx, notification_id, channel_id, attempt).await?;
        // Only a pending delivery changes: a duplicate attempt after the lease ran out never
        // undoes a finished one.
        sqlx::query(
            "UPDATE alert_deliveries SET state = $1, \
             next_attempt_at_ms = COALESCE($2, next_attempt_at_ms), delivered_at_ms = $3, \
             lease_until_ms = NULL WHERE notification_id = $4 AND channel_id = $5 AND state = 1",
        )
        .bind(state as i32)
        .bind(next_attempt_at_ms)
        .bind(delivered_at_ms)
        .bind(notification_id)
        .bind(channel_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_notifications(
        &self,
        rule_id: &str,
        alert_id: &str,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredNotification>> {
        let mut sql = QueryBuilder::<Postgres>::new(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM alert_notifications WHERE TRUE"
        ));
        if !before_id.is_empty() {
            sql.push(" AND id < ").push_bind(before_id);
        }
        if !rule_id.is_empty() {
            sql.push(" AND rule_id = ").push_bind(rule_id);
        }
        if !alert_id.is_empty() {
            sql.push(
                " AND id IN (SELECT notification_id FROM alert_notification_alerts \
                 WHERE alert_id = ",
            )
            .push_bind(alert_id)
            .push(")");
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(limit_param(limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        let mut notifications = rows
            .iter()
            .map(notification_from_row)
            .collect::<Result<Vec<_>>>()?;
        if !notifications.is_empty() {
            self.fill_notifications(&mut notifications).await?;
        }
        Ok(notifications)
    }

    async fn prune_history(&self, cutoff_ms: i64, limit: usize) -> Result<(u64, u64)> {
        let alerts = sqlx::query(
            "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts \
             WHERE state = 3 AND resolved_at_ms < $1 LIMIT $2)",
        )
        .bind(cutoff_ms)
        .bind(limit_param(limit))
        .execute(&self.pool)
        .await?
        .rows_affected();
        let mut tx = self.pool.begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "DELETE FROM alert_notifications WHERE id IN (SELECT id FROM alert_notifications \
             WHERE created_at_ms < $1 LIMIT $2) RETURNING id",
        )
        .bind(cutoff_ms)
        .bind(limit_param(limit))
        .fetch_all(&mut *tx)
        .await?;
        for table in [
            "alert_notification_alerts",
            "alert_deliveries",
            "alert_delivery_attempts",
        ] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE notification_id = ANY($1)"
            ))
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((alerts, ids.len() as u64))
    }
}
