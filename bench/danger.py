"""The danger detector's share of `make bench`: what reading one message costs, and what the
analyser's dictionary costs in memory and whether the server's workers share it.

MeCab maps the UniDic dictionary (unidic-lite's sys.dic and matrix.bin) read-only from its
files, so the pages one worker has read are the same page-cache pages the next one reads:
summed RSS counts them once per worker, PSS (proportional set size) once in all."""

import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.eval_danger import corpus_rows
from school_report.danger import assess_text

MESSAGE_CHARS = 1000
_DICTIONARY_FILES = ("sys.dic", "matrix.bin", "unk.dic", "char.bin")


def _messages(count: int, seed: int = 13) -> list[str]:
    """Messages of 1,000 characters made of the Japanese corpus's rows, each mixed anew."""
    texts = [row.text for row in corpus_rows() if row.language == "ja"]
    chance = random.Random(seed)
    messages = []
    for _ in range(count):
        parts: list[str] = []
        while sum(map(len, parts)) < MESSAGE_CHARS:
            parts.append(chance.choice(texts) + "。")
        messages.append("".join(parts)[:MESSAGE_CHARS])
    return messages


def detector_costs(count: int = 300) -> dict[str, float]:
    """p50 and p99, in ms, of assessing a 1,000-character message: on the wall clock and in
    the thread's own CPU time (what it costs when other work shares the cores)."""
    messages = _messages(count)
    assess_text(messages[0])  # the analyser loads once per process
    wall, cpu = [], []
    for message in messages:
        began, began_cpu = time.perf_counter(), time.thread_time()
        assess_text(message)
        wall.append(time.perf_counter() - began)
        cpu.append(time.thread_time() - began_cpu)

    def quantiles(times: list[float]) -> tuple[float, float]:
        cuts = statistics.quantiles(times, n=100)
        return cuts[49] * 1000, cuts[98] * 1000

    (wall50, wall99), (cpu50, cpu99) = quantiles(wall), quantiles(cpu)
    return {"wall_p50": wall50, "wall_p99": wall99, "cpu_p50": cpu50, "cpu_p99": cpu99}


_MEMORY_PROBE = """
import json
from pathlib import Path
def mb():
    rows = Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]
    kib = {line.split(":")[0]: int(line.split()[1]) for line in rows}
    return {k: kib[k] / 1024 for k in ("Rss", "Pss")}
import web.app
before = mb()
from school_report.danger import assess_text
assess_text("もう しにたい。おとうさんに なぐられた。" * 20)
print(json.dumps({"before": before, "after": mb()}))
"""


def analyser_memory() -> dict[str, float]:
    """What loading the analyser and reading a message adds to one server process (MB)."""
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE], capture_output=True, text=True, check=True
    )
    import json

    measured = json.loads(done.stdout)
    return {
        "rss_before": measured["before"]["Rss"],
        "rss_added": measured["after"]["Rss"] - measured["before"]["Rss"],
    }


def dictionary_pages(pids: list[int]) -> dict[str, float]:
    """The dictionary's mapped pages in the given processes (MB): RSS summed over them, and
    PSS, where a page shared by two processes counts half in each."""
    rss = pss = 0
    for pid in pids:
        mapping = None
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            fields = line.split()
            if fields and not fields[0].endswith(":"):
                mapping = fields[-1] if len(fields) >= 6 else None
            elif mapping and mapping.endswith(_DICTIONARY_FILES) and fields[0] in ("Rss:", "Pss:"):
                if fields[0] == "Rss:":
                    rss += int(fields[1])
                else:
                    pss += int(fields[1])
    return {"rss": rss / 1024, "pss": pss / 1024}


def total_pss(pids: list[int]) -> float:
    """The processes' memory with shared pages counted once in all (MB)."""
    kib = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                kib += int(line.split()[1])
    return kib / 1024


if __name__ == "__main__":
    print(detector_costs())
    print(analyser_memory())
