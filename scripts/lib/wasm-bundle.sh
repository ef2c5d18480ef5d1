# The WebAssembly half of a bundle, shared by scripts/build-widget and `bench/payload --floor`
# (the floor is only a fair measure if it is built exactly like the widget). Sourced after
# scripts/lib/tools.sh, from the repository's root.

# Smaller: std rebuilt with the widget's profile (rust-src) instead of the prebuilt one, panics
# that trap at once instead of formatting a message no one sees (the wasm has no panic hook, so
# the message went nowhere before either), `{:?}` compiled to nothing and no source locations.
# 15.9 KB brotli less (BENCHMARKS.md). These flags are unstable: RUSTC_BOOTSTRAP lets the stable
# compiler this project targets (1.95) take them. Another compiler may not (build-widget then
# falls back to the usual build).
SMALL_BUILD_FLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none"

# Runs a cargo build command ("$@") the smaller way.
small_build() {
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="$SMALL_BUILD_FLAGS" "$@" -Zbuild-std=std,panic_abort
}

# bundle_wasm <cargo's .wasm> <out dir> <name>: writes <name>.js (the glue, minified) and
# <name>_bg.wasm (optimised, with short import and export names).
bundle_wasm() {
  local input=$1 out=$2 name=$3
  wasm-bindgen --target web --no-typescript --out-name "$name" --out-dir "$out" "$input"
  # Keeps the target_features section wasm-bindgen emitted, so wasm-opt knows what it may use.
  wasm-opt -Oz --strip-debug --strip-producers -o "$out/${name}_bg.wasm" "$out/${name}_bg.wasm"
  # Short import and export names in the wasm and the glue (scripts/lib/short-wasm-names.mjs).
  wasm-opt --minify-imports-and-exports-and-modules \
    -o "$out/${name}_bg.wasm" "$out/${name}_bg.wasm" > "$out/names.json"
  node scripts/lib/short-wasm-names.mjs "$out/${name}_bg.wasm" "$out/$name.js" "$out/names.json"
  rm "$out/names.json"
  # The glue, minified too: wasm-bindgen writes it readable (1.5 KB brotli more). An ES module,
  # so its exports (the init function and the crate's own) keep their names.
  terser "$out/$name.js" --module --compress --mangle --output "$out/$name.min.js"
  mv "$out/$name.min.js" "$out/$name.js"
}

# bundle_split_wasm <cargo's .wasm, linked with --emit-relocs> <out dir> <name>: the same, cut
# by wasm-split-cli at the crate's `#[wasm_split]` functions into the first load and one
# `split_<chunk>.wasm` per feature fetched on intent (and `chunk_<n>.wasm` for what several
# share), plus `__wasm_split.js`, the chunks' loader,
# which the glue imports. The chunks take the first load's table, memory and shared globals,
# whose exported names the loader is told after renaming.
bundle_split_wasm() {
  local input=$1 out=$2 name=$3 work
  work=$(mktemp -d)
  wasm-split-cli --target web --out-name "$name" "$input" "$work" >/dev/null
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-name "$name" --out-dir "$out" "$work/$name.wasm"
  wasm-opt -Oz --strip-debug --strip-producers -o "$out/${name}_bg.wasm" "$out/${name}_bg.wasm"
  rm -f "$out"/split_*.wasm "$out"/chunk_*.wasm
  local chunk
  # split_<feature>.wasm, and chunk_<n>.wasm for code two features share.
  for chunk in "$work"/split_*.wasm "$work"/chunk_*.wasm; do
    [ -e "$chunk" ] || continue
    wasm-opt -Oz --strip-debug --strip-producers -o "$out/$(basename "$chunk")" "$chunk" 2>/dev/null
  done
  cp "$work/__wasm_split.js" "$out/__wasm_split.js"
  rm -rf "$work"
  wasm-opt --minify-imports-and-exports-and-modules \
    -o "$out/${name}_bg.wasm" "$out/${name}_bg.wasm" > "$out/names.json"
  node scripts/lib/short-wasm-names.mjs "$out/${name}_bg.wasm" "$out/$name.js" "$out/names.json" \
    "$out/__wasm_split.js"
  rm "$out/names.json"
  terser "$out/$name.js" --module --compress --mangle --output "$out/$name.min.js"
  mv "$out/$name.min.js" "$out/$name.js"
  terser "$out/__wasm_split.js" --module --compress --mangle --output "$out/__wasm_split.min.js"
  mv "$out/__wasm_split.min.js" "$out/__wasm_split.js"
}
