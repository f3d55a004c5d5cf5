// The release's commands, for maintainers and for .github/workflows/release.yml:
//
//   node release/cli.ts version              npm's `version` hook: cut CHANGELOG.md, write the version everywhere
//   node release/cli.ts check [--tag vX.Y.Z] every place agrees with package.json (and with the tag)
//   node release/cli.ts notes                this version's CHANGELOG.md section, for the GitHub release
//   node release/cli.ts manifest --image REF@sha256:... [--kustomize PATH]   gaap-operator.yaml on stdout
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cutRelease, findRelease, parseChangelog } from "./changelog.ts";
import { installManifest } from "./manifest.ts";
import { packageVersion, syncVersion, versionDisagreements } from "./versions.ts";

const root = join(import.meta.dirname, "..");
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { tag: { type: "string" }, image: { type: "string" }, kustomize: { type: "string" } },
});
const version = packageVersion(root);
const changelogPath = join(root, "CHANGELOG.md");

function fail(message: string): never {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

try {
  switch (positionals[0]) {
    case "version": {
      const text = readFileSync(changelogPath, "utf8");
      const released = parseChangelog(text).releases.some((r) => r.version === version);
      if (!released) {
        const repo = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).homepage as string;
        writeFileSync(changelogPath, cutRelease(text, version, new Date().toISOString().slice(0, 10), repo));
      }
      for (const file of syncVersion(root, version))
        process.stderr.write(`release: wrote ${version} into ${file}\n`);
      break;
    }
    case "check": {
      const problems = versionDisagreements(root, version);
      if (values.tag !== undefined && values.tag !== `v${version}`)
        problems.unshift(`the tag ${values.tag} is not v${version}, package.json's version`);
      if (problems.length > 0) fail(`the version disagrees:\n  ${problems.join("\n  ")}`);
      process.stdout.write(`${version}\n`);
      break;
    }
    case "notes":
      process.stdout.write(
        `${findRelease(parseChangelog(readFileSync(changelogPath, "utf8")), version).body}\n`,
      );
      break;
    case "manifest":
      process.stdout.write(
        await installManifest({ root, version, image: values.image ?? "", kustomize: values.kustomize }),
      );
      break;
    default:
      fail(
        "usage: node release/cli.ts version | check [--tag vX.Y.Z] | notes | manifest --image REF@sha256:...",
      );
  }
} catch (err) {
  fail((err as Error).message);
}
