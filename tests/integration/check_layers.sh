#!/usr/bin/env bash
# vmon-independent
# The layering of src/ (docs/architecture.md): every include points down,
# no device below machine/ names struct vm.  scripts/check-layers.sh says
# which line breaks it.  Exit 0 pass, else fail.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
exec "$ROOT/scripts/check-layers.sh"
