"""Steps of the thread_pool case: a blocking call that counts the threads running it."""

import threading
import time

lock = threading.Lock()
running = 0
peak = 0
ended = 0


def reset() -> None:
    global running, peak, ended
    running = peak = ended = 0


def block(seconds: float) -> int:
    global running, peak, ended
    with lock:
        running += 1
        peak = max(peak, running)
    time.sleep(seconds)
    with lock:
        running -= 1
        ended += 1
    return 1
