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


def test_reextracting_keeps_the_definition_mcqs_made_from_the_cards(tmp_path, fake_settings):
    """``study bank reextract`` used to retire every definition MCQ (their slots are not the
    extraction rules' own) and could not bring them back."""
    from assistant.bank import QuestionBank

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "terms.md").write_text(
        "# 术语\n\n" + "".join(
            f"## 第 {n} 节\n\n{term}（{gloss}）是指{text}。\n\n"
            for n, (term, gloss, text) in enumerate((
                ("梯度裁剪", "Clipping", "在梯度的范数超过阈值时按比例缩小梯度的一种训练技巧"),
                ("早停法", "Early Stop", "在验证集上的性能不再提升时提前结束训练的一种正则方法"),
                ("词嵌入", "Embedding", "把离散的词映射为稠密低维向量的一种表示方法"),
                ("学习率预热", "Warmup", "在训练初期让学习率从很小的值逐步增大到设定值的策略"),
                ("注意力机制", "Attention", "按相关程度给序列中各位置分配权重再加权求和的计算方式"),
            ), start=1)), encoding="utf-8")
    library = FakeModelsLibrary.open(fake_settings.replace(home=tmp_path / "home"))
    try:
        attach(library)
        library.ingest([notes])
        with QuestionBank.open(library) as bank:
            before = {i.item_key for i in bank.store.items("active")
                      if i.made_by == "extracted:definition-mcq"}
            assert before
            bank.reextract()
            after = {i.item_key for i in bank.store.items("active")
                     if i.made_by == "extracted:definition-mcq"}
        assert after == before
    finally:
        library.close()
