"""Interoperability: a maintained third-party OAuth client (requests-oauth2client) logs a
synthetic person in at Fjellport's ID-porten-like issuer with the authorization-code flow and
PKCE, found through its OpenID metadata; the test login page is driven with plain HTTP, as a
browser would submit it. The library checks the callback (state, RFC 9207 iss) and the ID token
(signature from the published keys, iss, aud, nonce, acr, expiry).

Usage: idporten_login.py BASE_URL ADMIN_TOKEN. Prints one line per check; exits non-zero on the
first failure. It registers its own public client and finds a person through SyntPop.
"""

import sys
from html.parser import HTMLParser

import requests
from requests_oauth2client import InvalidGrant, OAuth2Client

REDIRECT = "http://localhost:8765/callback"
LEVEL = "idporten-loa-high"


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f" ({detail})" if detail else ""))
    if not condition:
        sys.exit(1)


class Forms(HTMLParser):
    """The page's forms: method, action and the named inputs' values, in order."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.labels = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": a.get("method", "get"), "action": a["action"],
                               "fields": {}})
        elif tag == "a":
            self.links.append(a.get("href", ""))
        elif tag == "input" and self.forms and a.get("type") == "hidden":
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")

    def handle_data(self, data):
        if data.strip():
            self.labels.append(data.strip())


def a_person(base):
    """A living adult of Test-Norge, through SyntPop 1.0 with a test token and the proof the
    test-token service makes for the one call."""
    search = f"{base}/syntpop/api/search"
    minted = requests.post(f"{base}/helseid/test-token", timeout=10,
                           json={"proof": {"htm": "POST", "htu": search}}).json()
    found = requests.post(search, timeout=10,
                          headers={"X-api-version": "1.0", "DPoP": minted["dpop_proof"],
                                   "Authorization": f"DPoP {minted['access_token']}"},
                          json={"status": "Resident", "ageFrom": 20, "limit": 1})
    found.raise_for_status()
    return found.json()["results"][0]


def main(base, admin_token):
    reg = requests.post(
        f"{base}/admin/api/clients",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"issuer": "idporten", "scopes": ["altinn:enduser"], "redirect_uris": [REDIRECT],
              "client_name": "Interop app"},
        timeout=10,
    )
    check("public client registered", reg.status_code == 201, reg.text)
    client_id = reg.json()["client_id"]
    check("it authenticates with PKCE alone", reg.json()["token_endpoint_auth_method"] == "none")

    client = OAuth2Client.from_discovery_endpoint(
        f"{base}/idporten/.well-known/openid-configuration", issuer=f"{base}/idporten",
        client_id=client_id, redirect_uri=REDIRECT, testing=True)  # testing: plain http
    azr = client.authorization_request(scope="openid altinn:enduser", acr_values=LEVEL)
    check("the library asks for S256", azr.code_challenge_method == "S256")

    page = requests.get(azr.uri, timeout=10)
    check("the login page answers", page.status_code == 200, page.status_code)
    parsed = Forms()
    parsed.feed(page.text)
    for label in ("Identity number", "Level", "Log in", "Name"):
        check(f"the page shows {label!r}", label in parsed.labels)
    login = next(f for f in parsed.forms if f["method"] == "post")
    search = next(f for f in parsed.forms if f["method"] == "get")

    # The tester finds the person by name, and the result's link fills in the number.
    person = a_person(base)
    nin = person["nin"]
    name = f"{person['givenName']} {person['familyName']}"
    found = requests.get(search["action"], params=dict(search["fields"], name=name), timeout=10)
    listed = Forms()
    listed.feed(found.text)
    chosen = [link for link in listed.links if f"pid={nin}" in link]
    check("the name search lists the person", len(chosen) == 1, name)
    filled = requests.get(chosen[0], timeout=10)
    check("its link fills in the number", f'value="{nin}"' in filled.text)
    fields = dict(login["fields"], pid=nin, level=LEVEL, action="login")
    back = requests.post(login["action"], data=fields, allow_redirects=False, timeout=10)
    check("the login sends the browser back", back.status_code == 303, back.text[:300])
    callback = back.headers["Location"]
    check("to the registered redirect URI", callback.startswith(REDIRECT + "?"), callback)

    response = azr.validate_callback(callback)  # state and iss
    token = client.authorization_code(response)  # PKCE verifier; validates the ID token
    check("a Bearer token", token.token_type.lower() == "bearer", token.token_type)
    check("an ID token for the person", token.id_token.claims["pid"] == nin, token.id_token.claims)
    check("at the level asked for", token.id_token.claims["acr"] == LEVEL)
    info = client.userinfo(token)
    check("userinfo names the person", info["pid"] == nin, info)

    # The token works at Altinn's end-user API, beside an API key of its own.
    key = requests.post(f"{base}/admin/api/keys", headers={"Authorization": f"Bearer {admin_token}"},
                        json={"api": "altinn", "type": "other"}, timeout=10).json()["secret"]
    altinn = requests.Session()
    altinn.headers.update({"ApiKey": key, "Accept": "application/hal+json"})
    reportees = altinn.get(f"{base}/altinn/api/reportees", auth=token, timeout=10)
    check("Altinn takes the token", reportees.status_code == 200, reportees.text[:300])
    me = reportees.json()["_embedded"]["reportees"][0]
    check("the first reportee is the person", me["SocialSecurityNumber"] == nin, me)
    box = altinn.get(f"{base}/altinn/api/{me['ReporteeId']}/messages", auth=token, timeout=10)
    check("the message box answers HAL", box.status_code == 200
          and box.headers["content-type"].startswith("application/hal+json"), box.text[:300])
    check("with a list of messages", isinstance(box.json()["_embedded"]["messages"], list))

    try:
        client.authorization_code(response)
        check("a code is redeemed once", False)
    except InvalidGrant as e:
        check("a code is redeemed once", True, e.description)
    print("interop: all checks passed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
