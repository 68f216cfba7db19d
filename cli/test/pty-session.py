"""Run a command on a pseudo-terminal and answer its prompts, as a person at a terminal would.

Usage: python3 pty-session.py STEPS_JSON CWD COMMAND [ARGS...]
STEPS_JSON is a list of [regex, answer]: wait until the output so far (after the previous match)
matches the regex, then type the answer and Enter. Afterwards read to the end, print everything the
terminal showed, and exit with the command's exit code (124 when a prompt never came).
"""
import json
import os
import pty
import re
import select
import sys
import time


def main():
    steps = json.loads(sys.argv[1])
    cwd = sys.argv[2]
    argv = sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execvp(argv[0], argv)
    seen = b""
    start = 0

    def read_some(timeout):
        nonlocal seen
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
        return True

    for pattern, answer in steps:
        deadline = time.time() + 60
        regex = re.compile(pattern.encode())
        while True:
            m = regex.search(seen, start)
            if m:
                start = m.end()
                break
            if time.time() > deadline or not read_some(0.5):
                sys.stdout.write(seen.decode(errors="replace"))
                sys.stdout.write(f"\n[pty-session: no match for {pattern!r}]\n")
                os.kill(pid, 9)
                sys.exit(124)
        os.write(fd, answer.encode() + b"\r")
    while read_some(60):
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


main()
