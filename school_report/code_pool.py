"""Return codes hashed before they are needed, so a class sending at once waits for no argon2.

Each server process keeps a small pool of fresh codes with their argon2id hashes (the same
parameters as `school_report.codes`, never lowered). One thread refills it at the lowest CPU
priority (nice 19), so it uses only time the requests leave idle; a report takes a code from the
pool and hashes on the request path only when the pool is empty. The pool lives in this
process's memory only: it is never written to the database, a file or a log, and it is dropped
when the server stops. A code is taken once and given to one report. (SECURITY.md: what it
risks.)
"""

import ctypes
import os
import threading
from collections import deque

from school_report.codes import (
    ReturnCode,
    hash_in_this_thread,
    hash_return_code,
    new_return_code,
)

# Enough for a class of 30 split between two processes, with room; 32 codes cost one core
# about a second to make, and a few kilobytes to keep.
DEFAULT_SIZE = 32
MAX_SIZE = 1000
LOWEST_PRIORITY = 19
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD_BYTES = 1024 * 1024


class CodePool:
    """Up to `size` fresh (code, hash) pairs for one installation's salt."""

    def __init__(self, salt: str, size: int = DEFAULT_SIZE):
        self.salt = salt
        self.size = size
        self._ready: deque[tuple[ReturnCode, str]] = deque()
        self._wanted = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._refill, name="code-pool", daemon=True)
        self.native_id: int | None = None

    def start(self) -> "CodePool":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop refilling and forget every code not given out."""
        with self._wanted:
            self._stopping = True
            self._ready.clear()
            self._wanted.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._ready.clear()

    def __len__(self) -> int:
        return len(self._ready)

    def take(self) -> tuple[ReturnCode, str] | None:
        """A fresh code and its hash, removed from the pool; None when the pool is empty."""
        with self._wanted:
            ready = self._ready.popleft() if self._ready else None
            self._wanted.notify()
        return ready

    def _refill(self) -> None:
        self.native_id = threading.get_native_id()
        # Linux gives each thread its own nice value: only this thread yields to the requests.
        os.setpriority(os.PRIO_PROCESS, self.native_id, LOWEST_PRIORITY)
        while True:
            with self._wanted:
                self._wanted.wait_for(lambda: self._stopping or len(self._ready) < self.size)
                if self._stopping:
                    return
            code = new_return_code()
            code_hash = hash_in_this_thread(code, self.salt)
            with self._wanted:
                if self._stopping:
                    return
                self._ready.append((code, code_hash))


_pool: CodePool | None = None


def _give_back_argon2_memory() -> None:
    """Have glibc map each argon2 hash's 19 MiB afresh and unmap it after the hash: otherwise
    every thread that ever hashed keeps its 19 MiB (glibc raises its mmap threshold after the
    first large free), and the pool's thread would add that much to each server process."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def start_pool(salt: str, size: int = DEFAULT_SIZE) -> CodePool | None:
    """Start this process's pool (the server's lifespan calls it); size 0 keeps none."""
    global _pool
    stop_pool()
    _give_back_argon2_memory()
    _pool = CodePool(salt, size).start() if size > 0 else None
    return _pool


def stop_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.stop()
        _pool = None


def fresh_code(salt: str) -> tuple[ReturnCode, str]:
    """A new return code and its argon2id hash: from the pool when it holds one for this salt,
    else drawn and hashed now."""
    pool = _pool
    ready = pool.take() if pool is not None and pool.salt == salt else None
    if ready is not None:
        return ready
    code = new_return_code()
    return code, hash_return_code(code, salt)
