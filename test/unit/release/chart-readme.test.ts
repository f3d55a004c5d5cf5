// The chart README's values table lists every value of values.yaml, with its default, and nothing else.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CHART } from "../../../release/versions.ts";

interface SchemaNode {
  additionalProperties?: unknown;
  properties?: Record<string, SchemaNode>;
}

/**
 * Each value a user sets, by path, with its default. A map is one value unless the schema closes it
 * (additionalProperties: false) and it has keys: then each key is (resources.requests.cpu, not resources), while a
 * free-form map (podSecurityContext, labels) or an empty one stays a single value.
 */
function chartValues(values: unknown, schema: SchemaNode | undefined, path = ""): Map<string, unknown> {
  const closed =
    values !== null &&
    typeof values === "object" &&
    !Array.isArray(values) &&
    Object.keys(values).length > 0 &&
    schema?.additionalProperties === false;
  if (!closed) return new Map([[path, values]]);
  return new Map(
    Object.entries(values as Record<string, unknown>).flatMap(([k, v]) => [
      ...chartValues(v, schema?.properties?.[k], path ? `${path}.${k}` : k),
    ]),
  );
}

/** The rows of the table under "## Values": `value` | `default` | meaning, the default read back as YAML. */
function readmeValues(readme: string): Map<string, unknown> {
  const section = readme.slice(
    readme.indexOf("\n## Values\n"),
    readme.indexOf("\n## ", readme.indexOf("\n## Values\n") + 1),
  );
  const rows = section.split("\n").filter((l) => /^\| `/.test(l));
  return new Map(
    rows.map((row) => {
      // Columns padded as the formatter aligns them.
      const [, value, def] = /^\| `([^`]+)`\s*\| `([^`]*)`\s*\|/.exec(row) ?? [];
      expect(value, `a row of the form | \`value\` | \`default\` | meaning |: ${row}`).toBeDefined();
      return [value as string, parse(def as string)];
    }),
  );
}

const read = (f: string) => readFileSync(join(CHART, f), "utf8");

describe("the chart's README", () => {
  const documented = readmeValues(read("README.md"));
  const values = chartValues(parse(read("values.yaml")), JSON.parse(read("values.schema.json")));

  it("lists every value of values.yaml with its default, and no other", () => {
    expect([...documented.keys()].sort()).toEqual([...values.keys()].sort());
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(values));
  });

  it("notices a value missing from the table, one it lists that values.yaml lacks, and a wrong default", () => {
    const readme = read("README.md");
    const without = readmeValues(readme.replace(/^\| `clusterName` .*\n/m, ""));
    expect(without.has("clusterName")).toBe(false);
    expect([...without.keys()].sort()).not.toEqual([...values.keys()].sort());
    const extra = chartValues(
      { ...parse(read("values.yaml")), bogus: 1 },
      JSON.parse(read("values.schema.json")),
    );
    expect([...documented.keys()].sort()).not.toEqual([...extra.keys()].sort());
    const wrong = readmeValues(readme.replace(/^(\| `replicaCount`\s*\| `)2`/m, "$13`"));
    expect(wrong.get("replicaCount")).toBe(3);
    expect(Object.fromEntries(wrong)).not.toEqual(Object.fromEntries(values));
  });

  it("descends into closed maps only", () => {
    expect(values.get("resources.requests.cpu")).toBe("50m");
    expect(values.has("resources")).toBe(false);
    expect(values.get("podSecurityContext")).toMatchObject({ runAsNonRoot: true });
    expect(values.get("webhook.certManager.issuerRef")).toEqual({});
  });
});
