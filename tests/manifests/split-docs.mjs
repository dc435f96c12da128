// Splits rendered multi-document YAML into one JSON file per object and prints a line per object:
// "<file> <apiVersion> <kind> <namespace or -> <name>", for server_dry_run.sh.
//   node split-docs.mjs OUTDIR rendered.yaml
import { readFileSync, writeFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const [outDir, file] = process.argv.slice(2);
let i = 0;
for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
  if (doc.errors.length) {
    console.error(`${file}: ${doc.errors[0].message}`);
    process.exit(1);
  }
  const obj = doc.toJS();
  if (!obj) continue;
  const out = `${outDir}/${String(i++).padStart(3, "0")}.json`;
  writeFileSync(out, JSON.stringify(obj));
  const md = obj.metadata ?? {};
  console.log([out, obj.apiVersion, obj.kind, md.namespace ?? "-", md.name ?? "-"].join(" "));
}
