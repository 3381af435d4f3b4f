#!/usr/bin/env bash
# virtio-balloon end to end with the test guest (guest/programs/
# virtio_balloon.c), which touches as many pages as the device's target,
# inflates them, waits for a new target, deflates and re-uses the pages.
#   run  `vmon run --balloon=target_mib=64,stats=1`: vmon's RSS (VmRSS of
#        the running process) falls by about 64 MiB on inflating; the
#        target never changes, so the guest deflates all after wait=2
#   API  --api-sock: PUT /balloon before the start, GET and PATCH
#        /balloon/statistics (Firecracker's field names), PATCH /balloon
#        to a smaller target: the guest deflates to it
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd python3 python3
need_cmd curl curl
[ -f "$GUEST/virtio_balloon.elf" ] || fail "missing $GUEST/virtio_balloon.elf (make guest)"

wait_for() { # file regex [tries of 0.05 s]
	for _ in $(seq "${3:-400}"); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	echo "--- $1"; cat "$1"; echo "--- stderr"; cat "$TMP/err"; fail "timed out waiting for /$2/"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---- vmon run --------------------------------------------------------------
# vmon itself in the background (not under timeout): its own VmRSS.
"$VMON" run --kernel "$GUEST/virtio_balloon.elf" --debug-exit \
	--mem 256M --balloon=target_mib=64,stats=1 --cmdline "hold=1500 wait=2" \
	>"$TMP/out" 2>"$TMP/err" </dev/null &
vm=$!
trap 'kill -9 $vm 2>/dev/null; rm -rf "$TMP"' EXIT
wait_for "$TMP/out" "^virtio-balloon: touched 64 MiB"
before=$(rss_kib $vm)
wait_for "$TMP/out" "^virtio-balloon: inflated 16384 pages"
after=$(rss_kib $vm)
wait $vm; RC=$?
expect_rc 1 "balloon guest"
drop=$(( (before - after) / 1024 ))
echo "VmRSS ${before} KiB with 64 MiB touched, ${after} KiB inflated: ${drop} MiB less"
if grep -q '^restored-vmon: snapshot after' "$TMP/err"; then
	# Restored (tests/restored-vmon): RAM is mapped lazily from the memory
	# file, so pages touched before the snapshot were not resident and
	# the drop is smaller by them.  What must hold: none of the 64 MiB is
	# resident once inflated (vmon alone is a few MiB).
	[ $after -le 16384 ] || fail "restored: ${after} KiB resident with all 64 MiB touched inflated"
else
	[ $drop -ge 56 ] && [ $drop -le 72 ] || fail "inflating 64 MiB dropped the RSS by $drop MiB"
fi
expect_in "$TMP/out" "^virtio-balloon: device at 00:..\.0, stats on, deflate-on-oom off, target 16384 pages"
expect_in "$TMP/out" "^virtio-balloon: deflated 16384 pages, actual 0; 16384 of them read back zero" "host dropped the pages"
expect_in "$TMP/out" "^virtio-balloon: 16384 returned pages usable again"
expect_in "$TMP/out" "^virtio-balloon: [1-9][0-9]* statistics buffers sent" "statistics used"
expect_in "$TMP/out" "^virtio-balloon: OK"

run_vmon 20 run --kernel "$GUEST/virtio_balloon.elf" --mem 64M --balloon=target_mib=65
expect_rc 2 "target above the memory"
run_vmon 20 run --kernel "$GUEST/virtio_balloon.elf" --balloon=stats=x
expect_rc 2 "bad stats"

# ---- the API ---------------------------------------------------------------
sock=$TMP/api.sock
: >"$TMP/out"
"$VMON" --api-sock "$sock" >"$TMP/out" 2>"$TMP/err" </dev/null &
vm=$!
trap 'kill -9 $vm 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
api_ok 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":256}'
# hold: the guest keeps its touched pages 4 s before inflating, so the RSS
# is read while they are held even where InstanceStart's reply and each
# command take hundreds of ms (the nested host emulates its CPU).
api_ok 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST/virtio_balloon.elf\",\"boot_args\":\"hold=4000 wait=60\"}"
api_ok 204 PUT /balloon '{"amount_mib":48,"deflate_on_oom":true,"stats_polling_interval_s":1}'
api_ok 400 GET /balloon/statistics
api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
wait_for "$TMP/out" "^virtio-balloon: touched 48 MiB"
before=$(rss_kib $vm)
wait_for "$TMP/out" "^virtio-balloon: inflated 12288 pages"
after=$(rss_kib $vm)
drop=$(( (before - after) / 1024 ))
echo "API: VmRSS ${before} KiB with 48 MiB touched, ${after} KiB inflated: ${drop} MiB less"
[ $drop -ge 40 ] && [ $drop -le 56 ] || fail "inflating 48 MiB dropped the RSS by $drop MiB"
expect_in "$TMP/out" "stats on, deflate-on-oom on, target 12288 pages"
sleep 2.5	# a statistics round or two
api_ok 200 GET /balloon/statistics
python3 - "$TMP/r" <<'PY' || fail "GET /balloon/statistics"
import json, sys
body = open(sys.argv[1]).read().rsplit(" ", 1)[0]
s = json.loads(body)
assert s["target_mib"] == 48 and s["target_pages"] == 12288, s
assert s["actual_mib"] == 48 and s["actual_pages"] == 12288, s
assert s["total_memory"] > 200 << 20, s
assert s["free_memory"] == s["total_memory"] - (48 << 20), s
assert s["available_memory"] == s["free_memory"], s
assert "minor_faults" in s and "swap_in" not in s, s
print("statistics:", body)
PY
api_ok 204 PATCH /balloon/statistics '{"stats_polling_interval_s":2}'
api_ok 400 PATCH /balloon/statistics '{"stats_polling_interval_s":0}'
grep -q "cannot be turned on or off" "$TMP/r" || fail "turning statistics off"
api_ok 400 PATCH /balloon '{"amount_mib":300}'
api_ok 204 PATCH /balloon '{"amount_mib":16}'
wait_for "$TMP/out" "^virtio-balloon: target now 4096 pages"
wait_for "$TMP/out" "^virtio-balloon: OK"
expect_in "$TMP/out" "^virtio-balloon: deflated 8192 pages, actual 4096; 8192 of them read back zero"
api_ok 200 GET /balloon
grep -q '"amount_mib":16' "$TMP/r" || fail "GET /balloon after PATCH"
api_ok 200 GET /balloon/statistics
grep -q '"actual_mib":16' "$TMP/r" || { cat "$TMP/r"; fail "actual after deflating"; }
kill -TERM $vm; wait $vm; RC=$?
expect_rc 0 "SIGTERM"
echo "virtio-balloon: RSS follows inflation, deflated pages usable, API target and statistics"
