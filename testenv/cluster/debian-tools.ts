// Tools the tests take from Debian (openssl, prometheus and promtool, shellcheck): TEST_ASSET_<NAME>, else the PATH,
// else the package installed with apt-get (as root, or through passwordless sudo as on GitHub's runners), saying
// so; the package lists are refreshed once if the install fails.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter).concat("/usr/bin", "/usr/local/bin")) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** The paths of `names`, installing Debian's package `pkg` first if any is missing. */
export async function debianTools<N extends string>(
  pkg: string,
  names: readonly N[],
  log: (line: string) => void = console.error,
): Promise<Record<N, string>> {
  const find = () =>
    names.map((n) => [n, process.env[`TEST_ASSET_${n.toUpperCase()}`] ?? onPath(n)] as const);
  let found = find();
  if (found.some(([, p]) => !p)) {
    const vars = names.map((n) => `TEST_ASSET_${n.toUpperCase()}`).join(", ");
    const sudo =
      process.getuid?.() === 0
        ? []
        : await exec("sudo", ["-n", "true"]).then(
            () => ["sudo", "-n"],
            () => undefined,
          );
    if (!onPath("apt-get") || !sudo)
      throw new Error(`${names.join(" and ")} needed: install Debian's ${pkg} package or set ${vars}`);
    log(`installing Debian's ${pkg} package (${names.join(", ")}) with ${[...sudo, "apt-get"].join(" ")}`);
    const opts = { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, maxBuffer: 64 << 20 };
    const aptGet = (...args: string[]) =>
      sudo.length > 0 ? exec("sudo", ["-n", "-E", "apt-get", ...args], opts) : exec("apt-get", args, opts);
    const install = () => aptGet("install", "-y", "-qq", "--no-install-recommends", pkg);
    await install().catch(async () => {
      log("apt-get install failed; updating the package lists and trying again");
      await aptGet("update", "-qq");
      await install();
    });
    found = find();
    const missing = found.filter(([, p]) => !p).map(([n]) => n);
    if (missing.length > 0) throw new Error(`${pkg} installed but ${missing.join(", ")} not found`);
  }
  return Object.fromEntries(found) as Record<N, string>;
}
