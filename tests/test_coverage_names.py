"""Names given anywhere in a question, not only as its subject (assistant.coverage.token_names),
on the real sample library: a technique the notes never name is refused even when the grammar
finds no subject; a name given as an example (比如 ...) of a subject the notes treat is not
what is asked."""

from __future__ import annotations

import pytest

from assistant.coverage import assess_coverage
from assistant.explain import retrieve
from assistant.library_profile import profile_of


@pytest.mark.parametrize("question, covered", [
    # no subject the grammar reads; FCOS and CenterNet never occur in the notes
    ("不用 anchor 的检测器（比如 FCOS、CenterNet）是怎么直接预测框的？", False),
    ("做命名实体识别时，BiLSTM 后面为什么还要接一层 CRF？", False),
    # 强化学习 is treated: Q-learning beside it is an example, as the sample question asks it
    ("强化学习的值函数方法和策略梯度方法，比如 Q-learning、PPO，具体怎么实现？", True),
    # BN is treated, SyncBN never named: as the thing asked it refuses, as an example not
    ("BN 的跨卡同步版本（SyncBN）是怎么统计均值和方差的？", False),
    ("BN 有几种变体，比如 SyncBN，它们是怎么统计均值和方差的？", True),
    # lowercase words are not names: the notes write 微调 and 堆叠
    ("一个预训练模型怎么同时 fine-tune 好几个下游任务", True),
])
def test_a_name_the_notes_never_use_decides_wherever_it_stands(sample_library, question,
                                                               covered):
    profile = profile_of(sample_library)
    _, dense = retrieve(sample_library, question, 8, None)
    coverage = assess_coverage(question, dense, sample_library, profile)
    assert coverage.covered is covered, coverage
