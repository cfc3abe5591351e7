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
import time
from pathlib import Path

from tests.browser_support import chromium, study_ui

TOPICS = ["正则化", "梯度裁剪", "Dropout", "迁移学习", "批量归一化"]


def run(original: Path) -> list[dict]:
    import tempfile

    folder = tempfile.mkdtemp(prefix="bench-practice-")
    home = Path(folder) / "home"  # reporting questions changes the bank: work on a copy
    shutil.copytree(original, home, ignore=shutil.ignore_patterns("*.lock"))
    env = dict(os.environ, STUDY_HOME=str(home),
               STUDY_BANK_WORKER="off")  # timing the page, not the worker
    rows = []
    with study_ui(env, seconds=180) as url, chromium() as browser:
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
