"""`make eval-danger`: how well the danger detector reads the corpora in tests/data.

Recall: of the messages labelled danger, the share the detector raises to at least their
family's urgency (緊急 for the urgent families, 高 for bullying with violence and neglect).
False alarms: of the ordinary messages, the share it raises at all. Both per language and per
family (an ordinary message counts under the family it looks like), and on two halves of each
corpus: rows 0, 2, 4… ("tune") and 1, 3, 5… ("check"), to see whether a figure holds on
messages the patterns were not tuned on.

    python -m bench.eval_danger            # the table
    python -m bench.eval_danger --misses   # and every message read wrongly
"""

import argparse
import csv
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from school_report.danger import assess_text
from school_report.danger_families import family
from school_report.migrations import URGENCIES

CORPORA = Path(__file__).resolve().parent.parent / "tests" / "data"


@dataclass(frozen=True)
class Row:
    language: str
    index: int
    label: str
    family: str
    kind: str
    style: str
    source: str
    text: str


@dataclass
class Tally:
    danger: int = 0
    found: int = 0
    ordinary: int = 0
    alarms: int = 0

    def add(self, row: Row, correct: bool) -> None:
        if row.label == "danger":
            self.danger += 1
            self.found += correct
        else:
            self.ordinary += 1
            self.alarms += not correct

    @property
    def recall(self) -> float | None:
        return self.found / self.danger if self.danger else None

    @property
    def false_alarms(self) -> float | None:
        return self.alarms / self.ordinary if self.ordinary else None


def corpus_rows(directory: Path = CORPORA) -> list[Row]:
    rows = []
    for path in sorted(directory.glob("danger_*.tsv")):
        language = path.stem.removeprefix("danger_")
        with path.open(encoding="utf-8", newline="") as file:
            reader = csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
            rows += [Row(language, index, **record) for index, record in enumerate(reader)]
    return rows


def read_correctly(row: Row, urgency: str | None) -> bool:
    if row.label == "ordinary":
        return urgency is None or URGENCIES.index(urgency) >= URGENCIES.index("normal")
    needed = family(row.family).urgency
    return urgency is not None and URGENCIES.index(urgency) <= URGENCIES.index(needed)


def evaluate(rows: list[Row]) -> tuple[dict[str, Tally], list[tuple[Row, str | None]]]:
    """Tallies by "all", "language:…", "family:…", "half:…"; and the rows read wrongly."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    misses = []
    for row in rows:
        assessment = assess_text(row.text)
        correct = read_correctly(row, assessment.urgency)
        half = "tune" if row.index % 2 == 0 else "check"
        for key in ("all", f"language:{row.language}", f"family:{row.family}", f"half:{half}"):
            tallies[key].add(row, correct)
        if not correct:
            misses.append((row, assessment.family))
    return dict(tallies), misses


def _percent(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.1%}"


def table(tallies: dict[str, Tally]) -> str:
    lines = [f"{'':28} {'danger':>7} {'recall':>7} {'ordinary':>9} {'false alarms':>13}"]
    for key in sorted(tallies, key=lambda k: (k != "all", k.split(":")[0], k)):
        t = tallies[key]
        lines.append(
            f"{key:28} {t.danger:7} {_percent(t.recall):>7} {t.ordinary:9} "
            f"{_percent(t.false_alarms):>13}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every message read wrongly")
    args = parser.parse_args(argv)
    tallies, misses = evaluate(corpus_rows())
    print(table(tallies))
    if args.misses:
        for row, found in misses:
            print(f"{row.language}\t{row.label}\t{row.family}\t{row.kind}\t{found}\t{row.text}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
