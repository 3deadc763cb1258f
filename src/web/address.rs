//! The caller's address, for login throttling and the audit log: the peer's, or behind a
//! trusted reverse proxy the client address its `X-Forwarded-For` names.

use std::net::SocketAddr;

use axum::http::HeaderMap;

/// The caller's address: the peer's, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not one of the trusted proxies (each proxy
/// appends the address it saw, so addresses to the left of it may be the client's own
/// inventions).
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    let Some(peer) = peer.map(|a| a.to_canonical()) else {
        return "unknown".into();
    };
    // On a dual-stack listener an IPv4 peer arrives as `::ffff:a.b.c.d`.
    let is_trusted = |a: &std::net::IpAddr| trusted.iter().any(|t| t.to_canonical() == *a);
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        // Some proxies write the port too (`1.2.3.4:5678`, `[::1]:80`).
        let parsed = hop
            .parse::<std::net::IpAddr>()
            .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
            .map(|a| a.to_canonical());
        match parsed {
            Ok(a) if is_trusted(&a) => continue,
            Ok(a) => return a.to_string(),
            // Unreadable: nothing to its left can be trusted either.
            Err(_) => break,
        }
    }
    peer.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.1");
        let trusted = [proxy, ip("10.0.0.2")];
        // Not behind a trusted proxy: the header is the client's invention.
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), &forwarded("1.2.3.4"), &trusted),
            "203.0.113.9"
        );
        // Behind one: the address the proxy saw, not what the client put before it.
        assert_eq!(
            client_address(Some(proxy), &forwarded("1.2.3.4, 198.51.100.7"), &trusted),
            "198.51.100.7"
        );
        // Two proxies in a row are skipped.
        assert_eq!(
            client_address(Some(proxy), &forwarded("198.51.100.7, 10.0.0.2"), &trusted),
            "198.51.100.7"
        );
        // No usable header: the proxy itself.
        assert_eq!(
            client_address(Some(proxy), &HeaderMap::new(), &trusted),
            "10.0.0.1"
        );
        assert_eq!(
            client_address(Some(proxy), &forwarded("garbage"), &trusted),
            "10.0.0.1"
        );
        assert_eq!(
            client_address(
                Some(proxy),
                &forwarded("1.2.3.4, garbage, 10.0.0.2"),
                &trusted
            ),
            "10.0.0.1",
            "nothing left of an unreadable hop counts"
        );
        assert_eq!(client_address(None, &HeaderMap::new(), &trusted), "unknown");
        // An IPv4 proxy seen through a dual-stack socket, hops with ports.
        assert_eq!(
            client_address(
                Some(ip("::ffff:10.0.0.1")),
                &forwarded("198.51.100.7:5678, [::ffff:10.0.0.2]:80"),
                &trusted
            ),
            "198.51.100.7"
        );
    }
}
