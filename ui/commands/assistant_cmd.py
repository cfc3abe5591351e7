"""``study ask``, ``study quiz`` and ``study compare``: the assistant's modes in the terminal.

Each prints the sources with their locations; ``--json`` prints one machine-readable object
(``quiz --json`` one per item, without asking). Without a usable LLM every command still
answers extractively and says why generation is unavailable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence

from assistant.bank import QuestionBank
from assistant.citations import without_markers
from assistant.extractive import ExtractiveAnswer
from assistant.facade import Assistant
from assistant.grading import grade
from assistant.quiz import QuizLog
from assistant.quiz_schema import KINDS, QuizItem
from assistant.retrieval import Citation
from ground.errors import StudyError
from ground.links import readable
from ground.settings import Settings
from memory.study_memory import StudyMemory
from ui.commands.study_cmd import when
from ui.terminal_text import terminal_lines, terminal_safe
from ui.texts import LABELS


def register(commands: argparse._SubParsersAction) -> None:
    ask = commands.add_parser("ask", help="explain from your notes, with citations")
    ask.add_argument("question", help="what to explain (answered in its language)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(handler=ask_command)

    quiz = commands.add_parser("quiz", help="practice questions from your notes")
    quiz.add_argument("--topic", help="ask about this topic (default: sections across the notes)")
    quiz.add_argument("-n", type=int, default=5, help="number of questions (default 5)")
    quiz.add_argument("--type", dest="kind", choices=KINDS, default="mcq", help="question type")
    quiz.add_argument("--seed", type=int, default=0, help="vary which sections are picked")
    quiz.add_argument("--json", action="store_true", help="print the items as JSON; no asking")
    quiz.add_argument("--no-record", dest="record", action="store_false",
                      help="do not keep the answers in study memory (no review scheduled)")
    quiz.add_argument("--generate", action="store_true",
                      help="write new questions with the model now instead of serving the "
                      "verified question bank (slow)")
    quiz.set_defaults(handler=quiz_command)

    compare = commands.add_parser("compare", help="compare concepts in a cited table")
    compare.add_argument("concepts", nargs="+", metavar="CONCEPT", help="2 to 4 concepts")
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.set_defaults(handler=compare_command)


def open_assistant(settings: Settings) -> Assistant:
    return Assistant.open(open_library(settings), settings)


def _unavailable_note(assistant: Assistant) -> None:
    if not assistant.can_generate:
        print(f"note: generation is unavailable ({assistant.generator.reason}); "
              "showing passages from your notes instead", file=sys.stderr)


CLOSEST_ONLY = {"zh": "（上面引用的只是最接近的一段笔记，并不是答案）",
                "en": "(the lines quoted first are only the closest passage, not an answer)"}


def ask_command(args: argparse.Namespace, settings: Settings) -> int:
    assistant = open_assistant(settings)
    explanation = assistant.explain(args.question)
    if args.json:
        print(json.dumps(explanation.finish().as_json(), ensure_ascii=False, indent=1))
        return 0
    _unavailable_note(assistant)
    quotes = _QuotesPrinted(explanation.language)
    quotes.show(explanation.extractive, (), checking=explanation.checking)
    explanation.prepare()  # the search in the notes' other language may move the answer
    # the section the answer rests on: its own lines, before what explains them
    quotes.show(explanation.extractive, explanation.citations)
    streaming = sys.stdout.isatty() and explanation.will_generate
    streamed: list[str] = []
    try:
        if streaming:
            for piece in explanation.stream():
                streamed.append(piece)
                print(terminal_lines(piece), end="", flush=True)
            print()
    except KeyboardInterrupt:
        explanation.cancel()
    answer = explanation.finish()
    # the checks may move the quote to the passage the model's sentences come from: a
    # student reading a pipe would otherwise see the first quote and no answer at all
    quotes.show(answer.extractive, answer.citations)
    changed = without_markers(answer.text).strip() != without_markers("".join(streamed)).strip()
    if (not streaming or changed) and not answer.only_quotes:  # else: the quote, once
        if streaming:
            print("\nchecked:")
        print(terminal_lines(answer.text))
    if answer.translated and not answer.only_quotes:
        print("(the quoted lines above, translated by the model)")
    if answer.notice:
        print(terminal_lines(answer.notice))
    if answer.citations:
        print("\nsources:")
        for citation in answer.citations:
            print("  " + terminal_safe(citation.label()))
    if answer.unsupported:
        print("\nremoved, not supported by the passages:")
        for sentence in answer.unsupported:
            print("  - " + terminal_safe(sentence))
    if answer.non_answers:
        print("\nremoved, saying nothing (restating the question, only naming the source, "
              "repeating):")
        for sentence in answer.non_answers:
            print("  - " + terminal_safe(sentence))
    if answer.mentions:
        print()
    for mention in answer.mentions:  # a refusal's: where the notes name it in passing
        _print_quote(mention, explanation.language, label="mentioned_in_passing")
    if not answer.covered:
        if quotes.first is not None:  # refused on the question's translation, after the quote
            print(CLOSEST_ONLY.get(explanation.language, CLOSEST_ONLY["en"]))
        for citation in answer.nearest_topics:
            print("  " + terminal_safe(citation.label()))
    return 0


FIRST_QUOTE_SOURCE = {
    "zh": ("（最先引用的几行是下面的来源 [{n}]）",
           "（最先引用的几行只是最初找到的段落，不在下面的来源里）"),
    "en": ("(the lines quoted first are source [{n}] below)",
           "(the lines quoted first were only the first search's closest passage; they are not "
           "among the sources below)"),
}


class _QuotesPrinted:
    """The quotes ``study ask`` printed: a quote is printed when it rests on other lines than
    the last one printed (the search of the question's translation, then the checks, may
    move it); the first time it moves, a line says which of the sources the first quote is,
    since the later searches renumbered them."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.first: ExtractiveAnswer | None = None
        self.last: ExtractiveAnswer | None = None

    def show(self, quoted: ExtractiveAnswer | None, citations: Sequence[Citation],
             checking: bool = False) -> None:
        if quoted is None or (self.last is not None and
                              quoted.location() == self.last.location()):
            return
        _print_quote(quoted, self.language, checking)
        if self.first is None:
            self.first = quoted
        elif self.last is self.first:
            self._say_first_source(citations)
        self.last = quoted

    def _say_first_source(self, citations: Sequence[Citation]) -> None:
        found, missing = FIRST_QUOTE_SOURCE.get(self.language, FIRST_QUOTE_SOURCE["en"])
        number = next((c.number for c in citations
                       if c.chunk_id == self.first.citation.chunk_id), None)
        if number != self.first.citation.number:
            print(missing if number is None else found.format(n=number))
            print()


def _print_quote(quoted, language: str, checking: bool = False, label: str = "") -> None:
    """The quote under its label; ``checking``: only the closest lines so far (the question
    is being judged again in translation, ``Explanation.checking``). Each line as a reader
    sees it (``ground.links.readable``: a formula drawn as an image is its TeX, a link its
    text), with nothing a terminal would obey (``terminal_safe``). ``label``: another heading
    than the quote's (the lines a refusal shows), printed without a source number."""
    zh, en = LABELS[label or ("closest_lines" if checking else "notes_answer")]
    heading = zh if language == "zh" else en
    number = "" if label else f" [{quoted.citation.number}]"  # a mention is no source
    print(f"{heading}{number} {terminal_safe(quoted.location())}:")
    print(quoted.render(lambda text: terminal_safe(readable(text))))
    print(flush=True)


def quiz_command(args: argparse.Namespace, settings: Settings) -> int:
    """Questions from the verified bank at once (``--generate``: written by the model now).
    The LLM loads only when it is needed: to write questions, or to grade a free answer."""
    library = open_library(settings)
    log = QuizLog()
    assistants: list[Assistant] = []

    def assistant() -> Assistant:
        if not assistants:
            assistants.append(Assistant.open(library, settings))
            _unavailable_note(assistants[0])
        return assistants[0]

    if args.generate:
        items = assistant().quiz(args.topic, args.n, args.kind, args.seed, log)
    else:
        items = practice_items(library, args, assistant)
    if args.json:
        for item in items:
            print(json.dumps(item.as_json(), ensure_ascii=False), flush=True)
        if log.rejected:
            print(f"{log.rejected} invalid drafts dropped or regenerated", file=sys.stderr)
        return 0
    memory = StudyMemory.open(library) if args.record else None
    asked = right = 0
    if not args.generate:
        print("(answer '!' to report a wrong question: it leaves the bank)", file=sys.stderr)
    for number, item in enumerate(items, start=1):
        _print_item(number, item)
        try:
            response = input("your answer> ")
        except EOFError:
            print()
            break
        if response.strip() == "!" and item.bank_key:
            with StudyMemory.open(library) as reporting:
                reporting.report(item)
            print("reported: removed from the question bank and its review schedule\n")
            continue
        free = item.kind in ("short", "flashcard")
        result = assistant().grade(item, response) if free else grade(item, response, None, None)
        asked += 1
        right += result.correct
        print(f"{result.verdict.upper()}" + ("" if result.correct or free else f" — expected: "
                                             f"{terminal_safe(result.expected)}"))
        if free:
            print(f"expected:\n{terminal_lines(result.expected)}")
        if result.missing and not result.correct:
            print(f"missing: {terminal_safe(result.missing)}")
        print(f"source: {terminal_safe(result.citation.label())}")
        if memory is not None:
            recorded = memory.record(item, response, result)
            print(f"next review: {when(recorded.due, memory.now())}")
        print()
    print(f"score: {right}/{asked}" if asked else "no questions answered")
    return 0


def open_library(settings: Settings):
    from index.library import Library

    library = Library.open(settings)
    if not library.documents():
        library.close()
        raise StudyError(f"the library in {settings.home} is empty; run 'study ingest PATH'")
    return library


def practice_items(library, args: argparse.Namespace, assistant) -> Iterator[QuizItem]:
    """The bank's items; the model writes them now only for a topic the bank has none on."""
    with QuestionBank.open(library) as bank:
        served = bank.serve(args.topic, args.n, args.kind, args.seed)
        print(bank.progress().line(), file=sys.stderr)
    if served:
        return iter(served)
    return assistant().quiz(args.topic, args.n, args.kind, args.seed)


def _print_item(number: int, item: QuizItem) -> None:
    print(f"Q{number}. {terminal_lines(item.question)}")
    if item.kind == "cloze":
        print("  (fill in the blank)")
    for letter, option in zip("ABCD", item.options, strict=False):
        print(f"  {letter}. {terminal_safe(option)}")


def compare_command(args: argparse.Namespace, settings: Settings) -> int:
    assistant = open_assistant(settings)
    if not args.json:
        _unavailable_note(assistant)
        if assistant.can_generate:
            print("writing the comparison…", file=sys.stderr, flush=True)
    comparison = assistant.compare(args.concepts)
    if args.json:
        print(json.dumps(comparison.as_json(), ensure_ascii=False, indent=1))
    else:
        print(terminal_lines(comparison.markdown()))
    return 0
