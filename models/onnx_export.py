"""One-time setup step: the bundled e5 model as an int8 ONNX graph, ready for ONNX Runtime.

Why: on a 2-core CPU plain fp32 torch embeds ~10 passages/s and costs ~10 s and 1.3 GB to load
(importing torch and transformers alone is most of that). The same encoder exported to ONNX,
fused (attention, GELU, layer norms) and dynamically quantized to int8 embeds about twice as fast
and loads with only ``onnxruntime`` and ``tokenizers`` (benchmarks/bench_embed.py), at a
cosine of >= 0.99 to the fp32 vectors.

Steps, all offline, from the converted sentence-transformers directory:

1. export ``BertModel`` + mean pooling + L2 normalization as one graph (ids, mask) -> vector;
2. ONNX Runtime's BERT optimizer fuses it (eager attention exports the pattern it knows);
3. ``quantize_dynamic``: int8 weights per output channel, activations quantized on the fly.
   Built on the user's own machine, so it fits that CPU: with VNNI the weights keep all 8 bits;
   without it they get a 7-bit range, since the AVX2 int8 kernel (``vpmaddubsw``) saturates on
   full-range weights (ONNX Runtime's advice). On the dev set 8-bit keeps fp32's Hit@1, 7-bit
   loses 2 of 74 top-1 hits; Hit@5 is unchanged either way.

The result lives beside the model in the cache, with a manifest of sizes and sha256 that also
records which converted model it came from, so a re-conversion makes it stale, not wrong.
torch, transformers and onnx are imported only here, never on the embedding path.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ground.atomic_files import ProgressCallback, atomic_write_bytes, replace_directory, sha256_of
from ground.errors import ModelError
from ground.settings import Settings
from models.embedding_files import MANIFEST_NAME, bundled_dir
from models.model_status import ModelStatus

ONNX_DIR_NAME = "multilingual-e5-small-onnx-int8"
ONNX_MANIFEST_NAME = "study-onnx.json"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
OPSET = 17
# Copied from the sentence-transformers directory: prompts, max length, pooling (checked).
COPIED_FILES = (TOKENIZER_FILE, "config_sentence_transformers.json", "sentence_bert_config.json")


def onnx_dir(settings: Settings) -> Path:
    return settings.model_cache / ONNX_DIR_NAME


def install_onnx_int8(settings: Settings, progress: ProgressCallback | None = None) -> Path:
    """Build ``onnx_dir`` from the installed bundled model (about a minute); call after
    ``embedding_files.install_bundled``. Replaces any old copy atomically."""
    source = bundled_dir(settings)
    source_manifest = source / MANIFEST_NAME
    if not source_manifest.is_file():
        raise ModelError(f"{source}: embedding model not installed; run 'study models install'")
    target = onnx_dir(settings)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    steps = 4

    def step(done: int) -> None:
        if progress:
            progress(done, steps)

    try:
        fp32_path = staging / "model-fp32.onnx"
        export_fp32(source, fp32_path)
        step(1)
        fused_path = staging / "model-fused.onnx"
        fuse_bert(fp32_path, fused_path, json.loads((source / "config.json").read_text()))
        step(2)
        reduce_range = not cpu_has_vnni()
        quantize_int8(fused_path, staging / MODEL_FILE, reduce_range)
        fp32_path.unlink()
        fused_path.unlink()
        step(3)
        for name in COPIED_FILES:
            shutil.copyfile(source / name, staging / name)
        files = {
            name: {"size": (staging / name).stat().st_size, "sha256": sha256_of(staging / name)}
            for name in (MODEL_FILE, *COPIED_FILES)
        }
        manifest = {
            "source_manifest_sha256": sha256_of(source_manifest),
            "export": {
                "opset": OPSET,
                "quantization": "dynamic int8, per-channel weights"
                + (", 7-bit range (no VNNI)" if reduce_range else ""),
            },
            "files": files,
        }
        atomic_write_bytes(staging / ONNX_MANIFEST_NAME, json.dumps(manifest, indent=1).encode())
        replace_directory(staging, target)
        step(4)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def onnx_int8_problem(settings: Settings) -> str | None:
    """Why ``onnx_dir`` cannot be used as it stands (missing, stale, truncated), else None.

    Cheap (sizes only, plus hashing the small source manifest): it runs on every start.
    """
    target = onnx_dir(settings)
    try:
        manifest = json.loads((target / ONNX_MANIFEST_NAME).read_text(encoding="utf-8"))
        source_manifest = bundled_dir(settings) / MANIFEST_NAME
        if manifest["source_manifest_sha256"] != sha256_of(source_manifest):
            return f"{target}: built from another conversion of the model"
        for name, expected in manifest["files"].items():
            path = target / name
            if not path.is_file() or path.stat().st_size != expected["size"]:
                return f"{path}: missing or truncated"
    except (OSError, ValueError, KeyError):
        return f"{target}: int8 ONNX model not installed"
    return None


def onnx_int8_installed(settings: Settings) -> bool:
    return onnx_int8_problem(settings) is None


def onnx_status(settings: Settings) -> ModelStatus:
    """The int8 export of the bundled embedder (the default fast path)."""
    directory = onnx_dir(settings)
    problem = onnx_int8_problem(settings)
    if settings.embedding_model:
        return ModelStatus(directory.name, "embedding-int8", directory, 0, "", "external",
                           "not used with a user-supplied embedding model")
    if problem:
        return ModelStatus(directory.name, "embedding-int8", directory, 0, "", "missing", problem)
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    return ModelStatus(directory.name, "embedding-int8", directory, size, "", "ok")


def export_fp32(model_dir: Path, onnx_path: Path) -> None:
    """(input_ids, attention_mask) -> L2-normalized mean-pooled embedding, as one fp32 graph."""
    import torch
    from transformers import AutoModel

    class PooledEncoder(torch.nn.Module):
        """The sentence-transformers pipeline of the bundled model, in one traceable module."""

        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            tokens = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    _require_mean_pooling(model_dir)
    # Eager attention exports the MatMul/Softmax pattern ONNX Runtime fuses into Attention.
    encoder = AutoModel.from_pretrained(model_dir, attn_implementation="eager")
    model = PooledEncoder(encoder).eval()
    ids = torch.tensor([[0, 6, 7, 2], [0, 8, 2, 1]])
    mask = (ids != 1).long()
    dynamic = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (ids, mask),
            str(onnx_path),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "sentence_embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, pattern fuses
        )


def fuse_bert(onnx_path: Path, fused_path: Path, config: dict) -> None:
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(onnx_path),
        model_type="bert",
        num_heads=config["num_attention_heads"],
        hidden_size=config["hidden_size"],
    )
    if not fused.get_fused_operator_statistics().get("Attention"):
        raise ModelError(f"{onnx_path}: attention did not fuse; the int8 model would be slow")
    fused.save_model_to_file(str(fused_path))


def cpu_has_vnni() -> bool:
    """Whether int8 dot products run on VNNI (no saturation); False when unknown."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def quantize_int8(onnx_path: Path, int8_path: Path, reduce_range: bool) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(onnx_path),
        str(int8_path),
        weight_type=QuantType.QInt8,
        per_channel=True,  # per-tensor int8 word embeddings cost 0.01 of cosine
        reduce_range=reduce_range,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # contrib ops from step 2
    )


def _require_mean_pooling(model_dir: Path) -> None:
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
    pooling_path = model_dir / "1_Pooling" / "config.json"
    pooling = json.loads(pooling_path.read_text(encoding="utf-8")) if pooling_path.is_file() else {}
    if kinds != ["Transformer", "Pooling", "Normalize"] or not pooling.get(
        "pooling_mode_mean_tokens"
    ):
        raise ModelError(f"{model_dir}: ONNX export expects Transformer, mean Pooling, Normalize")
