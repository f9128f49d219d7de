"""The treasury service: money accounts, vouchers, the ledger and the trial balance (SPEC §5).

Only wiring: every entrypoint hands its unit of work to a use
case of :mod:`accounts`, :mod:`vouchers` or :mod:`ledger`.
"""

from services.core.errors import EXPECTED
from services.core.outbox import OutboxRelay
from services.core.rpc import rpc
from services.core.unit_of_work import UnitOfWorkProvider
from services.treasury import accounts, ledger, vouchers
from services.treasury.rules import BANK, CASH


class TreasuryService:
    """Cash books, bank accounts, vouchers, ledger."""

    name = "treasury"

    uow = UnitOfWorkProvider("customers", "directory")
    outbox = OutboxRelay()

    @rpc
    def ping(self):
        return "pong"

    # -- accounts -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_accounts(self, query=None):
        return accounts.list_accounts(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def list_cash_books(self, query=None):
        return accounts.list_accounts(self.uow, query, account_type=CASH)

    @rpc(expected_exceptions=EXPECTED)
    def list_bank_accounts(self, query=None):
        return accounts.list_accounts(self.uow, query, account_type=BANK)

    @rpc(expected_exceptions=EXPECTED)
    def get_account(self, account_id):
        return accounts.get_account(self.uow, account_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_account(self, data):
        return accounts.create_account(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_account(self, account_id, data):
        return accounts.update_account(self.uow, account_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def account_ledger(self, account_id, query=None):
        return ledger.account_ledger(self.uow, account_id, query)

    @rpc(expected_exceptions=EXPECTED)
    def trial_balance(self, query=None):
        return ledger.trial_balance(self.uow, query)

    # -- vouchers -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_vouchers(self, query=None):
        return vouchers.list_vouchers(self.uow, query)

    @rpc(expected_exceptions=EXPECTED)
    def get_voucher(self, voucher_id):
        return vouchers.get_voucher(self.uow, voucher_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_voucher(self, data):
        return vouchers.create_voucher(self.uow, data)

    @rpc(expected_exceptions=EXPECTED)
    def update_voucher(self, voucher_id, data):
        return vouchers.update_voucher(self.uow, voucher_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def confirm_voucher(self, voucher_id):
        return vouchers.confirm_voucher(self.uow, voucher_id)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_voucher(self, voucher_id):
        return vouchers.cancel_voucher(self.uow, voucher_id)

    @rpc(expected_exceptions=EXPECTED)
    def reverse_voucher(self, voucher_id):
        return vouchers.reverse_voucher(self.uow, voucher_id)
