"""The tickets service: ticket types, support groups, tickets, the dispatcher, KPI (SPEC §3).

- ``support_groups``: ticket types and support groups (admins), members' availability;
- ``tickets``: opening (from the ticket screen, or through ``customers.open_ticket`` with a
  customer snapshot), editing while waiting, accept/start/hold/complete/cancel/transfer, history;
- ``assignee_choice``: who gets which waiting ticket (pure rules, unit tested);
- ``assignment``: the group lock and giving a ticket to a member (history + ``ticket_assigned``);
- ``dispatcher``: runs the rules for a group under its lock, on events and as a periodic sweep;
- ``kpi``: figures per employee over a period.
"""
