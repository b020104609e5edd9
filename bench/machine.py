"""The machine a benchmark ran on, in one line: its load, its cores and its
speed, the CPU time of a fixed pure-Python workload of the kind the suite
runs (small tuples hashed into dicts, calls, strings), so that figures taken
on machines of one class can be compared. They have differed by 2.4x between
sessions on the same code (the four-property horn question: 1.9 s, then
4.6 s). A rough guide only: compare code with code on one machine, at one
time, for a figure that holds."""
import os
import time


def _work(n: int) -> int:
    table: dict = {}
    for i in range(n):
        key = (i % 997, "k", i % 13)
        table[key] = table.get(key, 0) + len(str(i))
    return sum(v for _, v in sorted(table.items()))


def speed() -> float:
    """CPU seconds of the fixed workload (about half a second on a quick core)."""
    start = time.process_time()
    _work(600_000)
    return time.process_time() - start


def describe() -> str:
    return (f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
            f"speed: the fixed Python workload of bench/machine.py takes {speed():.2f} s CPU")
