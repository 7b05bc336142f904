"""The one race harness: start callables in real threads at the same instant (a barrier),
collect what each returned or raised, and close each thread's database connection."""

import threading

from django.db import connection


def race(*callables, timeout: float = 30) -> list:
    """Run the callables together; each result is its return value or the exception it raised."""
    barrier = threading.Barrier(len(callables))
    results: list = [None] * len(callables)

    def run(index, fn):
        try:
            barrier.wait()
            results[index] = fn()
        except Exception as error:  # noqa: BLE001 - the caller asserts on what was raised
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
