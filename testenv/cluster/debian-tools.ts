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

/** How to run a command as root here: directly (root), through passwordless sudo, or not at all (undefined). */
export async function asRoot(): Promise<string[] | undefined> {
  if (process.getuid?.() === 0) return [];
  return exec("sudo", ["-n", "true"]).then(
    () => ["sudo", "-n"],
    () => undefined,
  );
}

/**
 * Installs Debian's package `pkg` (for `needed`) with apt-get as root, saying so; the package lists are refreshed on
 * failure. Without apt-get or root, the error says what to install, and `orElse` what else would do.
 */
export async function installDebianPackage(
  pkg: string,
  needed: string,
  log: (line: string) => void,
  orElse = "",
): Promise<void> {
  const sudo = await asRoot();
  if (!onPath("apt-get") || !sudo)
    throw new Error(`${needed} needed: install Debian's ${pkg} package${orElse}`);
  log(`installing Debian's ${pkg} package (${needed}) with ${[...sudo, "apt-get"].join(" ")}`);
  const opts = { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, maxBuffer: 64 << 20 };
  const aptGet = (...args: string[]) =>
    sudo.length > 0 ? exec("sudo", ["-n", "-E", "apt-get", ...args], opts) : exec("apt-get", args, opts);
  const install = () => aptGet("install", "-y", "-qq", "--no-install-recommends", pkg);
  await install().catch(async () => {
    log("apt-get install failed; updating the package lists and trying again");
    await aptGet("update", "-qq");
    await install();
  });
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
    await installDebianPackage(pkg, names.join(", "), log, ` or set ${vars}`);
    found = find();
    const missing = found.filter(([, p]) => !p).map(([n]) => n);
    if (missing.length > 0) throw new Error(`${pkg} installed but ${missing.join(", ")} not found`);
  }
  return Object.fromEntries(found) as Record<N, string>;
}
