# SPDX-License-Identifier: MIT
"""Checks vmon against the Firecracker API contract (the reference YAML):
every path and method is routed (to the feature, or to the pinned "vmon
does not support" answer), methods the contract does not list get 405,
and an example body built from each request schema vmon supports is
accepted.  Usage: api_conformance.py YAML SOCKET WORKDIR GUEST_KERNEL"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apilib  # noqa: E402

yaml_path, sock, work, kernel = sys.argv[1:5]
spec = apilib.load_yaml(open(yaml_path).read())
paths, defs = spec["paths"], spec["definitions"]
failures = []

# Paths vmon answers with "does not support": pinned here too.
MISSING = {"/balloon/hinting/start", "/balloon/hinting/status",
           "/balloon/hinting/stop", "/cpu-config", "/pmem/{id}", "/mmds",
           "/mmds/config", "/hotplug/memory"}
# Fields vmon refuses when set (the message names the missing feature).
UNSUPPORTED_FIELDS = {"socket", "mtu"}
disk = os.path.join(work, "disk.img")
open(disk, "wb").truncate(1 << 20)
SAMPLES = {
    "kernel_image_path": kernel, "initrd_path": None,
    "path_on_host": disk, "drive_id": "rootfs", "iface_id": "eth0",
    "host_dev_name": "tap0", "guest_mac": "06:00:ac:10:00:02",
    "uds_path": os.path.join(work, "v.sock"), "vsock_id": "vsock0",
    "log_path": os.path.join(work, "log"),
    "metrics_path": os.path.join(work, "metrics"),
    "serial_out_path": os.path.join(work, "serial"),
    "partuuid": "0eaa91a0-01", "guest_cid": 3, "vcpu_count": 2,
    "mem_size_mib": 256, "amount_mib": 16, "boot_args": "console=ttyS0",
    "stats_polling_interval_s": 1,
    "snapshot_path": os.path.join(work, "vm.snap"),
    "mem_file_path": os.path.join(work, "vm.mem"),
}


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def concrete(path):
    return path.replace("{drive_id}", "rootfs").replace(
        "{iface_id}", "eth0").replace("{id}", "p0")


def example(schema_name):
    """A body with every field vmon supports, from the schema alone."""
    d = defs[schema_name]
    body = {}
    for name, p in (d.get("properties") or {}).items():
        if name in UNSUPPORTED_FIELDS:
            continue
        if name in SAMPLES:
            if SAMPLES[name] is not None:
                body[name] = SAMPLES[name]
            continue
        ref = p.get("$ref", "").split("/")[-1]
        if ref:
            r = defs[ref]
            if "default" in r:
                body[name] = r["default"]
            continue
        if "example" in p:
            body[name] = p["example"]
        elif "default" in p:
            body[name] = p["default"]
        elif "enum" in p:
            body[name] = p["enum"][0]
        elif p.get("type") == "boolean":
            body[name] = False
        elif p.get("type") == "integer":
            body[name] = p.get("minimum", 0)
        elif p.get("type") == "object":
            body[name] = {}
        elif p.get("type") == "string":
            body[name] = "x"
    return body


def body_schema(op):
    for prm in op.get("parameters") or []:
        if prm.get("in") == "body":
            return prm["schema"]["$ref"].split("/")[-1]
    return None


# 1. Routing: every path and method, before the VM starts.  The probe
# body has a field no schema has, so no request changes anything.
PROBE = {"conformance_probe": 1}
for path, ops in paths.items():
    url = concrete(path)
    for method in ("GET", "PUT", "PATCH"):
        status, body = apilib.request(sock, method, url, PROBE if method !=
                                      "GET" else None)
        msg = apilib.fault(body)
        if method.lower() not in ops:
            check(status == 405, "%s %s: %s, want 405" % (method, path,
                                                          status))
            continue
        check(status not in (404, 405), "%s %s routed (got %s: %s)" %
              (method, path, status, msg))
        if path in MISSING:
            check(status == 400 and "vmon does not support" in msg,
                  "%s %s: pinned not-supported answer (%s)" % (method, path,
                                                               msg))
        elif method != "GET":
            check(status == 400 and "unknown field 'conformance_probe'" in
                  msg, "%s %s checks its body (%s)" % (method, path, msg))

status, body = apilib.request(sock, "GET", "/version")
check(status == 200 and body["firecracker_version"] == spec["info"][
    "version"], "GET /version is the contract's version")

# 2. Example bodies, in an order that makes sense to a VM: pre-boot
# configuration, start, then run-time requests.
PRE = [("PUT", "/logger"), ("PUT", "/metrics"), ("PUT", "/machine-config"),
       ("PATCH", "/machine-config"), ("PUT", "/boot-source"),
       ("PUT", "/drives/{drive_id}"), ("PUT", "/network-interfaces/{iface_id}"),
       ("PUT", "/vsock"), ("PUT", "/entropy"), ("PUT", "/balloon"),
       ("PATCH", "/balloon"), ("PATCH", "/balloon/statistics"),
       ("PUT", "/serial")]
POST = [("PATCH", "/vm"), ("PATCH", "/network-interfaces/{iface_id}")]
covered = set()
for method, path in PRE:
    schema = body_schema(paths[path][method.lower()])
    body = example(schema)
    status, resp = apilib.request(sock, method, concrete(path), body)
    check(status == 204, "%s %s with %s example %s: %s %s" % (
        method, path, schema, body, status, apilib.fault(resp)))
    covered.add((method, path))
for action in ("FlushMetrics", "InstanceStart", "SendCtrlAltDel"):
    status, resp = apilib.request(sock, "PUT", "/actions",
                                  {"action_type": action})
    check(status == 204, "action %s: %s %s" % (action, status,
                                                apilib.fault(resp)))
covered.add(("PUT", "/actions"))
for method, path in POST:
    schema = body_schema(paths[path][method.lower()])
    body = example(schema)
    status, resp = apilib.request(sock, method, concrete(path), body)
    check(status == 204, "%s %s with %s example %s: %s %s" % (
        method, path, schema, body, status, apilib.fault(resp)))
    covered.add((method, path))
# The Vm example paused the VM: the snapshot example writes it down.
status, resp = apilib.request(sock, "PUT", "/snapshot/create",
                              example("SnapshotCreateParams"))
check(status == 204, "PUT /snapshot/create example: %s %s" % (
    status, apilib.fault(resp)))
covered.add(("PUT", "/snapshot/create"))
# A load goes to a fresh vmon (snapshot.sh); here it is refused by name.
status, resp = apilib.request(sock, "PUT", "/snapshot/load",
                              example("SnapshotLoadParams"))
check(status == 400 and "has not started" in apilib.fault(resp),
      "PUT /snapshot/load example on a started vmon: %s %s" % (
          status, apilib.fault(resp)))
covered.add(("PUT", "/snapshot/load"))
status, resp = apilib.request(sock, "PATCH", "/vm", {"state": "Resumed"})
check(status == 204, "resume after the Vm example (Paused)")
status, resp = apilib.request(sock, "PATCH", "/drives/rootfs",
                              example("PartialDrive"))
check(status == 204, "PATCH /drives: media change to the same image "
      "(%s %s)" % (status, apilib.fault(resp)))
covered.add(("PATCH", "/drives/{drive_id}"))

# Every schema-carrying operation of a supported path was tried.
for path, ops in paths.items():
    for method, op in ops.items():
        if path not in MISSING and body_schema(op) and method != "get":
            check((method.upper(), path) in covered,
                  "example for %s %s not tried" % (method.upper(), path))

if failures:
    print("%d conformance failures" % len(failures))
    sys.exit(1)
print("conformance: %d paths, every method routed, examples accepted" %
      len(paths))
