"""The reranker's time budget in Settings: "Spend up to N s" ranking, on the CPU and on a GPU."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout

from desktop.i18n import translate
from engine import EngineConfig

MAX_SECONDS = 120.0
STEP_SECONDS = 0.5


def budget_tooltip() -> str:
    return translate(
        "RerankBudget",
        "The reranker reads the passages that keyword + meaning search found, best first, until this time is spent. "
        "The passages it did not reach keep their keyword + meaning order, below the ranked ones. More time gives a "
        "better order and a later answer; 0 means no limit.",
    )


def _spin(seconds: float | None) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(1)
    spin.setRange(0.0, MAX_SECONDS)
    spin.setSingleStep(STEP_SECONDS)
    spin.setPrefix(translate("RerankBudget", "spend up to "))
    spin.setSuffix(translate("RerankBudget", " s"))
    spin.setSpecialValueText(translate("RerankBudget", "no time limit"))
    spin.setValue(seconds if seconds is not None and seconds > 0 else 0.0)
    spin.setToolTip(budget_tooltip())
    return spin


def _seconds(spin: QDoubleSpinBox, original: float | None) -> float | None:
    """The spin box's value; the stored one when the box still shows it (so an untouched dialog changes nothing)."""
    shown = original if original is not None and original > 0 else 0.0
    if round(shown, spin.decimals()) == spin.value():
        return original
    return spin.value()


class RerankBudget:
    """Two rows for the models page; `values()` gives the EngineConfig fields."""

    def __init__(self, config: EngineConfig) -> None:
        self._original = config
        self.cpu = _spin(config.rerank_budget_cpu_s)
        self.gpu = _spin(config.rerank_budget_gpu_s)

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow(translate("RerankBudget", "Ranking on the CPU:"), self.cpu)
        form.addRow(translate("RerankBudget", "Ranking on a GPU:"), self.gpu)
        for field in (self.cpu, self.gpu):
            label = form.labelForField(field)
            if label is not None:
                label.setToolTip(budget_tooltip())

    def values(self) -> dict[str, float | None]:
        return {
            "rerank_budget_cpu_s": _seconds(self.cpu, self._original.rerank_budget_cpu_s),
            "rerank_budget_gpu_s": _seconds(self.gpu, self._original.rerank_budget_gpu_s),
        }
