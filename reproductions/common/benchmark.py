"""Timing a training or inference step: the measurement behind every cpu
profile's budget (``python -m reproductions.<paper>.benchmark``)."""
from __future__ import annotations

import os
import time
from typing import Callable


def images_per_second(step: Callable[[], object], *, batches: int,
                      batch_size: int) -> tuple[float, float]:
    """``(wall clock, CPU time / cores)`` images/s over ``batches`` calls of
    ``step()``, after two warm-up calls (which pay for tracing).

    The development machine is shared, so the second figure -- what the loop
    would reach alone on the machine if it kept every core busy -- is the
    one the profiles' arithmetic uses (an upper bound: compare the two on an
    idle machine)."""
    for _ in range(2):
        step()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(batches):
        step()
    images = batches * batch_size
    cpu_s = (time.process_time() - cpu) / (os.cpu_count() or 1)
    return images / (time.perf_counter() - start), images / cpu_s
