#!/usr/bin/env bash
# The command-line tool on the bundled sample dumps: installs and builds HyperFrame, then decodes,
# walks and translates with the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
cli() { echo; echo "\$ hyperframe $*"; node dist/cli.js "$@"; }
cli decode 0x0001a001e3 --mode pae --level 2
cli walk --core dist/samples/xen-x86_64.elf
cli translate 0xffff82d040001234 --core dist/samples/xen-x86_64.elf
cli walk --core dist/samples/freebsd-pae.elf
