"""schemathesis hook: every generated call is a SyntPop 1.0 call, with a DPoP-bound token from the
server's test-token service and a fresh DPoP proof (htm, htu, ath, jti) for exactly that call.

Environment: FJELLPORT_BASE (the server's base URL) and FJELLPORT_PROOF_IAT (the unix time the
server's frozen clock shows; proofs must be fresh by that clock).
"""

import base64
import hashlib
import os
import uuid

import jwskate
import requests
import schemathesis

BASE = os.environ["FJELLPORT_BASE"].rstrip("/")
IAT = int(os.environ["FJELLPORT_PROOF_IAT"])
KEY = jwskate.Jwk.generate(alg="ES256")
TOKEN = requests.post(
    f"{BASE}/helseid/test-token",
    json={"jwk": KEY.public_jwk().to_dict(), "claims": {"client_id": "schemathesis-1.0"}},
    timeout=10,
).json()["access_token"]
ATH = base64.urlsafe_b64encode(hashlib.sha256(TOKEN.encode()).digest()).rstrip(b"=").decode()


@schemathesis.hook
def before_call(context, case, kwargs):
    proof = jwskate.Jwt.sign(
        {"jti": str(uuid.uuid4()), "htm": case.method.upper(),
         "htu": BASE + case.formatted_path, "iat": IAT, "ath": ATH},
        key=KEY, alg="ES256", typ="dpop+jwt",
        extra_headers={"jwk": KEY.public_jwk().to_dict()},
    )
    case.headers = dict(case.headers or {})
    case.headers.update({"X-api-version": "1.0", "Authorization": f"DPoP {TOKEN}",
                         "DPoP": str(proof)})
    case.headers.pop("X-api-key", None)


STATUS_LOG = os.environ.get("FJELLPORT_STATUS_LOG")


@schemathesis.hook
def after_call(context, case, response):
    # Lets the test check that the calls got past authentication (not just 401s).
    if STATUS_LOG:
        with open(STATUS_LOG, "a", encoding="utf-8") as log:
            log.write(f"{response.status_code}\n")
