"""Interoperability: a maintained third-party OAuth client (requests-oauth2client) against
Fjellport's embedded HelseID-like issuer and a DPoP-protected route.

Usage: helseid_dpop.py BASE_URL ADMIN_TOKEN. Prints one line per check; exits non-zero on the
first failure. It registers its own client through the admin API, so it needs nothing else.
"""

import json
import sys

import jwskate
import requests
from requests_oauth2client import DPoPKey, OAuth2Client, PrivateKeyJwt
from requests_oauth2client.dpop import MissingDPoPNonce

SCOPE = "nhntsd:syntpop-api/full-access"


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f" ({detail})" if detail else ""))
    if not condition:
        sys.exit(1)


def main(base, admin_token):
    ping = f"{base}/syntpop/api/ping"
    client_key = jwskate.Jwk.generate(alg="ES256").with_kid_thumbprint()
    reg = requests.post(
        f"{base}/admin/api/clients",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"jwk": client_key.public_jwk().to_dict(), "scopes": [SCOPE],
              "orgnr_parent": "974760673"},
        timeout=10,
    )
    check("client registered", reg.status_code == 201, reg.text)
    client_id = reg.json()["client_id"]

    meta = requests.get(f"{base}/helseid/.well-known/openid-configuration", timeout=10).json()
    oauth = OAuth2Client(
        token_endpoint=meta["token_endpoint"],
        auth=PrivateKeyJwt(client_id, client_key, alg="ES256", aud=meta["issuer"]),
        dpop_bound_access_tokens=True,
        testing=True,  # the stand-in listens on plain http on loopback
    )
    # The library follows the use_dpop_nonce dance on its own.
    token = oauth.client_credentials(scope=SCOPE)
    check("token issued as DPoP", token.token_type == "DPoP", token.token_type)

    res = requests.get(ping, headers={"X-api-version": "1.0"}, auth=token, timeout=10)
    check("DPoP-protected call succeeds", res.status_code == 200, f"{res.status_code} {res.text}")
    check("caller is the client", res.json().get("clientId") == client_id, res.text)

    # Replay: the exact same request (same proof) again.
    replay = requests.get(ping, headers=dict(res.request.headers), timeout=10)
    check("replayed proof refused", replay.status_code == 401, replay.headers.get("WWW-Authenticate", ""))

    # Re-bound: the token used with a proof from another key.
    thief_key = DPoPKey.generate(alg="ES256")
    stolen = token.__class__(token.access_token, _dpop_key=thief_key)
    try:
        res = requests.get(ping, headers={"X-api-version": "1.0"}, auth=stolen, timeout=10)
    except MissingDPoPNonce as exc:
        # The library reads any 401 with a DPoP challenge as a nonce request; the server's
        # refusal is in the exception.
        res = exc.response
    check("token with another key refused", res.status_code == 401,
          res.headers.get("WWW-Authenticate", ""))

    # Downgrade: the bound token sent as a plain Bearer token.
    res = requests.get(ping, headers={"X-api-version": "1.0",
                                      "Authorization": f"Bearer {token.access_token}"}, timeout=10)
    check("Bearer downgrade refused", res.status_code == 401, res.headers.get("WWW-Authenticate", ""))

    # HelseID's multi-tenant form: the child organization named per token (RFC 9396).
    details = [{"type": "helseid_authorization", "practitioner_role": {"organization": {
        "identifier": {"system": "urn:oid:2.16.578.1.12.4.1.2.101", "type": "ENH",
                       "value": "983544622"}}}}]
    child = oauth.client_credentials(scope=SCOPE, authorization_details=json.dumps(details))
    claims = jwskate.Jwt(child.access_token).claims
    check("child organization granted",
          claims.get("helseid://claims/client/claims/orgnr_child") == "983544622", str(claims))
    res = requests.get(ping, headers={"X-api-version": "1.0"}, auth=child, timeout=10)
    check("child-organization token opens the API", res.status_code == 200, res.text)
    print("interop: all checks passed")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
