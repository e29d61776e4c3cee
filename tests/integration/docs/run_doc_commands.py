#!/usr/bin/env python3
"""Runs every command line of one Markdown document's fenced code blocks, as printed.

    run_doc_commands.py --cardforge PATH --env CF_PCSC_ENV DOC.md
    run_doc_commands.py --list DOC.md          (print what would run, run nothing)

The convention (tests/integration/docs/README.md):
  - A fenced block with no info string, or `sh` / `shell` / `bash`, is a shell session: every line
    that is not blank and not a `#` comment is a command, run in order in one shell (so `export`
    carries over), with standard input empty. A line ending in `\\` continues on the next one.
  - `console`: only the lines that start with `$ ` are commands (the rest is their output).
  - Any other info string (`text` for output, file formats, synopses) is never run.
  - `<!-- not-run: REASON -->` on the line before a command block's opening fence skips it; the
    reason is mandatory and is printed.
  - A command must exit 0, unless its trailing comment starts with `exit N` (then it must exit N).
  - `cardforge sim ... &` starts the emulator in the background: the test first stops the one an
    earlier line started, then waits until pcscd shows as many cards as the line has `--card`s.
  - Each document runs on its own private pcscd with a fresh host state directory, so a document
    is one session from a new machine: its blocks run top to bottom and share the state.
A command block whose line does not start with a command (for example an output block left
untagged) fails the test before anything runs, with the line named.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

RUN_LANGS = {"", "sh", "shell", "bash", "console"}
BUILTINS = {"export", "unset", "cd", "set", "echo", "printf", "test", "[", "true", "false", "sleep", "wait",
            "kill"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:(?P<reason>.*?)-->\s*$")
EXPECT_EXIT = re.compile(r"^#+\s*exit\s+(\d+)\b")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


class Command:
    def __init__(self, line_no, text, expected, background):
        self.line_no = line_no
        self.text = text  # as printed, continuation lines joined with "\\\n"
        self.expected = expected
        self.background = background
        words = split_words(code_part(text))
        while words and ASSIGNMENT.match(words[0]):
            words.pop(0)
        self.words = words

    def is_sim(self):
        return self.background and self.words[:2] == ["cardforge", "sim"]

    def sim_cards(self):
        n = sum(1 for w in self.words if w == "--card" or w.startswith("--card="))
        return n if n else 1  # a --config file: at least one card


def split_comment(line):
    """Splits a shell line into (code, comment) at the first unquoted # that starts a word."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
            elif ch == "\\" and quote == '"':
                continue
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i:]
    return line, ""


def code_part(text):
    return "\n".join(split_comment(part)[0] for part in text.split("\n"))


def split_words(code):
    try:
        return shlex.split(code.replace("\\\n", " "))
    except ValueError:
        return code.split()


def parse(path, name):
    """Returns (commands, skipped blocks, convention errors)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    commands, skipped, errors = [], [], []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m.group("indent")), m.group("fence")
        info = m.group("info").strip().split()
        lang = info[0].lower() if info else ""
        start = i
        body = []
        i += 1
        while i < len(lines):
            close = FENCE.match(lines[i])
            if close and close.group("fence")[0] == fence[0] and len(close.group("fence")) >= len(fence) \
                    and not close.group("info").strip():
                break
            body.append((i + 1, lines[i]))
            i += 1
        i += 1
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        marker = NOT_RUN.match(lines[prev]) if prev >= 0 else None
        if lang not in RUN_LANGS:
            continue
        if marker:
            reason = marker.group("reason").strip()
            if not reason:
                errors.append(f"{name}:{prev + 1}: not-run marker without a reason")
            skipped.append(f"{name}:{start + 1}: not run: {reason}")
            continue
        pending, pending_no = None, None
        block_errors = []
        for line_no, raw in body:
            line = raw[indent:] if raw[:indent].strip() == "" else raw.lstrip()
            if lang == "console" and pending is None:
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:]
            if pending is not None:
                line = pending + "\n" + line
            elif line.strip() == "" or line.lstrip().startswith("#"):
                continue
            else:
                pending_no = line_no
            if line.rstrip().endswith("\\"):
                pending = line.rstrip()
                continue
            pending = None
            add_command(name, pending_no, line.strip(), commands, block_errors)
        if pending is not None:
            block_errors.append(f"{name}:{pending_no}: the block ends inside a continued line")
        errors.extend(block_errors[:1])  # one error per block: the first line that is not a command
    return commands, skipped, errors


def add_command(name, line_no, text, commands, errors):
    code, comment = split_comment(text.split("\n")[-1])
    expected = 0
    m = EXPECT_EXIT.match(comment.strip())
    if m:
        expected = int(m.group(1))
    stripped = code_part(text).rstrip()
    background = stripped.endswith("&") and not stripped.endswith("&&")
    cmd = Command(line_no, text, expected, background)
    word = cmd.words[0] if cmd.words else ""
    if not word or not (word == "cardforge" or word in BUILTINS or shutil.which(word)):
        errors.append(f"{name}:{line_no}: '{text.splitlines()[0][:50]}' is not a command, but its block is run "
                      "(no info string, or sh): tag the block ```text if it is not meant to run "
                      "(tests/integration/docs/README.md)")
        return
    commands.append(cmd)


PRELUDE = r"""set -u
exec </dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
for __v in $(compgen -v | grep '^CARDFORGE_'); do unset "$__v"; done  # a reader's machine has none set
unset XDG_DATA_HOME
export HOME="$CF_PCSC_ENV_DIR/home"
export CARDFORGE_HOME="$HOME/cardforge"
export PATH="$__DOC_BIN:$PATH"
mkdir -p "$HOME" "$CF_PCSC_ENV_DIR/work" && cd "$CF_PCSC_ENV_DIR/work" || exit 125
__out="$CF_PCSC_ENV_DIR/doc-command.out"
__sim_pid=
__bg_pids=
__failed=0
__begin() { __where=$1; __text=$2; }
__show() { sed 's/^/    /' "$__out"; }
__end() {
  local rc=$1 want=$2
  if [ "$rc" = "$want" ]; then
    printf 'ok   %s (exit %s): %s\n' "$__where" "$rc" "$__text"
    __show
  else
    printf 'FAIL %s: exit %s, the document expects %s: %s\n' "$__where" "$rc" "$want" "$__text" >&2
    __show >&2
    __failed=1
    __finish
  fi
}
__stop_sim() {
  [ -n "$__sim_pid" ] || return 0
  cf_stop_pid "$__sim_pid"
  __sim_pid=
  cf_wait_no_cards 10
}
__wait_sim() {
  local cards=$1
  if ! cf_wait_cards "$cards" 15 || ! cf_pid_alive "$__sim_pid"; then
    printf 'FAIL %s: the emulator did not bring up %s card(s): %s\n' "$__where" "$cards" "$__text" >&2
    sed 's/^/    /' "$CF_PCSC_ENV_DIR/doc-sim.log" >&2
    __failed=1
    __finish
  fi
  printf 'ok   %s (%s card(s) up): %s\n' "$__where" "$cards" "$__text"
}
__finish() {
  __stop_sim
  for p in $__bg_pids; do cf_stop_pid "$p"; done
  exit "$__failed"
}
"""


def script_for(name, commands):
    out = [PRELUDE]
    for c in commands:
        where = shlex.quote(f"{name}:{c.line_no}")
        text = shlex.quote(c.text.replace("\\\n", " "))
        out.append(f"__begin {where} {text}")
        if c.is_sim():
            out.append("__stop_sim")
            out.append("{ " + c.text)
            out.append('} >"$CF_PCSC_ENV_DIR/doc-sim.log" 2>&1')
            out.append("__sim_pid=$!")
            out.append(f"__wait_sim {c.sim_cards()}")
        elif c.background:
            out.append("{ " + c.text)
            out.append('} >"$__out" 2>&1')
            out.append('__bg_pids="$__bg_pids $!"')
        else:
            out.append("{ " + c.text)
            out.append('} >"$__out" 2>&1')
            out.append(f"__end $? {c.expected}")
    out.append("__finish")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cardforge")
    ap.add_argument("--env", help="tests/integration/lib/cf-pcsc-env")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--root", default=".", help="the repository, to name the document in messages")
    ap.add_argument("doc")
    args = ap.parse_args()
    name = os.path.relpath(args.doc, args.root)
    commands, skipped, errors = parse(args.doc, name)
    for s in skipped:
        print(s)
    if errors:
        for e in errors:
            print("FAIL " + e, file=sys.stderr)
        return 1
    if args.list:
        for c in commands:
            print(f"{name}:{c.line_no}: expect exit {c.expected}{' (background)' if c.background else ''}: {c.text}")
        return 0
    if not commands:
        print(f"{name}: no command lines")
        return 0
    if not args.cardforge or not args.env:
        ap.error("--cardforge and --env are needed to run commands")
    readers = max([2] + [c.sim_cards() for c in commands if c.is_sim()])
    with tempfile.TemporaryDirectory(prefix="cf-docs.") as tmp:
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        os.symlink(os.path.abspath(args.cardforge), os.path.join(bindir, "cardforge"))
        script = os.path.join(tmp, "doc.sh")
        with open(script, "w", encoding="utf-8") as f:
            f.write(script_for(name, commands))
        env = dict(os.environ, __DOC_BIN=bindir)
        print(f"{name}: {len(commands)} command line(s), {readers} readers")
        rc = subprocess.run([args.env, "--cardforge", args.cardforge, "--no-sim", "--readers", str(readers), "--",
                             "/bin/bash", script], env=env).returncode
    if rc != 0:
        print(f"FAIL {name}: a documented command did not run as printed (exit {rc})", file=sys.stderr)
    return 1 if rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
