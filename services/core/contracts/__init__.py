"""Message contracts: the marshmallow schemas of what crosses a boundary.

The gateway validates HTTP bodies with them (and documents them in OpenAPI);
the owning service validates the same payloads again on its RPC entrypoints.
"""
