//! Web origins (RFC 6454) as registered on browser keys: scheme + host + port, nothing more.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A normalised origin: lower-case scheme and host, default port dropped, no trailing slash.
/// Built only through [`FromStr`], so holding one means it passed every rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OriginError {
    #[error("{0:?} is not an absolute URL such as https://app.example.com")]
    NotAUrl(String),
    #[error("{0:?} must use http or https")]
    BadScheme(String),
    #[error("{0:?} has no host")]
    NoHost(String),
    #[error("{0:?} must not contain a user name or password")]
    HasUserinfo(String),
    #[error("{0:?} must not have a path: an origin is scheme://host[:port]")]
    HasPath(String),
    #[error("{0:?} must not have a query or fragment")]
    HasQueryOrFragment(String),
}

impl FromStr for Origin {
    type Err = OriginError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = s.trim();
        let url = url::Url::parse(raw).map_err(|_| OriginError::NotAUrl(s.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OriginError::BadScheme(s.to_owned()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(OriginError::NoHost(s.to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(OriginError::HasUserinfo(s.to_owned()));
        }
        // `Url` turns "https://a.test" into path "/", so "/" is the only path an origin may show.
        if url.path() != "/" || (raw.ends_with("//") && raw.matches('/').count() > 3) {
            return Err(OriginError::HasPath(s.to_owned()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(OriginError::HasQueryOrFragment(s.to_owned()));
        }
        Ok(Origin(url.origin().ascii_serialization()))
    }
}

impl Origin {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every spelling a browser resolves to this machine: `localhost` and `*.localhost` (also
    /// with the root's trailing dot, `localhost.`), loopback addresses in any notation the URL
    /// standard reads (`127.1`, `2130706433`, `[::1]`, `[::ffff:127.0.0.1]`), and the
    /// unspecified address (`0.0.0.0`, `[::]`), which browsers connect to as local. Allowed
    /// only in the test environment.
    pub fn is_localhost(&self) -> bool {
        let Ok(url) = url::Url::parse(&self.0) else {
            return false;
        };
        let local_v4 = |ip: std::net::Ipv4Addr| ip.is_loopback() || ip.is_unspecified();
        match url.host() {
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
            Some(url::Host::Ipv4(ip)) => local_v4(ip),
            Some(url::Host::Ipv6(ip)) => {
                ip.is_loopback() || ip.is_unspecified() || ip.to_ipv4_mapped().is_some_and(local_v4)
            }
            None => false,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_origins_normalise() {
        // RFC 6454 §6.1 serialisation: lower-case, default port dropped.
        for (input, want) in [
            ("https://App.Example.test", "https://app.example.test"),
            ("https://app.example.test/", "https://app.example.test"),
            ("https://app.example.test:443", "https://app.example.test"),
            ("http://app.example.test:8080", "http://app.example.test:8080"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://[::1]:3000", "http://[::1]:3000"),
        ] {
            assert_eq!(input.parse::<Origin>().unwrap().as_str(), want, "{input}");
        }
    }

    #[test]
    fn bad_origins_say_why() {
        use OriginError::*;
        type Check = fn(&OriginError) -> bool;
        let cases: [(&str, Check); 8] = [
            ("app.example.test", |e| matches!(e, NotAUrl(_))),
            ("ftp://app.example.test", |e| matches!(e, BadScheme(_))),
            ("https://app.example.test/path", |e| matches!(e, HasPath(_))),
            ("https://app.example.test//", |e| matches!(e, HasPath(_))),
            ("https://app.example.test/?q=1", |e| matches!(e, HasQueryOrFragment(_))),
            ("https://app.example.test#x", |e| matches!(e, HasQueryOrFragment(_))),
            ("https://user:pw@app.example.test", |e| matches!(e, HasUserinfo(_))),
            ("*", |e| matches!(e, NotAUrl(_))),
        ];
        for (input, check) in cases {
            let err = input.parse::<Origin>().unwrap_err();
            assert!(check(&err), "{input}: {err:?}");
        }
    }

    #[test]
    fn localhost_is_recognised() {
        for o in [
            "http://localhost",
            "http://app.localhost:8080",
            "http://127.0.0.1:5173",
            "http://[::1]",
        ] {
            assert!(o.parse::<Origin>().unwrap().is_localhost(), "{o}");
        }
        assert!(!"https://localhost.example.test".parse::<Origin>().unwrap().is_localhost());
        // Spellings that once slipped past the production guard.
        for o in [
            "http://localhost.",
            "http://LocalHost.:8080",
            "http://foo.localhost.",
            "http://[::ffff:127.0.0.1]",
            "http://0.0.0.0",
            "http://[::]",
            "http://127.1",
            "http://2130706433",
            "http://0x7f.0.0.1",
            "http://[::1]:8080",
        ] {
            assert!(o.parse::<Origin>().unwrap().is_localhost(), "{o}");
        }
        for o in ["https://localhost.example.test.", "http://128.0.0.1", "http://[::ffff:8.8.8.8]"]
        {
            assert!(!o.parse::<Origin>().unwrap().is_localhost(), "{o}");
        }
    }
}
