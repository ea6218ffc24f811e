#!/usr/bin/env bash
# Sets up a real VS Code for the end-to-end suite (test/e2e): code-server, which serves the VS Code workbench to a
# browser and runs extensions in the real Node extension host, plus Debian's Chromium to drive it.
#
#   usage: test/e2e/setup-code-server.sh [DIR]     (DIR defaults to $CODE_SERVER_DIR, then .cache/code-server)
#
# Everything comes from the npm registry and Debian's archive; nothing is downloaded from anywhere else, so every
# package's own download step (code-server's ripgrep, prebuilt native binaries) is skipped or allowed to fail over
# to a local build. Re-running it is a quick no-op once DIR holds a finished install for this Node.js.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${1:-${CODE_SERVER_DIR:-$root/.cache/code-server}}
# 4.100.x is the last code-server line that runs on Node.js 20 (later ones need 22); it is VS Code 1.100.3.
version=4.100.3
# The Debian packages the suite needs: the browser, ripgrep for the workbench's search (code-server would fetch
# its own copy from the internet), and what node-gyp needs to build code-server's native modules.
apt_packages=(chromium ripgrep libkrb5-dev g++ make python3)
# code-server's native modules that are built here from source (the Windows-only ones are left out;
# @parcel/watcher ships a prebuilt Linux binary in a registry package).
native_modules=(@vscode/spdlog @vscode/deviceid native-watchdog node-pty kerberos)

stamp="$dir/.installed"
want_stamp="code-server $version node $(node -p 'process.versions.modules')"

missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want_stamp" ]; then
  echo "code-server $version already set up in $dir"
  exit 0
fi

start=$SECONDS
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Build native modules against the headers of the Node.js that runs them, never downloaded ones.
gyp_flags=(--jobs=max)
node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
[ -f "$node_prefix/include/node/node.h" ] && gyp_flags+=("--nodedir=$node_prefix")
export npm_config_nodedir=${npm_config_nodedir:-$node_prefix}
npm_flags=(--no-audit --no-fund --loglevel=error)

rm -f "$stamp"
mkdir -p "$dir"
# The install's own package.json: code-server's postinstall is denied (it downloads ripgrep from GitHub and
# installs VS Code's dependencies with every install script enabled); argon2's install script tries a download,
# then builds from source.
cat >"$dir/package.json" <<EOF
{
  "name": "edge-model-profiler-e2e-vscode",
  "private": true,
  "description": "A real VS Code (code-server) for Edge Model Profiler's end-to-end tests; made by test/e2e/setup-code-server.sh.",
  "dependencies": { "code-server": "$version", "node-gyp": "^12.0.0" },
  "allowScripts": { "code-server": false, "argon2": true }
}
EOF
echo "installing code-server $version into $dir"
(cd "$dir" && npm install "${npm_flags[@]}" >/dev/null)

# What code-server's postinstall would do, minus the downloads: VS Code's own dependencies (with their scripts
# off), the native modules built from source, Debian's ripgrep in place of the downloaded one, the asar link
# VS Code expects, and the shared dependencies of the built-in extensions.
gyp="$dir/node_modules/.bin/node-gyp"
vscode="$dir/node_modules/code-server/lib/vscode"
(cd "$vscode" && npm install --omit=dev --ignore-scripts "${npm_flags[@]}" >/dev/null)
for m in "${native_modules[@]}"; do
  echo "building $m"
  log="$dir/build-${m//\//-}.log"
  if ! (cd "$vscode/node_modules/$m" && "$gyp" rebuild "${gyp_flags[@]}" >"$log" 2>&1); then
    tail -n 30 "$log" >&2
    echo "error: building $m failed (log: $log)" >&2
    exit 1
  fi
done
mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
ln -sf "$(command -v rg)" "$vscode/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$vscode/node_modules.asar"
ln -sf code-linux.sh "$vscode/bin/remote-cli/code-server"
ln -sf browser-linux.sh "$vscode/bin/helpers/browser.sh"
(cd "$vscode/extensions" && npm install --omit=dev --ignore-scripts "${npm_flags[@]}" >/dev/null)

# A smoke check that the server starts far enough to print its version (its config file and logs go to DIR,
# not to $HOME).
XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data" \
  node "$dir/node_modules/code-server/out/node/entry.js" --version >/dev/null
echo "$want_stamp" >"$stamp"
echo "code-server $version set up in $dir in $((SECONDS - start)) s"
