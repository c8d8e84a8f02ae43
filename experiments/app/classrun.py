"""The class run: one page (the teacher's) publishes its run, and every page that follows it shows it read-only.

The server is one process, so the class run is a plain object shared by every
browser session.  It holds the published model weakly: when the teacher's
page closes and its session is culled, the run is no longer published.
Followers wait for a change (``wait``) in a thread of their own session and
redraw; they read the model under its lock (``AppModel.lock``), so they never
draw it half-stepped.
"""

from __future__ import annotations

import threading
import weakref

from model import DiplomacyModel


class ClassRun:
    """The published run, its publisher's page, and two counters: ``version`` moves on at each Step, Reset,
    publication or withdrawal; ``publications`` only when a run is published or withdrawn."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._model: weakref.ref | None = None
        self.publisher: str | None = None
        self.version = 0
        self.publications = 0

    def model(self) -> DiplomacyModel | None:
        """The published model, or None."""
        return self._model() if self._model is not None else None

    def publish(self, model: DiplomacyModel, publisher: str) -> None:
        """Publish ``model`` for the class (replacing any other), or tell followers it has moved on."""
        with self._changed:
            if self.model() is not model or self.publisher != publisher:
                self.publications += 1
            self._model, self.publisher = weakref.ref(model), publisher
            self.version += 1
            self._changed.notify_all()

    def withdraw(self, publisher: str) -> None:
        """Stop publishing, if ``publisher`` is the page that published."""
        with self._changed:
            if self.publisher == publisher:
                self._model, self.publisher = None, None
                self.version += 1
                self.publications += 1
                self._changed.notify_all()

    def wait(self, seen: tuple[int, int], timeout: float, steps: bool = True) -> tuple[int, int]:
        """(version, publications), once it differs from ``seen`` — in either counter, or with ``steps`` False
        only in ``publications`` — or after ``timeout`` seconds."""
        def changed() -> bool:
            return (self.version, self.publications) != seen if steps else self.publications != seen[1]

        with self._changed:
            self._changed.wait_for(changed, timeout=timeout)
            return self.version, self.publications


CLASS_RUN = ClassRun()
"""The server's one class run."""
