//! The token endpoints' form bodies as the OpenAPI document describes them (the handlers read
//! the form themselves, to answer RFC 6749 errors rather than an extractor's): every member a
//! client sends, so a client generator or a fuzzer builds real forms.

#![allow(dead_code)] // read by utoipa's derive, never constructed

/// `POST /helseid/connect/token`: client credentials with a `private_key_jwt` assertion.
#[derive(utoipa::ToSchema)]
pub(crate) struct ClientCredentialsForm {
    #[schema(pattern = "^client_credentials$", example = "client_credentials")]
    grant_type: String,
    #[schema(pattern = "^urn:ietf:params:oauth:client-assertion-type:jwt-bearer$")]
    client_assertion_type: String,
    /// A JWT signed by the client's registered key: `iss` = `sub` = client_id, `aud` the
    /// issuer (or its token endpoint), `exp`, `jti`.
    client_assertion: String,
    /// Space-separated scopes the client is registered with.
    scope: Option<String>,
    client_id: Option<String>,
    /// The API the token is for (RFC 8707).
    resource: Option<String>,
    /// RFC 9396 JSON; HelseID's `helseid_authorization` names the child organization.
    authorization_details: Option<String>,
}

/// `POST /idporten/token`: an authorization code with its PKCE verifier.
#[derive(utoipa::ToSchema)]
pub(crate) struct CodeGrantForm {
    #[schema(pattern = "^authorization_code$", example = "authorization_code")]
    grant_type: String,
    code: String,
    /// Exactly as in the authorization request.
    redirect_uri: String,
    /// RFC 7636: 43 to 128 characters of `[A-Za-z0-9-._~]`.
    #[schema(min_length = 43, max_length = 128)]
    code_verifier: String,
    client_id: String,
    /// For a confidential client (`private_key_jwt`); a public client sends none.
    #[schema(pattern = "^urn:ietf:params:oauth:client-assertion-type:jwt-bearer$")]
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// `POST /maskinporten/token`: a JWT grant (RFC 7523).
#[derive(utoipa::ToSchema)]
pub(crate) struct JwtGrantForm {
    #[schema(
        pattern = "^urn:ietf:params:oauth:grant-type:jwt-bearer$",
        example = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    )]
    grant_type: String,
    /// Signed RS256/RS384/RS512 by the client's registered key (`kid`): `aud` the issuer
    /// identifier, `iss` the client_id, `iat`, `exp` (≤ 120 s after `iat`), `scope`, and
    /// optionally `jti`, `resource` and `consumer_org`.
    assertion: String,
}
