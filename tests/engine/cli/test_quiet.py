"""quiet_library_progress_bars: library bars off, the model download's byte progress still reported."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huggingface_hub.utils import are_progress_bars_disabled, enable_progress_bars

from engine.cli.quiet import quiet_library_progress_bars
from engine.models.model_files import progress_bar_class


def _enable_bars() -> None:
    from transformers.utils import logging as transformers_logging

    enable_progress_bars()
    transformers_logging.enable_progress_bar()


@pytest.fixture()
def restore_bars() -> Iterator[None]:
    _enable_bars()  # an in-process CLI test earlier in the run may have switched them off
    yield
    _enable_bars()


def test_bars_off_in_both_libraries_yet_downloads_report_bytes(restore_bars: None) -> None:
    from transformers.utils import logging as transformers_logging  # imported before: switched off directly

    assert transformers_logging.is_progress_bar_enabled()
    quiet_library_progress_bars()

    assert are_progress_bars_disabled()
    assert not transformers_logging.is_progress_bar_enabled()
    seen: list[tuple[int, int]] = []
    bar = progress_bar_class(lambda done, total: seen.append((done, total)), None)(total=100, unit="B")
    bar.update(40)
    assert seen == [(40, 100)]
