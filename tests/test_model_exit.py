"""Exit frees the model only after every reader is done: a reply's preparation tokenizes its
prompt outside the generation lock, and a process stopping meanwhile must not free the model
under it (a read of freed memory can end the process in a segmentation fault)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import json, sys, threading, time
    from assistant.generator import LlamaConfig, LlamaGenerator
    from assistant import generator_llama
    from ground.errors import ModelError
    from ground.settings import Settings
    from models.llm_file import resolve_llm_path

    settings = Settings.load(home=sys.argv[1])
    generator = LlamaGenerator(LlamaConfig.from_settings(settings, resolve_llm_path(settings)))
    events = []
    llm = generator.model.llm
    tokenize, close = llm.tokenize, llm.close
    entered, late = threading.Event(), []

    def slow_tokenize(*args, **kwargs):  # a long prompt being counted when exit comes
        entered.set()
        time.sleep(0.5)
        tokens = tokenize(*args, **kwargs)
        events.append("tokenized")
        return tokens

    def closing():
        events.append("closed")
        close()

    llm.tokenize, llm.close = slow_tokenize, closing
    reader = threading.Thread(target=generator.count_tokens, args=("梯度裁剪",), daemon=True)
    reader.start()
    entered.wait()
    generator_llama.close_loaded_models()  # what atexit runs
    try:
        generator.count_tokens("after exit")
        late.append("tokenized after exit")
    except ModelError as error:
        late.append(str(error))
    print(json.dumps({"events": events, "late": late}))
""")


@pytest.mark.timeout(300)
def test_exit_waits_for_a_prompt_being_tokenized_and_refuses_new_ones(model_settings, tmp_path):
    done = subprocess.run([sys.executable, "-c", CHILD, str(model_settings.home)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["events"] == ["tokenized", "closed"]
    assert report["late"] == ["the model is closing: the app is stopping"]
