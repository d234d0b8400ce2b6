"""Pins for the lowest allowed version of every runtime dependency, read from pyproject.toml.

`python .ci/lowest.py` prints a pip constraints file, `NAME==LOWER` for each entry of
`[project] dependencies`, its lower bound being its `>=` specifier; a dependency without one
is an error, since its lowest version could not be tested. CI installs the project with these
constraints in a second environment (see .ci/run), so the bounds tested are the declared ones.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)")


def lowest_pins(pyproject: str) -> list[str]:
    """`NAME==LOWER` for each runtime dependency, in the order pyproject.toml lists them."""
    pins = []
    for requirement in tomllib.loads(pyproject)["project"]["dependencies"]:
        match = REQUIREMENT.match(requirement)
        if match is None:
            raise ValueError(f"cannot read the requirement {requirement!r}")
        name, specifiers = match.groups()
        lower = [s.strip()[2:].strip() for s in specifiers.split(",") if s.strip().startswith(">=")]
        if len(lower) != 1:
            raise ValueError(f"{name} needs exactly one `>=` lower bound in pyproject.toml, not {specifiers!r}")
        pins.append(f"{name}=={lower[0]}")
    return pins


def main() -> int:
    try:
        pins = lowest_pins(PYPROJECT.read_text(encoding="utf-8"))
    except ValueError as error:
        print(f"lowest.py: {error}", file=sys.stderr)
        return 1
    print("\n".join(pins))
    return 0


if __name__ == "__main__":
    sys.exit(main())
