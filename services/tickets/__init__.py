"""The tickets service: ticket types, support groups, tickets, the dispatcher, KPI (SPEC §3).

- ``support_groups``: ticket types and support groups (admins), members' availability;
- ``tickets``: opening (from the ticket screen or a customer's page: tickets asks the customers
  service for the customer's snapshot), editing while waiting, accept/start/hold/complete/cancel/
  transfer, history;
- ``customer_view``: what a reader sees of a ticket's customer (SPEC §1);
- ``assignee_choice``: who gets which waiting ticket (pure rules, unit tested);
- ``assignment``: the group lock and giving a ticket to a member (history + ``ticket_assigned``);
- ``dispatcher``: runs the rules for a group under its lock, on events and as a periodic sweep;
- ``kpi``: figures per employee over a period.

Every use case is a plain function of the unit of work (:mod:`services.core.unit_of_work`); calls
go one way: tickets asks customers and the directory, neither calls tickets.
"""
