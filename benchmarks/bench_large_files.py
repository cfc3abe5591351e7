"""Chunking large files: seconds and peak memory per file, each in a fresh process.

    python -m benchmarks.bench_large_files            # writes results/large_files.md

Four 30 MB-class inputs, read, decoded, cleaned and chunked by the real ingest pipeline with the
real tokenizer (no embedding): one line of 30 MB (refused: a line is capped at 200,000
characters), a Markdown note with a 2 MB base64 image pasted in, the longest line allowed
(200,000 characters), and 30 MB of ordinary Q&A sections (stopped at 5,000 passages). Before
issue 17 a 10 MB single line took 299 s and 30 MB ran past 600 s and 4.3 GB unfinished.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "large_files.md"
WORKER = r"""
import json, resource, sys, time
from pathlib import Path
from index.embedding_files import resolve_embedding_model
from ingest.pipeline import ingest_paths
from ground.settings import Settings
from ingest.store import Store
from ingest.token_count import load_token_counter
settings = Settings.load(home=sys.argv[2])
counter = load_token_counter(resolve_embedding_model(settings))
started = time.monotonic()
with Store.open(settings.home) as store:
    report = ingest_paths(store, [sys.argv[1]], settings, counter, max_tokens=counter.window)
    chunks = len(store.chunks())
seconds = time.monotonic() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "chunks": chunks,
                  "line": report.outcomes[0].line.split(": ", 1)[-1][:150]}))
"""


def make_inputs(folder: Path) -> dict[str, Path]:
    words = "梯度裁剪dropout学习率attention" * 10_000
    one_line = folder / "one-line-30mb.md"
    with open(one_line, "w", encoding="utf-8") as stream:
        while stream.tell() < 30 * 2**20:
            stream.write(words)
    image = folder / "image-2mb.md"
    payload = base64.b64encode(os.urandom(1_500_000)).decode()
    image.write_text(f"# 图\n\n## 梯度\n\n![shot](data:image/png;base64,{payload})\n\n正文。\n",
                     encoding="utf-8")
    longest = folder / "line-200k.md"
    longest.write_text(words[:200_000], encoding="utf-8")
    sections = folder / "sections-30mb.md"
    answer = "梯度裁剪是一种防止梯度爆炸的方法，它把梯度的范数限制在阈值以内。" * 3
    with open(sections, "w", encoding="utf-8") as stream:
        n = 0
        while stream.tell() < 30 * 2**20:
            stream.write(f"## 问题 {n}\n\n{answer}\n\n")
            n += 1
    return {"30 MB on one line": one_line, "2 MB base64 image in Markdown": image,
            "200,000 characters on one line": longest, "30 MB of Q&A sections": sections}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, path in make_inputs(Path(scratch)).items():
            home = Path(scratch) / f"home-{path.stem}"
            result = subprocess.run([sys.executable, "-c", WORKER, str(path), str(home)],
                                    capture_output=True, text=True, check=True)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            size = path.stat().st_size / 2**20
            rows.append(f"| {name} | {size:.1f} | {figures['seconds']:.1f} | "
                        f"{figures['peak_mb']:.0f} | {figures['chunks']} | {figures['line']} |")
            print(rows[-1], flush=True)
    table = "\n".join(["| input | MB | seconds | peak RSS MB | passages | outcome |",
                       "| --- | --- | --- | --- | --- | --- |", *rows])
    RESULTS.write_text(f"# Large files\n\n`python -m benchmarks.bench_large_files`\n\n{table}\n",
                       encoding="utf-8")


if __name__ == "__main__":
    main()
