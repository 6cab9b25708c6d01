//! External issuers' keys: read from a JWKS file at start, or fetched through the issuer's
//! discovery document at start and every 10 minutes (every 30 s while that fails, so a server
//! started offline catches up once the issuer is reachable).

use std::sync::Arc;
use std::time::Duration;

use fjellport_auth::trust::ExternalIssuer;
use serde_json::Value;

use crate::config::TrustedIssuer;

const REFRESH: Duration = Duration::from_secs(600);
const RETRY: Duration = Duration::from_secs(30);

/// An issuer and, when its keys come by discovery, the discovery URL.
pub(crate) type Trusted = (Arc<ExternalIssuer>, Option<String>);

/// The issuers, with the keys of those given by file already loaded: a bad file stops the start
/// with one line.
pub(crate) fn load(config: &[TrustedIssuer]) -> Result<Vec<Trusted>, String> {
    let mut out = Vec::new();
    for t in config {
        let issuer = Arc::new(ExternalIssuer::new(&t.issuer));
        if let Some(path) = &t.jwks_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!("trusted issuer {}: cannot read {}: {e}", t.issuer, path.display())
            })?;
            let doc: Value = serde_json::from_str(&text).map_err(|e| {
                format!("trusted issuer {}: {} is not JSON: {e}", t.issuer, path.display())
            })?;
            issuer
                .set_keys(&doc)
                .map_err(|e| format!("trusted issuer {}: {}: {e}", t.issuer, path.display()))?;
        }
        out.push((issuer, t.discovery_url.clone()));
    }
    Ok(out)
}

/// Fetches the issuer's keys through its discovery document; the document must name the same
/// issuer (OpenID Connect Discovery §4.3).
async fn fetch(
    http: &reqwest::Client,
    issuer: &ExternalIssuer,
    discovery: &str,
) -> Result<usize, String> {
    let doc = get_json(http, discovery).await?;
    let named = doc.get("issuer").and_then(Value::as_str).map(|s| s.trim_end_matches('/'));
    if named != Some(issuer.url.as_str()) {
        return Err(format!("the discovery document names issuer {named:?}, not {}", issuer.url));
    }
    let jwks_uri = doc.get("jwks_uri").and_then(Value::as_str).ok_or("no jwks_uri")?;
    issuer.set_keys(&get_json(http, jwks_uri).await?).map_err(|e| e.to_string())
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    http.get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("{url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{url}: {e}"))
}

/// Keeps the discovered issuers' keys fresh, in the background.
pub(crate) fn watch(
    issuers: Vec<(Arc<ExternalIssuer>, String)>,
) -> Option<tokio::task::JoinHandle<()>> {
    if issuers.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        loop {
            let mut all_ok = true;
            for (issuer, discovery) in &issuers {
                match fetch(&http, issuer, discovery).await {
                    Ok(n) => tracing::debug!(issuer = %issuer.url, keys = n, "trusted issuer keys"),
                    Err(e) => {
                        all_ok = false;
                        tracing::warn!(issuer = %issuer.url, error = %e, "cannot fetch a trusted issuer's keys");
                    }
                }
            }
            tokio::time::sleep(if all_ok { REFRESH } else { RETRY }).await;
        }
    }))
}
