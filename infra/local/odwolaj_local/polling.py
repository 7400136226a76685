"""Background work the runner repeats: reading streams, draining the event capture, the clock."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger("local_runner")  # not "odwolaj…": Powertools filters that name off root handlers


class Polling(threading.Thread):
    """Calls poll_once every `interval` seconds until stop(); a failing poll is logged (by its
    type only: messages may quote data) and the next one runs, as a restarted moto must not end it."""

    def __init__(self, name: str, interval: float):
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once()
            except Exception as error:
                log.warning("%s: %s", self.name, type(error).__name__)
            self.stopping.wait(self.interval)

    def poll_once(self) -> None:
        raise NotImplementedError
