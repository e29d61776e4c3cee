#!/usr/bin/python3
"""PINs typed at a terminal: runs cardforge on a pseudo-terminal and checks that it asks for the PIN,
does not echo it, leaves the echo on afterwards (also after Ctrl-C at the prompt), and refuses two new
PINs that differ. usage: prompt_pty.py CARDFORGE READER PIN"""
import os
import pty
import select
import sys
import termios
import time

cardforge, reader, pin = sys.argv[1:4]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def spawn(*args):
    pid, fd = pty.fork()
    if pid == 0:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARDFORGE_PIN")}
        env.pop("CARDFORGE_NEW_PIN", None)
        os.execve(cardforge, [cardforge, "--reader", reader, "keycard", *args], env)
    return pid, fd


def read_chunk(fd):
    """The child's next output; b"" once it has closed the terminal (EIO on Linux)."""
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""


def read_until(fd, needle, timeout=10.0):
    out = b""
    end = time.time() + timeout
    while needle.encode() not in out:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not r:
            fail(f"no '{needle}' within {timeout} s; got {out!r}")
        chunk = read_chunk(fd)
        if not chunk:
            break
        out += chunk
    return out


def finish(pid, fd):
    out = b""
    while chunk := read_chunk(fd):
        out += chunk
    _, status = os.waitpid(pid, 0)
    return out, status


def echo_on(fd):
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


# 1. verify-pin asks, the typed PIN is not echoed, the command succeeds, echo is back on
pid, fd = spawn("verify-pin")
if not echo_on(fd):
    fail("the terminal has no echo to begin with (the check below would prove nothing)")
seen = read_until(fd, "Keycard PIN: ")
if echo_on(fd):
    fail("echo is on while the PIN is typed")
os.write(fd, (pin + "\n").encode())
rest, status = finish(pid, fd)
if os.waitstatus_to_exitcode(status) != 0:
    fail(f"verify-pin with the typed PIN: {seen + rest!r}")
os.close(fd)
if pin.encode() in seen + rest:
    fail("the typed PIN was echoed")
# 2. Ctrl-C at the prompt: the command dies of SIGINT and the echo is on again
pid, fd = spawn("verify-pin")
read_until(fd, "Keycard PIN: ")
os.write(fd, b"12\x03")
_, status = os.waitpid(pid, 0)
if not os.WIFSIGNALED(status) or os.WTERMSIG(status) != 2:
    fail(f"Ctrl-C at the prompt: status {status}")
if not echo_on(fd):
    fail("the echo stays off after Ctrl-C at the prompt")
os.close(fd)
# 3. a new PIN asked twice: two different entries are refused (exit 2), nothing changed
pid, fd = spawn("change-pin")
read_until(fd, "new Keycard PIN: ")
os.write(fd, b"111111\n")
read_until(fd, "(again): ")
os.write(fd, b"222222\n")
rest, status = finish(pid, fd)
if os.waitstatus_to_exitcode(status) != 2 or b"differ" not in rest:
    fail(f"two different new PINs: exit {os.waitstatus_to_exitcode(status)}, {rest!r}")
print("prompt: PIN asked without echo, echo restored, Ctrl-C at the prompt, differing new PINs refused")
