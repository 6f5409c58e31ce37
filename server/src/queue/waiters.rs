//! Wakes long-polling Reserve calls on this replica as soon as their queues get work, so they
//! need not poll Redis in a tight loop. Work that another replica adds is found by the poll.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::future::select_all;
use tokio::sync::watch;

#[derive(Default)]
pub struct Waiters {
    queues: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl Waiters {
    fn subscribe(&self, queue: &str) -> watch::Receiver<u64> {
        let mut queues = self.queues.lock().expect("waiters lock");
        queues
            .entry(queue.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// A future that completes once any of the queues is woken after this call.
    pub fn listen(&self, queues: &[String]) -> impl Future<Output = ()> + use<> {
        let mut receivers: Vec<_> = queues.iter().map(|q| self.subscribe(q)).collect();
        async move {
            if receivers.is_empty() {
                return futures::future::pending().await;
            }
            let changes = receivers.iter_mut().map(|rx| Box::pin(rx.changed()));
            let _ = select_all(changes).await;
        }
    }

    pub fn wake(&self, queue: &str) {
        let queues = self.queues.lock().expect("waiters lock");
        if let Some(sender) = queues.get(queue) {
            sender.send_modify(|generation| *generation += 1);
        }
    }
}
