"""Interoperability: a maintained third-party OAuth client (requests-oauth2client, signing with
jwskate) performs Maskinporten's JWT-bearer grant (RFC 7523) against Fjellport's embedded
Maskinporten-like issuer, found through its metadata.

Usage: maskinporten_grant.py BASE_URL ADMIN_TOKEN. Prints one line per check; exits non-zero on
the first failure. It registers its own organization client through the admin API.
"""

import sys
import time
import uuid

import jwskate
import requests
from requests_oauth2client import InvalidGrant, OAuth2Client

SCOPE = "altinn:serviceowner/rolesandrights"
EVENTS = "altinn:serviceowner/events"
ORG = "974760673"


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f" ({detail})" if detail else ""))
    if not condition:
        sys.exit(1)


def grant(key, client_id, aud, scope=SCOPE, **extra):
    now = int(time.time())
    claims = {"aud": aud, "iss": client_id, "scope": scope, "iat": now, "exp": now + 60,
              "jti": str(uuid.uuid4()), **extra}
    return jwskate.Jwt.sign(claims, key, alg="RS256")


def main(base, admin_token):
    key = jwskate.Jwk.generate(alg="RS256", key_size=2048).with_kid_thumbprint()
    reg = requests.post(
        f"{base}/admin/api/clients",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"jwk": key.public_jwk().to_dict(), "scopes": [SCOPE, EVENTS], "issuer": "maskinporten",
              "orgnr_parent": ORG},
        timeout=10,
    )
    check("organization client registered", reg.status_code == 201, reg.text)
    client_id = reg.json()["client_id"]

    meta = requests.get(f"{base}/maskinporten/.well-known/oauth-authorization-server",
                        timeout=10).json()
    check("metadata names the JWT-bearer grant",
          meta["grant_types_supported"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"], meta)
    # The grant authenticates the client: the library sends only its client_id beside it.
    client = OAuth2Client(token_endpoint=meta["token_endpoint"], client_id=client_id, testing=True)

    assertion = grant(key, client_id, meta["issuer"])
    token = client.jwt_bearer(assertion=assertion)
    check("a Bearer token for the grant", token.token_type.lower() == "bearer", token)
    check("the scope granted", token.scope == SCOPE, token.scope)
    keys = jwskate.JwkSet(requests.get(meta["jwks_uri"], timeout=10).json())
    jwt = jwskate.SignedJwt(token.access_token)
    check("the token verifies with the published keys", jwt.verify_signature(keys, alg="RS256"))
    consumer = jwt.claims.get("consumer", {})
    check("the token names the organization", consumer.get("ID") == f"0192:{ORG}", jwt.claims)
    check("iss is the issuer identifier", jwt.claims.get("iss") == meta["issuer"], jwt.claims)

    # Brønnøysundregistrene (974760673) is a service owner: with a service-owner key the
    # token reads its correspondence event feed.
    api_key = requests.post(f"{base}/admin/api/keys", timeout=10,
                            headers={"Authorization": f"Bearer {admin_token}"},
                            json={"api": "altinn-serviceowner", "type": "other"}).json()["secret"]
    feed = requests.get(f"{base}/altinn/api/serviceowner/events/feed", auth=token, timeout=10,
                        headers={"ApiKey": api_key})
    check("the feed needs its own scope", feed.status_code == 401
          and "Missing required scope" in feed.text, feed.text[:300])
    events = client.jwt_bearer(assertion=grant(key, client_id, meta["issuer"], scope=EVENTS))
    feed = requests.get(f"{base}/altinn/api/serviceowner/events/feed", auth=events, timeout=10,
                        headers={"ApiKey": api_key})
    check("the service-owner API takes the token", feed.status_code == 200, feed.text[:300])
    check("and answers its event feed", isinstance(feed.json()["_embedded"]["events"], list))
    bare = requests.get(f"{base}/altinn/api/serviceowner/events/feed", timeout=10,
                        headers={"ApiKey": api_key})
    check("without the token it is 401", bare.status_code == 401, bare.status_code)

    try:
        client.jwt_bearer(assertion=assertion)
        check("the same grant twice is refused", False)
    except InvalidGrant as e:
        check("the same grant twice is refused", "used before" in str(e), e)
    try:
        client.jwt_bearer(assertion=grant(key, client_id, meta["token_endpoint"]))
        check("the token endpoint as aud is refused", False)
    except InvalidGrant as e:
        check("the token endpoint as aud is refused", "aud" in str(e), e)
    print("interop: all checks passed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
