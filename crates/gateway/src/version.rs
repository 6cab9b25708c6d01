//! Version selection by header, with deprecation (RFC 9745) and sunset (RFC 8594).

use chrono::{DateTime, SecondsFormat, Utc};
use http::{HeaderName, HeaderValue, StatusCode};

use crate::problem::Problem;

/// How callers of one version prove who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// An API key in one of the API's key headers.
    ApiKey,
    /// `Authorization: DPoP <access token>` plus a `DPoP` proof; no API key.
    Dpop { audience: String, scope: String },
    /// An API key and `Authorization: Bearer <access token>` of the gateway's Bearer issuer
    /// with a scope of the family `scope` (`altinn:serviceowner`, `altinn:serviceowner/…`):
    /// Altinn's organizations.
    KeyAndBearer { scope: String },
}

/// A version's retirement plan.
#[derive(Debug, Clone)]
pub struct Deprecation {
    pub deprecated_at: DateTime<Utc>,
    pub sunset_at: DateTime<Utc>,
    /// When false, the version keeps answering after its sunset (with the headers).
    pub enforce_sunset: bool,
    /// Documentation of the deprecation (`Link rel="deprecation"`).
    pub docs: String,
    /// The version to move to, and where its migration guide is (`rel="successor-version"`).
    pub successor: String,
    pub successor_docs: String,
}

#[derive(Debug, Clone)]
pub struct VersionSpec {
    pub name: String,
    pub auth: AuthMode,
    pub deprecation: Option<Deprecation>,
    /// `Deprecation`, `Sunset` and `Link`, rendered once.
    deprecation_headers: Vec<(HeaderName, HeaderValue)>,
}

impl VersionSpec {
    pub fn new(name: &str, auth: AuthMode, deprecation: Option<Deprecation>) -> VersionSpec {
        let deprecation_headers = deprecation.as_ref().map(render_headers).unwrap_or_default();
        VersionSpec { name: name.to_owned(), auth, deprecation, deprecation_headers }
    }

    pub fn deprecation_headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.deprecation_headers
    }
}

fn render_headers(d: &Deprecation) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::new();
    let mut push = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            out.push((HeaderName::from_static(name), v));
        }
    };
    push("deprecation", format!("@{}", d.deprecated_at.timestamp()));
    push("sunset", http_date(d.sunset_at));
    push(
        "link",
        format!(
            "<{}>; rel=\"deprecation\"; type=\"text/html\", <{}>; rel=\"successor-version\"",
            d.docs, d.successor_docs
        ),
    );
    out
}

/// IMF-fixdate, as RFC 9110 and RFC 8594 want it.
pub fn http_date(t: DateTime<Utc>) -> String {
    let secs = u64::try_from(t.timestamp()).unwrap_or(0);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// One API's versions.
#[derive(Debug, Clone)]
pub struct VersionTable {
    pub header: HeaderName,
    /// The header as documentation spells it, for messages (`X-api-version`).
    pub header_label: &'static str,
    pub versions: Vec<VersionSpec>,
    /// Chosen when the header is absent; `None` makes the header mandatory.
    pub default: Option<String>,
    /// `api-supported-versions` and `api-deprecated-versions`, rendered once.
    report: [(HeaderName, HeaderValue); 2],
}

impl VersionTable {
    /// `header` is the name as documentation spells it, e.g. `X-api-version`.
    pub fn new(header: &'static str, versions: Vec<VersionSpec>, default: Option<&str>) -> Self {
        let header_label = header;
        let header = HeaderName::from_bytes(header.to_ascii_lowercase().as_bytes())
            .unwrap_or(HeaderName::from_static("x-api-version"));
        let list = |f: &dyn Fn(&VersionSpec) -> bool| {
            let names: Vec<&str> =
                versions.iter().filter(|v| f(v)).map(|v| v.name.as_str()).collect();
            HeaderValue::from_str(&names.join(", ")).unwrap_or(HeaderValue::from_static(""))
        };
        let report = [
            (HeaderName::from_static("api-supported-versions"), list(&|_| true)),
            (
                HeaderName::from_static("api-deprecated-versions"),
                list(&|v| v.deprecation.is_some()),
            ),
        ];
        VersionTable { header, header_label, versions, default: default.map(str::to_owned), report }
    }

    /// `api-supported-versions` and `api-deprecated-versions` (ASP.NET API Versioning's names).
    pub fn report_headers(&self) -> &[(HeaderName, HeaderValue); 2] {
        &self.report
    }

    fn names(&self) -> Vec<String> {
        self.versions.iter().map(|v| v.name.clone()).collect()
    }

    /// Picks the version a request asks for, or says what is wrong with the ask.
    pub fn select<'a>(
        &'a self,
        values: &mut dyn Iterator<Item = &'a HeaderValue>,
        now: DateTime<Utc>,
    ) -> Result<&'a VersionSpec, Problem> {
        let header = self.header_label;
        let first = values.next();
        if values.next().is_some() {
            return Err(self.bad_version(format!("send one {header} header, not several")));
        }
        let name = match first {
            None => match &self.default {
                Some(d) => d.as_str(),
                None => {
                    return Err(self.bad_version(format!("the {header} header is required")));
                }
            },
            Some(value) => {
                let text = value.to_str().ok().map(str::trim).unwrap_or_default();
                if !is_well_formed(text) {
                    return Err(self.bad_version(format!(
                        "{header} must look like MAJOR.MINOR (e.g. 1.0); got {:?}",
                        String::from_utf8_lossy(value.as_bytes())
                    )));
                }
                text
            }
        };
        let Some(spec) = self.versions.iter().find(|v| v.name == name) else {
            return Err(self.bad_version(format!("version {name} is not supported")));
        };
        if let Some(d) = &spec.deprecation
            && d.enforce_sunset
            && now >= d.sunset_at
        {
            return Err(Problem::new(StatusCode::GONE, "version-sunset", "Version retired")
                .detail(format!(
                    "Version {name} was turned off at {} (its sunset). Move to version {}: send \
                     {header}: {} and follow the migration guide at {}.",
                    d.sunset_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    d.successor,
                    d.successor,
                    d.successor_docs
                ))
                .with("version", name)
                .with("sunset", d.sunset_at.to_rfc3339_opts(SecondsFormat::Secs, true))
                .with("successorVersion", d.successor.clone())
                .with("migrationGuide", d.successor_docs.clone())
                .with("supportedVersions", self.names()));
        }
        Ok(spec)
    }

    fn bad_version(&self, detail: String) -> Problem {
        Problem::bad_request("unsupported-version", detail)
            .with("supportedVersions", self.names())
            .with("defaultVersion", self.default.clone())
    }
}

/// `MAJOR.MINOR`, each 1–4 digits.
fn is_well_formed(v: &str) -> bool {
    let mut parts = v.split('.');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn table(enforce: bool) -> VersionTable {
        let dep = Deprecation {
            deprecated_at: t("2026-04-08T00:00:00Z"),
            sunset_at: t("2026-09-30T23:59:59Z"),
            enforce_sunset: enforce,
            docs: "https://docs.test/dep".into(),
            successor: "1.0".into(),
            successor_docs: "https://docs.test/1.0".into(),
        };
        VersionTable::new(
            "X-api-version",
            vec![
                VersionSpec::new("0.1", AuthMode::ApiKey, Some(dep.clone())),
                VersionSpec::new("1.0", AuthMode::ApiKey, None),
            ],
            Some("0.1"),
        )
    }

    fn pick<'a>(
        table: &'a VersionTable,
        values: &'a [HeaderValue],
        now: &str,
    ) -> Result<&'a VersionSpec, Problem> {
        table.select(&mut values.iter(), t(now))
    }

    #[test]
    fn absent_header_takes_the_default_and_sunset_is_enforced_from_the_instant_on() {
        let tb = table(true);
        assert_eq!(pick(&tb, &[], "2026-09-30T23:59:58Z").unwrap().name, "0.1");
        let gone = pick(&tb, &[], "2026-09-30T23:59:59Z").unwrap_err();
        assert_eq!(gone.status, StatusCode::GONE);
        assert_eq!(gone.extensions["successorVersion"], "1.0");
        assert_eq!(pick(&table(false), &[], "2030-01-01T00:00:00Z").unwrap().name, "0.1");
    }

    #[test]
    fn malformed_unknown_and_repeated_versions_are_400() {
        let tb = table(true);
        for bad in ["1", "v1.0", "1.0.0", "", "1.x", "99999.0"] {
            let values = [HeaderValue::from_str(bad).unwrap()];
            let p = pick(&tb, &values, "2026-01-01T00:00:00Z").unwrap_err();
            assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        let unknown = [HeaderValue::from_static("2.0")];
        let p = pick(&tb, &unknown, "2026-01-01T00:00:00Z").unwrap_err();
        assert!(p.detail.contains("not supported"));
        assert_eq!(p.extensions["supportedVersions"], serde_json::json!(["0.1", "1.0"]));
        let twice = [HeaderValue::from_static("1.0"), HeaderValue::from_static("1.0")];
        assert!(pick(&tb, &twice, "2026-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn deprecation_headers_follow_the_rfcs() {
        let tb = table(true);
        let h = tb.versions[0].deprecation_headers();
        assert_eq!(h[0].1, "@1775606400");
        assert_eq!(h[1].1, "Wed, 30 Sep 2026 23:59:59 GMT");
        assert!(h[2].1.to_str().unwrap().contains("rel=\"successor-version\""));
        assert_eq!(tb.report_headers()[0].1, "0.1, 1.0");
        assert_eq!(tb.report_headers()[1].1, "0.1");
    }
}
