#!/usr/bin/env bash
# Prints the commit this tree is, for `vmon --version` and the benchmark
# report: git's answer in a git checkout where git is installed; else the
# one `git archive` wrote into .gitrev (export-subst, see .gitattributes);
# else "unknown".  Never fails, so builds work without git.
set -eu
cd "$(dirname "$0")/.."
here=$(pwd -P)
# Only this tree's own repository: an unpacked archive inside some other
# checkout must not report that checkout's commit.
if command -v git >/dev/null 2>&1 &&
	top=$(git rev-parse --show-toplevel 2>/dev/null) &&
	[ "$(cd "$top" && pwd -P)" = "$here" ] &&
	rev=$(git rev-parse --short HEAD 2>/dev/null); then
	echo "$rev"
	exit 0
fi
rev=$(head -n 1 .gitrev 2>/dev/null || true)
case "$rev" in
'' | *'$Format'*) echo unknown ;;	# not an archive: the placeholder is still there
*) echo "$rev" ;;
esac
