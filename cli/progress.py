"""`--verbose` logging and the progress of a query on a terminal.

Secrets never reach the screen: `--verbose` lines pass through the masking filter. Progress
(a spinner with the elapsed time and which query of how many) is shown only when both stdout
and stderr are terminals and the output is for people; piped or machine-readable output gets
nothing extra. Standard library at import: a kept plan runs through here.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from collections.abc import Iterator


def setup_logging(verbose: bool) -> None:
    """`--verbose`: the `metrics` logger to stderr, every line masked."""
    if not verbose:
        return
    from sales_metrics.adapters.secrets import MaskingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("-- %(message)s"))
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("metrics")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def interactive(machine_readable: bool = False, verbose: bool = False) -> bool:
    return not (machine_readable or verbose) and sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def step(label: str, index: int, total: int, show: bool) -> Iterator[None]:
    """One query: a spinner on a terminal (elapsed time, "query i of n"), a log line after."""
    log = logging.getLogger("metrics")
    text = f"{label}: query {index} of {total}"
    started = time.monotonic()
    if show:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from .literal import console, visible

        text = visible(text)  # a target's name or path, shown as written
        with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False),
                      TimeElapsedColumn(), console=console(stderr=True),
                      transient=True) as progress:
            progress.add_task(text, total=None)
            yield
    else:
        yield
    log.info("%s done in %.3f s", text, time.monotonic() - started)
