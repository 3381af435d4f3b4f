#!/usr/bin/env bash
# Are the C lines a change touches formatted as .clang-format says?
#
#   scripts/format-check.sh               lines changed since the merge base
#                                         with main (commits, index, working
#                                         tree; a new file once `git add`ed)
#   scripts/format-check.sh --base REV    lines changed since REV
#   scripts/format-check.sh FILE...       those files, every line
#   scripts/format-check.sh --strict ...  alignment too (see below)
#
# Prints what clang-format would change and exits 1, or says OK and exits
# 0.  `make format-check [BASE=REV] [FILES="a.c b.h"]` runs it.
#
# Only changed lines: the tree predates .clang-format, which would still
# change about 3,700 of its 47,000 lines of C (2,200 leaving alignment
# alone), so a whole-tree check would bury a change's own lines.  Not strict by default: the tree aligns
# #define values and trailing comments with tabs to the next tab stop,
# which clang-format cannot reproduce (it aligns to the column), so a
# difference only in the width of such a gap (a run of tabs or of two or
# more blanks after a line's first non-blank character) is let through;
# indentation, line breaks and single spaces are checked.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

base= strict=0 files=()
while [ $# -gt 0 ]; do
	case "$1" in
	--base) base=$2; shift ;;
	--strict) strict=1 ;;
	-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "usage: scripts/format-check.sh [--strict] [--base REV | FILE...]" >&2; exit 2 ;;
	*) files+=("$1") ;;
	esac
	shift
done

# The version .clang-format was tuned on; another may format differently.
cf=
for c in clang-format-14 clang-format; do
	if command -v "$c" >/dev/null; then cf=$c; break; fi
done
if [ -z "$cf" ]; then
	echo "format-check: clang-format is not installed (Debian: clang-format-14)" >&2
	exit 2
fi

# Not C, though named .h: included by the test guest's assembly.
excluded='^guest/lib/layout\.h$'

if [ ${#files[@]} -gt 0 ]; then
	for f in "${files[@]}"; do
		[ -f "$f" ] || { echo "format-check: no file $f" >&2; exit 2; }
	done
	diff_out=$(for f in "${files[@]}"; do
		[[ "$f" =~ $excluded ]] && continue
		"$cf" --style=file "$f" | diff -u --label "a/$f" --label "b/$f" "$f" -
	done)
	what="${#files[@]} file(s)"
else
	if [ -z "$base" ]; then
		main=main
		git rev-parse -q --verify main >/dev/null || main=origin/main
		base=$(git merge-base HEAD "$main") || {
			echo "format-check: no merge base with main; give --base REV" >&2
			exit 2
		}
	fi
	git rev-parse -q --verify "$base^{commit}" >/dev/null || {
		echo "format-check: $base is not a commit" >&2
		exit 2
	}
	mapfile -t changed < <(git diff --name-only --diff-filter=AMR "$base" -- '*.c' '*.h' |
			       grep -Ev "$excluded")
	if [ ${#changed[@]} -eq 0 ]; then
		echo "format-check: OK (no C changed since $(git rev-parse --short "$base"))"
		exit 0
	fi
	gcf=git-clang-format
	command -v git-clang-format-14 >/dev/null && gcf=git-clang-format-14
	diff_out=$("$gcf" --binary "$(command -v "$cf")" --diff "$base" -- "${changed[@]}" 2>&1)
	case "$diff_out" in
	"no modified files to format"*|"clang-format did not modify any files"*) diff_out= ;;
	esac
	what="the lines changed since $(git rev-parse --short "$base")"
fi

# Drop the hunks whose lines differ only in the width of alignment gaps.
report=$(STRICT=$strict python3 -c '
import os, re, sys
strict = os.environ["STRICT"] == "1"
def norm(l):
    if l.strip() == "\\":		# an empty line inside a macro
        return "\\"
    lead = re.match(r"[ \t]*", l).group(0)
    return lead + re.sub(r"\t[ \t]*| [ \t]+", " ", l[len(lead):]).rstrip()
lines = sys.stdin.read().splitlines()
out, head, i = [], [], 0
while i < len(lines):
    line = lines[i]
    m = re.match(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@", line)
    if not m:
        if line.startswith("diff ") or (line.startswith("--- ") and
                                        not (head and head[-1].startswith("index "))
                                        and not (head and head[-1].startswith("diff "))):
            head = []
        head.append(line)
        i += 1
        continue
    n_old = int(m.group(1) or 1)
    n_new = int(m.group(2) or 1)
    hunk, old, new = [line], [], []
    i += 1
    while i < len(lines) and (n_old > 0 or n_new > 0):
        l = lines[i]
        hunk.append(l)
        if l.startswith("-"):
            old.append(l[1:]); n_old -= 1
        elif l.startswith("+"):
            new.append(l[1:]); n_new -= 1
        elif l.startswith("\\"):
            pass
        else:
            n_old -= 1; n_new -= 1
        i += 1
    if strict or len(old) != len(new) or any(norm(a) != norm(b) for a, b in zip(old, new)):
        out.extend(head)
        head = []
        out.extend(hunk)
print("\n".join(out))
' <<<"$diff_out")

if [ -n "$report" ]; then
	printf '%s\n' "$report"
	echo "format-check: $what are not formatted as .clang-format says (the diff above is what $cf would write)" >&2
	exit 1
fi
echo "format-check: OK ($what)"
