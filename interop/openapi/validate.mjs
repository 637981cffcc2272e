// Validates OpenAPI documents (JSON files named on the command line) with
// @seriousme/openapi-schema-validator: against the official OpenAPI JSON
// Schema of their version, then resolving every internal $ref. Prints one
// line per file; exits 1 if any is invalid. Used by
// cli/tests/openapi_validator.rs (run by .ci/run).
import { Validator } from "@seriousme/openapi-schema-validator";
import { argv, exit } from "node:process";

const files = argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs <openapi.json>...");
  exit(2);
}
let failed = false;
for (const file of files) {
  const validator = new Validator();
  const result = await validator.validate(file);
  if (!result.valid) {
    failed = true;
    console.log(`${file}: INVALID ${JSON.stringify(result.errors, null, 2)}`);
    continue;
  }
  try {
    validator.resolveRefs();
  } catch (e) {
    failed = true;
    console.log(`${file}: INVALID: a $ref does not resolve: ${e.message}`);
    continue;
  }
  console.log(`${file}: valid OpenAPI ${validator.version}`);
}
exit(failed ? 1 : 0);
