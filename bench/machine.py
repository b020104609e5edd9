"""The machine a benchmark ran on, in one line: its load, its cores and its
speed (the CPU time of a fixed pure-Python loop), so that figures taken on
machines of one class but of different speeds can be compared: machines of
the same class have differed by 2.5x between sessions."""
import os
import time


def speed() -> float:
    """CPU seconds of ten million additions in a Python loop."""
    start, total = time.process_time(), 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - start


def describe() -> str:
    return (f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
            f"speed: a 10M-step Python loop takes {speed():.2f} s CPU")
