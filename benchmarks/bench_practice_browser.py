"""Practice in the real app, in headless Chromium: Start -> first question on screen, then
answer -> Next -> second question on screen, timed as the student sees it.

    python -m benchmarks.bench_practice_browser --home /tmp/qb      # a home with a filled bank

Starts ``study ui`` on a free port over ``--home``, opens the Practice page, and per topic:
types it, presses Start, and times until "第 1 题" is drawn; then presses "这道题有错" (report:
the next question takes its place, as after Next) and times until the next question is drawn.
It works on a copy of ``--home`` (reports change the bank). The figures are appended to
``HOME/bench_quiz.json`` (``bench_quiz report`` writes them into results/quiz.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOPICS = ["正则化", "梯度裁剪", "Dropout", "迁移学习", "批量归一化"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("study ui did not become healthy")


def run(original: Path) -> list[dict]:
    import tempfile

    from playwright.sync_api import sync_playwright

    folder = tempfile.mkdtemp(prefix="bench-practice-")
    home = Path(folder) / "home"  # reporting questions changes the bank: work on a copy
    shutil.copytree(original, home, ignore=shutil.ignore_patterns("*.lock"))
    port = free_port()
    env = dict(os.environ, STUDY_HOME=str(home), STUDY_UI_PORT=str(port),
               STUDY_BANK_WORKER="off")  # timing the page, not the worker
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "ui"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        wait_healthy(url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(url + "/practice")
            page.get_by_role("button", name="开始练习").wait_for(timeout=300_000)
            for topic in TOPICS:
                page.get_by_label("主题（留空则覆盖全部笔记）").fill(topic)
                start = time.perf_counter()
                page.get_by_role("button", name="开始练习").click()
                page.get_by_text("第 1 题").first.wait_for(timeout=600_000)
                first = time.perf_counter() - start
                report = page.get_by_role("button", name="这道题有错，移出题库")
                report.wait_for(timeout=60_000)
                before = page.locator("h4").all_inner_texts()  # a question's lines
                start = time.perf_counter()
                report.click()  # the next question takes its place
                for _ in range(6000):
                    now = page.locator("h4").all_inner_texts()
                    if now and now != before:
                        break
                    page.wait_for_timeout(10)
                following = time.perf_counter() - start
                rows.append({"topic": topic, "first_s": round(first, 2),
                             "next_s": round(following, 2)})
                print(rows[-1], flush=True)
                page.goto(url + "/practice")
                page.get_by_role("button", name="开始练习").wait_for(timeout=300_000)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", required=True, type=Path)
    args = parser.parse_args()
    rows = run(args.home)
    path = args.home / "bench_quiz.json"
    figures = json.loads(path.read_text()) if path.exists() else {}
    figures["browser"] = {"rows": rows, "load_average": os.getloadavg()[0]}
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
