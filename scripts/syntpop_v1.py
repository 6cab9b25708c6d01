"""SyntPop 1.0 from Python: a HelseID client with private_key_jwt and DPoP, then a search, a
reservation and a read — every call signed with a fresh DPoP proof by requests-oauth2client.

Usage: python scripts/syntpop_v1.py BASE_URL ADMIN_TOKEN
  pip install requests-oauth2client   (see crates/fjellport/tests/interop/requirements.txt)

It registers its own client through the admin API (orgnr_parent 974760673 owns what it reserves).
"""

import json
import sys

import jwskate
import requests
from requests_oauth2client import OAuth2Client, PrivateKeyJwt

SCOPE = "nhntsd:syntpop-api/full-access"
V1 = {"X-api-version": "1.0"}


def main(base, admin_token):
    key = jwskate.Jwk.generate(alg="ES256").with_kid_thumbprint()
    reg = requests.post(f"{base}/admin/api/clients", timeout=10,
                        headers={"Authorization": f"Bearer {admin_token}"},
                        json={"jwk": key.public_jwk().to_dict(), "scopes": [SCOPE],
                              "orgnr_parent": "974760673"})
    reg.raise_for_status()
    meta = requests.get(f"{base}/helseid/.well-known/openid-configuration", timeout=10).json()
    oauth = OAuth2Client(token_endpoint=meta["token_endpoint"],
                         auth=PrivateKeyJwt(reg.json()["client_id"], key, alg="ES256",
                                            aud=meta["issuer"]),
                         dpop_bound_access_tokens=True, testing=True)  # testing: plain http
    token = oauth.client_credentials(scope=SCOPE)  # follows the DPoP nonce dance

    api = f"{base}/syntpop/api"
    found = requests.post(f"{api}/search", headers=V1, auth=token, timeout=10,
                          json={"gender": "Female", "ageFrom": 70, "limit": 3})
    found.raise_for_status()
    print("search:", json.dumps(found.json()["results"][0], ensure_ascii=False))

    made = requests.post(f"{api}/reserved-persons", headers=V1, auth=token, timeout=10,
                         json={"gender": "Male", "ageFrom": 30, "ageTo": 40, "withSpouse": True})
    made.raise_for_status()
    read = requests.get(f"{base}{made.headers['Location']}", headers=V1, auth=token, timeout=10,
                        params={"informationParts": ["Name", "MaritalStatus"]})
    read.raise_for_status()
    person = read.json()
    print("reserved:", person["name"][0]["givenName"], person["name"][0]["familyName"],
          "-", person["maritalStatus"][0]["status"])
    print("syntpop 1.0: done")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
