// The image every install path names, built from the real Dockerfile with a real builder (buildah, no daemon) on a
// Node 24 base made here (`npm run build:cluster` makes and caches it), then checked as a user would run it: its
// configuration, who it runs as and what that user can read, what node_modules holds, and the operator started from
// the image's filesystem, binding a listener on the test control plane through the emulator. The emulator's own
// image target is built and run the same way.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeconfigYaml } from "../../../testenv/cluster/control-plane.ts";
import { ImageBuilder } from "../../../testenv/cluster/images.ts";
import { ProcessGroup, RUN_DIR_PREFIX } from "../../../testenv/cluster/processes.ts";
import { DEMO_CREDENTIAL, gaapClient } from "../../../testenv/gaap.ts";
import { Grants } from "../../../testenv/grants.ts";
import { freePort } from "../../../testenv/net.ts";
import { LOOPBACK } from "../../../testenv/operator.ts";
import { testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";
import { createWeb, L, type Scenario, scenario, untilBound } from "../../support/scenario.ts";

const log = (line: string) => console.log(`[image] ${line}`);
const MB = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const version = JSON.parse(readFileSync("package.json", "utf8")).version as string;

/**
 * The container's entrypoint process: the deepest process under `root` (buildah, then its chroot runtime and exec
 * helpers, then the command) whose arguments name `command`.
 */
function entrypointPid(root: number, command: string): number {
  const procs = new Map<number, { ppid: number; args: string[] }>();
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      procs.set(Number(entry), { ppid, args });
    } catch {} // gone since the listing
  }
  const depth = (pid: number): number => {
    let d = 0;
    for (let p = procs.get(pid)?.ppid; p; p = procs.get(p)?.ppid, d++) if (p === root) return d + 1;
    return 0;
  };
  const named = [...procs]
    .filter(([pid, p]) => depth(pid) > 0 && p.args.some((a) => a === command || a.endsWith(`/${command}`)))
    .sort(([a], [b]) => depth(b) - depth(a));
  if (!named[0]) throw new Error(`no ${command} process under ${root}`);
  return named[0][0];
}

describe("the image, built with buildah and run from its own filesystem", () => {
  const operatorImage = `localhost/gaap-operator:test-${process.pid}`;
  const emulatorImage = `localhost/gaap-emulator:test-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "gaap-image-"));
  const grants = new Grants(testCluster().kc);
  let images: ImageBuilder;
  let group: ProcessGroup;
  let s: Scenario;
  let operator = "";
  let emulator = "";

  beforeAll(async () => {
    images = await ImageBuilder.open(log);
    await images.sweepStale();
    const base = await images.nodeBase();
    const buildArgs = { BUILD_IMAGE: base.image, RUNTIME_IMAGE: base.image };
    const started = Date.now();
    const timed = async (build: Promise<void>) => {
      await build;
      return (Date.now() - started) / 1000;
    };
    // Side by side: the builds spend most of their time copying files (vfs), not computing.
    const [operatorS, emulatorS] = await Promise.all([
      timed(images.build({ tag: operatorImage, context: ".", buildArgs })),
      timed(images.build({ tag: emulatorImage, context: ".", target: "emulator", buildArgs })),
    ]);
    const [size, baseSize] = [await images.size(operatorImage), await images.size(base.image)];
    log(
      `base ${base.built ? `built in ${base.seconds} s` : "from the cache"}; gaap-operator built in ${operatorS.toFixed(0)} s, ` +
        `the emulator target beside it in ${emulatorS.toFixed(0)} s; gaap-operator is ${MB(size)}, ${MB(size - baseSize)} above the base`,
    );
    operator = await images.container(operatorImage);
    emulator = await images.container(emulatorImage);
    s = await scenario("image", { start: false });
    group = new ProcessGroup(mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX)));
  }, 900_000);

  afterAll(async () => {
    if (s) await grants.delete(`${s.ns}-image`);
    await group?.close();
    await s?.close();
    await images?.remove([operator, emulator].filter(Boolean), [operatorImage, emulatorImage]);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("runs gaap-operator as UID 65532; --version prints package.json's version; conformance answers", async () => {
    const config = await images.config(operatorImage);
    expect(config.Entrypoint).toEqual(["gaap-operator"]);
    expect(config.User).toBe("65532:65532");
    expect((await images.runIn(operator, ["id", "-u"])).trim()).toBe("65532");
    expect(await images.runIn(operator, ["gaap-operator", "--version"])).toBe(`${version}\n`);
    // The conformance subcommand is loaded on demand: its compiled module is in the image too.
    expect(await images.runIn(operator, ["gaap-operator", "conformance", "--help"])).toMatch(
      /^Usage: gaap-operator conformance/,
    );
  });

  it("lets UID 65532 read everything under /app and change none of it", async () => {
    const unreadable = await images.runIn(operator, [
      "find",
      "/app",
      "(",
      "!",
      "-readable",
      "-o",
      "-type",
      "d",
      "!",
      "-executable",
      ")",
      "-print",
    ]);
    expect(unreadable).toBe("");
    expect(await images.runIn(operator, ["find", "/app", "-writable", "-print"])).toBe("");
  });

  it("holds the production dependencies and nothing else", async () => {
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8")).packages as Record<
      string,
      { dev?: boolean; optional?: boolean; devOptional?: boolean }
    >;
    const installed = Object.keys(
      JSON.parse(await images.runIn(operator, ["cat", "/app/node_modules/.package-lock.json"])).packages,
    );
    const production = Object.entries(lock).filter(([path, p]) => path.startsWith("node_modules/") && !p.dev);
    expect(installed.filter((path) => lock[path]?.dev || !lock[path])).toEqual([]);
    const required = production.filter(([, p]) => !p.optional && !p.devOptional).map(([path]) => path);
    expect(required.filter((path) => !installed.includes(path))).toEqual([]);
    // What the hidden lockfile says is what is on disk: no development tool under node_modules.
    const top = (await images.runIn(operator, ["ls", "-A", "/app/node_modules"])).split("\n");
    for (const dev of ["vitest", "typescript", "@biomejs", "node"]) expect(top).not.toContain(dev);
    expect(top).toContain("@kubernetes");
  });

  it("carries the operator and not the emulator, and the emulator's image the reverse", async () => {
    expect((await images.runIn(operator, ["ls", "/app/dist"])).split("\n")).not.toContain("emulator");
    expect(await images.runIn(emulator, ["ls", "/app/dist"])).toBe("emulator\n");
    expect((await images.config(emulatorImage)).Entrypoint).toEqual(["gaap-emulator"]);
  });

  it("starts the operator from the image: it syncs its caches and binds a listener", async () => {
    // As the Deployment mounts them: a kubeconfig and the credentials Secret's files, readable by UID 65532.
    const conf = join(dir, "conf");
    mkdirSync(conf);
    chmodSync(dir, 0o755);
    chmodSync(conf, 0o755);
    writeFileSync(join(conf, "kubeconfig"), kubeconfigYaml(s.c.info), { mode: 0o644 });
    writeFileSync(join(conf, "TENCENTCLOUD_SECRET_ID"), `${DEMO_CREDENTIAL.secretId}\n`, { mode: 0o644 });
    writeFileSync(join(conf, "TENCENTCLOUD_SECRET_KEY"), `${DEMO_CREDENTIAL.secretKey}\n`, { mode: 0o644 });
    const proc = group.start(
      "operator",
      ...images.runCommand(
        operator,
        [
          "gaap-operator",
          "--kubeconfig",
          "/etc/gaap-operator/kubeconfig",
          "--gaap-endpoint",
          s.emu.url,
          "--watch-namespace",
          s.ns,
          "--credentials",
          "file",
          "--credentials-dir",
          "/etc/gaap-operator",
          "--verify-interval",
          "2s",
          ...LOOPBACK,
        ],
        [`${conf}:/etc/gaap-operator:ro`],
      ),
    );
    await eventually(() => expect(proc.tail(200)).toContain("caches synced; starting workers"), {
      what: "the operator in the image synced its caches",
      timeoutMs: 60_000,
    });
    // Grants are required by default, as installed: this namespace may bind the listener.
    await grants.create(`${s.ns}-image`, { namespaces: [s.ns], targets: [{ listenerId: L.wrr }] });
    await createWeb(s, 2);
    await s.bindings.create("web", { listenerId: L.wrr });
    await untilBound(s, L.wrr, 8080, { count: 2 });
    expect(proc.running).toBe(true);
    // As a kubelet stops it: SIGTERM to the entrypoint's process (buildah itself would kill it on a signal of its own).
    process.kill(entrypointPid(proc.pid, "gaap-operator"), "SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(proc.tail(20)).toContain('"msg":"stopped"');
    expect(readFileSync(proc.logPath, "utf8")).not.toContain(DEMO_CREDENTIAL.secretKey);
  });

  it("starts the emulator from its image: its health endpoint and the SDK answer", async () => {
    const port = await freePort();
    const proc = group.start(
      "emulator",
      ...images.runCommand(emulator, ["gaap-emulator", "--host", "127.0.0.1", "--port", String(port)]),
    );
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => expect((await fetch(`${url}/_emulator/healthz`)).status).toBe(200), {
      what: "the emulator in the image answers its health check",
      timeoutMs: 60_000,
    });
    // Signed with the demo credential its default account accepts, and answered from that account.
    const answer = await gaapClient(url).DescribeTCPListeners({ ProxyId: "link-aaaa1111" });
    expect(answer.ListenerSet?.map((l) => l.ListenerId)).toContain("listener-aaaa1111");
    await proc.stop();
  });
});
