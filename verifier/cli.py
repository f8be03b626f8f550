"""backproof's command line: parse arguments, run the engine, render what it found."""

from __future__ import annotations

import argparse
import datetime
import errno
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import numpy
import sympy
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from verifier import DerivationResult, StepResult, __version__, verify
from verifier.context import DEFAULT_BUDGET_SECONDS
from verifier.latex import document
from verifier.matrix import is_matrix, shape_text
from verifier.model import Derivation, Var
from verifier.reader.check import CheckedFile, check_files, check_report, exit_code
from verifier.reader.names import DEFAULT_DOMAIN
from verifier.reader.notebook import with_cells
from verifier.reader.sources import SUFFIXES, location, printable
from verifier.serialize import (
    ambiguous_part,
    besides_part,
    conventions,
    counted,
    letter_products,
    numeric_hint,
    provenance,
    report,
    spelled,
    summary,
    summary_line,
)
from verifier.texbuild import TEX_HINT, BuildResult, compile_pdf, tex_engine, write_atomically
from verifier.verdicts import READINGS_FIX, StepVerdict
from verifier.verification import verify_all

SAMPLED = f"({DEFAULT_DOMAIN.lo:g}, {DEFAULT_DOMAIN.hi:g})"  # where a symbol declared nowhere is sampled
VERDICT_STYLE = {"proved": "green", "refuted": "red", "unproved": "yellow", "ambiguous": "magenta"}

# The exit codes, as the README's table lists them.
EXIT_OK = 0  # every verdict is what was expected
EXIT_FAILED = 1  # a step refuted, unproved or ambiguous, a numeric check failed, or the PDF asked for not built
EXIT_USAGE = 2  # bad command line, unknown id, missing file, unwritable output; check: a block unreadable
EXIT_NOTHING = 3  # check: no derivation found in the files given
EXIT_INTERNAL = 4  # a bug in backproof (the traceback is printed)
EXIT_PIPE = 141  # the output's reader closed the pipe (128 + SIGPIPE, as shell tools exit)
EXIT_INTERRUPTED = 130  # Ctrl-C

# Folders that `check DIR` does not look into, as pytest's norecursedirs.
SKIPPED_FOLDERS = frozenset({"node_modules", "venv", "build", "dist", "__pycache__", "site-packages"})


class UsageError(Exception):
    """Bad input from the user: exit code 2."""


class NothingFound(Exception):
    """`check` found no derivation at all: exit code 3."""


def parse_args(argv: Sequence[str] | None, prog: str = "backproof") -> argparse.Namespace:
    """The command line as a namespace; an unknown option shows the usage of its own subcommand."""
    parser = argparse.ArgumentParser(prog=prog, description="Verify the derivations behind backpropagation.")
    parser.add_argument("-V", "--version", action="version", version=f"backproof {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    subparsers = {
        "verify": add_verify(commands), "report": add_report(commands), "show": add_show(commands),
        "list": commands.add_parser("list", help="list the derivations"), "check": add_check(commands),
    }
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        subparsers[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def add_verify(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`verify [ID ...] [--note N] [--json]`."""
    verify_parser = add_selection(commands.add_parser("verify", help="verify derivations and print a table"))
    verify_parser.add_argument("--json", action="store_true", help="print a JSON document instead of the table")
    return verify_parser


def add_report(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`report [ID ...] [-o DIR] [--pdf | --no-pdf]`."""
    report_parser = add_selection(commands.add_parser("report", help="write a LaTeX report and compile it to PDF"))
    report_parser.add_argument("-o", "--output", type=Path, default=Path("report"), help="folder (default: report/)")
    pdf = report_parser.add_mutually_exclusive_group()
    pdf.add_argument("--pdf", dest="pdf", action="store_true", default=None, help="require the PDF")
    pdf.add_argument("--no-pdf", dest="pdf", action="store_false", help="write only the .tex")
    return report_parser


def add_show(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`show ID`."""
    show_parser = commands.add_parser("show", help="show every step of one derivation with its verdict")
    show_parser.add_argument("id", metavar="ID")
    show_parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_SECONDS, help=argparse.SUPPRESS)
    return show_parser


def add_check(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`check PATH ... [--json] [--report DIR]`."""
    files = commands.add_parser("check", help="check the derivations in your own notes (.md, .ipynb, .tex)")
    files.add_argument("files", nargs="+", type=_named_path, metavar="PATH",
                       help="Markdown, notebook or LaTeX files, or folders to search for them")
    files.add_argument("--json", action="store_true", help="print a JSON document instead of the table")
    files.add_argument("--report", type=Path, metavar="DIR", help="also write the LaTeX/PDF report to DIR")
    files.add_argument("--allow-empty", action="store_true",
                       help="exit 0 when no derivation is found (for hooks handed files that hold none)")
    add_budget_and_jobs(files)
    return files


def add_selection(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options shared by commands that verify a selection of derivations."""
    parser.add_argument("ids", nargs="*", metavar="ID", help="derivation ids (default: all)")
    parser.add_argument("--note", help="only the derivations of this note (file name or its number, e.g. 002)")
    add_budget_and_jobs(parser)
    return parser


def add_budget_and_jobs(parser: argparse.ArgumentParser) -> None:
    """--budget SECONDS and --jobs N."""
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_SECONDS,
                        help="seconds per step for the provers (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="processes to verify in (default: one per core, up to 4; 0: one per core)")


def jobs_wanted(jobs: int | None) -> int | None:
    """--jobs as the engine takes it: None for the default, 0 for every core; UsageError below 0."""
    if jobs is None:
        return None
    if jobs < 0:
        raise UsageError(f"--jobs must be 0 (one per core) or more, not {jobs}")
    return jobs or os.cpu_count() or 1


def corpus() -> tuple[tuple[Derivation, ...], dict[str, Derivation]]:
    """The notes' derivations, built on first use (seconds of SymPy: after Ctrl-C is handled, and never for check)."""
    from derivations import ALL, BY_ID

    return tuple(ALL), dict(BY_ID)


def select(ids: Sequence[str], note: str | None) -> list[Derivation]:
    """The derivations named by id and/or note; UsageError for names that do not exist."""
    everything, by_id = corpus()
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise UsageError(f"unknown derivation id(s): {', '.join(unknown)}\nknown ids: {', '.join(by_id)}")
    chosen = [by_id[i] for i in ids] if ids else list(everything)
    if note is not None:
        chosen = [d for d in chosen if d.note == note or d.note.startswith(f"{note}_")]
        notes = sorted({d.note for d in everything})
        if not chosen:
            raise UsageError(f"no derivation from note {note!r}\nknown notes: {', '.join(notes)}")
    return chosen


def run_all(derivations: list[Derivation], args: argparse.Namespace, console: Console) -> list[DerivationResult]:
    """Verify each derivation, with a progress bar on the console."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # no refresh thread: worker processes are forked, and a fork must not copy a lock a thread holds
    with Progress(
        *columns, console=console, transient=True, auto_refresh=False, disable=not console.is_terminal
    ) as progress:
        task = progress.add_task("verifying", total=len(derivations))

        def advance(result: DerivationResult) -> None:
            progress.update(task, advance=1, description=f"verified {result.derivation.id}", refresh=True)

        return verify_all(derivations, args.budget, args.jobs, advance)


@dataclass(frozen=True)
class Column:
    """A table column: its header, alignment, and how late it is dropped when the terminal is narrow."""

    name: str
    justify: JustifyMethod = "right"
    keep: int = 0  # columns with the lowest `keep` go first; a table that would lose an essential one is not shown


ESSENTIAL = 5  # a column kept at least this much is one the table is not worth showing without

VERIFY_COLUMNS = (
    Column("id", "left", 99), Column("note", "left", 1), Column("steps", keep=3), Column("added", keep=4),
    Column("proved", keep=5),
    Column("errors found", keep=8), Column("unproved", keep=6), Column("unexpected", keep=9),
    Column("numeric max err", keep=2), Column("time", keep=0),
)


def fitted_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str | Text]],
                 width: int) -> Table | None:
    """The table with as many columns as fit in `width` (least needed dropped first); None if essentials do not."""
    shown = list(range(len(columns)))
    while shown:
        table = Table(title=title)
        for index in shown:
            column = columns[index]
            table.add_column(column.name, justify=column.justify, no_wrap=True)
        for row in rows:
            table.add_row(*(row[i] for i in shown))
        if Console(width=10_000).measure(table).maximum <= width:
            return table
        dropped = min(shown, key=lambda i: columns[i].keep)
        if columns[dropped].keep >= ESSENTIAL:
            return None
        shown.remove(dropped)
    return None


def numeric_cell(result: DerivationResult) -> Text:
    """Max relative error of the numeric check, coloured by pass/fail."""
    numeric = result.numeric
    if numeric is None:
        return Text("n/a", style="dim")
    return Text(f"{numeric.max_rel_error:.1e}", style="green" if numeric.passed else "red")


def result_row(r: DerivationResult) -> list[str | Text]:
    """One derivation's cells, in VERIFY_COLUMNS' order."""
    return [
        Text(r.derivation.id),
        Text(r.derivation.note[:3]),
        str(len(r.authored)),
        Text(str(len(r.steps) - len(r.authored)) if len(r.steps) > len(r.authored) else "", style="dim"),
        str(r.count("proved")),
        Text(str(r.errors_found), style="bold red" if r.errors_found else ""),
        Text(str(r.count("unproved")), style="yellow" if r.count("unproved") else ""),
        Text(str(r.unexpected), style="bold red" if r.unexpected else "green"),
        numeric_cell(r),
        f"{r.seconds:.2f}s",
    ]


def print_results(results: list[DerivationResult], console: Console) -> None:
    """The table of results, as wide as the terminal allows; one line per derivation when too narrow."""
    table = fitted_table("backproof verify", VERIFY_COLUMNS, [result_row(r) for r in results], console.width)
    if table is not None:
        console.print(table)
        return
    for r in results:
        console.print(Text(r.derivation.id, style="bold"))
        console.print(f"  {counted(len(r.authored), 'step')}: {r.count('proved')} proved, "
                      f"{r.errors_found} errors found, {r.count('unproved')} unproved, {r.unexpected} unexpected")


def show(result: DerivationResult, console: Console) -> None:
    """Every step of one derivation with its verdict."""
    d = result.derivation
    console.print(f"[bold]{escape(d.id)}[/bold]: {escape(d.title)}", markup=True)
    lines = [f"note {d.note}, {d.where}", "symbols: " + "; ".join(d.symbols_described())]
    lines += [f"where {symbol} = {meaning}" for symbol, meaning in d.definitions]
    lines += [f"constraint: {c.statement}" for c in d.constraints]
    lines += [f"kink convention: {d.kink.describe()}"] if d.kink is not None else []
    lines += [f"remarks: {d.remarks}"] if d.remarks else []
    lines += [letters_line(d)] if letter_products(d) else []
    lines += [f"read with: {said}" for said in conventions(d)]
    lines += [f"domain: {v.describe()} ({v.reason})" for v in explained_domains(d)]
    if d.variable is None:
        lines.append(f"starts from: {d.function}")
    else:
        lines.append(f"derivative of: {d.function} in {d.variable}")
    for line in lines:
        console.print(line)
    for r in result.steps:
        show_step(r, console)
    show_numeric(result, console)


def show_step(r: StepResult, console: Console) -> None:
    """One step: line as written, expression, verdict and evidence."""
    v = r.verdict
    mark = "" if r.as_expected else "  [bold red]UNEXPECTED[/bold red]"
    console.print()
    console.print(
        f"[bold]step {r.index}[/bold] ({escape(r.step.expected)}; {escape(provenance(r.step))}) "
        f"[{VERDICT_STYLE[v.verdict]}]{v.verdict}[/] by {escape(v.method)} in {v.seconds * 1000:.0f} ms{mark}",
        markup=True,
    )
    if r.step.latex is not None:
        console.print("  as written:    " if r.step.source == "author" else "  written:       ", r.step.latex)
    label = f"expression ({shape_text(r.step.expr)}):" if is_matrix(r.step.expr) else "expression:"
    console.print(f"  {label:<15}", str(r.step.expr))
    if r.step.read_as:
        console.print("  read as:       ", r.step.read_as)
    for line in readings_lines(v, every=True):
        console.print(f"  {line}")
    console.print("  justification: ", r.step.justification)
    if r.step.explanation:
        console.print("  what is wrong: ", r.step.explanation)
    if v.shape_error is not None:
        console.print("  shape error:   ", v.shape_error)
    if v.counterexample is not None:
        console.print("  counterexample:", f"[{v.counterexample.region}]", v.counterexample.describe())


def readings_lines(verdict: StepVerdict, every: bool = False) -> list[str]:
    """An ambiguous step's readings, each with its verdict, and the fix (with `every`: any step's readings)."""
    if not verdict.readings or not (every or verdict.verdict == "ambiguous"):
        return []
    lines = []
    for reading in verdict.readings:
        which = "as read" if reading.chosen else "read otherwise"
        lines.append(f"{which}: {reading.description}: {reading.verdict} by {reading.method}")
        if reading.counterexample is not None:
            lines.append(f"  counterexample: {reading.counterexample.describe()}")
    if verdict.verdict == "ambiguous":
        lines.append(f"fix: {READINGS_FIX}")
    return lines


def explained_domains(derivation: Derivation) -> list[Var]:
    """Symbols whose domain was chosen for a reason (a natural domain): neither declared nor the default one."""
    return [v for v in derivation.variables if v.reason and v.reason != "declared" and v.domain != DEFAULT_DOMAIN]


def letters_line(derivation: Derivation) -> str:
    """`read as products of letters: tanh -> t·a·n·h`."""
    return "read as products of letters: " + ", ".join(f"{n} -> {spelled(n)}" for n in letter_products(derivation))


def show_numeric(result: DerivationResult, console: Console) -> None:
    """The numeric cross-check and the kink check."""
    numeric = result.numeric
    console.print()
    if numeric is None:
        console.print("numeric check: n/a (not a derivative)")
        return
    verdict = "[green]passed[/green]" if numeric.passed else "[red]not done[/red]" if numeric.points == 0 else \
        "[red]FAILED[/red]"
    console.print(f"numeric check: {verdict}, {escape(numeric.method)}, {numeric.points} points, "
                  f"max relative error {numeric.max_rel_error:.2e} (tolerance {numeric.tolerance:.0e})", markup=True)
    if numeric_hint(numeric):
        console.print(f"numeric check {numeric_hint(numeric)}")
    if numeric.kink is not None:
        k = numeric.kink
        console.print(f"at the kink {k.at}: left derivative {k.left:.6g}, right {k.right:.6g}"
                      f"{', the function jumps' if k.jump else ''}; convention {k.convention}")


def list_derivations(console: Console) -> None:
    """Ids, titles, notes: a table when it fits, else one line each."""
    table = Table(title="backproof derivations")
    everything = corpus()[0]
    table.add_column("id", no_wrap=True, min_width=max(len(d.id) for d in everything))
    for name in ("title", "note", "where"):
        table.add_column(name, overflow="fold")
    for d in everything:
        table.add_row(d.id, d.title, d.note, d.where)
    if console.width >= 100:
        console.print(table)
        return
    for d in everything:
        console.print(Text(d.id, style="bold"))
        console.print(f"  {d.title} ({d.note}, {d.where})")


def write_report(results: list[DerivationResult], args: argparse.Namespace, console: Console,
                 versions: dict[str, str] | None = None, date: str | None = None) -> int:
    """Write DIR/report.tex, then the PDF when a TeX engine is there; 0 when what was asked for exists."""
    tex = args.output / "report.tex"
    versions = versions or {"backproof": __version__, "SymPy": sympy.__version__, "NumPy": numpy.__version__}
    today = date or datetime.date.today().isoformat()
    try:
        write_atomically(tex, document(results, versions, today))
    except OSError as problem:
        raise UsageError(f"cannot write {tex}: {problem.strerror or problem}") from None
    console.print(f"wrote {tex}")
    if args.pdf is False:
        return EXIT_OK
    engine = tex_engine()
    if engine is None:
        console.print(f"no TeX engine (latexmk or pdflatex) found; for the PDF, on Debian: {TEX_HINT}")
        return EXIT_FAILED if args.pdf else EXIT_OK
    built = compile_pdf(tex, engine)
    if built.pdf is None and not built.timed_out:
        built = with_note_lines_as_text(tex, engine, built, console, lambda: document(
            results, versions, today, note_math=False))
    if built.pdf is None:
        console.print(f"LaTeX failed: {built.error}; the log is kept in {built.log}")
        return EXIT_FAILED
    console.print(f"wrote {built.pdf}")
    return EXIT_OK


def with_note_lines_as_text(tex: Path, engine: str, failed: BuildResult, console: Console,
                            plain: Callable[[], str]) -> BuildResult:
    """A note's line that passed the checks and still stopped LaTeX: the report again, every note line as text."""
    write_atomically(tex, plain())
    retried = compile_pdf(tex, engine)
    if retried.pdf is None:
        return failed
    console.print(f"LaTeX failed on a note's line as math ({failed.error}): every note line is shown as text")
    return retried


def check_table(checked: CheckedFile) -> Table:
    """One row per step of every derivation in a file, and one per block that could not be read."""
    path = checked.document.path
    table = Table(title=printable(path), title_justify="left", expand=False)
    for name in ("where", "step as written", "verdict", "method"):
        table.add_column(name, overflow="fold")
    rows: list[tuple[int, list[Text | str]]] = []
    for read, result in checked.results:
        heading = Text(f"{result.derivation.id}: {result.derivation.title}", style="bold")
        explained = explained_domains(result.derivation)
        undeclared = [n for n in read.undeclared if n not in {v.symbol.name for v in explained}]
        if undeclared:
            heading.append(f"\nundeclared, taken as real (sampled in {SAMPLED}): {', '.join(undeclared)}",
                           style="yellow")
        for v in explained:
            heading.append(f"\ndomain: {v.describe()} ({v.reason})", style="yellow")
        if letter_products(result.derivation):
            heading.append(f"\n{letters_line(result.derivation)}", style="yellow")
        for said in conventions(result.derivation):
            heading.append(f"\nread with: {said}", style="yellow")
        if numeric_hint(result.numeric):
            heading.append(f"\nnumeric check {numeric_hint(result.numeric)}", style="red")
        rows.append((read.heading_line, [location(path, read.heading_line), heading, numeric_verdict(result), ""]))
        for where, step in zip(read.steps, result.steps, strict=True):
            verdict = step.verdict
            text = Text(step.step.latex or "")
            if step.step.justification:
                text.append(f"   ({step.step.justification})", style="dim")
            if step.step.read_as:
                text.append(f"\nread as: {step.step.read_as}", style="dim")
            if step.step.source != "author" or step.step.adapted:
                text.append(f"\n{provenance(step.step)}", style="dim")
            if step.step.explanation:
                text.append(f"\nmarked {step.step.expected}: {step.step.explanation}", style="dim")
            for line in readings_lines(verdict):
                text.append(f"\n{line}", style=VERDICT_STYLE["ambiguous"])
            if verdict.counterexample is not None:
                text.append(f"\ncounterexample: {verdict.counterexample.describe()}", style="red")
            if verdict.shape_error is not None:
                text.append(f"\n{verdict.shape_error}", style="red")
            cells = [location(path, where.line, where.column), text, verdict_cell(step), verdict.method]
            rows.append((where.line, cells))
    for error in checked.document.errors:
        rows.append((error.line, [location(error.path, error.line, error.column), Text(error.message, style="red"),
                                  Text("unreadable", style="bold red"), ""]))
    for _, cells in sorted(rows, key=lambda row: row[0]):
        table.add_row(*cells)
    return table


def verdict_cell(step: StepResult) -> Text:
    """The verdict, and whether it is what the line's mark expects (`refuted, as marked`; `proved, UNEXPECTED`)."""
    verdict = Text(step.verdict.verdict, style=VERDICT_STYLE[step.verdict.verdict])
    if step.step.expected in ("error", "slip"):
        verdict.append(", as marked" if step.as_expected else f", UNEXPECTED: marked {step.step.expected}",
                       style="dim" if step.as_expected else "bold red")
    return verdict


def numeric_verdict(result: DerivationResult) -> Text:
    """The numeric check of a derivation's last step, in a few words."""
    numeric = result.numeric
    if numeric is None:  # a chain of equal expressions
        said = "no derivative" if result.derivation.variable is None else "no numeric check"
        return Text(said, style="dim")
    if numeric.passed:
        return Text(f"numeric ok ({numeric.max_rel_error:.0e})", style="green")
    if numeric.points == 0:  # stopped before any point was compared: not confirmed, and said so
        return Text(f"numeric not done ({numeric.method})", style="red")
    return Text(f"numeric FAILED ({numeric.max_rel_error:.1e})", style="red")


def check_summary_line(counts: dict[str, int]) -> str:
    """`N derivations, S steps: P proved, R refuted, U unproved[, A ambiguous]; B blocks could not be read`."""
    marked = f" ({counts['errors_found']} as marked)" if counts["errors_found"] else ""
    return (f"{counted(counts['derivations'], 'derivation')}, {counted(counts['steps'], 'step')}: "
            f"{counts['proved']} proved, {counts['refuted']} refuted{marked}, {counts['unproved']} unproved"
            f"{ambiguous_part(counts)}{besides_part(counts)}; "
            f"{counted(counts['unreadable'], 'block')} could not be read")


def _named_path(text: str) -> Path:
    """A path as given; an empty one is an error (Path('') would be this folder)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path names no file: give a file or a folder ('.' for this one)")
    return Path(text)


def note_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and under each folder named every note file (.md, .ipynb, .tex), as pytest collects."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {printable(', '.join(missing))}")
    found: list[Path] = []
    for path in paths:
        found += sorted(_notes_under(path)) if path.is_dir() else [path]
    return list(dict.fromkeys(found))


def _notes_under(folder: Path) -> Iterator[Path]:
    """Note files under `folder`, not looking into hidden or build folders."""
    for root, folders, names in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".") and f not in SKIPPED_FOLDERS]
        yield from (Path(root) / name for name in names if Path(name).suffix.lower() in SUFFIXES)


def notebook_cells(document: dict) -> dict:
    """check's JSON with every location in a notebook given as its cell and the line in that cell."""
    derivations = []
    for entry in document["derivations"]:
        if not str(entry["file"]).lower().endswith(".ipynb"):
            derivations.append(entry)
            continue
        derivations.append(with_cells(entry) | {"steps": [with_cells(step) for step in entry["steps"]]})
    errors = [with_cells(error) if str(error["file"]).lower().endswith(".ipynb") else error
              for error in document["errors"]]
    return document | {"derivations": derivations, "errors": errors}


def run_check(args: argparse.Namespace, console: Console, errors: Console) -> int:
    """`backproof check PATH...`: the table (or JSON) for each file, the summary, the exit code."""
    files = note_files(args.files)
    checked = check_files(files, args.budget, args.jobs)
    document = notebook_cells(check_report(checked))
    if args.json:
        print(json_text(document))
    else:
        for file in checked:
            console.print(check_table(file))
        console.print(check_summary_line(document["summary"]))
    code = exit_code(checked)
    if code == EXIT_OK and not any(file.results for file in checked) and not args.allow_empty:
        names = printable(", ".join(str(p) for p in args.files))
        raise NothingFound(f"no derivations found in {names}: a derivation is a heading (or a LaTeX section) "
                           "followed by display math; see the README")
    if args.report is not None:
        results = [result for file in checked for _, result in file.results]
        report_args = argparse.Namespace(output=args.report, pdf=None)
        code = max(code, write_report(results, report_args, errors))
    return code


def json_text(value: object) -> str:
    """JSON any parser reads: a lone surrogate (a file name that is not UTF-8) becomes U+FFFD, as on the terminal."""
    return json.dumps(_valid_text(value), indent=2)


def _valid_text(value: object) -> object:
    if isinstance(value, str):
        try:  # a byte a file name's decoding escaped (U+DCFF for 0xFF) is one U+FFFD
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:  # any other lone surrogate
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_valid_text(v) for v in value]
    return value


def consoles() -> tuple[Console, Console]:
    """Standard output (piped: BACKPROOF_WIDTH columns, default 200) and standard error, never reading markup
    or emoji codes in what they print: `file.md:100:28` stays as it is."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # started with the stream closed (`>&-`): its output goes nowhere
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115  # kept open until exit
    for stream in (sys.stdout, sys.stderr):
        if not (getattr(stream, "encoding", None) or "").lower().replace("-", "").startswith("utf"):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]  # an ASCII locale: '?' for the rest
    setting = os.environ.get("BACKPROOF_WIDTH", "")
    width = int(setting) if setting.isdigit() and int(setting) > 0 else 200
    console = Console(width=None if sys.stdout.isatty() else width, markup=False, emoji=False, highlight=False)
    errors = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)  # a message: one line
    return console, errors


MAX_BUDGET_SECONDS = 86_400.0  # a day per step: beyond it a budget is no budget (inf overflowed a timer)


def dispatch(args: argparse.Namespace, console: Console, errors: Console) -> int:
    """Run the subcommand; its exit code."""
    budget = getattr(args, "budget", 0)
    if not 0 <= budget <= MAX_BUDGET_SECONDS:  # NaN fails both comparisons, inf the second
        raise UsageError(f"the budget must be from 0 to {MAX_BUDGET_SECONDS:g} seconds, not {args.budget}")
    if hasattr(args, "jobs"):
        args.jobs = jobs_wanted(args.jobs)
    if args.command == "check":
        return run_check(args, console, errors)
    if args.command == "list":
        list_derivations(console)
        return EXIT_OK
    if args.command == "show":
        result = verify(select([args.id], None)[0], args.budget)
        show(result, console)
        return EXIT_OK if result.ok else EXIT_FAILED
    results = run_all(select(args.ids, args.note), args, errors)
    if args.command == "report":
        return write_report(results, args, errors)
    if args.json:
        print(json_text(report(results)))
    else:
        print_results(results, console)
        console.print(summary_line(summary(results)))
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


@contextmanager
def quiet_interrupts() -> Iterator[None]:
    """Ctrl-C, and a SIGTERM or SIGHUP sent to this process alone (`kill`, a closed terminal), raise
    KeyboardInterrupt in this process only, which stops the workers as Ctrl-C does (they were left running);
    forked workers end at once, without a traceback."""
    parent = os.getpid()

    def interrupted(number: int, frame: FrameType | None) -> None:
        if os.getpid() != parent:
            os._exit(128 + number)
        raise Stopped(number)

    previous = {number: signal.signal(number, interrupted) for number in STOPPING}
    _children_stop_at_once()
    try:
        yield
    finally:
        for number, handler in previous.items():  # None: set outside Python
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_FORK_HOOK: list[bool] = []


def _children_stop_at_once() -> None:
    """A forked worker ends at a SIGTERM or SIGHUP the way the system ends it, even when blocked inside C code:
    the parent's Python handler there could not run, and the pool's terminate, which sends SIGTERM, then waited
    forever on a worker stuck on a lock (`report` hung in the test suite)."""
    if not _FORK_HOOK and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=lambda: [signal.signal(n, signal.SIG_DFL) for n in STOPPING[1:]])
        _FORK_HOOK.append(True)


class Stopped(KeyboardInterrupt):
    """A signal that stops the run: its exit code is 128 + its number (130 for Ctrl-C, 143 for SIGTERM)."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.code = 128 + number


def main(argv: Sequence[str] | None = None, prog: str = "backproof") -> int:
    """Entry point; returns the exit code (see the EXIT_ constants and the README's table)."""
    args = parse_args(argv, prog)
    console, errors = consoles()
    try:
        with quiet_interrupts():
            return dispatch(args, console, errors)
    except UsageError as problem:
        errors.print(f"{prog}: {problem}")
        return EXIT_USAGE
    except NothingFound as problem:
        errors.print(f"{prog}: {problem}")
        return EXIT_NOTHING
    except KeyboardInterrupt as stopped:
        errors.print(f"{prog}: interrupted")
        return stopped.code if isinstance(stopped, Stopped) else EXIT_INTERRUPTED
    except BrokenPipeError:  # `backproof check --json | head`: the reader stopped reading, as head does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return EXIT_PIPE
    except OSError as problem:
        if problem.errno not in OUTPUT_ERRORS:
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        errors.print(f"{prog}: cannot write the output ({problem.strerror})")
        return EXIT_USAGE
    except Exception as problem:  # a bug: say so, and never with a verdict's exit code
        traceback.print_exc()
        errors.print(f"{prog}: internal error ({type(problem).__name__}: {problem}); this is a bug in backproof, "
                     "please report it with the traceback above")
        return EXIT_INTERNAL


OUTPUT_ERRORS = (errno.ENOSPC, errno.EBADF, errno.EIO)  # a full disk (> /dev/full), a closed stream


def run() -> None:
    """The installed `backproof` command."""
    sys.exit(main())
