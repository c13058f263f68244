"""`make messages`: extract every translatable string and merge it into each catalogue.

New strings arrive untranslated; their English text is shown until a translator fills them in.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
TEMPLATE = HERE / "messages.pot"
LANGUAGES = ("ja", "en")


def main() -> None:
    pybabel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(
        [
            *pybabel,
            "extract",
            "-F",
            "pyproject.toml",
            "-o",
            str(TEMPLATE),
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-k",
            "ngettext:1,2",
            ".",
        ],
        check=True,
    )
    for language in LANGUAGES:
        catalogue = HERE / language / "LC_MESSAGES" / "messages.po"
        action = "update" if catalogue.exists() else "init"
        subprocess.run(
            [
                *pybabel,
                action,
                "-i",
                str(TEMPLATE),
                "-d",
                str(HERE),
                "-l",
                language,
                "--no-wrap",
                *(["--ignore-obsolete"] if action == "update" else []),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
