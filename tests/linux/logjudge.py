"""The kernel's log as a judge of the platform vmon builds.

flagged() picks the lines of a Linux boot log that a clean platform would
not make the kernel print: warnings with a stack trace, bugs, firmware
complaints, missing platform features.  judge() fails every flagged line
that the same kernel does not also print under QEMU on the same host and
that is not listed in ARTEFACTS as the emulated host's own, with evidence.
"""
import re

# What a clean platform never makes Linux say.
FLAGS = [
    r"WARNING:", r"BUG:", r"Oops", r"Call Trace", r"\[Firmware Bug\]",
    r"\[Firmware Warn\]", r"ACPI (BIOS )?Error", r"ACPI Warning", r"ACPI: .*[Ff]ailed",
    r"DMI not present", r"Keylock active", r"Marking TSC unstable",
    r"XSAVE consistency problem", r"nobody cared", r"soft lockup", r"rcu_sched self-detected",
    r"rcu: INFO", r"timed out", r"[Uu]nknown .*MSR", r"unchecked MSR access",
    r"No irq handler", r"spurious", r"irq \d+: nobody", r"failed to", r"MSI-X.*fail",
]
FLAG_RX = re.compile("|".join(FLAGS))

# The emulated host's own artefacts: printed because QEMU's software engine
# (TCG) emulates the nested host's CPU, not because of vmon.  Each regex
# comes with the evidence that makes it the host's.
ARTEFACTS = [
    (r"XSAVE consistency problem|fpu__init_system_xstate|WARNING: CPU: 0 PID: 0 at "
     r"arch/x86/kernel/fpu/xstate\.c",
     "the emulated SVM lets XSETBV through without the exit the outer KVM needs: a guest "
     "that sets XCR0 sees CPUID 0xD.EBX follow XCR0 under vmon and QEMU directly on a "
     "host, but not nested (issue 8); QEMU+KVM on the nested host prints it too"),
    (r"Marking TSC unstable due to TSCs unsynchronized|tsc: Marking TSC unstable",
     "the nested host's TSCs come from TCG's virtual clock per vCPU thread; QEMU+KVM "
     "on the same nested host prints it too"),
]


def normalise(line):
    """Drops the timestamp and numbers that differ between boots."""
    line = re.sub(r"^\[\s*\d+\.\d+\]\s*", "", line.strip())
    line = re.sub(r"0x[0-9a-f]+|\b\d+\b", "N", line)
    return line


def flagged(log):
    return [l.strip() for l in log.splitlines() if FLAG_RX.search(l)]


def judge(vmon_log, qemu_log=None):
    """(problems, known): problems are vmon's flagged lines with no excuse;
    known pairs (line, why) are excused ones."""
    peer = set(normalise(l) for l in flagged(qemu_log)) if qemu_log else set()
    problems, known = [], []
    for line in flagged(vmon_log):
        why = None
        for rx, evidence in ARTEFACTS:
            if re.search(rx, line):
                why = evidence
                break
        if why is None and normalise(line) in peer:
            why = "printed by the same kernel under QEMU on this host too"
        if why:
            known.append((line, why))
        else:
            problems.append(line)
    return problems, known
