//! Altinn's REST routes ignore case, as ASP.NET's routing does: `…/Messages`, `…/confirm` and
//! `…/REPORTEES` reach the same handlers as the documented spelling. Requests under
//! `/altinn/api/` are matched against the API's own path templates (from its OpenAPI
//! description) segment by segment, literal segments ignoring case, and rewritten to the
//! template's spelling before routing; every other path is left alone.

use axum::extract::Request;
use http::Uri;

const PREFIX: &str = "/altinn/api/";

/// The templates' segments: `None` for a parameter, `Some(literal)` otherwise.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteCase {
    templates: Vec<Vec<Option<String>>>,
}

impl RouteCase {
    /// From every path of the OpenAPI document (those under the Altinn API are kept).
    pub(crate) fn new<'a>(paths: impl IntoIterator<Item = &'a String>) -> RouteCase {
        let templates = paths
            .into_iter()
            .filter(|p| p.starts_with(PREFIX))
            .map(|p| {
                p.split('/')
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect()
            })
            .collect();
        RouteCase { templates }
    }

    /// The path in the templates' spelling, when it matches one only by ignoring case.
    fn canonical(&self, path: &str) -> Option<String> {
        if !path.get(..PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(PREFIX)) {
            return None;
        }
        let segments: Vec<&str> = path.split('/').collect();
        let fits = |t: &Vec<Option<String>>, exact: bool| {
            t.len() == segments.len()
                && t.iter().zip(&segments).all(|(lit, seg)| match lit {
                    None => !seg.is_empty(),
                    Some(l) if exact => l == seg,
                    Some(l) => l.eq_ignore_ascii_case(seg),
                })
        };
        // A path some template takes as it is needs nothing (a parameter value that happens
        // to spell a literal must not be rewritten).
        if self.templates.iter().any(|t| fits(t, true)) {
            return None;
        }
        let t = self.templates.iter().find(|t| fits(t, false))?;
        let fixed: Vec<&str> =
            t.iter().zip(&segments).map(|(lit, seg)| lit.as_deref().unwrap_or(seg)).collect();
        Some(fixed.join("/"))
    }

    /// Rewrites the request's path when it differs from a template only in case.
    pub(crate) fn apply(&self, mut req: Request) -> Request {
        let Some(path) = self.canonical(req.uri().path()) else { return req };
        let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = format!("{path}{query}").parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
        req
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteCase {
        let paths: Vec<String> = [
            "/altinn/api/{who}/messages",
            "/altinn/api/{who}/messages/{messageId}/Confirm",
            "/altinn/api/{who}/authorization/RoleDefinitions",
            "/altinn/api/metadata/roledefinitions",
            "/altinn/api/reportees",
            "/syntpop/api/persons/{id}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        RouteCase::new(&paths)
    }

    #[test]
    fn literal_segments_take_the_documented_spelling_and_parameters_keep_theirs() {
        let t = table();
        assert_eq!(
            t.canonical("/altinn/api/MY/Messages").as_deref(),
            Some("/altinn/api/MY/messages")
        );
        assert_eq!(
            t.canonical("/altinn/api/r5/messages/a1/confirm").as_deref(),
            Some("/altinn/api/r5/messages/a1/Confirm")
        );
        assert_eq!(
            t.canonical("/altinn/api/my/authorization/roledefinitions").as_deref(),
            Some("/altinn/api/my/authorization/RoleDefinitions"),
            "the template decides, not the word"
        );
        assert_eq!(
            t.canonical("/altinn/api/metadata/RoleDefinitions").as_deref(),
            Some("/altinn/api/metadata/roledefinitions")
        );
        assert_eq!(t.canonical("/Altinn/API/Reportees").as_deref(), Some("/altinn/api/reportees"));
        assert_eq!(t.canonical("/altinn/api/reportees"), None, "already right");
        assert_eq!(t.canonical("/altinn/api/reportees/x/y"), None, "no template");
        assert_eq!(t.canonical("/syntpop/api/PERSONS/1"), None, "other APIs keep their case");
    }
}
