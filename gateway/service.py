import eventlet
from nameko.dependency_providers import Config
from nameko.timer import timer

from gateway import docs
from gateway.actors import Actors
from gateway.api import router
from gateway.errors import ApiError, json_response
from gateway.http import http
from gateway.idempotency import Idempotency
from gateway.openapi import build_spec
from gateway.routing import dispatch
from gateway.rpc import ServiceRpc
from gateway.throttle import LoginThrottling
from gateway.tokens import Tokens
from services.core.config import setting
from services.core.registry import SERVICE_NAMES

HEALTH_TIMEOUT = 3  # the default of HEALTH_TIMEOUT: seconds each service has to answer /health's ping

OPENAPI = build_spec(router)


class GatewayService:
    """The only HTTP door: authenticates, validates, and calls the services over RPC."""

    name = "gateway"

    rpc = ServiceRpc()
    tokens = Tokens()
    actors = Actors()  # who is signed in, kept per instance, forgotten on the directory's actor_changed
    config = Config()
    idempotency = Idempotency()
    throttle = LoginThrottling()

    @http("GET,POST,PUT,PATCH,DELETE", "/api/<path:path>")
    def api(self, request, path):
        return dispatch(router, request, self.rpc, self.tokens, self.idempotency, self.throttle, self.actors)

    @timer(interval=3600)
    def purge_expired(self):
        """Idempotency keys past their time, sign-in failure counts past their window."""
        self.idempotency.purge_expired()
        self.throttle.purge_expired()

    @http("GET", "/api/v1/openapi.json")
    def openapi(self, request):
        return json_response(OPENAPI)

    @http("GET", "/docs")
    def docs(self, request):
        return docs.page()

    @http("GET", "/docs/static/<string:name>")
    def docs_static(self, request, name):
        return docs.static(name)

    @http("GET", "/health")
    def health(self, request):
        """200 when every service of the registry answers its ping, else 503 naming the others."""
        timeout = float(setting(self.config, "HEALTH_TIMEOUT", HEALTH_TIMEOUT))
        states = dict(eventlet.GreenPool().imap(lambda s: (s, self._ping(s, timeout)), SERVICE_NAMES))
        failing = [name for name, state in states.items() if state != "ok"]
        body = {"status": "ok" if not failing else "unavailable", "services": states}
        if failing:
            body["failing"] = failing
        return json_response(body, 200 if not failing else 503)

    def _ping(self, service, timeout):
        try:
            reply = self.rpc.start(service, "ping")
            return "ok" if self.rpc.wait(service, reply, timeout) == "pong" else "error"
        except ApiError as error:
            return "timeout" if error.kind == "timeout" else "unavailable"
