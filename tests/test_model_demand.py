"""The background worker yields the model to the student (``assistant.model_demand``), on fakes."""

from __future__ import annotations

import threading

import bank_fakes
import pytest
from fakes import FakeModelsLibrary, ScriptedGenerator

from assistant.bank import attach
from assistant.bank_store import BankStore
from assistant.bank_worker import MODEL_SLOTS, BankWorker
from assistant.generator import Message, Prompt
from assistant.model_demand import Interactive, ModelDemand, yielding_event

NOTE = """# 训练技巧

## 什么是梯度裁剪？

梯度裁剪在梯度的范数超过设定的阈值时按比例缩小梯度，用来防止梯度爆炸，使训练更稳定。
它常用于循环神经网络的训练，阈值一般取 1 到 5 之间。
"""
PROMPT = Prompt((Message("user", "什么是梯度裁剪？"),), max_tokens=64)


def test_demand_is_busy_while_an_interactive_completion_is_read_and_idle_after():
    demand = ModelDemand()
    inner = ScriptedGenerator()
    inner.enqueue(["梯度", "裁剪", "限制梯度"])
    interactive = Interactive(inner, demand)
    assert demand.idle_for() == float("inf") and not demand.busy()
    stream = interactive.stream(PROMPT)
    assert not demand.busy()  # made but not read: holds nothing up
    seen = []
    for piece in stream:
        seen.append((piece, demand.busy(), demand.idle_for()))
    assert [busy for _, busy, _ in seen] == [True, True, True]
    assert all(idle == 0.0 for _, _, idle in seen)
    assert not demand.busy() and 0.0 < demand.idle_for() < float("inf")


def test_a_yielding_event_is_set_once_the_student_wants_the_model_and_stays_set():
    demand = ModelDemand()
    event = yielding_event(demand)
    assert not event.is_set()
    demand.enter()
    assert event.is_set() and event.yielded
    demand.exit()
    assert event.is_set()  # the work it cancelled is incomplete: it must be redone, not kept
    assert not yielding_event(demand).is_set()  # the next slot starts afresh


def test_the_workers_completion_stops_when_an_interactive_one_starts():
    demand = ModelDemand()
    background = ScriptedGenerator()
    background.enqueue([f"piece{n} " for n in range(10)])
    student = ScriptedGenerator()
    student.enqueue(["答案"])
    worker_stream = background.stream(PROMPT, yielding_event(demand))
    got = [next(worker_stream), next(worker_stream)]
    student_stream = Interactive(student, demand).stream(PROMPT)
    assert next(student_stream) == "答案"  # the student's completion is running
    got += list(worker_stream)
    assert got == ["piece0 ", "piece1 "]
    assert worker_stream.stats.finish_reason == "cancelled"
    list(student_stream)


@pytest.fixture
def small_library(tmp_path, fake_settings):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "clipping.md").write_text(NOTE, encoding="utf-8")
    library = FakeModelsLibrary.open(fake_settings.replace(home=tmp_path / "home"))
    attach(library)
    library.ingest([notes])
    yield library
    library.close()


def stored(home) -> tuple[int, int, list[str]]:
    store = BankStore.open(home)
    try:
        made = [item for item in store.items("active") if not item.extracted]
        states = [p.model_state for p in store.passages().values() if p.status == "active"]
        rejected = len(store.rejections())
    finally:
        store.close()
    return len(made), rejected, states


def test_the_worker_drops_its_slot_unrecorded_when_the_student_asks_and_redoes_it_later(
        small_library):
    demand = ModelDemand()
    generator = bank_fakes.ScriptedGenerator()
    started: list[str] = []

    def student_arrives(passage, slot):
        started.append(slot)
        if len(started) == 1:
            demand.enter()  # an interactive question while the first slot is being made

    worker = BankWorker(small_library, generator, demand=demand, on_slot=student_arrives)
    assert worker.fill_one() is True
    assert stored(small_library.settings.home) == (0, 0, ["pending"])  # nothing half-made kept
    demand.exit()
    assert worker.fill_one() is True
    made, rejected, states = stored(small_library.settings.home)
    assert made + rejected == len(MODEL_SLOTS) and states == ["done"]
    assert worker.fill_one() is False  # nothing pending, nothing doubled


def test_the_running_worker_leaves_the_model_alone_while_the_student_uses_it(small_library):
    demand = ModelDemand()
    generator = bank_fakes.ScriptedGenerator()
    polled = threading.Event()

    class Watched(ModelDemand):
        def idle_for(self) -> float:
            polled.set()
            return demand.idle_for()

        def busy(self) -> bool:
            polled.set()
            return demand.busy()

    demand.enter()
    worker = BankWorker(small_library, generator, demand=Watched())
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop, 0.0), daemon=True)
    thread.start()
    assert polled.wait(10)
    polled.clear()
    assert polled.wait(10)  # it has looked twice and found the student busy both times
    assert generator.calls == 0
    demand.exit()
    stop.set()
    thread.join(10)
    assert not thread.is_alive()

