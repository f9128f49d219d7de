from gateway.api import router
from services.core.contracts.directory import Login, Me, Token


@router.route("POST", "/api/v1/auth/login", body=Login, response=Token, public=True, tag="Auth",
              summary="Exchange a username and password for a bearer token", errors=(400, 401))
def login(req):
    actor = req.rpc("directory", "authenticate", req.body["username"], req.body["password"])
    return req.tokens.issue(actor["id"])


@router.route("GET", "/api/v1/me", response=Me, tag="Auth", summary="The signed-in user")
def me(req):
    return req.rpc("directory", "me")
