"""Parse untrusted PDF and Word files in a child process with time and memory limits.

A hostile or broken file can make a parser loop, recurse or allocate without bound; in a
child process that costs one ``SKIPPED`` line instead of the whole batch. The child is a fresh
interpreter (``python -m ingest.readers.worker``), gets the bytes already hashed by the parent
on stdin (so what is parsed is what was hashed), may not write files, and answers in JSON.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from ground.errors import IngestError
from ingest.readers.extracted import ExtractedText

PARSE_TIMEOUT_SECONDS = 60.0
PARSE_MEMORY_BYTES = 1024 * 1024 * 1024
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_NAMES = {"pdf": "PDF", "docx": "Word document"}


def read_sandboxed(
    data: bytes,
    fmt: str,
    timeout: float = PARSE_TIMEOUT_SECONDS,
    memory_bytes: int = PARSE_MEMORY_BYTES,
) -> ExtractedText:
    if fmt == "docx":
        from ingest.readers.docx_reader import check_archive

        check_archive(data)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "ingest.readers.worker", fmt],
            input=data,
            capture_output=True,
            timeout=timeout,
            env=env,
            preexec_fn=lambda: _limit(timeout, memory_bytes),
        )
    except subprocess.TimeoutExpired:
        raise IngestError(f"parsing the {_NAMES[fmt]} took over {timeout:g} s") from None
    if finished.returncode != 0:
        raise IngestError(_failure(fmt, finished.returncode, finished.stderr))
    try:
        result = json.loads(finished.stdout)
    except ValueError:
        raise IngestError(f"the {_NAMES[fmt]} parser gave no readable answer") from None
    if "error" in result:
        raise IngestError(result["error"])
    return ExtractedText(result["text"], fmt, None, result.get("title") or None,
                         tuple(result.get("page_starts") or ()))


def _limit(timeout: float, memory_bytes: int) -> None:
    cpu = int(timeout) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _failure(fmt: str, returncode: int, stderr: bytes) -> str:
    name = _NAMES[fmt]
    if returncode < 0:
        signal_name = signal.Signals(-returncode).name
        return f"the {name} parser was stopped ({signal_name}: time or memory limit)"
    if b"MemoryError" in stderr:
        return f"parsing the {name} exceeded the {PARSE_MEMORY_BYTES // 2**20} MB memory limit"
    last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
    return f"the {name} parser failed ({last[0][:200]})"
