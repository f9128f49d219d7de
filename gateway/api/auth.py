from gateway.api import router
from gateway.errors import ApiError
from services.core.contracts.directory import Login, Me, Token


@router.route(
    "POST",
    "/api/v1/auth/login",
    body=Login,
    response=Token,
    public=True,
    tag="Auth",
    summary="Exchange a username and password for a bearer token (too many failures: 429)",
    errors=(400, 401, 429),
)
def login(req):
    username, address = req.body["username"], req.http.remote_addr
    req.throttle.check(username, address)
    try:
        actor = req.rpc("directory", "authenticate", username, req.body["password"])
    except ApiError as error:
        if error.code == "INVALID_CREDENTIALS":
            req.throttle.failed(username, address)
        raise
    req.throttle.succeeded(username, address)
    return req.tokens.issue(actor["id"], version=actor.get("token_version", 0))


@router.route("GET", "/api/v1/me", response=Me, tag="Auth", summary="The signed-in user")
def me(req):
    """The page kept with the caller's actor (no directory call once kept; forgotten on every
    change of the user: the directory's ``actor_changed``)."""
    return req.signed_in.profile
