"""What the figures were measured on: CPU, cores, kernel, KVM backend,
the vmon commit and the QEMU version."""

import os
import platform
import subprocess


def _run(argv, cwd=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=30)
        return p.stdout.strip() if p.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


def version(cmd):
    """First line of `cmd --version`."""
    return _run([cmd, "--version"]).split("\n")[0] or "unknown"


def cpu_model(cpuinfo_text):
    for line in cpuinfo_text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def kvm_module(sys_module="/sys/module"):
    """The loaded KVM backend: kvm_pvm, kvm_intel or kvm_amd."""
    found = [m for m in ("kvm_pvm", "kvm_intel", "kvm_amd")
             if os.path.isdir(os.path.join(sys_module, m))]
    return "+".join(found) or "none"


def describe(root, vmon, qemu):
    with open("/proc/cpuinfo") as f:
        cpu = cpu_model(f.read())
    # The same source as `vmon --version`: git, else what `git archive`
    # wrote, else "unknown"; changes can only be seen with git.
    commit = _run([os.path.join(root, "scripts", "gitrev.sh")]) or "unknown"
    if os.path.exists(os.path.join(root, ".git")) and \
            _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root):
        commit += " + uncommitted changes"
    hypervisor = ""
    with open("/proc/cpuinfo") as f:
        if " hypervisor" in f.read():
            hypervisor = " (the host is itself a VM)"
    return {
        "cpu": cpu,
        "nproc": len(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "kvm_module": kvm_module() + hypervisor,
        "commit": commit,
        "vmon": version(vmon),
        "qemu": version(qemu),
        "loadavg": open("/proc/loadavg").read().split()[:3],
    }
