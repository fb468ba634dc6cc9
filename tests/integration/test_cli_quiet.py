"""CLI output carries Tansaku's own progress only: no "Loading weights" or other third-party tqdm bars."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.helpers import write_library
from tests.integration.test_cli import run_cli

# A tqdm bar as it reaches a captured stream: "Loading weights:  40%|####      | 2/5 [00:00<00:00, 12.3it/s]".
TQDM_BAR = re.compile(r"\d+%\|[^|\n]*\| *\d+/\d+")


@pytest.mark.slow
def test_index_and_search_print_no_third_party_progress_bars(tmp_path: Path, tiny_models) -> None:
    lib = write_library(tmp_path / "lib", n_files=3, paragraphs=3)
    data = tmp_path / "data"

    index = run_cli(["index", str(lib)], data, tiny_models)
    search = run_cli(["search", "object storage", "-k", "2"], data, tiny_models)

    for proc in (index, search):
        assert "Loading weights" not in proc.stderr, proc.stderr
    assert TQDM_BAR.findall(search.stderr) == [], search.stderr
    # Tansaku's own indexing bar (files done / total) is still there, and it is the only bar.
    bars = TQDM_BAR.findall(index.stderr)
    assert bars and all(bar.endswith("/3") for bar in bars), index.stderr
    assert "3 indexed" in index.stdout
    assert "object storage" in search.stdout
