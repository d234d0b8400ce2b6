"""Files shipped with flowc: the grammar and the templates (inside the wheel, or beside the
package in a source checkout)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_text(folder: str, name: str) -> str:
    """The text of `grammar/NAME` or `templates/NAME`."""
    packaged = resources.files("flowc").joinpath(folder).joinpath(name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / folder / name).read_text(encoding="utf-8")
