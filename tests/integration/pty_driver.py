#!/usr/bin/env python3
"""Drives a command through a pseudo-terminal, for Candlefish's integration tests.

Reads a JSON script on stdin:

    {"argv": [...], "env": {...}, "cwd": "...", "timeout": 60,
     "steps": [{"expect": "REGEX"}, {"send": "c\\n"}, {"ctrl_c": true}, ...]}

runs argv as the session leader of a new pseudo-terminal (so Ctrl-C, written
as the byte 0x03, reaches it as SIGINT the way a person's would), performs the
steps in order - `expect` waits until REGEX matches the output after the
previous match - then reads until the command exits. Prints one JSON object:
{"ok": bool, "error": str|null, "code": int|null, "transcript": str}.
"""

import json
import os
import pty
import re
import select
import signal
import struct
import sys
import time

try:
    import fcntl
    import termios
except ImportError:  # pragma: no cover - the tests run on Linux
    fcntl = termios = None


def main():
    spec = json.load(sys.stdin)
    timeout = float(spec.get("timeout", 60))
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(spec.get("cwd") or ".")
        env = dict(spec.get("env") or {})
        os.execve(spec["argv"][0], spec["argv"], env)
    if fcntl is not None:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    output = bytearray()
    eof = False

    def pump(wait):
        nonlocal eof
        if eof:
            return False
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            eof = True
            return False
        output.extend(chunk)
        return True

    def text():
        return output.decode("utf-8", "replace")

    error = None
    position = 0
    for step in spec.get("steps", []):
        if "expect" in step:
            pattern = re.compile(step["expect"])
            deadline = time.monotonic() + timeout
            while True:
                found = pattern.search(text(), position)
                if found:
                    position = found.end()
                    break
                if eof or time.monotonic() > deadline:
                    why = "the command ended" if eof else "timed out"
                    error = "%s waiting for /%s/" % (why, step["expect"])
                    break
                pump(0.1)
        elif "send" in step:
            os.write(fd, step["send"].encode("utf-8"))
        elif step.get("ctrl_c"):
            os.write(fd, b"\x03")
        if error:
            break
    deadline = time.monotonic() + timeout
    while not eof and time.monotonic() < deadline:
        pump(0.1)
    code = None
    if not eof:
        os.kill(pid, signal.SIGKILL)
        error = error or "the command did not exit"
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
    elif os.WIFSIGNALED(status):
        code = 128 + os.WTERMSIG(status)
    json.dump(
        {"ok": error is None, "error": error, "code": code, "transcript": text()},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
