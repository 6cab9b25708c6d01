//! The ready-to-run snippets a registered client's page shows: Python with
//! requests-oauth2client (it signs the client assertion or the JWT grant with the key the
//! browser saved, and makes the DPoP proofs), and curl through the test-token service, since
//! curl cannot sign.

use fjellport_store::StoredClient;

use crate::{ClientIssuer, KEY_FILE, WebState};

/// Where the snippets send a SyntPop 1.0 call.
fn ping(state: &WebState) -> String {
    format!("{}/syntpop/api/ping", state.public_url.trim_end_matches('/'))
}

/// requests-oauth2client refuses plain http unless told this is a test.
fn testing(state: &WebState) -> &'static str {
    if state.public_url.starts_with("http://") {
        "\n    testing=True,  # the stand-in answers on plain http"
    } else {
        ""
    }
}

pub(crate) fn python(state: &WebState, issuer: &ClientIssuer, client: &StoredClient) -> String {
    let scope = client.scopes.join(" ");
    let (id, token_url, aud) = (&client.client_id, &issuer.token_url, &issuer.url);
    let testing = testing(state);
    if issuer.grant_is_jwt_bearer {
        return format!(
            r#"# pip install requests-oauth2client   (it brings jwskate)
import json, time, uuid

from jwskate import Jwk, Jwt
from requests_oauth2client import OAuth2Client

key = Jwk(json.load(open("{KEY_FILE}")))  # the private key your browser saved
now = int(time.time())
grant = Jwt.sign({{"aud": "{aud}", "iss": "{id}", "scope": "{scope}",
                  "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}}, key, alg=key.alg)
oauth = OAuth2Client(token_endpoint="{token_url}", client_id="{id}",{testing}
)
token = oauth.jwt_bearer(assertion=grant)
print(token.token_type, token.scope, token.access_token)
"#
        );
    }
    let ping = ping(state);
    format!(
        r#"# pip install requests-oauth2client   (it brings jwskate)
import json

import requests
from jwskate import Jwk
from requests_oauth2client import OAuth2Client, PrivateKeyJwt

key = Jwk(json.load(open("{KEY_FILE}")))  # the private key your browser saved
oauth = OAuth2Client(
    token_endpoint="{token_url}",
    auth=PrivateKeyJwt("{id}", key, alg=key.alg, aud="{aud}"),
    dpop_bound_access_tokens=True,{testing}
)
token = oauth.client_credentials(scope="{scope}")  # a DPoP token (the nonce dance included)
answer = requests.get("{ping}", headers={{"X-api-version": "1.0"}}, auth=token, timeout=10)
print(answer.status_code, answer.json())
"#
    )
}

pub(crate) fn curl(state: &WebState, issuer: &ClientIssuer, client: &StoredClient) -> String {
    let scope = client.scopes.join(" ");
    let id = &client.client_id;
    let test_token = format!("{}/test-token", issuer.url.trim_end_matches('/'));
    if state.environment == fjellport_auth::Environment::Production {
        return "# curl cannot sign a client assertion, a JWT grant or a DPoP proof, and the \
                test-token\n# service is not served in production: use the Python snippet.\n"
            .to_owned();
    }
    if issuer.grant_is_jwt_bearer {
        return format!(
            r#"# curl cannot sign the JWT grant; in the test environment the test-token
# service mints a token naming this client:
curl -s -X POST {test_token} -H 'content-type: application/json' \
  -d '{{"claims": {{"client_id": "{id}", "scope": "{scope}"}}}}'
"#
        );
    }
    let ping = ping(state);
    format!(
        r#"# curl cannot sign a client assertion or a DPoP proof; in the test environment the
# test-token service mints a token for this client and a proof for the call:
T=$(curl -s -X POST {test_token} -H 'content-type: application/json' \
  -d '{{"claims": {{"client_id": "{id}", "scope": "{scope}"}}, "proof": {{}}}}')
curl -i {ping} -H 'X-api-version: 1.0' \
  -H "Authorization: DPoP $(echo "$T" | jq -r .access_token)" \
  -H "DPoP: $(echo "$T" | jq -r .dpop_proof)"
"#
    )
}
