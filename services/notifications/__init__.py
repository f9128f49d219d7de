"""Notifications: SMS (Twilio) and email (SMTP), with a message log, opt-outs and brandnames.

- :mod:`batches`: bulk sending requested by ``customers`` (``open_batch`` RPC, then
  ``sms_requested`` / ``email_requested`` events queue one message per recipient);
- :mod:`ticket_notices`: the assignee of a ticket is told by SMS and email;
- :mod:`sending`: the sender (a timer) sends queued messages exactly once, with
  retries, backoff and a rate limit per provider;
- :mod:`message_log`: every message queued, with its status (``GET /api/v1/messages``);
- :mod:`delivery_reports`: statuses the provider reports after sending (Twilio's signed callbacks);
- :mod:`providers`: Twilio / local log for SMS, SMTP / local folder for email;
- pure rules: :mod:`segments`, :mod:`advertising`, :mod:`addresses`.
"""
