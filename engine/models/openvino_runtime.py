"""OpenVINO as the CPU runtime of a sentence-transformers embedder: convert once, cache, swap in the forward pass.

Only the Transformer module's model (the torch forward that yields `last_hidden_state`) is replaced; tokenisation,
prompts, Pooling (mean for MiniLM, last token for Qwen3) and Normalize stay sentence-transformers' own, so the vectors
differ from torch's only by the runtime's arithmetic. The converted model (OpenVINO IR) is cached under
`cache_root/<key>/` per model identity (a hash of its config and weights), precision and OpenVINO/nncf version;
it is written to a temporary folder and renamed when complete, so a conversion interrupted by a crash or a cancel
leaves nothing that is ever reused, and the next load converts again. openvino and nncf are imported lazily (~1 s;
dependencies except where they have no wheel): without them `openvino_problem()` says so and the caller stays on
torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.cancel import CancelToken
from engine.errors import Cancelled
from engine.models.runtime_choice import CalibrationSource, RuntimeStatus

log = logging.getLogger(__name__)

PRECISIONS = ("int8", "bf16", "fp32")
FORMAT_VERSION = 1  # bump when what is written to the cache changes
CALIBRATION_TEXTS = 32  # static int8: passages whose activation ranges set the int8 scales (see calibration_sample)
_MARKER = "done.json"
_SAMPLE_BYTES = 1 << 20  # per weight file: hash its size and 1 MiB from its start, middle and end (see model_identity)

ProgressCallback = Callable[[int, int], None]

# A conversion counter for tests and logs (conversions are minutes long; a reused cache must not count).
conversions = 0
_conversion_lock = threading.Lock()


def openvino_problem() -> str | None:
    """None when openvino imports; else a one-line reason. (nncf is imported by an int8 conversion, whose failure
    falls back to torch like any other.)"""
    try:
        import openvino  # noqa: F401
    except Exception as exc:
        return f"openvino does not import here (no wheel for this platform?): {type(exc).__name__}: {exc}"
    return None


def _versions(precision: str) -> dict[str, str]:
    import openvino

    out = {"openvino": openvino.__version__}
    if precision == "int8":
        import nncf

        out["nncf"] = nncf.__version__
    return out


def model_identity(model_dir: Path) -> str:
    """A hash of the model folder's config/tokenizer files (whole) and weight files (size + three 1 MiB samples).

    Weights are sampled, not read whole: a full hash of 1.2 GB (Qwen3-0.6B) on every start costs seconds on a slow
    disk, and a changed checkpoint changes its size or its bytes at the start (the safetensors header holds every
    tensor's offsets) as good as always.
    """
    h = hashlib.sha256()
    for path in sorted(p for p in Path(model_dir).rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue
        size = path.stat().st_size
        h.update(f"{rel}\0{size}\0".encode())
        if path.suffix in (".json", ".txt", ".model"):
            h.update(path.read_bytes())
        elif path.suffix in (".safetensors", ".bin", ".pt", ".pth"):
            with path.open("rb") as f:
                for offset in (0, max(0, size // 2 - _SAMPLE_BYTES // 2), max(0, size - _SAMPLE_BYTES)):
                    f.seek(offset)
                    h.update(f.read(_SAMPLE_BYTES))
    return h.hexdigest()[:20]


def cache_key(model_dir: Path, precision: str) -> str:
    versions = "-".join(f"{k}{v.split('-')[0]}" for k, v in sorted(_versions(precision).items()))
    return f"{Path(model_dir).name[:40]}-{model_identity(model_dir)}-{precision}-{versions}-v{FORMAT_VERSION}"


def cached_ir(cache_root: Path, key: str) -> Path | None:
    """The complete cached conversion for `key`, or None (a folder without its marker is never used)."""
    folder = Path(cache_root) / key
    return folder if (folder / _MARKER).is_file() and (folder / "model.xml").is_file() else None


def discard_partial(cache_root: Path) -> None:
    """Remove conversions a crash left half-written (temporary folders; they are never reused)."""
    root = Path(cache_root)
    if root.is_dir():
        for stale in root.glob(".converting-*"):
            shutil.rmtree(stale, ignore_errors=True)


# --- conversion ------------------------------------------------------------------------------------------------------
class _LastHidden:
    """A torch module returning only last_hidden_state, with the inputs the model takes (for tracing)."""

    @staticmethod
    def build(model: Any, input_names: Sequence[str]) -> Any:
        import torch

        class LastHidden(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids=None):
                kwargs = {"input_ids": input_ids, "attention_mask": attention_mask, "return_dict": True}
                if token_type_ids is not None:
                    kwargs["token_type_ids"] = token_type_ids
                if "use_cache" in getattr(model.config, "to_dict", dict)():
                    kwargs["use_cache"] = False
                return self.model(**kwargs).last_hidden_state

        return LastHidden()


def _input_names(model: Any) -> list[str]:
    import inspect

    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")
    return names


def _tokenize(tokenizer: Any, texts: Sequence[str], max_length: int, names: Sequence[str]) -> dict[str, Any]:
    enc = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="np")
    out = {}
    for name in names:
        if name in enc:
            out[name] = enc[name].astype("int64")
        else:  # token_type_ids for a tokenizer that does not produce them
            out[name] = enc["input_ids"].astype("int64") * 0
    return out


def convert(
    model: Any,
    tokenizer: Any,
    target: Path,
    precision: str,
    *,
    max_length: int,
    calibration: Sequence[str] = (),
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Trace the torch model (fp32), convert it to OpenVINO IR and, for int8, quantize it statically with nncf
    (SmoothQuant off: on the 0.6B-shaped model it bought 14 % speed for cosine 0.985 vs 0.998 to fp32); writes
    `target/model.xml`. Cancel is checked between steps and between calibration passages."""
    import openvino as ov
    import torch

    global conversions
    with _conversion_lock:
        conversions += 1
    texts = list(calibration) if precision == "int8" else []
    total = 3 + len(texts)
    done = 0

    def step() -> None:
        nonlocal done
        if cancel is not None:
            cancel.raise_if_cancelled()
        done += 1
        if on_progress is not None:
            on_progress(min(done, total), total)

    names = _input_names(model)
    model = model.float().eval()
    example = {k: torch.from_numpy(v) for k, v in _tokenize(tokenizer, ["a b c d"], max_length, names).items()}
    step()
    with torch.no_grad():
        ov_model = ov.convert_model(_LastHidden.build(model, names), example_input=example)
    for port, name in zip(ov_model.inputs, names, strict=True):
        port.get_tensor().set_names({name})
    ov_model.reshape({name: ov.PartialShape([-1, -1]) for name in names})
    step()
    if precision == "int8":
        if not texts:
            raise ValueError("static int8 needs calibration text and none was given")
        ov_model = _quantize(ov_model, tokenizer, texts, max_length, names, step)
    if cancel is not None:
        cancel.raise_if_cancelled()
    ov.save_model(ov_model, str(target / "model.xml"), compress_to_fp16=precision != "fp32")
    meta = {"precision": precision, "inputs": names, "calibration_texts": len(texts), **_versions(precision)}
    (target / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    step()


def _quantize(
    ov_model: Any, tokenizer: Any, texts: list[str], max_length: int, names: list[str], step: Callable[[], None]
) -> Any:
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, AdvancedSmoothQuantParameters

    seen = [0]

    def transform(text: str) -> dict[str, Any]:
        # nncf runs each passage through the float model to collect activation ranges; count the first pass only.
        if seen[0] < len(texts):
            step()
        seen[0] += 1
        return _tokenize(tokenizer, [text], max_length, names)

    # nncf draws its progress bar (rich) on stdout, which belongs to the CLI's --json output: send it to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        return nncf.quantize(
            ov_model,
            nncf.Dataset(texts, transform),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(texts),
            advanced_parameters=AdvancedQuantizationParameters(
                smooth_quant_alphas=AdvancedSmoothQuantParameters(matmul=-1)
            ),
        )


def ensure_converted(
    model: Any,
    tokenizer: Any,
    model_dir: Path,
    precision: str,
    cache_root: Path,
    *,
    max_length: int,
    calibration: CalibrationSource | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> tuple[Path, bool, int]:
    """(IR folder, whether this call converted, calibration passages used): the cached conversion, else a new one
    written to a temporary folder and renamed into place when complete."""
    key = cache_key(model_dir, precision)
    found = cached_ir(cache_root, key)
    if found is not None:
        return found, False, 0
    root = Path(cache_root)
    root.mkdir(parents=True, exist_ok=True)
    discard_partial(root)
    texts = list(calibration(CALIBRATION_TEXTS)) if precision == "int8" and calibration is not None else []
    staging = Path(tempfile.mkdtemp(prefix=".converting-", dir=root))
    try:
        convert(
            model,
            tokenizer,
            staging,
            precision,
            max_length=max_length,
            calibration=texts,
            on_progress=on_progress,
            cancel=cancel,
        )
        (staging / _MARKER).write_text(json.dumps({"key": key}), encoding="utf-8")
        target = root / key
        shutil.rmtree(target, ignore_errors=True)  # an unmarked leftover of an older run
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target, True, len(texts)


# --- running ---------------------------------------------------------------------------------------------------------
def compile_ir(folder: Path, precision: str) -> tuple[Any, list[str]]:
    """Compile the cached IR for the CPU: latency hint (one passage per pass), bf16 arithmetic on the bf16 path."""
    import openvino as ov

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    hint = "bf16" if precision == "bf16" else "f32"
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": hint}
    compiled = ov.Core().compile_model(str(folder / "model.xml"), "CPU", config)
    return compiled, list(meta["inputs"])


def openvino_module(compiled: Any, names: Sequence[str], config: Any) -> Any:
    """A torch module standing in for the HF model inside sentence-transformers' Transformer module."""
    import numpy as np
    import torch
    from transformers.modeling_outputs import BaseModelOutput

    class OpenVinoModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.config = config
            self._request = compiled.create_infer_request()
            self._lock = threading.Lock()  # one infer request: embedding and query threads take turns

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_: Any):
            feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            inputs = {}
            for name in names:
                value = feeds[name]
                if value is None:
                    value = torch.zeros_like(input_ids)
                inputs[name] = np.ascontiguousarray(value.detach().cpu().numpy(), dtype=np.int64)
            with self._lock:
                hidden = _infer(self._request, compiled.output(0), inputs)
            return BaseModelOutput(last_hidden_state=torch.from_numpy(hidden))

    return OpenVinoModel()


def _infer(request: Any, output: Any, inputs: dict[str, Any]) -> Any:
    """last_hidden_state as float32; a padded batch runs row by row without its padding.

    OpenVINO's attention turns a fully masked row (a left-padded position of Qwen3's causal mask) into NaN, which
    then spreads; torch's does not. On a CPU the embedder runs one passage per pass, so this is the rare path.
    """
    import numpy as np

    mask = inputs["attention_mask"]
    if mask.shape[0] == 1 or bool(mask.all()):
        return np.array(request.infer(inputs)[output], dtype=np.float32, copy=True)
    rows = []
    for i in range(mask.shape[0]):
        keep = mask[i].astype(bool)
        rows.append((keep, np.array(request.infer({k: v[i : i + 1, keep] for k, v in inputs.items()})[output])))
    hidden = np.zeros((*mask.shape, rows[0][1].shape[-1]), dtype=np.float32)
    for i, (keep, row) in enumerate(rows):
        hidden[i, keep] = row[0]
    return hidden


def install(
    st: Any,
    model_dir: Path,
    precision: str,
    cache_root: Path,
    *,
    calibration: CalibrationSource | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RuntimeStatus:
    """Run `st`'s transformer on OpenVINO (converting on first use). Raises on any failure, Cancelled on cancel;
    the caller falls back to torch (see `try_install`). On success the torch weights are released."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown OpenVINO precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    problem = openvino_problem()
    if problem is not None:
        raise RuntimeError(problem)
    transformer = st[0]
    model = transformer.model
    folder, converted, used = ensure_converted(
        model,
        transformer.tokenizer,
        model_dir,
        precision,
        cache_root,
        max_length=int(st.max_seq_length),
        calibration=calibration,
        on_progress=on_progress,
        cancel=cancel,
    )
    try:
        compiled, names = compile_ir(folder, precision)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)  # a corrupt cache entry: the next load converts again
        raise
    transformer.model = openvino_module(compiled, names, model.config)
    return RuntimeStatus("openvino", precision, converted=converted, calibration_texts=used)


def try_install(
    st: Any,
    model_dir: Path,
    precision: str,
    cache_root: Path,
    *,
    calibration: CalibrationSource | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RuntimeStatus:
    """`install`, but any failure other than a cancel leaves `st` on torch (its original dtype restored) and returns
    a 'torch' status saying why, logged once."""
    model = st[0].model
    dtype = getattr(model, "dtype", None)
    try:
        return install(
            st, model_dir, precision, cache_root, calibration=calibration, on_progress=on_progress, cancel=cancel
        )
    except Cancelled:
        raise
    except Exception as exc:
        if dtype is not None and getattr(st[0].model, "dtype", dtype) != dtype:
            st[0].model.to(dtype)  # conversion casts to fp32 first
        note = f"OpenVINO {precision} unavailable, running on torch: {type(exc).__name__}: {exc}"
        log.warning(note)
        return RuntimeStatus("torch", precision, note=note[:500])
