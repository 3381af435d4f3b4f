#!/usr/bin/env bash
# Runs the same command on the nested host N times in a row and counts
# how each ended: the command passed, it failed, or the nested host itself
# failed (status 75: its kernel crashed or it hung).  For finding what in
# vmon upsets the emulated host; not part of `make test`.
#   tests/nested/soak.sh N -- CMD [ARG...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
n=$1; shift
[ "${1:-}" = -- ] && shift
pass=0 fail=0 host=0
for i in $(seq "$n"); do
	start=$SECONDS
	"$here/run.sh" --timeout 900 --keep "/tmp/vmon-soak.$i" -- "$@" >"/tmp/vmon-soak.$i.log" 2>&1
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); what=pass; rm -rf "/tmp/vmon-soak.$i" ;;
	75) host=$((host + 1)); what="nested host failed (log /tmp/vmon-soak.$i.log)" ;;
	*) fail=$((fail + 1)); what="status $rc (log /tmp/vmon-soak.$i.log)" ;;
	esac
	echo "run $i: $what, $((SECONDS - start)) s"
done
echo "soak: $n runs: $pass passed, $fail failed, $host failures of the nested host"
[ "$fail" -eq 0 ] && [ "$host" -eq 0 ]
