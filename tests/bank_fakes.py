"""A scripted generator for the question bank's plumbing tests (the real ``Generator`` seam).

It answers the two prompts the bank's worker sends -- "write an item" (quiz schemas) and "answer
it blind" (verification) -- from the passage in the prompt, deterministically: the item's key
is the passage's first long line, and blind answers pick the option the passage states. So every
item it writes is one the verifier accepts, and the tests check plumbing, not quality.

``pause_marker``: a file path; the generator writes it and sleeps while streaming, so a test can
kill the process knowing it is mid-item.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from assistant.generator import Generator, Prompt


class ScriptedGenerator(Generator):
    def __init__(self, piece_seconds: float = 0.0, pause_marker: Path | None = None):
        self.piece_seconds = piece_seconds
        self.pause_marker = pause_marker
        self.calls = 0

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> Iterator[str]:
        self.calls += 1
        text = self._reply(prompt)
        if self.pause_marker is not None:
            self.pause_marker.write_text(str(self.calls))
        for start in range(0, len(text), 8):
            if cancel is not None and cancel.is_set():
                return
            if self.piece_seconds:
                time.sleep(self.piece_seconds)
            yield text[start:start + 8]

    def _reply(self, prompt: Prompt) -> str:
        user = prompt.messages[-1].content
        passage = user.split("</passage>")[0]
        lines = [re.sub(r"[*#>\s]+", "", line) for line in passage.split("\n")[1:]]
        fact = next((line for line in lines if len(line) >= 12), "这段笔记讲的是训练方法")[:50]
        schema = json.loads(prompt.json_schema or "{}")
        wanted = set(schema.get("properties", {}))
        if wanted == {"question", "options", "answer_index", "explanation"}:
            return json.dumps({"question": "下列哪一项是这段笔记写到的内容？",
                               "options": [fact, "甲乙丙丁", "子丑寅卯", "春夏秋冬"],
                               "answer_index": 0, "explanation": fact}, ensure_ascii=False)
        if wanted == {"statement", "answer", "explanation"}:
            return json.dumps({"statement": fact, "answer": True, "explanation": fact},
                              ensure_ascii=False)
        if wanted == {"question", "reference_answer"}:
            return json.dumps({"question": "这段笔记的第一句说了什么？", "reference_answer": fact},
                              ensure_ascii=False)
        if wanted == {"answer_index"}:
            options = re.findall(r"^(\d)\. (.*)$", user, re.MULTILINE)
            flat = re.sub(r"[*#>\s]+", "", passage)
            index = next((int(n) for n, option in options if option and option in flat), 0)
            return json.dumps({"answer_index": index})
        if wanted == {"answer"} and schema["properties"]["answer"].get("type") == "boolean":
            return json.dumps({"answer": True})
        return json.dumps({"answer": fact}, ensure_ascii=False)
