"""Run a function in a forked child process and get back what it returns (or why it failed).

For work that must not touch this process (opening an on-disk store before gunicorn forks)
or that must be stoppable (a write's update and validation): only another process can be
killed mid-way, since pyoxigraph and pySHACL cannot be interrupted from inside.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from multiprocessing import Pipe
from typing import TypeVar

T = TypeVar("T")


class ChildFailed(Exception):
    """The child raised (the message is ``Type: message``, or the plain message for the
    ``plain`` exception types) or died."""


class ChildTimeout(Exception):
    """The child ran past its time limit and was killed."""


def call(
    work: Callable[[], T],
    timeout: float | None = None,
    plain: tuple[type[BaseException], ...] = (),
    died: str = "the child process died",
) -> T:
    """Run ``work`` in a forked child and return its (pickled) result.

    Raises :class:`ChildTimeout` after ``timeout`` seconds (the child is killed), and
    :class:`ChildFailed` when it raised (``plain`` errors keep their bare message) or ``died``.
    """
    receive, reply = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        try:
            receive.close()
            try:
                reply.send(("ok", work()))
            except plain as exc:
                reply.send(("error", str(exc)))
            except BaseException as exc:  # reported to the parent
                reply.send(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            os._exit(0)
    reply.close()
    try:
        if timeout is not None and not receive.poll(timeout):
            os.kill(pid, signal.SIGKILL)
            raise ChildTimeout(timeout)
        status, value = receive.recv()
    except EOFError:
        status, value = "error", died
    finally:
        receive.close()
        os.waitpid(pid, 0)
    if status != "ok":
        raise ChildFailed(value)
    return value
