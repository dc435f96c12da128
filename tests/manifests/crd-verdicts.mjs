// For each case file: does the CRD's openAPIV3Schema (as the API server applies it, with
// strict field validation) accept it? Prints "<file> accept" or "<file> reject <errors>", and
// writes the defaulted object of every accepted case to OUTDIR/<basename> (JSON, which is YAML).
//   node crd-verdicts.mjs CRD.yaml OUTDIR case.yaml...
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseAllDocuments } from "yaml";
import { ajvErrors, crdValidators, makeAjv, structuralProblems } from "./crd-schema.mjs";

const [crdFile, outDir, ...cases] = process.argv.slice(2);
const crd = parseAllDocuments(readFileSync(crdFile, "utf8")).map((d) => d.toJS())
  .find((o) => o?.kind === "CustomResourceDefinition");
const ajv = makeAjv();
const problems = crd.spec.versions.flatMap((v) => structuralProblems(v.schema.openAPIV3Schema, ajv));
if (problems.length) {
  console.error(`${crdFile}: not a structural schema:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
const validators = crdValidators([crd], ajv);
for (const file of cases) {
  const obj = parseAllDocuments(readFileSync(file, "utf8"))[0].toJS();
  const [group, version] = obj.apiVersion.split("/");
  const validate = validators.get(`${group}/${version}/${obj.kind}`);
  if (!validate) {
    console.log(`${file} reject no CRD version serves ${obj.apiVersion} ${obj.kind}`);
  } else if (validate(obj)) {  // fills in defaults, like the API server
    console.log(`${file} accept`);
    writeFileSync(`${outDir}/${basename(file)}`, JSON.stringify(obj, null, 1) + "\n");
  } else {
    console.log(`${file} reject ${ajvErrors(validate.errors)}`);
  }
}
