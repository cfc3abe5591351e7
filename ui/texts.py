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
    "mentioned_in_passing": ("笔记中顺带提到它的地方", "Where your notes mention it in passing"),
    "unsupported": ("已从回答中移出 {count} 句：检索到的段落无法核实（点开查看）",
                    "{count} sentence(s) taken out of the answer: the retrieved passages do not "
                    "confirm them (open to see)"),
    "reading_prompt": ("正在读取资料（这一步无法中断）…",
                       "Reading the passages (this step cannot be interrupted)…"),
    "queued": ("排队中：另一个回答正在生成…", "Queued: another answer is being written…"),
    "checking_answer": ("正在逐句核对回答与所引段落…",
                        "Checking each sentence against the passage it cites…"),
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
    "preparing_quotes": ("正在准备引文 {done}/{total} 段…",
                         "Preparing quotes {done}/{total} paragraphs…"),
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
    # question bank (practice)
    "flashcard": ("问答卡", "Flashcard"),
    "cloze": ("填空卡", "Cloze card"),
    "fill_blank": ("填出空白处（＿＿＿＿）的内容", "Fill in the blank (＿＿＿＿)"),
    "report_item": ("这道题有错，移出题库", "This question is wrong: remove it"),
    "reported": ("已移出题库和复习计划。", "Removed from the question bank and your reviews."),
    "bank_paused": ("题库后台出题已暂停", "Background question making is paused"),
    "pause_bank": ("暂停后台出题", "Pause question making"),
    "resume_bank": ("继续后台出题", "Resume question making"),
    "export_anki": ("导出 Anki 卡组", "Export Anki deck"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "download_file": ("下载 {name}", "Download {name}"),
    "bank_progress": ("题库：{done} / {passages} 个段落已出题，{extracted} 张摘自笔记的卡片，"
                      "{generated} 道模型出的题{accepted}",
                      "question bank: {done} / {passages} passages, {extracted} cards from your "
                      "notes, {generated} model-made items{accepted}"),
    "bank_accepted": ("（通过率 {rate}）", " ({rate} accepted)"),
    "from_notes": ("摘自笔记（未经模型）", "Taken from your notes (no model)"),
    # explain: the notes' own answer above the model's explanation
    "notes_answer": ("笔记原文", "From your notes"),
    "closest_lines": ("笔记中最接近的内容（还在核实笔记是否讲到这个问题）",
                      "The closest lines in your notes (still checking whether they cover "
                      "the question)"),
    "non_answers": ("已从回答中删去 {count} 句没有内容的话：复述问题、只说出处或重复前文"
                    "（点开查看）",
                    "Removed {count} sentences that said nothing: restating the question, only "
                    "naming the source, or repeating (open to see)"),
    "translated": ("上面是模型对引用原文的逐行翻译，每行都引用原文；"
                   "名称和数字已与原文核对，措辞没有核对。",
                   "Above: the model's translation of the quoted lines, each citing them; its "
                   "names and numbers are checked against the quote, its wording is not."),
    # chat: state, sources, loading (issue 14)
    "welcome_compare": ("输入 2 到 4 个要比较的概念，例如：L1 正则化 vs L2 正则化",
                        "Name 2 to 4 concepts to compare, e.g. L1 regularization vs L2"),
    "stopped": ("（已停止：以上是停止前写出的部分）", "(stopped: the part written before Stop)"),
    "retrieving": ("正在检索笔记…", "Searching your notes…"),
    "checking_coverage": ("问题里的说法笔记中没有：正在翻译问题，到另一种语言的笔记里核实…",
                          "Your notes do not use the question's wording: translating it to "
                          "check the notes in their other language…"),
    "stopping": ("正在停止…", "Stopping…"),
    "busy": ("正在回答上一个问题：完成或停止后再提问。",
             "Still answering the last question: ask again once it is done or stopped."),
    "reply_failed": ("没能完成回答：{error}", "The reply could not be finished: {error}"),
    "used_part": ("模型读到的部分", "The part the model read"),
    "more_sources": ("其他检索到的段落（未给模型）",
                     "More passages retrieved (not given to the model)"),
    "lines": ("第 {start}–{end} 行", "lines {start}–{end}"),
    "page_n": ("第 {n} 页", "p. {n}"),
    "loading_library": ("正在加载资料库和向量模型（首次启动约需半分钟）…",
                        "Loading the library and the embedding model (about half a minute "
                        "the first time)…"),
    "loading_model": ("正在加载语言模型（首次启动约需半分钟）…",
                      "Loading the language model (about half a minute the first time)…"),
    "comparison_incomplete": ("模型的表格不完整，以下是笔记中的原句。",
                              "The model's table was incomplete; sentences from the notes "
                              "instead."),
    "notes_silent_on": ("笔记中没有提到：{concepts}", "The notes say nothing about: {concepts}"),
    "concept": ("概念", "Concept"),
    # library (issue 14)
    "upload_help": ("把文件拖到下面的框里，或点击框中的按钮选择文件；"
                    "每个文件不超过 {limit:.0f} MB。",
                    "Drop files on the box below or click its button; up to {limit:.0f} MB "
                    "per file."),
    "status_added": ("已加入", "added"),
    "status_updated": ("已更新", "updated"),
    "status_unchanged": ("未变化", "unchanged"),
    "status_removed": ("已移除", "removed"),
    "status_skipped": ("已跳过", "skipped"),
    "ingest_summary": ("文件：{added} 个加入，{updated} 个更新，{unchanged} 个未变化，"
                       "{skipped} 个跳过；片段：{chunks} 个新建。"
                       "共用时 {seconds:.1f} 秒（含建立索引）。",
                       "Files: {added} added, {updated} updated, {unchanged} unchanged, "
                       "{skipped} skipped; {chunks} new chunks. {seconds:.1f} s in all "
                       "(indexing included)."),
    "confirm_remove": ("从资料库删除「{title}」？（你的原始文件不受影响）",
                       "Remove “{title}” from the library? (Your own file is not touched.)"),
    "confirm_remove_yes": ("确定删除", "Remove it"),
    "cancel": ("取消", "Cancel"),
    "confirm_reindex": ("重建索引会重新整理全部片段的索引，可能需要几分钟。继续？",
                        "Re-indexing rebuilds the index of every chunk and can take minutes. "
                        "Go on?"),
    "confirm_reindex_yes": ("开始重建", "Re-index now"),
    "preview": ("预览", "Preview"),
    "skip_reason": ("{name}：未加入，{reason}", "{name}: not added, {reason}"),
    "reason_nul": ("二进制文件（含空字节），不是文本笔记",
                   "a binary file (NUL bytes), not a text note"),
    "reason_binary": ("二进制文件，不是文本笔记", "a binary file, not a text note"),
    "reason_decode": ("无法识别文本编码（不是 UTF-8、UTF-16、GBK 或 Big5）",
                      "the text encoding is not UTF-8, UTF-16, GBK or Big5"),
    "reason_empty": ("文件中没有文字", "the file holds no text"),
    "reason_format": ("不支持的文件格式", "an unsupported format"),
    "reason_word": ("不是可读取的 Word 文档", "not a readable Word document"),
    "reason_pdf": ("无法读取这个 PDF", "this PDF could not be read"),
    "reason_parse": ("无法解析这个文件", "the file could not be parsed"),
    "reason_too_large": ("文件过大", "too large"),
    "reason_timeout": ("解析超时", "parsing took too long"),
    "reason_denied": ("没有读取权限", "permission denied"),
    "reason_missing": ("文件不存在", "the file does not exist"),
    "reason_disk_full": ("磁盘空间不足", "the disk is full"),
    "reason_other": ("无法加入（{detail}）", "could not be added ({detail})"),
    "generation_unavailable": ("模型不可用", "the model is unavailable"),
    # settings (issue 14)
    "apply": ("应用", "OK"),
    "applied": ("设置已生效：每个问题检索 {top_k} 个段落，检索方式：{mode}。",
                "Settings applied: {top_k} passages per question, search mode: {mode}."),
    "mode_hybrid": ("混合（语义 + 关键词）", "hybrid (meaning + keywords)"),
    "mode_dense": ("语义", "meaning (dense)"),
    "mode_lexical": ("关键词", "keywords (BM25)"),
    "llm_label": ("语言模型", "LLM (language model)"),
    "embedder_label": ("向量模型", "Embedding model"),
    "dimensions": ("{n} 维", "{n} d"),
    "model_missing": ("未加载（{reason}）", "not loaded ({reason})"),
    "check_models": ("检查模型文件", "Check model files"),
    # class mode (issue 18)
    "class_login_title": ("学习助手 · 班级", "Study assistant · class"),
    "class_login": ("登录", "Log in"),
    "class_username": ("用户名", "User name"),
    "class_password": ("密码", "Password"),
    "class_login_button": ("登录", "Log in"),
    "class_login_failed": ("用户名或密码不对。", "The user name or password is wrong."),
    "class_signed_in": ("已登录：{name}（{role}）", "Signed in: {name} ({role})"),
    "class_role_student": ("学生", "student"),
    "class_role_teacher": ("老师", "teacher"),
    "class_logout": ("退出登录", "Log out"),
}


def language() -> str:
    return st.session_state.get("language", "zh")


def t(key: str, **values: object) -> str:
    """The label ``key`` in the interface language, with ``{names}`` filled in."""
    zh, en = LABELS[key]
    text = zh if language() == "zh" else en
    return text.format(**values) if values else text
