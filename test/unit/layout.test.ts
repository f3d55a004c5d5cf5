// The layout's own limits (docs/development.md, "Layout"): a folder of code holds at most 12 files and a TypeScript
// file at most 400 lines, so a file or folder that grows a second concern is split rather than left to grow.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOTS = ["src", "emulator", "testenv", "test", "bench", "release", "demo"];
const MAX_FILES = 12;
const MAX_LINES = 400;

function folders(dir: string): string[] {
  const subs = readdirSync(dir).filter((e) => statSync(join(dir, e)).isDirectory());
  return [dir, ...subs.flatMap((s) => folders(join(dir, s)))];
}
const files = (dir: string) => readdirSync(dir).filter((e) => statSync(join(dir, e)).isFile());

describe("the layout", () => {
  const all = ROOTS.flatMap(folders);

  it(`holds no folder of code with more than ${MAX_FILES} files`, () => {
    const crowded = all
      .filter((d) => ["src", "emulator", "testenv", "test"].some((r) => d === r || d.startsWith(`${r}/`)))
      .map((d) => `${d}: ${files(d).length}`)
      .filter((line) => Number(line.split(": ")[1]) > MAX_FILES);
    expect(crowded).toEqual([]);
  });

  it(`holds no TypeScript file over ${MAX_LINES} lines`, () => {
    const long = all
      .flatMap((d) =>
        files(d)
          .filter((f) => f.endsWith(".ts"))
          .map((f) => join(d, f)),
      )
      .map((f) => ({ f, lines: readFileSync(f, "utf8").trimEnd().split("\n").length }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ f, lines }) => `${f}: ${lines}`);
    expect(long).toEqual([]);
  });
});
