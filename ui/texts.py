"""The app's labels in Chinese and English; the sidebar switch picks one (answers follow the
question's language, whatever the labels are)."""

from __future__ import annotations

import streamlit as st

LANGUAGES = {"zh": "中文", "en": "English"}

LABELS: dict[str, tuple[str, str]] = {
    # navigation
    "chat": ("问答", "Chat"),
    "practice": ("练习", "Practice"),
    "progress": ("进度", "Progress"),
    "library": ("资料库", "Library"),
    "settings": ("设置", "Settings"),
    # chat
    "mode": ("模式", "Mode"),
    "explain": ("讲解", "Explain"),
    "compare": ("比较", "Compare"),
    "ask_placeholder": ("就你的笔记提问…", "Ask about your notes…"),
    "compare_placeholder": ("要比较的概念，用 vs 或逗号分隔，如：预训练 vs 微调",
                            "Concepts to compare, separated by vs or commas: CNN vs RNN"),
    "compare_needs_two": ("请给出 2 到 4 个概念，用 vs 或逗号分隔。",
                          "Give 2 to 4 concepts, separated by vs or commas."),
    "new_chat": ("新对话", "New chat"),
    "export": ("导出为 Markdown", "Export as Markdown"),
    "stop": ("停止", "Stop"),
    "sources": ("来源", "Sources"),
    "also_in": ("也见于", "Also in"),
    "nearest": ("最接近的主题", "Nearest topics"),
    "unsupported": ("以下句子在笔记中找不到依据：", "Not supported by your notes:"),
    "reading_prompt": ("正在读取资料（这一步无法中断）…",
                       "Reading the passages (this step cannot be interrupted)…"),
    "queued": ("排队中：另一个回答正在生成…", "Queued: another answer is being written…"),
    "writing_comparison": ("正在撰写比较…", "Writing the comparison…"),
    "no_model": ("生成不可用：{reason}。将直接展示笔记中的段落。",
                 "Generation is unavailable: {reason}. Showing passages from your notes."),
    "empty_library": ("资料库是空的：请先在「资料库」页添加笔记。",
                      "The library is empty: add notes on the Library page first."),
    "welcome": ("问一个关于笔记的问题，例如：梯度消失和梯度爆炸是什么？",
                "Ask a question about your notes, e.g. What is dropout?"),
    # practice
    "topic": ("主题（留空则覆盖全部笔记）", "Topic (empty: across all notes)"),
    "weakest": ("我最薄弱的主题", "Whatever I'm weakest at"),
    "count": ("题目数量", "Number of questions"),
    "kind": ("题型", "Question type"),
    "mcq": ("单选题", "Multiple choice"),
    "short": ("简答题", "Short answer"),
    "truefalse": ("判断题", "True / false"),
    "start": ("开始练习", "Start practice"),
    "review_due": ("复习到期题目（{n}）", "Review due ({n})"),
    "generating_question": ("正在出题…", "Writing a question…"),
    "your_answer": ("你的答案", "Your answer"),
    "submit": ("提交", "Submit"),
    "next": ("下一题", "Next question"),
    "finish": ("查看得分", "See score"),
    "correct": ("回答正确", "Correct"),
    "partial": ("部分正确", "Partly correct"),
    "incorrect": ("回答错误", "Incorrect"),
    "expected": ("正确答案", "Correct answer"),
    "missing": ("缺少", "Missing"),
    "explanation": ("解析", "Explanation"),
    "cited_passage": ("出处", "Source"),
    "score": ("得分：{right} / {asked}", "Score: {right} / {asked}"),
    "practice_again": ("再练一组", "Practise again"),
    "no_items": ("没能生成题目：笔记中没有找到这个主题。",
                 "No questions could be written: the notes do not cover this topic."),
    "question_n": ("第 {n} 题 / 共 {total} 题", "Question {n} of {total}"),
    # progress
    "mastery": ("掌握度", "Mastery"),
    "no_history": ("还没有练习记录：去「练习」页答几道题吧。",
                   "No practice yet: answer a few questions on the Practice page."),
    "weakest_topics": ("最薄弱的主题", "Weakest topics"),
    "practise_this": ("练习", "Practise"),
    "topics_practised": ("已练习的主题", "Topics practised"),
    "topic_column": ("主题", "topic"),
    "attempts": ("作答次数", "attempts"),
    "share_correct": ("正确率", "correct"),
    "last_practised": ("上次练习", "last practised"),
    "stability": ("记忆稳定性（天）", "stability (days)"),
    "due_column": ("待复习", "due now"),
    "next_due": ("下次复习", "next due"),
    "export_history": ("导出学习记录（JSON）", "Export study history (JSON)"),
    "import_history": ("导入学习记录（JSON）", "Import study history (JSON)"),
    "imported": ("已导入 {n} 条记录。", "Imported {n} records."),
    # library
    "upload": ("上传笔记（md、txt、html、pdf、docx）", "Upload notes (md, txt, html, pdf, docx)"),
    "ingest": ("加入资料库", "Add to library"),
    "ingesting": ("正在处理 {done}/{total}…", "Processing {done}/{total}…"),
    "embedding": ("正在建立索引 {done}/{total}…", "Indexing {done}/{total}…"),
    "too_large": ("{name}：文件过大（{size:.1f} MB，上限 {limit:.0f} MB），未加入。",
                  "{name}: too large ({size:.1f} MB, the limit is {limit:.0f} MB); not added."),
    "documents": ("文档", "Documents"),
    "chunks": ("片段", "Chunks"),
    "remove": ("删除", "Remove"),
    "removed": ("已删除 {title}。", "Removed {title}."),
    "reindex": ("重建索引", "Re-index"),
    "reindexed": ("索引已重建：{n} 个片段。", "Index rebuilt: {n} chunks."),
    "no_documents": ("资料库中还没有文档。", "No documents in the library yet."),
    "result": ("结果", "Result"),
    "file": ("文件", "File"),
    "reason": ("原因", "Reason"),
    # settings
    "top_k": ("检索段落数", "Passages retrieved (top-k)"),
    "search_mode": ("检索方式", "Search mode"),
    "temperature": ("温度", "Temperature"),
    "max_tokens": ("回答最大长度（token）", "Longest answer (tokens)"),
    "llm_model": ("LLM 模型文件（GGUF，留空为内置）", "LLM file (GGUF; empty: bundled)"),
    "embedding_model": ("向量模型（留空为内置）", "Embedding model (empty: bundled)"),
    "save_settings": ("保存为默认设置", "Save as defaults"),
    "saved": ("已保存到 {path}。", "Saved to {path}."),
    "session_only": ("这些设置只对本次会话生效，除非保存。",
                     "These settings apply to this session until saved."),
    "loaded_models": ("已加载的模型", "Loaded models"),
    "library_location": ("资料库位置", "Library location"),
    "not_loaded": ("未加载", "not loaded"),
    "check_models": ("检查模型文件", "Check model files"),
}


def language() -> str:
    return st.session_state.get("language", "zh")


def t(key: str, **values: object) -> str:
    """The label ``key`` in the interface language, with ``{names}`` filled in."""
    zh, en = LABELS[key]
    text = zh if language() == "zh" else en
    return text.format(**values) if values else text
