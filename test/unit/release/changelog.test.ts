import { describe, expect, it } from "vitest";
import {
  artifactHubChanges,
  compareVersions,
  cutRelease,
  findRelease,
  parseChangelog,
} from "../../../release/changelog.ts";

const REPO = "https://github.com/o/r";
const changelog = (unreleased: string, rest = "", links = "") =>
  [
    "# Changelog",
    "",
    "Intro.",
    "",
    "## [Unreleased]",
    unreleased,
    rest,
    "[unreleased]: https://github.com/o/r/compare/v0.1.0...HEAD",
    "[0.1.0]: https://github.com/o/r/releases/tag/v0.1.0",
    links,
  ].join("\n");
const released010 = "## [0.1.0] - 2026-12-02\n\n### Added\n\n- The first thing.\n";

describe("CHANGELOG.md in Keep a Changelog form", () => {
  it("reads releases, kinds of change and multi-line entries", () => {
    const log = parseChangelog(
      changelog("\n### Fixed\n\n- A bug, with a `flag`\n  on two lines.\n- Another.\n", released010),
    );
    expect(log.releases.map((r) => [r.version, r.date])).toEqual([
      ["Unreleased", undefined],
      ["0.1.0", "2026-12-02"],
    ]);
    expect(log.releases[0]?.changes).toEqual({ Fixed: ["A bug, with a `flag` on two lines.", "Another."] });
    expect(findRelease(log, "0.1.0").changes).toEqual({ Added: ["The first thing."] });
    expect(() => findRelease(log, "0.2.0")).toThrow(/no "## \[0.2.0\]" section: run npm version/);
    expect(() => findRelease(log, "Unreleased")).toThrow(/no "## \[Unreleased\]" section/);
  });

  it.each([
    {
      name: "no Unreleased section first",
      text: `# Changelog\n\n${released010}\n[0.1.0]: x`,
      error: /first section must be "## \[Unreleased\]"/,
    },
    {
      name: "a heading that is not a release",
      text: changelog("", "## 0.1.0\n"),
      error: /"## 0.1.0" is not a release heading/,
    },
    {
      name: "a kind Keep a Changelog does not have",
      text: changelog("\n### Improved\n\n- x\n", released010),
      error: /"### Improved" is not one of Added, Changed/,
    },
    {
      name: "an entry under no kind",
      text: changelog("\n- x\n", released010),
      error: /an entry before any "### Added"/,
    },
    {
      name: "a kind with no entries",
      text: changelog("\n### Added\n", released010),
      error: /"### Added" has no entries/,
    },
    {
      name: "a release without a date",
      text: changelog("", "## [0.1.0]\n\n### Added\n\n- x\n"),
      error: /0.1.0 has no date/,
    },
    {
      name: "a version that is not semver",
      text: changelog("", "## [0.1] - 2026-12-02\n\n### Added\n\n- x\n", "[0.1]: x"),
      error: /"0.1" is not a semantic version/,
    },
    {
      name: "a release with no link",
      text: changelog("", `## [0.2.0] - 2026-12-03\n\n### Added\n\n- y\n\n${released010}`),
      error: /no link for \[0.2.0\]/,
    },
    {
      name: "releases oldest first",
      text: changelog("", `${released010}\n## [0.2.0] - 2026-12-03\n\n### Added\n\n- y\n`, "[0.2.0]: x"),
      error: /0.2.0 is listed after 0.1.0: newest first/,
    },
    {
      name: "prose between entries",
      text: changelog("\n### Added\n\n- x\n\nSome words.\n", released010),
      error: /"Some words." is neither an entry nor a heading/,
    },
    {
      name: "no title",
      text: changelog("").replace("# Changelog", "Changelog"),
      error: /must start with a "# Changelog" title/,
    },
  ])("refuses $name, saying what is wrong", ({ text, error }) => {
    expect(() => parseChangelog(text)).toThrow(error);
  });

  it("cuts a release: Unreleased moves under the new version, and the links compare the tags", () => {
    const text = changelog("\n### Changed\n\n- Faster.\n", released010);
    const cut = cutRelease(text, "0.2.0", "2026-12-24", REPO);
    const log = parseChangelog(cut);
    expect(log.releases.map((r) => r.version)).toEqual(["Unreleased", "0.2.0", "0.1.0"]);
    expect(log.releases[0]?.body).toBe("");
    expect(findRelease(log, "0.2.0")).toMatchObject({
      date: "2026-12-24",
      changes: { Changed: ["Faster."] },
    });
    expect(findRelease(log, "0.1.0").changes).toEqual({ Added: ["The first thing."] });
    expect(log.links.get("unreleased")).toBe(`${REPO}/compare/v0.2.0...HEAD`);
    expect(log.links.get("0.2.0")).toBe(`${REPO}/compare/v0.1.0...v0.2.0`);
    expect(log.links.get("0.1.0")).toBe(`${REPO}/releases/tag/v0.1.0`);
    expect(
      cut.startsWith("# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-24\n\n### Changed"),
    ).toBe(true);
  });

  it("cuts the first release with a link to its tag", () => {
    const text = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- All of it.\n\n[unreleased]: x\n";
    const log = parseChangelog(cutRelease(text, "0.1.0", "2026-12-02", REPO));
    expect(log.links.get("0.1.0")).toBe(`${REPO}/releases/tag/v0.1.0`);
    expect(findRelease(log, "0.1.0").changes).toEqual({ Added: ["All of it."] });
  });

  it.each([
    { version: "0.2.0", unreleased: "", error: /Unreleased section is empty: say what this release changes/ },
    { version: "0.1.0", unreleased: "\n### Added\n\n- y\n", error: /already has a section for 0.1.0/ },
    { version: "0.0.9", unreleased: "\n### Added\n\n- y\n", error: /0.0.9 is not newer than 0.1.0/ },
    { version: "v0.2.0", unreleased: "\n### Added\n\n- y\n", error: /"v0.2.0" is not a semantic version/ },
  ])("refuses to cut $version from Unreleased $unreleased", ({ version, unreleased, error }) => {
    expect(() => cutRelease(changelog(unreleased, released010), version, "2026-12-24", REPO)).toThrow(error);
  });

  it("gives Artifact Hub one plain-text change per entry, kinds in lower case", () => {
    const log = parseChangelog(
      changelog(
        "\n### Added\n\n- `spec.rule` for **HTTP** ([docs](https://x/y)).\n\n### Security\n\n- Secrets never logged.\n",
        released010,
      ),
    );
    expect(artifactHubChanges(log.releases[0] as never)).toEqual([
      { kind: "added", description: "spec.rule for HTTP (docs)." },
      { kind: "security", description: "Secrets never logged." },
    ]);
  });

  it.each([
    ["0.1.0", "0.1.0", 0],
    ["0.2.0", "0.10.0", -1],
    ["1.0.0", "0.99.99", 1],
    ["1.0.0-rc.1", "1.0.0", -1],
    ["1.0.0-rc.2", "1.0.0-rc.10", -1],
  ])("orders %s against %s", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});
