// Container images without a container engine: buildah builds Dockerfiles (--isolation chroot, vfs storage, both of
// which work in an unprivileged sandbox with no daemon) into a storage of its own under the cache, and runs commands
// in what it built. The base is made here, because no registry is reachable: Debian's mmdebstrap makes a root
// filesystem, and Node 24 is the project's own (the `node` devDependency that runs the tests), with npm from the npm
// registry. The base is cached under a tag that names its recipe, so only a new recipe builds it again.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "./binaries.ts";
import { asRoot, debianTools, installDebianPackage } from "./debian-tools.ts";

const exec = promisify(execFile);

/** What the base is made of: Debian's suite (the one this project's machines run) and npm's version. */
export const BASE_RECIPE = Object.freeze({ debian: "bookworm", npm: "11.21.3" });
const BASE_REPOSITORY = "localhost/gaap-operator-test-base";
/** Where mmdebstrap finds Debian's signing keys (absent on Ubuntu until debian-archive-keyring is installed). */
const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
/** Images a test builds are tagged test-<pid>: a killed run's are found and removed by the next. */
const TEST_TAG = /^localhost\/gaap-(operator|emulator):test-(\d+)$/;

/** The CA bundle the host trusts (it may add a proxy's own CA), so npm inside a build reaches the registry as npm here does. */
function hostCaBundle(): string | undefined {
  return [
    process.env.NODE_EXTRA_CA_CERTS,
    process.env.SSL_CERT_FILE,
    "/etc/ssl/certs/ca-certificates.crt",
  ].find((p): p is string => !!p && existsSync(p));
}

const baseContainerfile = (ca: boolean) => `FROM scratch
ADD rootfs.tar /
COPY node /usr/local/bin/node
ADD npm-${BASE_RECIPE.npm}.tgz /usr/local/lib/node_modules/
${ca ? "COPY ca.crt /etc/ssl/certs/ca-certificates.crt\nENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\n" : ""}RUN mv /usr/local/lib/node_modules/package /usr/local/lib/node_modules/npm \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
CMD ["node"]
`;

export interface BuildOptions {
  tag: string;
  context: string;
  file?: string;
  target?: string;
  buildArgs?: Record<string, string>;
}

export class ImageBuilder {
  readonly buildah: string;
  private readonly mmdebstrap: string;
  private readonly log: (line: string) => void;
  /** sudo -n, or nothing as root: chroot isolation and a vfs store need root (no user namespaces required). */
  private readonly root: string[];
  readonly storage = join(cacheRoot(), "buildah");

  private constructor(buildah: string, mmdebstrap: string, log: (line: string) => void, root: string[]) {
    this.buildah = buildah;
    this.mmdebstrap = mmdebstrap;
    this.log = log;
    this.root = root;
  }

  /** Finds buildah and mmdebstrap, installing Debian's packages when missing, as for Prometheus. */
  static async open(log: (line: string) => void = console.error): Promise<ImageBuilder> {
    const root = await asRoot();
    if (!root)
      throw new Error("building images needs root or passwordless sudo (buildah with chroot isolation)");
    const { buildah } = await debianTools("buildah", ["buildah"], log);
    const { mmdebstrap } = await debianTools("mmdebstrap", ["mmdebstrap"], log);
    if (!existsSync(DEBIAN_KEYRING))
      await installDebianPackage("debian-archive-keyring", "Debian's signing keys for mmdebstrap", log);
    return new ImageBuilder(buildah, mmdebstrap, log, root);
  }

  /** The file and arguments that run buildah with `args` on this builder's storage, as root. */
  command(args: string[]): [string, string[]] {
    return this.asRoot([this.buildah, ...this.globalArgs, ...args]);
  }

  private asRoot(argv: string[]): [string, string[]] {
    const [file, ...args] = [...this.root, ...argv];
    return [file as string, args];
  }

  /** buildah's flags for this builder's own storage, before any command. */
  get globalArgs(): string[] {
    return [
      "--root",
      join(this.storage, "storage"),
      "--runroot",
      join(this.storage, "run"),
      "--storage-driver",
      "vfs",
    ];
  }

  async run(args: string[]): Promise<string> {
    const [file, argv] = this.command(args);
    const { stdout } = await exec(file, argv, {
      maxBuffer: 256 << 20,
      env: { ...process.env, BUILDAH_ISOLATION: "chroot" },
    });
    return stdout;
  }

  async exists(image: string): Promise<boolean> {
    return this.run(["inspect", "--type", "image", image]).then(
      () => true,
      () => false,
    );
  }

  /** The Node 24 base, built unless the cache holds it already. */
  async nodeBase(): Promise<{ image: string; built: boolean; seconds: number }> {
    const started = Date.now();
    const node = realpathSync(process.execPath);
    if (!process.versions.node.startsWith("24."))
      throw new Error(
        `the image base needs Node 24 (the project's own); this is Node ${process.versions.node}`,
      );
    const ca = hostCaBundle();
    const recipe = createHash("sha256")
      .update(JSON.stringify({ ...BASE_RECIPE, node: process.versions.node, arch: process.arch }))
      .update(baseContainerfile(!!ca))
      .update(ca ? readFileSync(ca) : "")
      .digest("hex")
      .slice(0, 12);
    const image = `${BASE_REPOSITORY}:node${process.versions.node}-${BASE_RECIPE.debian}-${recipe}`;
    if (await this.exists(image)) return { image, built: false, seconds: 0 };

    const ctx = mkdtempSync(join(tmpdir(), "gaap-image-base-"));
    try {
      this.log(
        `making a ${BASE_RECIPE.debian} root filesystem with mmdebstrap for the image base (about 30 s)`,
      );
      await exec(
        ...this.asRoot([
          this.mmdebstrap,
          "--variant=essential",
          "--include=libstdc++6",
          ...["man", "doc", "locale", "info"].map((d) => `--dpkgopt=path-exclude=/usr/share/${d}/*`),
          "--quiet",
          BASE_RECIPE.debian,
          join(ctx, "rootfs.tar"),
        ]),
        { maxBuffer: 64 << 20 },
      );
      copyFileSync(node, join(ctx, "node"));
      if (ca) copyFileSync(ca, join(ctx, "ca.crt"));
      await exec("npm", ["pack", "--silent", `npm@${BASE_RECIPE.npm}`, "--pack-destination", ctx]);
      writeFileSync(join(ctx, "Containerfile"), baseContainerfile(!!ca));
      this.log(`building ${image}`);
      await this.run(["bud", "--isolation", "chroot", "--quiet", "-t", image, ctx]);
      // Older recipes' bases are of no further use.
      for (const line of (await this.run(["images", "--format", "{{.Name}}:{{.Tag}}"])).split("\n"))
        if (line.startsWith(`${BASE_REPOSITORY}:`) && line !== image)
          await this.run(["rmi", line]).catch(() => undefined);
      const seconds = Math.round((Date.now() - started) / 1000);
      this.log(`image base ${image} built in ${seconds} s`);
      return { image, built: true, seconds };
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }

  /**
   * Builds a Dockerfile from local images only (nothing is pulled). No layer cache: with vfs every cached step is a
   * full copy of the root filesystem, which costs more than it saves (npm's cache mount does the saving).
   */
  async build(o: BuildOptions): Promise<void> {
    await this.run([
      "bud",
      "--isolation",
      "chroot",
      "--pull-never",
      "--quiet",
      ...(o.file ? ["-f", o.file] : []),
      ...(o.target ? ["--target", o.target] : []),
      ...Object.entries(o.buildArgs ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
      "-t",
      o.tag,
      o.context,
    ]);
  }

  /** A working container from an image, for `buildah run`. */
  async container(image: string): Promise<string> {
    return (await this.run(["from", "--pull-never", image])).trim();
  }

  /**
   * The file and arguments that run `command` in a container as its image's user, with `volumes` mounted (host
   * network: chroot isolation has no namespace of its own), for a process the caller starts and stops.
   */
  runCommand(container: string, command: string[], volumes: string[] = []): [string, string[]] {
    return this.command([
      "run",
      "--isolation",
      "chroot",
      ...volumes.flatMap((v) => ["-v", v]),
      container,
      "--",
      ...command,
    ]);
  }

  async runIn(container: string, command: string[]): Promise<string> {
    return this.run(["run", "--isolation", "chroot", container, "--", ...command]);
  }

  /** Removes what test runs that are no longer alive left behind (their images are tagged test-<pid>). */
  async sweepStale(): Promise<void> {
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
      }
    };
    const stale = (name: string) => {
      const m = TEST_TAG.exec(name);
      return m !== null && !alive(Number(m[2]));
    };
    // buildah says null, not [], when it has no containers.
    const containers = (JSON.parse(await this.run(["containers", "--json"])) ?? []) as Array<{
      containername: string;
      imagename: string;
    }>;
    const images = (await this.run(["images", "--format", "{{.Name}}:{{.Tag}}"])).split("\n").filter(stale);
    await this.remove(
      containers.filter((c) => stale(c.imagename)).map((c) => c.containername),
      images,
    );
  }

  /** The image's configuration as an OCI image config. */
  async config(
    image: string,
  ): Promise<{ User?: string; Entrypoint?: string[]; Cmd?: string[]; Env?: string[] }> {
    return JSON.parse(await this.run(["inspect", "--type", "image", image])).OCIv1.config;
  }

  /** The image's size unpacked, in bytes (buildah reports it rounded, in MB). */
  async size(image: string): Promise<number> {
    const [found] = JSON.parse(await this.run(["images", "--json", image])) as Array<{ size: string }>;
    const size = found?.size ?? "";
    const m = /^([\d.]+) ([kMG]?B)$/.exec(size);
    if (!m) throw new Error(`unexpected size from buildah: ${size}`);
    return Number(m[1]) * ({ B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as string] ?? Number.NaN);
  }

  /** Removes containers and images made by a test, and any image a build left untagged. */
  async remove(containers: string[], images: string[]): Promise<void> {
    for (const c of containers) await this.run(["rm", c]).catch(() => undefined);
    for (const i of images) await this.run(["rmi", i]).catch(() => undefined);
    await this.run(["rmi", "--prune"]).catch(() => undefined);
  }
}
