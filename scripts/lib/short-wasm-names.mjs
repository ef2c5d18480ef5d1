// Gives the wasm's imports and exports short names, and rewrites the glue to match.
// wasm-bindgen names each import after its function plus a 16-hex-digit hash, and each export
// after its Rust path, and writes every name twice: in the wasm and in the glue. Hashes do
// not compress. wasm-opt renames them (--minify-imports-and-exports-and-modules) and prints
// the mapping; this script applies it to the glue, then checks the glue against the renamed
// wasm itself, and fails rather than leave a name the other side does not know.
// Usage: node short-wasm-names.mjs <renamed wasm> <glue, rewritten in place> <mapping JSON>
import fs from "node:fs";

const [wasmPath, gluePath, mappingPath] = process.argv.slice(2);
const mapping = JSON.parse(fs.readFileSync(mappingPath, "utf8"));
const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
const imports = WebAssembly.Module.imports(module);
const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
let glue = fs.readFileSync(gluePath, "utf8");

function fail(message) {
  console.error(`short-wasm-names: ${message}`);
  process.exit(1);
}

const oldModules = new Set(mapping.imports.map(([module]) => module));
const newModules = new Set(imports.map((i) => i.module));
if (oldModules.size !== 1 || newModules.size !== 1) fail("expected one import module");
const [oldModule] = oldModules, [newModule] = newModules;
// wasm-bindgen's import object: `"<module>": import0,`, and one `<name>: function(` per import.
const moduleKey = `${JSON.stringify(oldModule)}: import0`;
if (glue.split(moduleKey).length !== 2) fail(`no single ${moduleKey} in the glue`);
glue = glue.replace(moduleKey, () => `${JSON.stringify(newModule)}: import0`);

// One pass each, so that a new name is never renamed again.
const KEY = /^(\s+)([\w$]+)(: function\()/gm;
const USE = /\bwasm\.([A-Za-z_$][\w$]*)/g;
const newImport = new Map(mapping.imports.map(([, oldName, newName]) => [oldName, newName]));
const newExport = new Map(mapping.exports);
glue = glue.replace(KEY, (key, indent, name, rest) =>
  newImport.has(name) ? indent + newImport.get(name) + rest : key);
glue = glue.replace(USE, (use, name) => (newExport.has(name) ? `wasm.${newExport.get(name)}` : use));

// The check: every import the wasm asks for is defined once, every export the glue uses exists.
const defined = [...glue.matchAll(KEY)].map((m) => m[2]);
for (const { name } of imports) {
  const times = defined.filter((d) => d === name).length;
  if (times !== 1) fail(`import ${name} defined ${times} times in the glue`);
}
for (const [, name] of glue.matchAll(USE)) {
  if (!exported.has(name)) fail(`the glue uses wasm.${name}, which the wasm does not export`);
}
fs.writeFileSync(gluePath, glue);
