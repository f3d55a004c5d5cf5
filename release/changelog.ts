// CHANGELOG.md in Keep a Changelog 1.1.0 form (https://keepachangelog.com/en/1.1.0/): read it, cut a release from
// its Unreleased section, and give one release's notes (for the GitHub release) and changes (for Artifact Hub).
// Pure: text in, text or data out.

export const KINDS = ["Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"] as const;
export type Kind = (typeof KINDS)[number];

export interface Release {
  /** "Unreleased", or a version without the leading v. */
  version: string;
  date?: string;
  /** Entries by kind, each entry its text without the leading "- " (continuation lines joined by a space). */
  changes: Partial<Record<Kind, string[]>>;
  /** The section's lines, as written, without its heading. */
  body: string;
}

export interface Changelog {
  preamble: string;
  releases: Release[];
  links: Map<string, string>;
}

export class ChangelogError extends Error {}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const RELEASE_HEADING = /^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$/;
const LINK = /^\[([^\]]+)\]: (\S+)$/;

export function parseChangelog(text: string): Changelog {
  const lines = text.replace(/\n+$/, "").split("\n");
  const problems: string[] = [];
  const links = new Map<string, string>();
  while (lines.length > 0 && LINK.test(lines.at(-1) ?? "")) {
    const [, name, url] = LINK.exec(lines.pop() as string) as RegExpExecArray;
    links.set((name as string).toLowerCase(), url as string);
  }
  const first = lines.findIndex((l) => l.startsWith("## "));
  if (!lines[0]?.startsWith("# ")) problems.push('it must start with a "# Changelog" title');
  const preamble = lines.slice(0, first === -1 ? lines.length : first).join("\n");
  const releases: Release[] = [];
  let current: { heading: RegExpExecArray; lines: string[] } | undefined;
  const finish = () => {
    if (!current) return;
    const [, version, date] = current.heading as unknown as [string, string, string | undefined];
    releases.push({
      version,
      date,
      changes: changesOf(version, current.lines, problems),
      body: trim(current.lines),
    });
  };
  for (const line of first === -1 ? [] : lines.slice(first)) {
    if (line.startsWith("## ")) {
      finish();
      const heading = RELEASE_HEADING.exec(line);
      if (!heading) {
        problems.push(
          `"${line}" is not a release heading like "## [1.2.3] - 2026-12-01" or "## [Unreleased]"`,
        );
        current = undefined;
        continue;
      }
      current = { heading, lines: [] };
    } else current?.lines.push(line);
  }
  finish();
  if (releases[0]?.version !== "Unreleased") problems.push('the first section must be "## [Unreleased]"');
  const seen = new Set<string>();
  releases.forEach((r, i) => {
    if (seen.has(r.version)) problems.push(`${r.version} appears twice`);
    seen.add(r.version);
    if (i === 0) return;
    if (!SEMVER.test(r.version)) problems.push(`"${r.version}" is not a semantic version`);
    if (!r.date) problems.push(`${r.version} has no date ("## [${r.version}] - YYYY-MM-DD")`);
    const before = releases[i - 1];
    if (i > 1 && before && compareVersions(before.version, r.version) <= 0)
      problems.push(`${r.version} is listed after ${before.version}: newest first`);
    if (i > 1 && before?.date && r.date && before.date < r.date)
      problems.push(`${r.version} is dated after ${before.version}`);
  });
  for (const r of releases)
    if (!links.has(r.version.toLowerCase())) problems.push(`no link for [${r.version}] at the end`);
  if (problems.length > 0) throw new ChangelogError(`CHANGELOG.md: ${problems.join("; ")}`);
  return { preamble, releases, links };
}

function changesOf(version: string, lines: string[], problems: string[]): Partial<Record<Kind, string[]>> {
  const changes: Partial<Record<Kind, string[]>> = {};
  let entries: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith("### ")) {
      const kind = line.slice(4) as Kind;
      if (!KINDS.includes(kind)) problems.push(`${version}: "${line}" is not one of ${KINDS.join(", ")}`);
      if (changes[kind]) problems.push(`${version}: "${line}" appears twice`);
      entries = changes[kind] = [];
    } else if (line.startsWith("- ")) {
      if (!entries) problems.push(`${version}: an entry before any "### Added" (or other kind) heading`);
      else entries.push(line.slice(2).trim());
    } else if (/^\s+\S/.test(line) && entries && entries.length > 0) {
      entries[entries.length - 1] = `${entries.at(-1)} ${line.trim()}`;
    } else if (line.trim() !== "") problems.push(`${version}: "${line}" is neither an entry nor a heading`);
  }
  for (const [kind, list] of Object.entries(changes))
    if (list.length === 0) problems.push(`${version}: "### ${kind}" has no entries`);
  return changes;
}

const trim = (lines: string[]) => lines.join("\n").replace(/^\n+|\n+$/g, "");

/** Negative, zero or positive as a is older than, the same as or newer than b (prereleases before releases). */
export function compareVersions(a: string, b: string): number {
  const [ca = "", pa] = a.split("-", 2);
  const [cb = "", pb] = b.split("-", 2);
  const na = ca.split(".").map(Number);
  const nb = cb.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((na[i] ?? 0) !== (nb[i] ?? 0)) return (na[i] ?? 0) - (nb[i] ?? 0);
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  return pa.localeCompare(pb, "en", { numeric: true });
}

export function findRelease(log: Changelog, version: string): Release {
  const release = log.releases.find((r) => r.version === version);
  if (!release || version === "Unreleased")
    throw new ChangelogError(
      `CHANGELOG.md has no "## [${version}]" section: run npm version, which moves Unreleased there`,
    );
  return release;
}

/**
 * The changelog with its Unreleased entries moved into a new release section, and its links updated:
 * Unreleased compares the new tag with HEAD, the new version compares the previous tag with its own.
 */
export function cutRelease(text: string, version: string, date: string, repoUrl: string): string {
  const log = parseChangelog(text);
  if (!SEMVER.test(version)) throw new ChangelogError(`"${version}" is not a semantic version`);
  const [unreleased, previous] = log.releases as [Release, Release | undefined];
  if (log.releases.some((r) => r.version === version))
    throw new ChangelogError(`CHANGELOG.md already has a section for ${version}`);
  if (previous && compareVersions(version, previous.version) <= 0)
    throw new ChangelogError(`${version} is not newer than ${previous.version}, the latest release`);
  if (unreleased.body === "")
    throw new ChangelogError("CHANGELOG.md's Unreleased section is empty: say what this release changes");
  const sections = [
    "## [Unreleased]",
    `## [${version}] - ${date}\n\n${unreleased.body}`,
    ...log.releases.slice(1).map((r) => `## [${r.version}] - ${r.date}\n\n${r.body}`),
  ];
  const links = new Map(log.links);
  links.set("unreleased", `${repoUrl}/compare/v${version}...HEAD`);
  links.set(
    version,
    previous
      ? `${repoUrl}/compare/v${previous.version}...v${version}`
      : `${repoUrl}/releases/tag/v${version}`,
  );
  const order = ["unreleased", version, ...log.releases.slice(1).map((r) => r.version.toLowerCase())];
  const linkLines = order.map((name) => `[${name}]: ${links.get(name)}`);
  return `${log.preamble.replace(/\n+$/, "")}\n\n${sections.join("\n\n")}\n\n${linkLines.join("\n")}\n`;
}

/** Artifact Hub's artifacthub.io/changes entries for one release. */
export function artifactHubChanges(release: Release): Array<{ kind: string; description: string }> {
  return KINDS.flatMap((kind) =>
    (release.changes[kind] ?? []).map((entry) => ({ kind: kind.toLowerCase(), description: plain(entry) })),
  );
}

/** Markdown to the plain text Artifact Hub shows: links keep their words, code and emphasis lose their marks. */
function plain(markdown: string): string {
  return markdown
    .replace(/\[([^\]]+)\]\([^)]+\)/g, "$1")
    .replace(/[`*]/g, "")
    .trim();
}
