// The licence the project ships under is the one every artifact names: package.json, the chart, the image labels.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

describe("the licence", () => {
  it("LICENSE is the Apache License 2.0, and every artifact says Apache-2.0", () => {
    const text = readFileSync("LICENSE", "utf8");
    expect(text).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004/);
    expect(text).toContain("END OF TERMS AND CONDITIONS");
    expect(JSON.parse(readFileSync("package.json", "utf8")).license).toBe("Apache-2.0");
    const chart = parse(readFileSync("deploy/helm/gaap-operator/Chart.yaml", "utf8"));
    expect(chart.annotations?.["artifacthub.io/license"]).toBe("Apache-2.0");
    const labels =
      readFileSync("Dockerfile", "utf8").match(/org\.opencontainers\.image\.licenses="([^"]+)"/g) ?? [];
    expect(labels).toEqual(['org.opencontainers.image.licenses="Apache-2.0"']);
  });

  it("SECURITY.md says how to report privately, and CONTRIBUTING.md how to make a change land", () => {
    expect(readFileSync("SECURITY.md", "utf8")).toContain("private vulnerability reporting");
    expect(readFileSync("CONTRIBUTING.md", "utf8")).toContain("npm test");
  });
});
