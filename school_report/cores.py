"""How many threads of each kind one server process runs: the machine's cores, shared between
the processes that `school-admin serve --workers N` starts (it sets SCHOOL_REPORT_WORKERS)."""

import os

WORKERS_VARIABLE = "SCHOOL_REPORT_WORKERS"


def cores_per_process() -> int:
    workers = os.environ.get(WORKERS_VARIABLE, "1")
    share = int(workers) if workers.isascii() and workers.isdigit() and int(workers) > 0 else 1
    return max(1, (os.cpu_count() or 1) // share)
