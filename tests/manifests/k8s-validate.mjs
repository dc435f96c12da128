// Offline validation of rendered manifests: every object against the Kubernetes JSON schemas of
// npm `kubernetes-models` (plus the Prometheus Operator's for ServiceMonitor); custom resources
// against the openAPIV3Schema of a CRD found in the inputs (or in --crd FILE); every CRD also
// against the structural-schema rules. Exit 1 if anything is invalid or of an unknown kind.
//   node k8s-validate.mjs [--crd crd.yaml]... rendered.yaml...
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ajvErrors, crdValidators, makeAjv, structuralProblems } from "./crd-schema.mjs";

const files = [];
const crdFiles = [];
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === "--crd") crdFiles.push(process.argv[++i]);
  else files.push(process.argv[i]);
}
const load = (file) =>
  parseAllDocuments(readFileSync(file, "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJS();
  }).filter((o) => o);

const docs = files.flatMap((f) => load(f).map((obj) => ({ file: f, obj })));
const crds = [...crdFiles.flatMap(load), ...docs.map((d) => d.obj)].filter(
  (o) => o.kind === "CustomResourceDefinition");
const ajv = makeAjv();
const custom = crdValidators(crds, ajv);

async function model(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const dir = group ? `${group}/${version}` : version;
  for (const pkg of ["kubernetes-models", "@kubernetes-models/prometheus-operator"]) {
    try {
      return (await import(`${pkg}/${dir}/${kind}`))[kind];
    } catch {}
  }
  return undefined;
}

let bad = 0;
for (const { file, obj } of docs) {
  const { apiVersion = "?", kind = "?" } = obj;
  const where = `${file}: ${kind} ${obj.metadata?.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata?.name}`;
  const problems = [];
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const crdCheck = custom.get(`${group}/${version}/${kind}`);
  const Model = crdCheck ? undefined : await model(apiVersion, kind);
  if (crdCheck) {
    if (!crdCheck(structuredClone(obj))) problems.push(ajvErrors(crdCheck.errors));
  } else if (Model) {
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(String(e.message ?? e));
    }
  } else {
    problems.push(`unknown kind ${apiVersion} ${kind}: no schema (is its CRD among the inputs?)`);
  }
  if (kind === "CustomResourceDefinition") {
    for (const v of obj.spec?.versions ?? []) {
      problems.push(...structuralProblems(v.schema?.openAPIV3Schema, ajv).map((p) => `${v.name}: ${p}`));
    }
  }
  if (!obj.metadata?.name) problems.push("metadata.name is required");
  if (problems.length) {
    bad++;
    console.log(`INVALID ${where}\n  ${problems.join("\n  ")}`);
  } else {
    console.log(`ok      ${where}`);
  }
}
console.log(`${docs.length - bad} passed, ${bad} failed`);
process.exit(bad || docs.length === 0 ? 1 : 0);
