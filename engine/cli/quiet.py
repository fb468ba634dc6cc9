"""Turns off other libraries' progress bars in CLI output; Tansaku's own bar (engine/cli/progress.py) stays."""

from __future__ import annotations

import sys


def quiet_library_progress_bars() -> None:
    """No "Loading weights" bar from transformers or file bars from huggingface_hub in `tansaku` output.

    transformers decides at import whether to show bars, from huggingface_hub's switch, so flipping that switch first
    covers a later import; an earlier one is switched off directly. First-run model downloads still report progress:
    engine/models/model_files.py hands huggingface_hub its own tqdm class, which this switch leaves alone.
    """
    try:
        from huggingface_hub.utils import disable_progress_bars
    except ImportError:  # pragma: no cover - a dependency; nothing to quieten without it
        return
    disable_progress_bars()
    transformers_logging = sys.modules.get("transformers.utils.logging")
    if transformers_logging is not None:
        transformers_logging.disable_progress_bar()
