// Gives the wasm's imports and exports short names, and rewrites the glue to match.
// wasm-bindgen names each import after its function plus a 16-hex-digit hash, and each export
// after its Rust path, and writes every name twice: in the wasm and in the glue. Hashes do
// not compress. wasm-opt renames them (--minify-imports-and-exports-and-modules) and prints
// the mapping; this script applies it to the glue, then checks the glue against the renamed
// wasm itself, and fails rather than leave a name the other side does not know.
// Usage: node short-wasm-names.mjs <renamed wasm> <glue, rewritten in place> <mapping JSON>
//   [<__wasm_split.js of a split build, rewritten in place>]
import fs from "node:fs";

const [wasmPath, gluePath, mappingPath, splitPath] = process.argv.slice(2);
const mapping = JSON.parse(fs.readFileSync(mappingPath, "utf8"));
const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
const imports = WebAssembly.Module.imports(module);
const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
let glue = fs.readFileSync(gluePath, "utf8");

function fail(message) {
  console.error(`short-wasm-names: ${message}`);
  process.exit(1);
}

// The glue's own imports (`./<name>_bg.js`) are defined in the glue; a split build also
// imports chunk loaders from `./__wasm_split.js`, a JS module the glue imports as a namespace.
// wasm-opt puts them all in one module.
const wbgOld = mapping.imports.find(([module]) => module.endsWith("_bg.js"))?.[0];
if (!wbgOld) fail("no wasm-bindgen import module in the mapping");
const newModules = new Set(imports.map((i) => i.module));
if (newModules.size !== 1) fail("expected one import module after renaming");
const [newModule] = newModules;
// wasm-bindgen's import object: `"<module>": import0,`, and one `<name>: function(` per import.
const moduleKey = `${JSON.stringify(wbgOld)}: import0`;
if (glue.split(moduleKey).length !== 2) fail(`no single ${moduleKey} in the glue`);
const others = mapping.imports.filter(([module]) => module !== wbgOld);
const fields = [];
for (const old of new Set(others.map(([module]) => module))) {
  const quoted = JSON.stringify(old).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const entry = new RegExp(`\\s*${quoted}: (import\\d+),?`, "g");
  const found = [...glue.matchAll(entry)];
  if (found.length === 0) fail(`no ${old} in the glue's imports`);
  glue = glue.replace(entry, "");
  for (const [module, oldName, newName] of others) {
    if (module === old) fields.push(`${JSON.stringify(newName)}: ${found[0][1]}.${oldName}`);
  }
}
glue = glue.replace(moduleKey, () => `${JSON.stringify(newModule)}: ` +
  (fields.length ? `{ __proto__: import0, ${fields.join(", ")} }` : "import0"));

// One pass each, so that a new name is never renamed again.
const KEY = /^(\s+)([\w$]+)(: function\()/gm;
const USE = /\bwasm\.([A-Za-z_$][\w$]*)/g;
const newImport = new Map(mapping.imports.filter(([module]) => module === wbgOld).map(([, oldName, newName]) => [oldName, newName]));
const newExport = new Map(mapping.exports);
glue = glue.replace(KEY, (key, indent, name, rest) =>
  newImport.has(name) ? indent + newImport.get(name) + rest : key);
glue = glue.replace(USE, (use, name) => (newExport.has(name) ? `wasm.${newExport.get(name)}` : use));

// The check: every import the wasm asks for is defined once, every export the glue uses exists.
const defined = [...glue.matchAll(KEY)].map((m) => m[2]);
const own = new Set(mapping.imports.filter(([module]) => module === wbgOld).map(([, , n]) => n));
for (const { name } of imports.filter((i) => own.has(i.name))) {
  const times = defined.filter((d) => d === name).length;
  if (times !== 1) fail(`import ${name} defined ${times} times in the glue`);
}
for (const [, name] of glue.matchAll(USE)) {
  if (!exported.has(name)) fail(`the glue uses wasm.${name}, which the wasm does not export`);
}
fs.writeFileSync(gluePath, glue);

// A split build's chunk loader takes the table, the memory and the shared globals from the
// wasm's exports, by name: the new names.
if (splitPath) {
  let split = fs.readFileSync(splitPath, "utf8");
  const TAKEN = /const \{([^}]*)\} = initSync\(/;
  const taken = split.match(TAKEN);
  if (!taken) fail("the chunk loader takes nothing from initSync");
  const names = taken[1].split(",").map((n) => n.trim()).filter(Boolean);
  for (const n of names) if (!exported.has(newExport.get(n))) fail(`the chunk loader needs ${n}, which the wasm does not export`);
  split = split.replace(TAKEN, () => `const { ${names.map((n) => `${JSON.stringify(newExport.get(n))}: ${n}`).join(", ")} } = initSync(`);
  fs.writeFileSync(splitPath, split);
}
