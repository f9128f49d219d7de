"""Customers endpoints: ``/api/v1/customers`` and below (bulk SMS/email and tickets from a customer live elsewhere)."""

from gateway.api import router
from services.core.contracts.common import PageQuery, page_of
from services.core.contracts.customers import (
    Activity,
    ActivityQuery,
    ActivityType,
    BulkGroups,
    BulkResult,
    BulkShare,
    BulkTransferOwner,
    Contact,
    Customer,
    CustomerGroup,
    CustomerQuery,
    HistoryEntry,
    HistoryQuery,
    PotentialRating,
    Record,
    RecordQuery,
    Shares,
    TransferResult,
)

TAG = "Customers"
# a bulk action on 100,000 customers takes seconds; give it more than a read
BULK_TIMEOUT = 60


def _customers(req, method, *args, timeout=None):
    return req.rpc.wait("customers", req.rpc.start("customers", method, *args), timeout)


# -- customers -------------------------------------------------------------------


@router.route(
    "GET",
    "/api/v1/customers",
    query=CustomerQuery,
    response=page_of(Customer),
    tag=TAG,
    summary="List the customers you may see (filters: q, owner_id, group_id, stars repeatable)",
)
def list_customers(req):
    return _customers(req, "list_customers", req.query)


@router.route(
    "POST",
    "/api/v1/customers",
    body=Customer,
    response=Customer,
    status=201,
    tag=TAG,
    summary="Create a customer (you own it; code generated when absent)",
    errors=(400, 404, 409),
)
def create_customer(req):
    return _customers(req, "create_customer", req.body)


@router.route(
    "GET",
    "/api/v1/customers/<int:customer_id>",
    response=Customer,
    tag=TAG,
    summary="One customer, with score and stars",
    errors=(404,),
)
def get_customer(req, customer_id):
    return _customers(req, "get_customer", customer_id)


@router.route(
    "PATCH",
    "/api/v1/customers/<int:customer_id>",
    body=Customer,
    response=Customer,
    tag=TAG,
    summary="Edit a customer (owner, edit share, manager of the owner's department, admin)",
    errors=(400, 403, 404, 409),
)
def update_customer(req, customer_id):
    return _customers(req, "update_customer", customer_id, req.body)


@router.route(
    "DELETE",
    "/api/v1/customers/<int:customer_id>",
    status=204,
    tag=TAG,
    summary="Delete a customer (owner, manager of the owner's department, admin)",
    errors=(403, 404),
)
def delete_customer(req, customer_id):
    _customers(req, "delete_customer", customer_id)
    return None, 204


@router.route(
    "GET",
    "/api/v1/customers/<int:customer_id>/shares",
    response=Shares,
    tag=TAG,
    summary="Who the customer is shared with",
    errors=(404,),
)
def list_shares(req, customer_id):
    return _customers(req, "list_shares", customer_id)


@router.route(
    "GET",
    "/api/v1/customers/<int:customer_id>/contacts",
    query=PageQuery,
    response=page_of(Contact),
    tag=TAG,
    summary="Contacts of a customer",
    errors=(404,),
)
def list_contacts(req, customer_id):
    return _customers(req, "list_contacts", customer_id, req.query)


@router.route(
    "POST",
    "/api/v1/customers/<int:customer_id>/contacts",
    body=Contact,
    response=Contact,
    status=201,
    tag=TAG,
    summary="Add a contact to a customer",
    errors=(400, 403, 404),
)
def create_contact(req, customer_id):
    return _customers(req, "create_contact", customer_id, req.body)


# -- activities and records -----------------------------------------------------------


@router.route(
    "GET",
    "/api/v1/activity-types",
    query=PageQuery,
    response=page_of(ActivityType),
    tag=TAG,
    summary="Activity types and their rating points",
)
def list_activity_types(req):
    return _customers(req, "list_activity_types", req.query)


@router.route(
    "POST",
    "/api/v1/activity-types",
    body=ActivityType,
    response=ActivityType,
    status=201,
    tag=TAG,
    summary="Create an activity type (admin)",
    errors=(400, 403, 409),
)
def create_activity_type(req):
    return _customers(req, "create_activity_type", req.body)


@router.route(
    "PATCH",
    "/api/v1/activity-types/<int:type_id>",
    body=ActivityType,
    response=ActivityType,
    tag=TAG,
    summary="Edit an activity type (admin); the scores follow its points",
    errors=(400, 403, 404, 409),
)
def update_activity_type(req, type_id):
    return _customers(req, "update_activity_type", type_id, req.body)


@router.route(
    "GET",
    "/api/v1/customers/<int:customer_id>/activities",
    query=ActivityQuery,
    response=page_of(Activity),
    tag=TAG,
    summary="Activities of a customer",
    errors=(404,),
)
def list_activities(req, customer_id):
    return _customers(req, "list_activities", customer_id, req.query)


@router.route(
    "POST",
    "/api/v1/customers/<int:customer_id>/activities",
    body=Activity,
    response=Activity,
    status=201,
    tag=TAG,
    summary="Add an activity to a customer",
    errors=(400, 403, 404, 422),
)
def create_activity(req, customer_id):
    return _customers(req, "create_activity", customer_id, req.body)


@router.route(
    "GET", "/api/v1/activities/<int:activity_id>", response=Activity, tag=TAG, summary="One activity", errors=(404,)
)
def get_activity(req, activity_id):
    return _customers(req, "get_activity", activity_id)


@router.route(
    "PATCH",
    "/api/v1/activities/<int:activity_id>",
    body=Activity,
    response=Activity,
    tag=TAG,
    summary="Edit an activity (status done adds its points to the customer's score)",
    errors=(400, 403, 404, 422),
)
def update_activity(req, activity_id):
    return _customers(req, "update_activity", activity_id, req.body)


@router.route(
    "GET",
    "/api/v1/customers/<int:customer_id>/records",
    query=RecordQuery,
    response=page_of(Record),
    tag=TAG,
    summary="Contracts, quotes, opportunities, orders and documents of a customer",
    errors=(404,),
)
def list_records(req, customer_id):
    return _customers(req, "list_records", customer_id, req.query)


@router.route(
    "POST",
    "/api/v1/customers/<int:customer_id>/records",
    body=Record,
    response=Record,
    status=201,
    tag=TAG,
    summary="Add a contract, quote, opportunity, order or document",
    errors=(400, 403, 404, 422),
)
def create_record(req, customer_id):
    return _customers(req, "create_record", customer_id, req.body)


@router.route("GET", "/api/v1/records/<int:record_id>", response=Record, tag=TAG, summary="One record", errors=(404,))
def get_record(req, record_id):
    return _customers(req, "get_record", record_id)


@router.route(
    "PATCH",
    "/api/v1/records/<int:record_id>",
    body=Record,
    response=Record,
    tag=TAG,
    summary="Edit a record",
    errors=(400, 403, 404, 422),
)
def update_record(req, record_id):
    return _customers(req, "update_record", record_id, req.body)


# -- groups ------------------------------------------------------------------------


@router.route(
    "GET",
    "/api/v1/customer-groups",
    query=PageQuery,
    response=page_of(CustomerGroup),
    tag=TAG,
    summary="Customer groups and their rating points",
)
def list_groups(req):
    return _customers(req, "list_groups", req.query)


@router.route(
    "POST",
    "/api/v1/customer-groups",
    body=CustomerGroup,
    response=CustomerGroup,
    status=201,
    tag=TAG,
    summary="Create a customer group (admin)",
    errors=(400, 403, 409),
)
def create_group(req):
    return _customers(req, "create_group", req.body)


@router.route(
    "PATCH",
    "/api/v1/customer-groups/<int:group_id>",
    body=CustomerGroup,
    response=CustomerGroup,
    tag=TAG,
    summary="Edit a customer group (admin); its members' scores follow its points",
    errors=(400, 403, 404, 409),
)
def update_group(req, group_id):
    return _customers(req, "update_group", group_id, req.body)


@router.route(
    "DELETE",
    "/api/v1/customer-groups/<int:group_id>",
    status=204,
    tag=TAG,
    summary="Delete a customer group (admin)",
    errors=(403, 404),
)
def delete_group(req, group_id):
    _customers(req, "delete_group", group_id)
    return None, 204


# -- bulk actions and history ------------------------------------------------------------


@router.route(
    "POST",
    "/api/v1/customers/bulk/groups",
    body=BulkGroups,
    response=BulkResult,
    tag=TAG,
    summary="Move / add / remove up to 100,000 customers to or from groups",
    errors=(400, 404),
)
def bulk_groups(req):
    return _customers(req, "bulk_groups", req.body, timeout=BULK_TIMEOUT)


@router.route(
    "POST",
    "/api/v1/customers/bulk/share",
    body=BulkShare,
    response=BulkResult,
    tag=TAG,
    summary="Share (add / transfer / remove) up to 100,000 customers with users and departments",
    errors=(400, 404, 422),
)
def bulk_share(req):
    return _customers(req, "bulk_share", req.body, timeout=BULK_TIMEOUT)


@router.route(
    "POST",
    "/api/v1/customers/bulk/transfer-owner",
    body=BulkTransferOwner,
    response=TransferResult,
    tag=TAG,
    summary="Give up to 100,000 customers to new owners (one, or split evenly)",
    errors=(400, 404, 422),
)
def transfer_owner(req):
    return _customers(req, "transfer_owner", req.body, timeout=BULK_TIMEOUT)


@router.route(
    "GET",
    "/api/v1/customers/history",
    query=HistoryQuery,
    response=page_of(HistoryEntry),
    tag=TAG,
    summary="Ownership and sharing changes (filters: customer_id, actor_id, action, from, to)",
)
def list_history(req):
    return _customers(req, "list_history", req.query)


# -- potential rating ----------------------------------------------------------------------


@router.route(
    "GET",
    "/api/v1/settings/potential-rating",
    response=PotentialRating,
    tag=TAG,
    summary="Minimum score for 1 to 5 stars",
)
def get_potential_rating(req):
    return _customers(req, "get_potential_rating")


@router.route(
    "PUT",
    "/api/v1/settings/potential-rating",
    body=PotentialRating,
    response=PotentialRating,
    tag=TAG,
    summary="Set the minimum score for 1 to 5 stars (admin; strictly increasing)",
    errors=(400, 403),
)
def set_potential_rating(req):
    return _customers(req, "set_potential_rating", req.body)
