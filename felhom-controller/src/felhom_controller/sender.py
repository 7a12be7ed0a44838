"""Draining the spool to the hub, oldest first, with backoff.

:meth:`Sender.run_once` sends until the spool is empty, a message must be retried, or the
per-call limit is reached; it returns when the next attempt is due. Order is kept: a message
that must be retried blocks the ones behind it, so the hub sees events and reports in the order
they happened.
"""

import logging
from dataclasses import dataclass

from felhom_controller.hub import HubClient, Outcome
from felhom_controller.spool import Spool

log = logging.getLogger(__name__)
MAX_PER_DRAIN = 500


@dataclass
class Drained:
    sent: int = 0
    rejected: int = 0
    retry_in: float | None = None  # seconds until the next attempt; None: the spool is empty


class Sender:
    def __init__(
        self, spool: Spool, hub: HubClient, initial_backoff: float, max_backoff: float
    ) -> None:
        self.spool = spool
        self.hub = hub
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.failures = 0

    def backoff(self) -> float:
        return float(min(self.max_backoff, self.initial_backoff * 2 ** min(self.failures - 1, 30)))

    def run_once(self) -> Drained:
        result = Drained()
        for _ in range(MAX_PER_DRAIN):
            message = self.spool.peek()
            if message is None:
                return result
            answer = self.hub.post(message.kind.path, message.body)
            if answer.outcome is Outcome.ACKNOWLEDGED:
                self.spool.ack(message)
                self.failures = 0
                result.sent += 1
            elif answer.outcome is Outcome.REJECTED:
                log.error(
                    "hub REJECTED %s %s for good (%s); kept in %s",
                    message.kind.value,
                    message.path.name,
                    answer.detail,
                    self.spool.rejected_dir,
                )
                self.spool.reject(message)
                result.rejected += 1
            else:
                self.failures += 1
                result.retry_in = answer.retry_after or self.backoff()
                log.warning(
                    "hub did not take %s (%s); %d queued, retrying in %.0fs",
                    message.kind.value,
                    answer.detail,
                    len(self.spool),
                    result.retry_in,
                )
                return result
        result.retry_in = 0.0
        return result
