"""Only what pyproject.toml cannot say: the wheel carries the repository's `static/` folder
inside the `web` package (`web/static`), where `web.templating` looks first when installed."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

STATIC = Path(__file__).parent / "static"


class BuildWithStatic(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install serves the checkout's static/
            shutil.copytree(STATIC, Path(self.build_lib) / "web" / "static", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithStatic})
