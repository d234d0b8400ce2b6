"""The samples as a user gets them: the generated modules committed beside each
`samples/NAME.flow` are fresh, pass `mypy --strict` with the steps, and each one's flow,
run with the inputs of `NAME.json`, gives that file's `expected` result. The same holds for
the samples compiled with `--runtime shared` (into a folder of their own, with the one
`_flowc_runtime.py` they import), and both forms pass pyright's strict mode, `ruff check`
and `black --check` at their defaults."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from clitools import console_script

from flowc import compile_source, runtime_source
from flowc.cli.run import jsonable

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
NAMES = sorted(p.stem for p in SAMPLES.glob("*.flow"))


def test_every_sample_has_its_parts() -> None:
    assert len(NAMES) >= 18
    for name in NAMES:
        assert (SAMPLES / f"{name}.json").is_file(), name
        assert (SAMPLES / "steps" / f"{name}.py").is_file(), name
        assert (SAMPLES / f"{name}.py").is_file(), f"run `flowc compile samples/` and commit samples/{name}.py"
        assert f"`{name}`" in (SAMPLES / "README.md").read_text(encoding="utf-8"), f"{name} is not in the table"


def test_committed_modules_are_fresh() -> None:
    result = subprocess.run(
        [console_script(), "compile", "--check", "samples/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


MODES = ("inline", "shared")


def shared_samples(folder: Path) -> Path:
    """Every sample compiled with `--runtime shared` into `folder`, beside the runtime file
    and a copy of the steps."""
    for name in NAMES:
        text = compile_source((SAMPLES / f"{name}.flow").read_text(encoding="utf-8"), f"{name}.flow", runtime="shared")
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    (folder / "_flowc_runtime.py").write_text(runtime_source(), encoding="utf-8")
    shutil.copytree(SAMPLES / "steps", folder / "steps")
    return folder


def samples_in(mode: str, folder: Path) -> tuple[Path, list[str]]:
    """A folder holding the sample modules of `mode` alone (no configuration of this project
    applies there), their steps, and the runtime file in shared mode; and those files."""
    if mode == "shared":
        return shared_samples(folder), [f"{name}.py" for name in NAMES] + ["_flowc_runtime.py"]
    return copy_samples(folder), [f"{name}.py" for name in NAMES]


@pytest.mark.parametrize("mode", MODES)
def test_modules_and_steps_pass_mypy_strict(mode: str, tmp_path: Path) -> None:
    folder, modules = samples_in(mode, tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--show-error-codes",
            *modules,
            "steps",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MYPYPATH": str(folder)},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def copy_samples(folder: Path) -> Path:
    """The sample modules and their steps, alone in `folder`: no configuration of this
    project (`pyproject.toml`) applies to them there."""
    for name in NAMES:
        shutil.copy(SAMPLES / f"{name}.py", folder)
    shutil.copytree(SAMPLES / "steps", folder / "steps")
    return folder


def pyright() -> str:
    """The pyright of the dev extras (the PyPI package runs pyright on its own Node.js)."""
    found = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    if found is None:
        pytest.skip("pyright is not installed: pip install -e '.[dev]' installs it")
    probe = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=300)
    if probe.returncode != 0:
        pytest.skip(f"pyright cannot run here: {probe.stderr.strip()[-300:]}")
    return found


@pytest.mark.parametrize("mode", MODES)
def test_modules_pass_pyright_strict(mode: str, tmp_path: Path) -> None:
    folder, modules = samples_in(mode, tmp_path)
    (folder / "pyrightconfig.json").write_text('{"typeCheckingMode": "strict"}', encoding="utf-8")
    result = subprocess.run(
        [pyright(), "--outputjson", *modules], cwd=folder, capture_output=True, text=True, timeout=600
    )
    report = json.loads(result.stdout)
    findings = [
        f"{Path(d['file']).name}:{d['range']['start']['line'] + 1}: {d.get('rule', '')} {d['message']}"
        for d in report["generalDiagnostics"]
    ]
    assert findings == [] and report["summary"]["filesAnalyzed"] == len(modules), findings


@pytest.mark.parametrize("mode", MODES)
def test_modules_pass_ruff_check_and_black_check_at_their_defaults(mode: str, tmp_path: Path) -> None:
    folder, modules = samples_in(mode, tmp_path)
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--output-format", "concise"]
    result = subprocess.run([*ruff, *modules], cwd=folder, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    black = [sys.executable, "-m", "black", "--check", "--quiet"]
    result = subprocess.run([*black, *modules], cwd=folder, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module", params=MODES)
def samples_importable(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The sample modules of one runtime mode first on the import path (`samples/` itself,
    or the samples compiled with `--runtime shared`), and the sample and step modules
    imported from it forgotten afterwards (other tests have modules called `steps` too)."""
    folder = SAMPLES if request.param == "inline" else shared_samples(tmp_path_factory.mktemp("shared_samples"))

    def ours(name: str) -> bool:
        return name in NAMES or name == "steps" or name.startswith("steps.") or name == "_flowc_runtime"

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if ours(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


def run_sample(name: str) -> tuple[Any, ModuleType]:
    """The sample's result as JSON values (as `flowc run` prints it), and its steps module."""
    spec = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    module = importlib.import_module(name)
    steps = importlib.import_module(f"steps.{name}")
    reset = getattr(steps, "reset", None)
    if reset is not None:
        reset()
    result = asyncio.run(getattr(module, spec["flow"])(**spec["inputs"]))
    return jsonable(result), steps


@pytest.mark.parametrize("name", NAMES)
def test_sample_gives_its_expected_result(name: str, samples_importable: None) -> None:
    spec = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    result, _ = run_sample(name)
    assert result == spec["expected"]


@pytest.mark.parametrize(
    ("name", "peak", "bound"),
    [
        ("bounded_map", "peak_in_flight", 10),
        ("mixed_pipeline", "peak_processing", 1),
        ("tunable_llm", "peak_in_flight", 2),
    ],
)
def test_limits_hold_in_the_samples(name: str, peak: str, bound: int, samples_importable: None) -> None:
    _, steps = run_sample(name)
    assert 1 <= getattr(steps, peak) <= bound


def test_the_tunable_sample_takes_its_settings_from_its_caller(samples_importable: None) -> None:
    """`tunable_llm`'s concurrency is its `concurrency` argument, up to its pool's limit,
    which `configure_pool` sets; a setting out of range fails before any call."""
    module = importlib.import_module("tunable_llm")
    steps = importlib.import_module("steps.tunable_llm")
    documents = [f"Document {i}. More." for i in range(12)]
    for concurrency, pool_limit, peak in [(6, 4, 4), (6, 8, 6), (1, 8, 1)]:
        steps.reset()
        steps.configure_from(module, {"provider_limit": pool_limit, "provider_rate": 1000})
        digest = asyncio.run(module.tunable_llm(documents, concurrency=concurrency))
        assert digest.words == 24 and steps.peak_in_flight == peak
    steps.reset()
    with pytest.raises(ValueError, match="`limit concurrency` needs a whole number from 1"):
        asyncio.run(module.tunable_llm(documents, concurrency=0))
    assert steps.peak_in_flight == 0


def test_the_durable_sample_resumes_from_its_journal(samples_importable: None, tmp_path: Path) -> None:
    """`durable_batch` stopped half-way resumes with the summaries it had not recorded, calls
    nothing before them, and gives the result of a run never stopped; finished, it calls nothing."""
    module = importlib.import_module("durable_batch")
    steps = importlib.import_module("steps.durable_batch")
    journal = module.SqliteJournal(tmp_path / "runs.db")
    steps.reset(stop=5)
    with pytest.raises(steps.Interrupted):
        asyncio.run(module.durable_batch(steps.DOCS, run_id="batch", journal=journal))
    recorded = [key for key in journal.load("batch") if key.startswith("durable_batch.summaries[")]
    assert 1 <= len(recorded) <= 5
    steps.reset()
    resumed = asyncio.run(module.durable_batch(steps.DOCS, run_id="batch", journal=journal))
    assert steps.calls == {"summarize": len(steps.DOCS) - len(recorded), "digest": 1}
    steps.reset()
    assert asyncio.run(module.durable_batch(steps.DOCS, run_id="batch", journal=journal)) == resumed
    assert steps.calls == {}
    assert asyncio.run(module.durable_batch(steps.DOCS)) == resumed
    journal.close()


# ---------------------------------------------------------------- the shop: a project of files

SHOP_LINES = [("apple", 6), ("bread", 2), ("cheese", 1), ("dates", 1), ("eggs", 2)]


@pytest.fixture(params=MODES)
def shop(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`samples/shop` as committed (inline) or compiled with `--runtime shared`, in a folder
    of its own that stands for the repository's root (its modules are `samples.shop.*`)."""
    shutil.copytree(SAMPLES / "shop", tmp_path / "samples" / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    if request.param == "shared":
        result = subprocess.run(
            [console_script(), "compile", "--isolated", "--runtime", "shared", "samples/shop"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "samples" / "shop" / "_flowc_runtime.py").is_file()
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        yield tmp_path
    finally:
        for name in [n for n in sys.modules if n == "samples" or n.startswith("samples.")]:
            del sys.modules[name]


def test_the_shop_runs_and_shares_its_pools(shop: Path) -> None:
    checkout = importlib.import_module("samples.shop.checkout")
    pricing = importlib.import_module("samples.shop.pricing")
    steps = importlib.import_module("samples.shop.steps")
    steps.reset()
    lines = [steps.Line(item, quantity) for item, quantity in SHOP_LINES]

    async def both() -> list[Any]:
        return list(await asyncio.gather(checkout.checkout(lines), pricing.price_lines(lines[:2] * 6)))

    bill, alone = asyncio.run(both())
    assert bill == {"goods": 16.5, "shipping": 0.0, "total": 16.5, "missing": 1}
    assert alone == 45.0
    # `pool pricing limit 3` and `pool stock limit 2`, reached together by two modules' flows.
    assert steps.peak == {"pricing": 3, "stock": 2}


def test_the_shop_passes_the_checkers(shop: Path) -> None:
    files = sorted(str(p.relative_to(shop)) for p in (shop / "samples" / "shop").glob("*.py"))
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--explicit-package-bases", *files]
    result = subprocess.run(mypy, cwd=shop, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (shop / "pyrightconfig.json").write_text('{"typeCheckingMode": "strict"}', encoding="utf-8")
    result = subprocess.run([pyright(), "--outputjson", *files], cwd=shop, capture_output=True, text=True, timeout=600)
    report = json.loads(result.stdout)
    assert report["generalDiagnostics"] == [], report["generalDiagnostics"][:5]
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", *files]
    assert subprocess.run(ruff, cwd=shop, capture_output=True, text=True, timeout=300).returncode == 0
    black = [sys.executable, "-m", "black", "--check", "--quiet", *[f for f in files if not f.endswith("steps.py")]]
    assert subprocess.run(black, cwd=shop, capture_output=True, text=True, timeout=300).returncode == 0
