"""Makes N refresh tokens for the refresh benchmark through the authorization code flow with PKCE.

IMSM: logs in once (no second factor on the benchmark server), then authorizes N times with that
browser session. Keycloak: the password grant of the benchmark user (direct access grants).
usage: seed_refresh.py imsm BASE CLIENT_ID SECRET REDIRECT USER PASSWORD N OUT
       seed_refresh.py keycloak TOKEN_URL CLIENT_ID SECRET - USER PASSWORD N OUT
"""
import base64, hashlib, http.cookiejar, json, os, sys, urllib.parse, urllib.request

kind, base, client, secret, redirect, user, password, n, out = sys.argv[1:10]
n = int(n)
basic = "Basic " + base64.b64encode(f"{client}:{secret}".encode()).decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def post_form(url, fields, headers=None):
    req = urllib.request.Request(url, urllib.parse.urlencode(fields).encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    return json.load(urllib.request.urlopen(req, timeout=30))


tokens = []
if kind == "keycloak":
    for _ in range(n):
        tokens.append(post_form(base, {"grant_type": "password", "username": user, "password": password, "scope": "openid"},
                                {"Authorization": basic})["refresh_token"])
else:
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    req = urllib.request.Request(base + "/api/v1/login", json.dumps({"username": user, "password": password}).encode(),
                                 {"Content-Type": "application/json"})
    op.open(req, timeout=30)
    for _ in range(n):
        verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        q = urllib.parse.urlencode({"response_type": "code", "client_id": client, "redirect_uri": redirect, "scope": "openid",
                                    "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"})
        try:
            op.open(base + "/oauth2/authorize?" + q, timeout=30)
            raise SystemExit("authorize did not redirect")
        except urllib.error.HTTPError as e:
            location = e.headers["Location"]
        code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
        tokens.append(post_form(base + "/oauth2/token", {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                                                         "code_verifier": verifier}, {"Authorization": basic})["refresh_token"])
with open(out, "w") as f:
    f.write("\n".join(tokens) + "\n")
