"""The gateway serves every treasury path of API.md, documented in the OpenAPI document."""

from gateway.api import router
from gateway.openapi import build_spec

PATHS = {
    "/api/v1/accounts": {"get", "post"},
    "/api/v1/accounts/{account_id}": {"get", "patch"},
    "/api/v1/cash-books": {"get"},
    "/api/v1/bank-accounts": {"get"},
    "/api/v1/vouchers": {"get", "post"},
    "/api/v1/vouchers/{voucher_id}": {"get", "patch"},
    "/api/v1/vouchers/{voucher_id}/confirm": {"post"},
    "/api/v1/vouchers/{voucher_id}/cancel": {"post"},
    "/api/v1/vouchers/{voucher_id}/reverse": {"post"},
    "/api/v1/accounts/{account_id}/ledger": {"get"},
    "/api/v1/trial-balance": {"get"},
}


def test_every_treasury_path_is_routed_and_documented():
    paths = build_spec(router)["paths"]
    for path, methods in PATHS.items():
        assert methods <= set(paths[path]), path
    assert "201" in paths["/api/v1/vouchers/{voucher_id}/reverse"]["post"]["responses"]
    assert "422" in paths["/api/v1/vouchers/{voucher_id}/confirm"]["post"]["responses"]
