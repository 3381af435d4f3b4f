#!/usr/bin/env bash
# Each folder of src/ is one layer and may include only itself and the
# layers below it (docs/architecture.md draws them):
#
#   lib < core < arch < hw < pci < virtio < machine < vmm < cli | api < main.c
#
# cli and api are peers: neither includes the other.  Fails, naming the
# line, on an include that points up or sideways, on one into a folder
# that is no layer, and on `struct vm` below machine/ (devices get narrow
# interfaces instead: core/irq_line.h, core/stop.h).  "gen/..." headers are
# generated at build time (tables) and may be included anywhere.
set -u
cd "$(dirname "$0")/.."

bad=0
find src -name '*.[ch]' | sort | xargs grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' |
awk -F: '
BEGIN {
	n = split("lib core arch hw pci virtio machine vmm cli api main", l, " ")
	for (i = 1; i <= n; i++)
		rank[l[i]] = i
	rank["api"] = rank["cli"]	# peers
}
function layer(path) {	# src/X/... -> X, src/main.c -> main
	sub(/^src\//, "", path)
	return path ~ /\// ? substr(path, 1, index(path, "/") - 1) : "main"
}
{
	from = layer($1)
	inc = $3
	sub(/^[^"]*"/, "", inc)
	sub(/".*/, "", inc)
	to = inc ~ /\// ? substr(inc, 1, index(inc, "/") - 1) : ""
	if (to == "gen") {
		# generated at build (build/gen/): tables, no code of a layer
	} else if (!(from in rank)) {
		printf "%s: src/%s is not a layer\n", $1, from
		bad = 1
	} else if (!(to in rank) || to == "main") {
		printf "%s:%s: includes \"%s\", which is in no layer\n", $1, $2, inc
		bad = 1
	} else if (to != from && rank[to] >= rank[from]) {
		printf "%s:%s: %s includes \"%s\", from %s, a layer %s it\n", $1,
		       $2, from, inc, to, rank[to] == rank[from] ? "beside" : "above"
		bad = 1
	}
}
END { exit bad }' || bad=1

# Devices know nothing of the VM they are in.
if grep -rnE '\bstruct vm\b' src/lib src/core src/arch src/hw src/pci src/virtio; then
	echo "struct vm below src/machine: hand the device an interface instead"
	bad=1
fi
[ "$bad" -eq 0 ] && echo "check-layers: OK"
exit "$bad"
