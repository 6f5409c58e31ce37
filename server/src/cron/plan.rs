//! Which fire times to fire now, given the first one due and the misfire policy: the part of
//! ticking that needs neither Redis nor SQL.

use std::time::Duration;

use zenith_proto::v1::{MisfirePolicy, RunTrigger};

use super::Cadence;

/// What one tick does for one schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Fire times in order, each with how it came about.
    pub fires: Vec<(i64, RunTrigger)>,
    /// The first fire time not handled: the schedule's next entry in the index (`None`: it
    /// never fires again).
    pub next: Option<i64>,
}

pub struct Policy {
    pub misfire: MisfirePolicy,
    pub grace: Duration,
    pub catch_up_window: Duration,
}

/// Plans the fire times from `first_due` (due: at most `now_ms`) up to `now_ms`, at most
/// `max_fires` of them; the rest wait for the next tick. A fire time more than the grace
/// before now is a misfire, handled by the policy; later ones fire as scheduled.
pub fn plan(
    cadence: &Cadence,
    policy: &Policy,
    first_due: i64,
    now_ms: i64,
    max_fires: usize,
) -> Plan {
    let cutoff = now_ms - policy.grace.as_millis() as i64;
    let mut fires = Vec::new();
    let mut cursor = Some(first_due);
    if first_due < cutoff {
        match policy.misfire {
            MisfirePolicy::Skip => {}
            MisfirePolicy::CatchUp => {
                let window_start = now_ms - policy.catch_up_window.as_millis() as i64;
                cursor = if first_due >= window_start {
                    Some(first_due)
                } else {
                    cadence.next_after(window_start - 1)
                };
                while let Some(fire) = cursor.filter(|&fire| fire < cutoff) {
                    if fires.len() == max_fires {
                        return Plan {
                            fires,
                            next: cursor,
                        };
                    }
                    fires.push((fire, RunTrigger::Misfire));
                    cursor = cadence.next_after(fire);
                }
            }
            MisfirePolicy::FireOnce | MisfirePolicy::Unspecified => {
                fires.push((first_due, RunTrigger::Misfire))
            }
        }
        cursor = cadence.next_after(cutoff - 1);
    }
    while let Some(fire) = cursor.filter(|&fire| fire <= now_ms) {
        if fires.len() == max_fires {
            break;
        }
        fires.push((fire, RunTrigger::Schedule));
        cursor = cadence.next_after(fire);
    }
    Plan {
        fires,
        next: cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    fn every_second() -> Cadence {
        Cadence::parse("", Some(Duration::from_secs(1)), "").unwrap()
    }

    fn policy(misfire: MisfirePolicy) -> Policy {
        Policy {
            misfire,
            grace: Duration::from_secs(5),
            catch_up_window: Duration::from_secs(8),
        }
    }

    fn times(plan: &Plan) -> Vec<(i64, RunTrigger)> {
        plan.fires.iter().map(|&(t, why)| (t / S, why)).collect()
    }

    #[test]
    fn on_time_fires_fire_in_order_and_the_next_waits() {
        let plan = plan(
            &every_second(),
            &policy(MisfirePolicy::Skip),
            100 * S,
            102 * S + 300,
            100,
        );
        assert_eq!(
            times(&plan),
            vec![
                (100, RunTrigger::Schedule),
                (101, RunTrigger::Schedule),
                (102, RunTrigger::Schedule)
            ]
        );
        assert_eq!(plan.next, Some(103 * S));
    }

    #[test]
    fn a_late_fire_within_the_grace_is_no_misfire() {
        let plan = plan(
            &every_second(),
            &policy(MisfirePolicy::Skip),
            100 * S,
            104 * S,
            100,
        );
        assert_eq!(plan.fires.len(), 5);
        assert!(plan.fires.iter().all(|f| f.1 == RunTrigger::Schedule));
    }

    #[test]
    fn skip_drops_the_misfires_and_fires_the_rest() {
        let plan = plan(
            &every_second(),
            &policy(MisfirePolicy::Skip),
            100 * S,
            120 * S,
            100,
        );
        let fired: Vec<i64> = times(&plan).into_iter().map(|f| f.0).collect();
        assert_eq!(fired, vec![115, 116, 117, 118, 119, 120]);
        assert_eq!(plan.next, Some(121 * S));
    }

    #[test]
    fn fire_once_makes_one_run_for_all_misfires() {
        let plan = plan(
            &every_second(),
            &policy(MisfirePolicy::FireOnce),
            100 * S,
            120 * S,
            100,
        );
        assert_eq!(times(&plan)[0], (100, RunTrigger::Misfire));
        let rest: Vec<i64> = times(&plan)[1..].iter().map(|f| f.0).collect();
        assert_eq!(rest, vec![115, 116, 117, 118, 119, 120]);
    }

    #[test]
    fn catch_up_fires_each_misfire_within_the_window() {
        let plan = plan(
            &every_second(),
            &policy(MisfirePolicy::CatchUp),
            100 * S,
            120 * S,
            100,
        );
        let fired = times(&plan);
        let misfires: Vec<i64> = fired
            .iter()
            .filter(|f| f.1 == RunTrigger::Misfire)
            .map(|f| f.0)
            .collect();
        assert_eq!(misfires, vec![112, 113, 114]);
        assert_eq!(fired.len(), 3 + 6);
    }

    #[test]
    fn a_capped_plan_resumes_where_it_stopped() {
        let cadence = every_second();
        let policy = Policy {
            misfire: MisfirePolicy::CatchUp,
            grace: Duration::from_secs(1),
            catch_up_window: Duration::from_secs(3600),
        };
        let first = plan(&cadence, &policy, 100 * S, 200 * S, 30);
        assert_eq!(first.fires.len(), 30);
        assert_eq!(first.next, Some(130 * S));
        let second = plan(&cadence, &policy, first.next.unwrap(), 200 * S, 1000);
        assert_eq!(second.fires.first().map(|f| f.0), Some(130 * S));
        assert_eq!(second.fires.last().map(|f| f.0), Some(200 * S));
        assert_eq!(second.next, Some(201 * S));
    }
}
