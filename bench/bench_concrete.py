"""Concrete sessions per second against the time spent in cryptography alone.
Prints figures; asserts nothing. Run: python bench/bench_concrete.py [N]"""
import sys
import time

from ppverify.protocol.controls import scenario
from ppverify.protocol.simulate import simulate


def main(n: int = 20) -> None:
    for scheme in ("voprf", "rsa-blind"):
        sc = scenario("none", [], [f"credential-scheme={scheme}"])
        simulate(sc, seed=0)  # warm caches (RSA key generation)
        total = crypto = 0.0
        sessions = 0
        start = time.perf_counter()
        for seed in range(n):
            r = simulate(sc, seed=seed)
            total += r.seconds
            crypto += r.crypto_seconds
            sessions += len(r.answers)
        wall = time.perf_counter() - start
        overhead = (total - crypto) / crypto * 100
        print(f"{scheme:>9}: {sessions / wall:7.1f} sessions/s, crypto {crypto / sessions * 1000:6.2f} ms/session, "
              f"whole {total / sessions * 1000:6.2f} ms/session, machinery adds {overhead:5.1f}% "
              f"(target <= 25%)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
