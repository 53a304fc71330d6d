"""The Redis broker transport, with a channel that can be closed after Redis went away.

Why a worker used to exit ("Unrecoverable error: AttributeError: 'NoneType' object has no
attribute 'hostname'") when Redis dropped while it held unacknowledged messages (tasks waiting
for their retry countdown, acknowledged late):

1. Redis drops while the worker waits in BRPOP. Celery's consumer calls
   `connection.collect()`, which closes the channel. kombu's `Channel.close()` first reads the
   pending BRPOP reply; that raises a connection error, so the close stops *before* the channel
   is marked closed. `collect()` swallows the error and detaches the transport
   (`transport.client = None`).
2. Celery then calls `connection.close()`, which closes the same channel again. This time it
   gets as far as restoring the unacknowledged messages, which builds a Redis client from
   `transport.client`, now None: AttributeError. It is not a connection error, so Celery's
   `ignore_errors` lets it through and the worker stops. With no message held, the restore
   returns early, which is why only workers holding retrying messages died.

Here a connection error while reading the pending BRPOP reply is dropped, so the first close
completes: the channel is marked closed, the second close does nothing, and the consumer
reconnects. The messages it held stay in Redis's unacknowledged set and are delivered again
after the visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]).
"""

from kombu.transport import redis


class Channel(redis.Channel):
    def close(self):
        if self._in_poll:
            try:
                self._brpop_read()
            except redis.Empty:
                pass
            except self.connection_errors:
                pass  # the broker is gone: there is no reply to read
        super().close()


class Transport(redis.Transport):
    Channel = Channel
