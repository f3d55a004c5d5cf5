// The operator's version is package.json's: the one source the chart, the kustomize image tag, the image and the
// release follow (test/unit/version.test.ts fails when any of them disagrees). Read at run time, so the compiled
// dist/ and the image (which ships package.json beside dist/) answer the same as the sources.
import { readFileSync } from "node:fs";

export const VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;
