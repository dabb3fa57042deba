//! A token bucket per client address for the routes anyone may call.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tracing::warn;

use crate::{app::AppState, problem::Problem, ClientIp, RateLimit};

/// How many clients are tracked before idle ones (with full buckets) are forgotten.
const PRUNE_AT: usize = 10_000;

/// Buckets by client. An IPv6 client is counted by its /64, which one host usually holds whole.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    /// The tokens at `now`, refilled since the last update and capped at the burst.
    fn refilled(self, limit: RateLimit, now: Instant) -> f64 {
        let earned = now.saturating_duration_since(self.updated).as_secs_f64()
            / limit.refill_every.as_secs_f64();
        (self.tokens + earned).min(f64::from(limit.burst))
    }
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client` at `now`, or says how long until one is there.
    pub(crate) fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let limit = self.limit;
        let burst = f64::from(limit.burst);
        // A panic elsewhere while holding the lock leaves counters that are still usable.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, bucket| bucket.refilled(limit, now) < burst);
        }
        let bucket = buckets.entry(client_key(client)).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let tokens = bucket.refilled(limit, now);
        bucket.updated = now;
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            Ok(())
        } else {
            bucket.tokens = tokens;
            Err(limit.refill_every.mul_f64(1.0 - tokens))
        }
    }
}

/// Passes a request while its client has tokens left; any other gets 429 with `Retry-After`.
pub(crate) async fn limit_clients(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let client = client_ip(state.config.client_ip, peer, request.headers());
    match state.limiter.take(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            warn!(%client, path = request.uri().path(), "refused: rate limit");
            Problem::too_many_requests(wait.as_secs_f64().ceil() as u64).into_response()
        }
    }
}

/// The client's address: the TCP peer, or the last `X-Forwarded-For` entry when the
/// service sits behind a proxy. Without either (a router driven in process), all
/// requests count as one client.
pub(crate) fn client_ip(source: ClientIp, peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
    let forwarded = match source {
        ClientIp::Peer => None,
        ClientIp::LastForwardedFor => headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .and_then(|last| last.trim().parse().ok()),
    };
    forwarded
        .or(peer)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The address a client is counted by: IPv4 as is, IPv6 by its /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(Ipv6Addr::from(segments))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> RateLimiter {
        RateLimiter::new(RateLimit {
            burst: 3,
            refill_every: Duration::from_secs(10),
        })
    }

    #[test]
    fn a_burst_then_one_per_interval() {
        let limiter = limiter();
        let (client, start) = (IpAddr::from([192, 0, 2, 1]), Instant::now());
        for _ in 0..3 {
            assert_eq!(limiter.take(client, start), Ok(()));
        }
        assert_eq!(limiter.take(client, start), Err(Duration::from_secs(10)));
        let later = start + Duration::from_secs(5);
        assert_eq!(limiter.take(client, later), Err(Duration::from_secs(5)));
        assert_eq!(
            limiter.take(client, start + Duration::from_secs(10)),
            Ok(())
        );
        assert!(limiter
            .take(client, start + Duration::from_secs(10))
            .is_err());
    }

    #[test]
    fn clients_have_their_own_buckets() {
        let limiter = limiter();
        let now = Instant::now();
        let first = IpAddr::from([192, 0, 2, 1]);
        for _ in 0..3 {
            assert!(limiter.take(first, now).is_ok());
        }
        assert!(limiter.take(first, now).is_err());
        assert!(limiter.take(IpAddr::from([192, 0, 2, 2]), now).is_ok());
    }

    #[test]
    fn behind_a_proxy_the_last_forwarded_address_counts() {
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            axum::http::HeaderValue::from_static("203.0.113.9, 198.51.100.7"),
        );
        let peer = Some(IpAddr::from([127, 0, 0, 1]));
        assert_eq!(
            client_ip(ClientIp::Peer, peer, &headers),
            IpAddr::from([127, 0, 0, 1])
        );
        assert_eq!(
            client_ip(ClientIp::LastForwardedFor, peer, &headers),
            IpAddr::from([198, 51, 100, 7])
        );
        assert_eq!(
            client_ip(ClientIp::LastForwardedFor, peer, &HeaderMap::new()),
            IpAddr::from([127, 0, 0, 1])
        );
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_slash_64() {
        let host = |last: u16| IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, last]);
        assert_eq!(client_key(host(1)), client_key(host(2)));
        let other = IpAddr::from([0x2001, 0xdb8, 0, 2, 0, 0, 0, 1]);
        assert_ne!(client_key(host(1)), client_key(other));
        let mapped = IpAddr::from([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
        assert_eq!(client_key(mapped), IpAddr::from([192, 0, 2, 1]));
    }
}
