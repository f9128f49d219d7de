"""Operators' view of the dead letters: events a handler gave up on (:mod:`services.core.events`).

    python -m services.core.dead_letters list                 # make dead-letters
    python -m services.core.dead_letters show EVENT_ID        # one, with its payload
    python -m services.core.dead_letters replay [EVENT_ID..]  # make replay-dead-letters [EVENT=id]

``list`` and ``show`` take nothing away: the messages are read without acknowledgement and go
back to ``crm.dead-letters`` in their order when the connection closes.  ``replay`` sends each
chosen event (all of them without ids) back to the queue of the handler that gave up on it —
that queue only, so the other consumers, which handled it already, do not see it again — with
its original headers (the actor), confirmed by the broker before the dead letter is removed.
The handler, an idempotent consumer, applies it once.  The broker is the ``AMQP_URI`` of
``--config`` (default ``services/directory/config.yml``).
"""

import argparse
import json
import os
import sys
from dataclasses import dataclass

from amqp.exceptions import AMQPError, NotFound
from kombu import Connection, Exchange, Producer
from kombu.exceptions import OperationalError

from services.core.config import load_config
from services.core.events import DEAD_LETTER_QUEUE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class DeadLetter:
    event_id: str
    event_type: str
    handler: str
    error: str
    attempts: int
    source_queue: str
    payload: object
    headers: dict

    def line(self):
        return "{}  {:<24} {:<40} after {} attempt(s): {}".format(
            self.event_id, self.event_type, self.handler, self.attempts, self.error[:200]
        )


def _read(message):
    headers = dict(message.headers or {})
    payload = message.decode() if message.body else None
    event = payload if isinstance(payload, dict) else {}
    return DeadLetter(
        event_id=str(event.get("id") or message.delivery_tag),
        event_type=str(event.get("type") or message.delivery_info.get("routing_key", "")),
        handler=str(headers.get("x-crm-handler", "?")),
        error=str(headers.get("x-crm-error", "")),
        attempts=int(headers.get("x-crm-attempts", 0) or 0),
        source_queue=str(headers.get("x-crm-source-queue", "")),
        payload=payload,
        headers=headers,
    )


def _fetch_all(channel):
    """Every dead letter, unacknowledged (they return to the queue when the channel closes).

    The queue is looked at, never created: no queue yet (no handler ever started) is no dead letter."""
    queue = DEAD_LETTER_QUEUE.bind(channel)
    try:
        queue.queue_declare(passive=True)
    except NotFound:
        return []
    messages = []
    while True:
        message = queue.get(no_ack=False)
        if message is None:
            return messages
        messages.append(message)


def list_dead_letters(amqp_uri):
    with Connection(amqp_uri, connect_timeout=10) as connection:
        return [_read(message) for message in _fetch_all(connection.channel())]


def replay(amqp_uri, event_ids=None):
    """Send the chosen dead letters (every one when ``event_ids`` is None) back to their handler's
    queue; returns the replayed :class:`DeadLetter` s."""
    wanted = None if event_ids is None else {str(event_id) for event_id in event_ids}
    replayed = []
    with Connection(amqp_uri, connect_timeout=10, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        producer = Producer(channel, exchange=Exchange(""))  # the default exchange: straight to a queue
        for message in _fetch_all(channel):
            letter = _read(message)
            if (wanted is not None and letter.event_id not in wanted) or not letter.source_queue:
                continue
            headers = {k: v for k, v in letter.headers.items() if not k.startswith("x-crm-")}
            producer.publish(
                message.body,
                routing_key=letter.source_queue,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                mandatory=True,
            )
            message.ack()
            replayed.append(letter)
    return replayed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["list", "show", "replay"])
    parser.add_argument("event_ids", nargs="*")
    parser.add_argument("--config", default=os.path.join(ROOT, "services", "directory", "config.yml"))
    args = parser.parse_args(argv)
    amqp_uri = load_config(args.config)["AMQP_URI"]
    try:
        return _run(args, amqp_uri)
    except (OSError, AMQPError, OperationalError) as error:
        print("Cannot reach RabbitMQ at {} ({}).".format(amqp_uri.split("@")[-1], error), file=sys.stderr)
        return 1


def _run(args, amqp_uri):
    if args.command == "replay":
        done = replay(amqp_uri, args.event_ids or None)
        for letter in done:
            print("replayed " + letter.line())
        print("{} dead letter(s) sent back to their handlers".format(len(done)))
        return 0
    letters = list_dead_letters(amqp_uri)
    if args.command == "show":
        chosen = [letter for letter in letters if letter.event_id in set(args.event_ids)]
        for letter in chosen:
            print(json.dumps(letter.__dict__, indent=2, default=str, ensure_ascii=False))
        return 0 if chosen else 1
    for letter in letters:
        print(letter.line())
    print("{} dead letter(s) in {}".format(len(letters), DEAD_LETTER_QUEUE.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
