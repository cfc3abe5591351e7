"""Start llama-cpp-python's own OpenAI-compatible server (``llama_cpp.server``) on loopback.

Used by the endpoint tests and the load benchmark: the bundled GGUF, a free 127.0.0.1 port, the
product's context size, and ``--interrupt_requests False`` (otherwise every new request, even a
tokenizer call, cuts the answer being streamed short).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

START_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    url: str  # the OpenAI base URL, ".../v1"
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_llm_server(model_path: Path, n_ctx: int, n_threads: int, log_path: Path,
                     seed: int = 1234) -> RunningServer:
    """Run the server and wait until ``GET /v1/models`` answers (or raise with its log)."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
               "--n_threads", str(n_threads), "--n_threads_batch", str(n_threads),
               "--flash_attn", "True", "--seed", str(seed), "--interrupt_requests", "False"]
    log = open(log_path, "wb")  # noqa: SIM115 (the child keeps writing to it)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = RunningServer(f"http://127.0.0.1:{port}/v1", log_path, process)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited {process.returncode}:\n{server.log()}")
        try:
            if httpx2.get(server.url + "/models", timeout=2).status_code == 200:
                return server
        except httpx2.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"llama_cpp.server did not start within {START_SECONDS:g} s")
