// Helpers shared by the offline validators: compile a CRD version's openAPIV3Schema with AJV the
// way the API server applies it (defaults, int-or-string, and `kubectl apply --validate=strict`:
// unknown fields are errors), and check the structural-schema rules the API server enforces on a
// CRD before it accepts it.
import Ajv from "ajv";

export function makeAjv() {
  const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true });
  const int = (bits) => ({
    type: "number",
    validate: (x) => Number.isInteger(x) && x >= -(2 ** (bits - 1)) && x < 2 ** (bits - 1),
  });
  ajv.addFormat("int32", int(32));
  ajv.addFormat("int64", int(64));
  ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  return ajv;
}

// Unknown fields fail, as with server-side field validation "Strict": objects with `properties`
// and without x-kubernetes-preserve-unknown-fields get additionalProperties: false. Only schema
// nodes that carry a `type` (not the anyOf/oneOf value-validation branches) are closed.
export function strictCopy(schema) {
  const walk = (s) => {
    if (Array.isArray(s)) return s.map(walk);
    if (!s || typeof s !== "object") return s;
    const out = {};
    for (const [k, v] of Object.entries(s)) {
      if (k === "properties") {
        out[k] = Object.fromEntries(Object.entries(v).map(([n, ps]) => [n, walk(ps)]));
      } else if (k === "default" || k === "enum") {
        out[k] = v;
      } else {
        out[k] = walk(v);
      }
    }
    if (out.type === "object" && out.properties && out.additionalProperties === undefined &&
        !out["x-kubernetes-preserve-unknown-fields"]) {
      out.additionalProperties = false;
    }
    return out;
  };
  return walk(schema);
}

// The API server's structural-schema rules (apiextensions validation), the subset that matters:
// every node has a type (or int-or-string / preserve-unknown-fields), no type/default/
// description/additionalProperties/nullable inside allOf/anyOf/oneOf/not, a field inside a
// junctor must also be specified outside, properties and additionalProperties are exclusive,
// and defaults must validate against their own schema.
export function structuralProblems(schema, ajv) {
  const problems = [];
  const visit = (s, path, inJunctor, outer) => {
    if (!s || typeof s !== "object") return;
    if (inJunctor) {
      for (const k of ["type", "default", "description", "additionalProperties", "nullable"]) {
        if (k in s) problems.push(`${path}: ${k} is not allowed inside allOf/anyOf/oneOf/not`);
      }
      for (const n of Object.keys(s.properties ?? {})) {
        if (!outer?.properties || !(n in outer.properties)) {
          problems.push(`${path}.properties.${n}: must also be specified outside the junctor`);
        }
      }
    } else if (!s.type && !s["x-kubernetes-int-or-string"] &&
               !s["x-kubernetes-preserve-unknown-fields"]) {
      problems.push(`${path}: type is required`);
    }
    if (s.properties && s.additionalProperties !== undefined) {
      problems.push(`${path}: properties and additionalProperties are mutually exclusive`);
    }
    if (!inJunctor && s.default !== undefined && ajv) {
      const v = ajv.compile(strictCopy({ ...s, default: undefined }));
      if (!v(structuredClone(s.default))) {
        problems.push(`${path}.default: does not validate: ${ajv.errorsText(v.errors)}`);
      }
    }
    for (const [n, ps] of Object.entries(s.properties ?? {})) {
      visit(ps, `${path}.properties.${n}`, inJunctor, undefined);
    }
    if (s.items && !Array.isArray(s.items)) visit(s.items, `${path}.items`, inJunctor, undefined);
    if (s.additionalProperties && typeof s.additionalProperties === "object") {
      visit(s.additionalProperties, `${path}.additionalProperties`, inJunctor, undefined);
    }
    // The one allowed typed junctor: int-or-string's anyOf [{type: integer}, {type: string}].
    const intOrString = s["x-kubernetes-int-or-string"] && JSON.stringify(s.anyOf) ===
      JSON.stringify([{ type: "integer" }, { type: "string" }]);
    for (const j of ["allOf", "anyOf", "oneOf"]) {
      if (j === "anyOf" && intOrString) continue;
      (s[j] ?? []).forEach((b, i) => visit(b, `${path}.${j}[${i}]`, true, inJunctor ? outer : s));
    }
    if (s.not) visit(s.not, `${path}.not`, true, inJunctor ? outer : s);
  };
  visit(schema, "openAPIV3Schema", false, undefined);
  return problems;
}

// {"ebb.dev/v1alpha1/Autoscaler": validateFn} for every served version of the given CRDs.
export function crdValidators(crds, ajv) {
  const out = new Map();
  for (const crd of crds) {
    for (const v of crd.spec?.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema;
      if (!schema || !v.served) continue;
      out.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(strictCopy(schema)));
    }
  }
  return out;
}

export function ajvErrors(errors) {
  return (errors ?? [])
    .filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf" || errors.length === 1)
    .map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`)
    .join("; ");
}
