"""The real broker: Celery's configured transport carries a message through Redis."""

import uuid

from kombu import Connection


def test_celery_broker_round_trips_a_message_through_redis(redis_url):
    queue_name = f"crm-test-{uuid.uuid4().hex}"
    with Connection(redis_url) as connection:
        queue = connection.SimpleQueue(queue_name)
        queue.put({"ping": 1})
        message = queue.get(timeout=5)
        assert message.payload == {"ping": 1}
        message.ack()
        queue.clear()
        queue.close()
