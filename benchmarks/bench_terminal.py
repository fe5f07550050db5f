"""Latency as the candidate and the proctor feel it: bytes reaching a real terminal, against a minimal Textual app.

Both apps run in tmux (a server on its own socket), one after the other, round after round.
This script is tmux's control-mode client (``tmux -C``): tmux sends each chunk the app
writes to its pty as a ``%output`` line the moment it reads it, and the script stamps each
line with ``time.perf_counter()`` as it arrives (sub-microsecond resolution; the pipe and
tmux add the same small delay to both apps). A key is sent with ``send-keys`` on the same
control channel. A response ends with the last chunk before the output goes quiet, after
the text that proves the screen changed (for example ``Question 12 of 80``) has arrived:
a frame Textual paints a little later, such as a second layout pass, counts.

Why tmux control mode rather than a pty of our own: tmux is a real terminal emulator (it
answers Textual's queries and encodes keys as a terminal does), it is what the end-to-end
tests and the issue's measurements use, and control mode gives the raw output stream with
arrival times without screen scraping.

The exam shows a clock that redraws once a second; keys are sent early in the second, after
a tick has been seen, so the tick never lands inside a measured response.

Figures (median and p90 of every sample, per-round ratio range as the spread):

- start to first screen: launching the command to its first screen painted in full
- answer key: A/B on a question to the chosen option drawn and saved
- next-question key: N to the next question drawn (stem, options, navigator, status)
- go-to: Enter in the go-to dialog to the question drawn (and G to the dialog open)
- opening review: R to the review table drawn
- unlock as felt: Enter on the unlock screen (PIN typed) to the check-in screen drawn,
  the package's own KDF cost (Argon2id, RFC 9106 second recommendation) included

Targets (DESIGN.md "Performance targets"), as ratios to the minimal app's medians in the same
run: start <= 1.8x, answer <= 1.5x, next <= 2x with p90 <= 3x the minimal app's p90; unlock as
felt <= 0.5 s. Exit status 1 when any is missed.

Run: python benchmarks/bench_terminal.py [--quick] [--rounds N]
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from verdict import Figure, Verdict, arguments, ratio_spread  # noqa: E402

PANE = "bench:0.0"
NEW_SESSION = ("new-session", "-s", "bench", "-x", "80", "-y", "24", "sleep 1000000")
ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")
OCTAL = re.compile(rb"\\([0-7]{3})")


class Missing(AssertionError):
    """The text that proves a response arrived never did: the figure would be meaningless."""


@dataclass
class ControlTerminal:
    """A tmux server on its own socket, 80x24, driven over control mode with timestamped output."""

    socket: str
    process: subprocess.Popen[bytes] = field(init=False)
    _pending: bytes = b""
    _chunks: list[tuple[float, str]] = field(default_factory=list)
    idle_output: float = 0.0  # when output last arrived while no key was in flight (the exam's clock)

    def __post_init__(self) -> None:
        self.process = subprocess.Popen(
            [*("tmux", "-L", self.socket, "-f", "/dev/null", "-C"), *NEW_SESSION],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        self.command("refresh-client -C 80x24")
        self.command("set-option -g remain-on-exit on")
        self.command("set-option -g status off")
        self.settle(0.3)

    def command(self, line: str) -> float:
        """Send one tmux command; return the moment it was written."""
        assert self.process.stdin is not None
        sent = time.perf_counter()
        self.process.stdin.write(line.encode() + b"\n")
        return sent

    def _read(self, timeout: float) -> list[tuple[float, bytes]]:
        """Output chunks (arrival time, the bytes the app wrote) within ``timeout``."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        if not ready:
            return []
        data = os.read(fd, 1 << 16)
        arrived = time.perf_counter()
        if not data:
            raise Missing("tmux exited")
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        chunks = []
        for line in lines:
            if line.startswith(b"%output "):
                raw = OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), line.split(b" ", 2)[2])
                chunks.append((arrived, raw))
        return chunks

    def settle(self, quiet: float, limit: float = 5.0) -> None:
        """Wait until no output has arrived for ``quiet`` seconds (at most ``limit``)."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            chunks = self._read(quiet)
            if not chunks:
                return
            self.idle_output = chunks[-1][0]

    def in_phase(self, earliest: float, latest: float) -> None:
        """Wait until ``earliest``-``latest`` s after the last idle output (the exam clock's tick)."""
        deadline = time.perf_counter() + 5.0
        while time.perf_counter() < deadline:
            since = time.perf_counter() - self.idle_output
            if earliest <= since <= latest:
                return
            wait = earliest - since if since < earliest else 1.2
            chunks = self._read(wait)
            if chunks:
                self.idle_output = chunks[-1][0]
                self.settle(0.02)

    def respond(self, line: str, marker: str | None, quiet: float, timeout: float = 10.0) -> float:
        """Send a command; seconds from sending it to the last chunk of the response it caused."""
        sent = self.command(line)
        # Escape sequences are removed from the whole response, not chunk by chunk: tmux may
        # split a chunk inside a sequence, and its tail would sit between the marker's letters.
        seen, raw, last = marker is None, b"", 0.0
        deadline = sent + timeout
        while True:
            now = time.perf_counter()
            wait = last + quiet - now if seen and last else deadline - now
            chunks = self._read(wait) if wait > 0 else []
            if not chunks:
                if seen and last:
                    return last - sent
                if time.perf_counter() >= deadline:
                    shown = _text(raw)[-300:]
                    raise Missing(f"{marker!r} never reached the terminal after {line!r}; it showed {shown!r}")
                continue
            for arrived, chunk in chunks:
                last = arrived
                raw += chunk
            if not seen and marker in _text(raw):
                seen = True

    def keys(self, *keys: str, literal: bool = False) -> str:
        return f"send-keys -t {PANE} {'-l ' if literal else ''}" + " ".join(_quote(k) for k in keys)

    def close(self) -> None:
        if self.process.poll() is None:
            self.command("kill-server")
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _text(raw: bytes) -> str:
    return ANSI.sub(b"", raw).decode("utf-8", "replace")


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


@dataclass
class Samples:
    start: list[float] = field(default_factory=list)
    answer: list[float] = field(default_factory=list)
    next: list[float] = field(default_factory=list)
    goto_open: list[float] = field(default_factory=list)
    goto: list[float] = field(default_factory=list)
    review: list[float] = field(default_factory=list)
    unlock: list[float] = field(default_factory=list)
    rounds: list[dict[str, float]] = field(default_factory=list)  # per-round medians, for the spread

    def close_round(self, before: dict[str, int]) -> None:
        medians = {}
        for name, count in before.items():
            values = getattr(self, name)[count:]
            if values:
                medians[name] = Figure.of(values).median
        self.rounds.append(medians)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("start", "answer", "next", "goto", "review", "unlock")}


@dataclass(frozen=True)
class Plan:
    rounds: int
    answers: int  # answer keys per round (each followed by a next-question key)
    jumps: int  # go-to and review samples per round
    quiet: float  # seconds of silence that end a response
    start_quiet: float


def launch(term: ControlTerminal, command: list[str], env: dict[str, str], marker: str, quiet: float) -> float:
    """Replace whatever runs in the pane with ``command``; seconds to its first screen, painted in full."""
    term.command(f"respawn-pane -k -t {PANE} 'sleep 1000000'")
    term.settle(0.3)
    settings = " ".join(f"-e {_quote(f'{k}={v}')}" for k, v in env.items())
    # In the app's own checkout: `python -m` finds the package in the working directory first.
    where = _quote(env.get("PYTHONPATH", str(ROOT)))
    line = f"respawn-pane -k -t {PANE} -c {where} {settings} {_quote('exec ' + ' '.join(_quote(c) for c in command))}"
    return term.respond(line, marker, quiet, timeout=60)


def minimal_round(term: ControlTerminal, plan: Plan, env: dict[str, str], out: Samples) -> None:
    out.start.append(
        launch(term, [sys.executable, str(ROOT / "benchmarks" / "minimal_app.py")], env, "quit", plan.start_quiet)
    )
    term.settle(0.2)
    presses = 0
    for _ in range(plan.answers):
        for key, name, into in (("a", "answer", out.answer), ("n", "next", out.next)):
            presses += 1
            term.settle(0.03)
            into.append(term.respond(term.keys(key), f"{name} {presses}", plan.quiet))


def exam_round(term: ControlTerminal, plan: Plan, env: dict[str, str], db: Path, pin: str, out: Samples) -> None:
    command = [sys.executable, "-m", "ccsoo_exam", "demo", "--db", str(db)]
    out.start.append(launch(term, command, env, "Proctor PIN", plan.start_quiet))
    term.settle(0.2)
    # The proctor sets the PIN, typed twice; unlock as felt is the second Enter to check-in drawn.
    term.respond(term.keys(pin, literal=True), None, 0.1)
    term.respond(term.keys("Enter"), None, 0.1)
    term.respond(term.keys(pin, literal=True), None, 0.1)
    term.settle(0.1)
    out.unlock.append(term.respond(term.keys("Enter"), "check the candidate in", plan.quiet, timeout=30))

    def step(keys: str, marker: str, literal: bool = False) -> None:
        term.settle(0.05)
        term.respond(term.keys(keys, literal=literal), marker, 0.1)

    step("C-BENCH-1", "C-BENCH-1", literal=True)
    term.settle(0.05)
    term.respond(term.keys("Tab"), None, 0.1)
    step("Bench Candidate", "Bench Candidate", literal=True)
    step("Enter", "onfidentiality agreement")
    for key in ("Space", "Tab", "Space", "Tab"):  # identity, agreement, then to Start
        term.settle(0.05)
        term.respond(term.keys(key), None, 0.1)
    step("Enter", "Question 1 of 80")
    term.settle(0.2)

    def timed(keys: str, marker: str, into: list[float] | None) -> None:
        # Early in the clock's second: the next tick is far beyond this response and its quiet time.
        term.in_phase(0.03, 0.55)
        elapsed = term.respond(term.keys(keys), marker, plan.quiet)
        if into is not None:
            into.append(elapsed)

    position = 1
    for n in range(plan.answers):
        letter = "ab"[n % 2]
        timed(letter, f"(*) {letter.upper()}.", out.answer)
        timed("n", f"Question {position + 1} of 80", out.next)
        position += 1
    for n in range(plan.jumps):
        target = 80 - 7 * n
        timed("g", "Go to question", out.goto_open)
        term.respond(term.keys(str(target), literal=True), str(target), 0.1)
        timed("Enter", f"Question {target} of 80", out.goto)
        timed("r", "REVIEW", out.review)
        timed("r", f"Question {target} of 80", None)
    term.command(f"respawn-pane -k -t {PANE} 'sleep 1000000'")
    term.settle(0.3)


def bare_commits(directory: Path, count: int) -> list[float]:
    """A bare sqlite3 INSERT+COMMIT (WAL, synchronous=FULL) on the exam database's disk: each answer and
    each move waits for one such durable commit before it is drawn, which the minimal app never does."""
    import sqlite3

    conn = sqlite3.connect(directory / "bare-commit.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (a INTEGER)")
    times = []
    for n in range(count):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?)", (n,))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def kdf_description() -> str:
    from ccsoo_exam import vault

    header = vault.read_header((ROOT / "question_banks" / "module1.bank").read_bytes(), "module1.bank")
    return header.params.describe()


def report(verdict: Verdict, minimal: Samples, exam: Samples, limits: dict[str, float], commits: list[float]) -> None:
    rows: list[tuple[str, list[float], list[float] | None]] = [
        ("start to first screen", exam.start, minimal.start),
        ("answer key", exam.answer, minimal.answer),
        ("next-question key", exam.next, minimal.next),
        ("go-to dialog (G)", exam.goto_open, minimal.answer),
        ("go-to (Enter to the question)", exam.goto, minimal.answer),
        ("opening review (R)", exam.review, minimal.answer),
        ("unlock as felt (Enter to check-in)", exam.unlock, None),
    ]
    print("\nfigures (ms): ccsoo-exam demo, then the minimal app in the same run")
    for label, ours, base in rows:
        print(f"  {label:<36} exam    {Figure.of(ours).describe()}")
        if base is not None:
            ratio = Figure.of(ours).median / Figure.of(base).median
            print(f"  {'':<36} minimal {Figure.of(base).describe()}  -> {ratio:.2f}x")

    print(f"  {'context: bare durable commit':<36}         {Figure.of(commits).describe()}")

    def per_round(name: str, base_name: str) -> str:
        low, high = ratio_spread(
            [r[name] for r in exam.rounds if name in r], [r[base_name] for r in minimal.rounds if base_name in r]
        )
        return f"per-round ratios {low:.2f}-{high:.2f}x"

    print("\ntargets:")
    start, answer, nxt = (
        Figure.of(exam.start).median / Figure.of(minimal.start).median,
        Figure.of(exam.answer).median / Figure.of(minimal.answer).median,
        Figure.of(exam.next).median / Figure.of(minimal.next).median,
    )
    next_p90 = Figure.of(exam.next).p90 / Figure.of(minimal.next).p90
    verdict.check(
        "start", start, limits["start"], f"{start:.2f}x [<= {limits['start']}x]; {per_round('start', 'start')}"
    )
    verdict.check(
        "answer", answer, limits["answer"], f"{answer:.2f}x [<= {limits['answer']}x]; {per_round('answer', 'answer')}"
    )
    verdict.check("next", nxt, limits["next"], f"{nxt:.2f}x [<= {limits['next']}x]; {per_round('next', 'next')}")
    verdict.check("next p90", next_p90, limits["next_p90"], f"p90 {next_p90:.2f}x [<= {limits['next_p90']}x]")
    unlock = Figure.of(exam.unlock)
    verdict.check(
        "unlock as felt",
        unlock.median,
        limits["unlock"],
        f"median {unlock.median:.3f} s, p90 {unlock.p90:.3f} s [median <= {limits['unlock']} s]",
    )


def main(argv: list[str] | None = None) -> int:
    args = arguments(
        __doc__.splitlines()[0],
        argv,
        rounds={"type": int, "default": None, "help": "rounds of both apps (default 6, quick 2)"},
        app_root={"default": str(ROOT), "help": "checkout whose ccsoo_exam runs (to compare two versions)"},
    )
    if shutil.which("tmux") is None:
        print("bench_terminal: tmux is not installed; this benchmark needs it")
        return 1
    from ccsoo_exam.cli.delivery import DEMO_PIN

    plan = (
        Plan(rounds=args.rounds or 2, answers=4, jumps=1, quiet=0.08, start_quiet=0.25)
        if args.quick
        else Plan(rounds=args.rounds or 6, answers=12, jumps=3, quiet=0.08, start_quiet=0.25)
    )
    # Quick mode is for CI on a busy machine: margins that only a gross regression misses.
    limits = (
        {"start": 3.0, "answer": 6.0, "next": 10.0, "next_p90": 15.0, "unlock": 3.0}
        if args.quick
        else {"start": 1.8, "answer": 1.5, "next": 2.0, "next_p90": 3.0, "unlock": 0.5}
    )
    verdict = Verdict("bench_terminal", quick=args.quick)
    print(
        f"tmux {subprocess.run(['tmux', '-V'], capture_output=True, text=True).stdout.strip()}, 80x24; "
        f"package KDF: {kdf_description()}; {plan.rounds} rounds + 1 warm-up"
    )
    minimal, exam = Samples(), Samples()
    commits: list[float] = []
    with tempfile.TemporaryDirectory(prefix="ccsoo-bench-terminal-") as folder:
        tmp = Path(folder)
        env = {"PYTHONPATH": str(Path(args.app_root).resolve()), "CCSOO_EXAM_DATA": str(tmp)}
        term = ControlTerminal(f"ccsoo-bench-{os.getpid()}")
        try:
            # One warm-up round of each (byte-compiling, the page cache), not counted.
            minimal_round(term, Plan(1, 2, 0, plan.quiet, plan.start_quiet), env, Samples())
            exam_round(term, Plan(1, 2, 0, plan.quiet, plan.start_quiet), env, tmp / "warm.db", DEMO_PIN, Samples())
            for n in range(plan.rounds):
                # Alternate which app goes first, so a slow patch of the machine hits both.
                db = tmp / f"demo-{n}.db"
                order: list[Callable[[], None]] = [
                    lambda: _round(minimal, lambda: minimal_round(term, plan, env, minimal)),
                    lambda db=db: _round(exam, lambda: exam_round(term, plan, env, db, DEMO_PIN, exam)),
                ]
                for run in order if n % 2 == 0 else reversed(order):
                    run()
                commits.extend(bare_commits(tmp, 10))
                print(f"  round {n + 1}/{plan.rounds} done", flush=True)
        except Missing as error:
            print(f"bench_terminal: FAIL: {error}")
            return 1
        finally:
            term.close()
    report(verdict, minimal, exam, limits, commits)
    return verdict.status()


def _round(samples: Samples, run: Callable[[], None]) -> None:
    before = samples.counts()
    run()
    samples.close_round(before)


if __name__ == "__main__":
    raise SystemExit(main())
