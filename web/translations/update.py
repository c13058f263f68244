"""Keep the catalogues in step with the code.

    python web/translations/update.py              extract every string, merge into each catalogue
    python web/translations/update.py fill ja F    also set translations from F, a JSON object
                                                   {"English msgid": "翻訳", ...}

New strings arrive untranslated; their English text is shown until someone translates them.
Runs hold a lock, so two people updating at once do not overwrite each other.
"""

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
TEMPLATE = HERE / "messages.pot"
# Staff pages speak ja and en; pupil pages also the four languages after them.
LANGUAGES = ("ja", "en", "pt_BR", "zh_Hans", "vi", "fil")
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def catalogue_path(language: str) -> Path:
    return HERE / language / "LC_MESSAGES" / "messages.po"


def extract(template: Path = TEMPLATE) -> None:
    """Every string the code and the templates translate, into `template` (a .pot file)."""
    subprocess.run(
        [
            *PYBABEL,
            "extract",
            "-F",
            "pyproject.toml",
            "-o",
            str(template),
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-k",
            "ngettext:1,2",
            ".",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )


def extract_and_merge() -> None:
    extract()
    for language in LANGUAGES:
        exists = catalogue_path(language).exists()
        subprocess.run(
            [
                *PYBABEL,
                "update" if exists else "init",
                "-i",
                str(TEMPLATE),
                "-d",
                str(HERE),
                "-l",
                language,
                "--no-wrap",
                # A guessed translation of a similar string is wrong more often than not (and
                # the loader skips it): new strings arrive untranslated instead.
                *(["--ignore-obsolete", "--no-fuzzy-matching"] if exists else []),
            ],
            check=True,
            capture_output=True,
        )


def fill(language: str, translations: dict[str, str]) -> list[str]:
    """Set the given translations; return the msgids still untranslated."""
    path = catalogue_path(language)
    with path.open("rb") as po:
        catalogue = read_po(po)
    for message in catalogue:
        if not message.id:
            continue
        singular = message.id[0] if isinstance(message.id, tuple) else message.id
        if singular in translations:
            text = translations[singular]
            message.string = (text,) if isinstance(message.id, tuple) else text
            message.flags.discard("fuzzy")
    with path.open("wb") as po:
        write_po(po, catalogue, width=0)
    return [
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue
        if m.id and not (m.string[0] if isinstance(m.string, tuple) else m.string)
    ]


def main(argv: list[str]) -> None:
    with (HERE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        extract_and_merge()
        if argv[:1] == ["fill"]:
            language, source = argv[1], Path(argv[2])
            missing = fill(language, json.loads(source.read_text(encoding="utf-8")))
            if missing:
                print(f"{language}: {len(missing)} untranslated:", *missing, sep="\n  ")


if __name__ == "__main__":
    main(sys.argv[1:])
