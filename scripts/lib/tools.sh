# Installs, if missing, the tools the widget's build and browser tests need, and puts them on
# PATH. Sourced by scripts/test, scripts/demo and scripts/build-widget; every step is a no-op
# when the right version is already there. Nothing here downloads a prebuilt binary at run
# time: Rust tools come from crates.io (built here), wasm-opt from npm, Chromium from Debian.

TRUNK_VERSION=0.21.14
WASM_SPLIT_VERSION=0.2.4
WASM_PACK_VERSION=0.15.1
BINARYEN_VERSION=132.0.0
TERSER_VERSION=5.46.0
SCHEMATHESIS_VERSION=4.32.5
PALABRE_TOOLS_DIR="${PALABRE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/palabre-tools}"

export PATH="$PALABRE_TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

_say() { printf '    %s\n' "$*"; }

# `cargo install --locked` fails when a pinned dependency is not mirrored; retry unlocked.
# Without the tools' own fat LTO and single codegen unit (trunk's release profile): on a new
# machine the three took about 36 minutes with them and 28 without (both with other work on
# the two cores), for tools that run a few seconds.
_cargo_install() {
  local quick=(env CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
    CARGO_PROFILE_RELEASE_DEBUG=false)
  "${quick[@]}" cargo install --locked "$@" || "${quick[@]}" cargo install "$@"
}

wasm_bindgen_lock_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_target() {
  rustup target add wasm32-unknown-unknown >/dev/null
  # std's source, which the release bundle rebuilds with the widget's profile (build-widget).
  rustup component add rust-src >/dev/null
}

# wasm-bindgen-cli must be exactly the library's version from Cargo.lock.
ensure_wasm_bindgen() {
  local want have
  want=$(wasm_bindgen_lock_version)
  # `|| true`: on a new machine the command is missing, and set -e would stop at this line.
  have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
  if [ "$have" != "$want" ]; then
    _say "installing wasm-bindgen-cli $want (was: ${have:-none})"
    _cargo_install wasm-bindgen-cli --version "$want" --force
  fi
}

ensure_wasm_pack() {
  if [ "$(wasm-pack --version 2>/dev/null | awk '{ print $2 }')" != "$WASM_PACK_VERSION" ]; then
    _say "installing wasm-pack $WASM_PACK_VERSION"
    _cargo_install wasm-pack --version "$WASM_PACK_VERSION" --force
  fi
}

# trunk 0.22 needs a newer rustc than this toolchain. Without default features: no TLS stack
# and no update check, which `--offline` builds never use (16 crates fewer to build).
ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null | awk '{ print $2 }')" != "$TRUNK_VERSION" ]; then
    _say "installing trunk $TRUNK_VERSION"
    _cargo_install trunk --version "$TRUNK_VERSION" --no-default-features --force
  fi
}

# Cuts the widget's wasm into the first load and the chunks fetched on intent (build-widget).
# It prints no version: the one installed is recorded next to it.
ensure_wasm_split() {
  local stamp="$HOME/.cargo/bin/wasm-split-cli.version"
  if ! command -v wasm-split-cli >/dev/null || [ "$(cat "$stamp" 2>/dev/null)" != "$WASM_SPLIT_VERSION" ]; then
    _say "installing wasm-split-cli $WASM_SPLIT_VERSION"
    _cargo_install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --force
    echo "$WASM_SPLIT_VERSION" > "$stamp"
  fi
}

# Debian's binaryen (wasm-opt 108) produces wasm that fails at run time; npm's works.
ensure_wasm_opt() {
  if [ "$(wasm-opt --version 2>/dev/null | awk '{ print $3 }')" != "${BINARYEN_VERSION%%.*}" ]; then
    _say "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
    mkdir -p "$PALABRE_TOOLS_DIR"
    npm install --silent --no-audit --no-fund --prefix "$PALABRE_TOOLS_DIR" "binaryen@$BINARYEN_VERSION"
  fi
}

# The loader must stay under 1 KB brotli as served: a real minifier, from npm like wasm-opt.
# schemathesis (scripts/fuzz-api), from PyPI into a virtual environment of its own.
ensure_schemathesis() {
  local venv="$PALABRE_TOOLS_DIR/schemathesis-venv"
  if [ "$("$venv/bin/st" --version 2>/dev/null | awk '{ print $3 }')" != "$SCHEMATHESIS_VERSION" ]; then
    _say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  SCHEMATHESIS="$venv/bin/st"
}

ensure_terser() {
  if [ "$(terser --version 2>/dev/null | awk '{ print $2 }')" != "$TERSER_VERSION" ]; then
    _say "installing terser $TERSER_VERSION from npm"
    mkdir -p "$PALABRE_TOOLS_DIR"
    npm install --silent --no-audit --no-fund --prefix "$PALABRE_TOOLS_DIR" "terser@$TERSER_VERSION"
  fi
}

_apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    _say "installing Debian's chromium and chromium-driver"
    _apt_install chromium chromium-driver
  fi
}

# The end-to-end tests and wasm-opt come from npm; Debian 12's node 18 lacks nothing they use.
ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    _say "installing Debian's nodejs and npm"
    _apt_install nodejs npm
  fi
}

# The release archive's build (scripts/release): Rust's musl target, and Debian's musl-gcc for
# the C parts.
ensure_release_tools() {
  rustup target add x86_64-unknown-linux-musl >/dev/null
  if ! command -v musl-gcc >/dev/null; then
    _say "installing Debian's musl-tools"
    _apt_install musl-tools
  fi
}

# What the release archive's test checks it with: file (static binary) and systemd-analyze
# (the unit), which a minimal Debian may lack.
ensure_release_checks() {
  command -v file >/dev/null || { _say "installing Debian's file"; _apt_install file; }
  command -v systemd-analyze >/dev/null || { _say "installing Debian's systemd (systemd-analyze)"; _apt_install systemd; }
}

ensure_widget_tools() {
  ensure_node
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_wasm_split
  ensure_wasm_opt
  ensure_terser
}
