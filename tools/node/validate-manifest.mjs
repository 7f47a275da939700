// Validate a Teams app manifest against Microsoft's JSON schema as bundled in the npm package
// @microsoft/app-manifest (pinned in package.json). Used by `mailroom package` and the tests.
//
//   node validate-manifest.mjs < manifest.json
//   node validate-manifest.mjs --localization 1.30 < de.json
//
// The second form checks a localization file (localizationInfo.additionalLanguages[].file)
// against json-schemas/teams/v<version>/MicrosoftTeams.Localization.schema.json instead.
//
// Reads the manifest from stdin and picks the schema for its "manifestVersion" from the
// package's json-schemas/teams/v<version>/MicrosoftTeams.schema.json. Prints one JSON object:
//   {"schemaFile": "...", "manifestVersion": "1.30", "newestVersion": "1.30",
//    "errors": [{"path": "/developer/privacyUrl", "message": "must match pattern ..."}]}
// Exit status: 0 when it could validate (valid or not: see "errors"), 2 when it could not
// (unreadable input, no schema for that version) with the reason on stderr.
// The ajv options mirror the package's own validator (draft-04, allErrors, strictTypes off,
// ajv-formats uri/email/regex). Nothing is fetched from the network.

import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import AjvDraft04 from "ajv-draft-04";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const require = createRequire(import.meta.url);

function fail(message) {
  process.stderr.write(`validate-manifest: ${message}\n`);
  process.exit(2);
}

function schemasDir() {
  const packageJson = require.resolve("@microsoft/app-manifest/package.json");
  return path.join(path.dirname(packageJson), "build", "json-schemas", "teams");
}

function versionKey(version) {
  return version.split(".").map((part) => Number.parseInt(part, 10));
}

function newestVersion(dir) {
  const versions = readdirSync(dir)
    .filter((name) => /^v\d+\.\d+$/.test(name))
    .map((name) => name.slice(1));
  versions.sort((a, b) => {
    const [a1, a2] = versionKey(a);
    const [b1, b2] = versionKey(b);
    return a1 - b1 || a2 - b2;
  });
  return versions.at(-1) ?? null;
}

function loadSchema(file) {
  // Same clean-up the package applies: a few patterns use \a and \v, which JSON.parse rejects.
  const raw = readFileSync(file, "utf8").replace(/\\a/g, "\\u0007").replace(/\\v/g, "\\u000b");
  return JSON.parse(raw);
}

function compile(schema, { unicode = true } = {}) {
  // The localization schema has a pattern that is no valid regular expression with the "u"
  // flag ("\b]" in activities.activityTypes[...]): it is compiled without it, as the pattern
  // was written (ajv's unicodeRegExp option).
  const options = { allErrors: true, strictTypes: false, unicodeRegExp: unicode };
  const ajv = String(schema.$schema ?? "").includes("2020-12")
    ? new Ajv2020(options)
    : new AjvDraft04(options);
  addFormats(ajv, ["uri", "email", "regex"]);
  return ajv.compile(schema);
}

function pointerPart(name) {
  return String(name).replace(/~/g, "~0").replace(/\//g, "~1");
}

function describe(error) {
  const params = error.params ?? {};
  let where = error.instancePath;
  let message = error.message ?? "is invalid";
  // Point at the property itself, so a caller can match problems by path.
  if (params.additionalProperty !== undefined) {
    where += `/${pointerPart(params.additionalProperty)}`;
    message = "is not a property the schema allows here";
  } else if (error.keyword === "required" && params.missingProperty !== undefined) {
    where += `/${pointerPart(params.missingProperty)}`;
    message = "is required";
  } else if (Array.isArray(params.allowedValues)) {
    message += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (params.allowedValue !== undefined) {
    message += `: ${JSON.stringify(params.allowedValue)}`;
  }
  return { path: where === "" ? "/" : where, message };
}

let manifest;
try {
  manifest = JSON.parse(readFileSync(0, "utf8"));
} catch (error) {
  fail(`the manifest on stdin is not JSON: ${error.message}`);
}

let dir;
try {
  dir = schemasDir();
} catch {
  fail("@microsoft/app-manifest is not installed; run `npm ci` in tools/node");
}

const localization = process.argv[2] === "--localization" ? String(process.argv[3] ?? "") : null;
const version = localization ?? String(manifest?.manifestVersion ?? "");
const schemaName =
  localization === null ? "MicrosoftTeams.schema.json" : "MicrosoftTeams.Localization.schema.json";
const schemaFile = path.join(dir, `v${version}`, schemaName);
let schema;
try {
  schema = loadSchema(schemaFile);
} catch {
  fail(`@microsoft/app-manifest has no schema for manifestVersion "${version}" (${schemaFile})`);
}

const validate = compile(schema, { unicode: localization === null });
const valid = validate(manifest);
const errors = valid ? [] : (validate.errors ?? []).map(describe);
process.stdout.write(
  `${JSON.stringify({
    schemaFile,
    manifestVersion: version,
    newestVersion: newestVersion(dir),
    errors,
  })}\n`,
);
