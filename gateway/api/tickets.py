from gateway.api import router
from services.core.contracts.common import page_of
from services.core.contracts.tickets import (
    Availability,
    CustomerTicket,
    Kpi,
    KpiQuery,
    SupportGroup,
    SupportGroupQuery,
    Ticket,
    TicketHistory,
    TicketQuery,
    TicketType,
    TicketTypeQuery,
    Transfer,
)

TAG = "Tickets"


@router.route(
    "GET",
    "/api/v1/ticket-types",
    query=TicketTypeQuery,
    response=page_of(TicketType),
    tag=TAG,
    summary="List ticket types",
)
def list_ticket_types(req):
    return req.rpc("tickets", "list_ticket_types", req.query)


@router.route(
    "POST",
    "/api/v1/ticket-types",
    body=TicketType,
    response=TicketType,
    status=201,
    tag=TAG,
    summary="Create a ticket type (admin)",
    errors=(403, 409),
)
def create_ticket_type(req):
    return req.rpc("tickets", "create_ticket_type", req.body)


@router.route(
    "GET",
    "/api/v1/support-groups",
    query=SupportGroupQuery,
    response=page_of(SupportGroup),
    tag=TAG,
    summary="List support groups (members by priority, highest first)",
)
def list_support_groups(req):
    return req.rpc("tickets", "list_support_groups", req.query)


@router.route(
    "POST",
    "/api/v1/support-groups",
    body=SupportGroup,
    response=SupportGroup,
    status=201,
    tag=TAG,
    summary="Create a support group with its ticket types and members (admin)",
    errors=(403, 404, 409),
)
def create_support_group(req):
    return req.rpc("tickets", "create_support_group", req.body)


@router.route(
    "GET",
    "/api/v1/support-groups/<int:group_id>",
    response=SupportGroup,
    tag=TAG,
    summary="One support group",
    errors=(404,),
)
def get_support_group(req, group_id):
    return req.rpc("tickets", "get_support_group", group_id)


@router.route(
    "PATCH",
    "/api/v1/support-groups/<int:group_id>",
    body=SupportGroup,
    response=SupportGroup,
    tag=TAG,
    summary="Rename, set ticket types, or replace the members of a support group (admin)",
    errors=(403, 404, 409),
)
def update_support_group(req, group_id):
    return req.rpc("tickets", "update_support_group", group_id, req.body)


@router.route(
    "PUT",
    "/api/v1/support-groups/<int:group_id>/members/<int:user_id>/availability",
    body=Availability,
    tag=TAG,
    summary="Mark a member away or available (the member or an admin)",
    errors=(403, 404),
)
def set_member_availability(req, group_id, user_id):
    return req.rpc("tickets", "set_member_availability", group_id, user_id, req.body)


@router.route(
    "GET",
    "/api/v1/tickets",
    query=TicketQuery,
    response=page_of(Ticket),
    tag=TAG,
    summary="List the tickets you can see",
)
def list_tickets(req):
    return req.rpc("tickets", "list_tickets", req.query)


@router.route(
    "POST",
    "/api/v1/tickets",
    body=Ticket,
    response=Ticket,
    status=201,
    tag=TAG,
    summary="Open a ticket (optionally for a customer you can see)",
    errors=(404, 422),
)
def create_ticket(req):
    # tickets asks customers whether the user sees the customer (404 otherwise) and for its snapshot
    return req.rpc("tickets", "create_ticket", req.body)


@router.route(
    "POST",
    "/api/v1/customers/<int:customer_id>/tickets",
    body=CustomerTicket,
    response=Ticket,
    status=201,
    tag=TAG,
    summary="Open a ticket for a customer you can see",
    errors=(404, 422),
)
def create_customer_ticket(req, customer_id):
    return req.rpc("tickets", "create_ticket", dict(req.body, customer_id=customer_id))


@router.route(
    "GET",
    "/api/v1/tickets/kpi",
    query=KpiQuery,
    response=Kpi,
    tag=TAG,
    summary="KPI per employee for a period [from, to) (admins: everyone; managers: their departments; others: themselves)",
    errors=(403,),
)
def employee_kpi(req):
    return req.rpc("tickets", "employee_kpi", req.query)


@router.route("GET", "/api/v1/tickets/<int:ticket_id>", response=Ticket, tag=TAG, summary="One ticket", errors=(404,))
def get_ticket(req, ticket_id):
    return req.rpc("tickets", "get_ticket", ticket_id)


@router.route(
    "PATCH",
    "/api/v1/tickets/<int:ticket_id>",
    body=Ticket,
    response=Ticket,
    tag=TAG,
    summary="Edit a waiting ticket (creator or admin); refused once assigned",
    errors=(403, 404, 409, 422),
)
def update_ticket(req, ticket_id):
    return req.rpc("tickets", "update_ticket", ticket_id, req.body)


@router.route(
    "GET",
    "/api/v1/tickets/<int:ticket_id>/history",
    response=TicketHistory,
    tag=TAG,
    summary="Every change of a ticket",
    errors=(404,),
)
def ticket_history(req, ticket_id):
    return req.rpc("tickets", "ticket_history", ticket_id)


def _action(name, method, summary):
    def act(req, ticket_id):
        return req.rpc("tickets", method, ticket_id)

    act.__name__ = method
    router.route(
        "POST",
        "/api/v1/tickets/<int:ticket_id>/" + name,
        response=Ticket,
        tag=TAG,
        summary=summary,
        errors=(403, 404, 409),
    )(act)


_action("accept", "accept_ticket", "Take a waiting ticket of your support group")
_action("start", "start_ticket", "Start (or resume) work on your ticket")
_action("hold", "hold_ticket", "Put your ticket on hold")
_action("complete", "complete_ticket", "Complete your ticket")
_action("cancel", "cancel_ticket", "Cancel a ticket (creator, assignee or admin)")


@router.route(
    "POST",
    "/api/v1/tickets/<int:ticket_id>/transfer",
    body=Transfer,
    response=Ticket,
    tag=TAG,
    summary="Hand your ticket to another member of its group, with a reason",
    errors=(403, 404, 409),
)
def transfer_ticket(req, ticket_id):
    return req.rpc("tickets", "transfer_ticket", ticket_id, req.body)
