# SPDX-License-Identifier: MIT
"""Helpers for the API integration tests: a raw HTTP/1.1 client on a Unix
socket, and a reader for the subset of YAML the Firecracker API contract
uses (python3 has no yaml module by default)."""
import json
import os
import socket
import time


class Conn:
    """One keep-alive connection to the API socket."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def read_response(self):
        """(status, headers, body bytes) of the next response, or None
        when the server closed the connection first."""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(rest) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.buf = rest[n:]
        return status, headers, rest[:n]

    def request(self, method, path, body=None, headers=None):
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        h = "%s %s HTTP/1.1\r\nHost: localhost\r\n" % (method, path)
        for k, v in (headers or {}).items():
            h += "%s: %s\r\n" % (k, v)
        if body is not None:
            h += "Content-Length: %d\r\n" % len(body)
        self.send(h.encode() + b"\r\n" + (body or b""))
        r = self.read_response()
        if r and r[1].get("content-type") == "application/json" and r[2]:
            return r[0], json.loads(r[2])
        return (r[0], None) if r else (None, None)


def request(path, method, url, body=None):
    c = Conn(path)
    try:
        return c.request(method, url, body)
    finally:
        c.close()


def wait_socket(path, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            request(path, "GET", "/")
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit("API socket %s never answered" % path)


def fault(body):
    return body.get("fault_message", "") if isinstance(body, dict) else ""


# ---- a YAML subset: block maps and lists, scalars, flow lists ----------

def _scalar(s):
    s = s.strip()
    if s.startswith("[") and s.endswith("]"):
        return [_scalar(x) for x in s[1:-1].split(",") if x.strip()]
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    if s.lstrip("-").isdigit():
        return int(s)
    return {"true": True, "false": False, "null": None}.get(s, s)


def load_yaml(text):
    lines = []
    for raw in text.splitlines():
        st = raw.strip()
        if not st or st.startswith("#"):
            continue
        lines.append([len(raw) - len(raw.lstrip(" ")), st])
    pos = [0]

    def skip_deeper(ind):
        while pos[0] < len(lines) and lines[pos[0]][0] > ind:
            pos[0] += 1

    def block(ind):
        if lines[pos[0]][1].startswith("- "):
            return seq(ind)
        return mapping(ind)

    def mapping(ind):
        d = {}
        while pos[0] < len(lines) and lines[pos[0]][0] == ind and \
                not lines[pos[0]][1].startswith("- "):
            key, _, rest = lines[pos[0]][1].partition(":")
            key, rest = _scalar(key), rest.strip()
            pos[0] += 1
            if rest == "":
                if pos[0] < len(lines) and (lines[pos[0]][0] > ind or (
                        lines[pos[0]][0] == ind and
                        lines[pos[0]][1].startswith("- "))):
                    d[key] = block(lines[pos[0]][0])
                else:
                    d[key] = None
            else:
                # Block scalars and continued plain scalars: text only.
                d[key] = "" if rest[0] in ">|" else _scalar(rest)
                skip_deeper(ind)
        return d

    def seq(ind):
        items = []
        while pos[0] < len(lines) and lines[pos[0]][0] == ind and \
                lines[pos[0]][1].startswith("- "):
            content = lines[pos[0]][1][2:].strip()
            if ":" in content and content[0] not in "\"'[":
                lines[pos[0]] = [ind + 2, content]
                items.append(mapping(ind + 2))
            else:
                pos[0] += 1
                items.append(_scalar(content))
        return items

    return block(0)


def load_contract(root):
    path = os.path.join(root, "..", "shared", "reference",
                        "firecracker-api.yaml")
    if not os.path.exists(path):
        path = "/work/shared/reference/firecracker-api.yaml"
    with open(path) as f:
        return load_yaml(f.read())
