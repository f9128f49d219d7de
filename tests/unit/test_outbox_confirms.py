"""The relay's batch publisher counts the broker's confirms whatever their order."""

from services.core.outbox import BatchPublisher


def publisher_awaiting(*tags):
    publisher = BatchPublisher("amqp://unused", exchange=None)
    publisher.unconfirmed = set(tags)
    return publisher


def test_an_early_single_ack_and_a_later_multiple_ack_confirm_the_whole_batch():
    # an unroutable event (tag 5) is confirmed at once; the persistent ones (1-4) later, together
    publisher = publisher_awaiting(1, 2, 3, 4, 5)
    publisher._on_ack(5, multiple=False)
    assert publisher.unconfirmed == {1, 2, 3, 4}
    publisher._on_ack(4, multiple=True)
    assert publisher.unconfirmed == set()


def test_a_multiple_ack_confirms_only_up_to_its_tag():
    publisher = publisher_awaiting(1, 2, 3, 4, 5)
    publisher._on_ack(3, multiple=True)
    assert publisher.unconfirmed == {4, 5}
    publisher._on_ack(4, multiple=False)
    assert publisher.unconfirmed == {5}


def test_acks_of_a_previous_batch_confirm_nothing_of_this_one():
    publisher = publisher_awaiting(6, 7)
    publisher._on_ack(5, multiple=True)
    publisher._on_ack(3, multiple=False)
    assert publisher.unconfirmed == {6, 7}
