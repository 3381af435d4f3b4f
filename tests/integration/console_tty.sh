#!/usr/bin/env bash
# The interactive console on a terminal: raw mode (Ctrl-C reaches the
# guest as a byte), Ctrl-A x quits with status 0, and the terminal's
# settings are the same afterwards as before.
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd python3 python3
[ -f "$GUEST/echo.elf" ] || fail "missing $GUEST/echo.elf"
python3 - "$VMON" "$GUEST/echo.elf" <<'PY'
import os, pty, sys, termios, time, select

vmon, image = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(vmon, [vmon, "run", "--kernel", image, "--debug-exit"])

def read_until(token, timeout=20):
    buf, end = b"", time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if token in buf:
                return buf
    sys.exit("FAIL: did not see %r; got %r" % (token, buf[-400:]))

read_until(b"echo: ready")
during = termios.tcgetattr(fd)
if during[3] & termios.ICANON or during[3] & termios.ISIG:
    sys.exit("FAIL: terminal not in raw mode while the guest runs")
os.write(fd, b"typed\r")
read_until(b"echo: typed")
os.write(fd, b"\x03")              # Ctrl-C: a byte for the guest, not SIGINT
time.sleep(0.3)
os.write(fd, b"\x01x")             # Ctrl-A x: quit
_, status = os.waitpid(pid, 0)
if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
    sys.exit("FAIL: vmon ended with %r, want exit 0" % status)
after = termios.tcgetattr(fd)
want = termios.ICANON | termios.ISIG | termios.ECHO
if after[3] & want != want or after[1] & termios.OPOST == 0:
    sys.exit("FAIL: terminal settings not restored: lflag %#x" % after[3])
print("raw console, Ctrl-A x and terminal restore OK")
PY
