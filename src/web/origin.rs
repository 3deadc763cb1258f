//! Where a state change comes from, as the browser says (`Origin`, `Sec-Fetch-Site`):
//! defence in depth beside the CSRF tokens of [`super::ctx`].

use axum::http::{header, HeaderMap};

/// Whether a request may come from this site's own pages, as far as the browser tells:
/// `Sec-Fetch-Site` (sent by every current browser) must not be `cross-site`, and an
/// `Origin` header, when present, must name this service: the host (and port, defaults
/// applied by scheme) the request was sent to (`Host`, or the URI's authority under
/// HTTP/2), or the configured public address. Either is enough, so staff on an internal
/// name and the public on `public_url` both pass. Requests without either header
/// (scripts, older browsers), or with no host to compare, rest on the CSRF token alone.
pub(super) fn same_site(
    headers: &HeaderMap,
    authority: Option<&str>,
    public_url: Option<&str>,
) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site") == Some("cross-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    // `scheme://host[:port]`; "null" (sandboxed frames, file pages) names no site.
    let Some((scheme, origin_host)) = origin.to_str().ok().and_then(|o| o.split_once("://")) else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        _ => 80,
    };
    let origin = host_port(origin_host, default_port);
    let requested = text("host")
        .or(authority)
        .map(|h| host_port(h, default_port));
    let public = public_url.and_then(|u| {
        let (scheme, rest) = u.split_once("://")?;
        let port = if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        };
        Some(host_port(rest.split('/').next().unwrap_or(""), port))
    });
    if requested.is_none() && public.is_none() {
        return true;
    }
    origin.is_some() && (origin == requested.flatten() || origin == public.flatten())
}

/// `host[:port]` as (lower-case host, port), the port defaulting to `default_port`.
fn host_port(s: &str, default_port: u16) -> Option<(String, u16)> {
    let s = s.trim();
    // An IPv6 literal keeps its brackets: `[::1]:8080`.
    let (host, port) = match s.rfind(':') {
        Some(i) if !s[i..].contains(']') => (&s[..i], s[i + 1..].parse().ok()?),
        _ => (s, default_port),
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn an_origin_passes_when_it_names_the_requested_host_or_the_public_address() {
        let public = Some("https://zs.example.gov.cn");
        for (pairs, authority, public, ok) in [
            (
                vec![
                    ("origin", "http://10.0.0.5:8080"),
                    ("host", "10.0.0.5:8080"),
                ],
                None,
                public,
                true,
            ),
            (
                vec![
                    ("origin", "https://zs.example.gov.cn"),
                    ("host", "127.0.0.1:8080"),
                ],
                None,
                public,
                true,
            ),
            (
                vec![
                    ("origin", "https://zs.example.gov.cn"),
                    ("host", "zs.example.gov.cn:443"),
                ],
                None,
                None,
                true,
            ),
            (
                vec![("origin", "https://ZS.example.gov.cn")],
                Some("zs.example.gov.cn"),
                None,
                true,
            ),
            (
                vec![("origin", "http://[::1]:8080"), ("host", "[::1]:8080")],
                None,
                None,
                true,
            ),
            (
                vec![
                    ("origin", "https://evil.example"),
                    ("host", "zs.example.gov.cn"),
                ],
                None,
                public,
                false,
            ),
            (
                vec![
                    ("origin", "https://zs.example.gov.cn:8443"),
                    ("host", "zs.example.gov.cn"),
                ],
                None,
                None,
                false,
            ),
            (
                vec![("origin", "null"), ("host", "zs.example.gov.cn")],
                None,
                None,
                false,
            ),
            (
                vec![("sec-fetch-site", "cross-site"), ("host", "x")],
                None,
                None,
                false,
            ),
            (vec![("host", "x")], None, None, true),
            (
                vec![("origin", "https://anything.example")],
                None,
                None,
                true,
            ),
        ] {
            assert_eq!(
                same_site(&headers(&pairs), authority, public),
                ok,
                "{pairs:?} {public:?}"
            );
        }
    }
}
