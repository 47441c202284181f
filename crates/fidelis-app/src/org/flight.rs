//! Single flight: concurrent requests presenting the same credential share one
//! verification instead of each running Argon2 (64 requests on a cold cache cost one hash).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// What one verification concluded, shared by every request that waited for it.
#[derive(Debug, Clone)]
pub enum Verdict<T> {
    Accepted(T),
    Refused,
    /// The verification itself failed (database, worker); nothing is concluded about the
    /// credential.
    Failed(String),
}

type Flight<T> = Arc<OnceCell<Verdict<T>>>;

/// Verifications in flight by credential digest.
pub struct Flights<T>(Mutex<HashMap<String, Flight<T>>>);

impl<T> Default for Flights<T> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

impl<T: Clone> Flights<T> {
    /// Runs `verify` for `key` unless a verification of the same key is in flight, in which
    /// case its verdict is shared. If the request running it goes away, a waiting one takes
    /// over.
    pub async fn run<F, Fut>(&self, key: &str, verify: F) -> Verdict<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Verdict<T>>,
    {
        let flight = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.to_string())
            .or_default()
            .clone();
        let _landing = Landing {
            flights: self,
            key,
            flight: &flight,
        };
        flight.get_or_init(verify).await.clone()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Ends a flight when its first waiter finishes or goes away: later requests start their
/// own (or find the cache), and an abandoned flight leaves nothing behind.
struct Landing<'a, T> {
    flights: &'a Flights<T>,
    key: &'a str,
    flight: &'a Flight<T>,
}

impl<T> Drop for Landing<'_, T> {
    fn drop(&mut self) {
        let mut flights = self.flights.0.lock().unwrap_or_else(|e| e.into_inner());
        if flights
            .get(self.key)
            .is_some_and(|f| Arc::ptr_eq(f, self.flight))
        {
            flights.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn concurrent_requests_share_one_verification() {
        let flights = Arc::new(Flights::<u32>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let (flights, runs) = (flights.clone(), runs.clone());
                tokio::spawn(async move {
                    flights
                        .run("k", || async {
                            runs.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Verdict::Accepted(7)
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert!(matches!(t.await.unwrap(), Verdict::Accepted(7)));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flights.len(), 0, "finished flights are forgotten");
    }

    #[tokio::test]
    async fn an_abandoned_flight_leaves_nothing_behind() {
        let flights = Flights::<u32>::default();
        let pending = flights.run("k", std::future::pending::<Verdict<u32>>);
        assert!(tokio::time::timeout(Duration::from_millis(10), pending)
            .await
            .is_err());
        assert_eq!(flights.len(), 0);
        assert!(matches!(
            flights.run("k", || async { Verdict::Refused }).await,
            Verdict::Refused
        ));
    }
}
