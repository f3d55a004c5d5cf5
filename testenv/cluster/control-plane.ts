// A real Kubernetes control plane on loopback: etcd, kube-apiserver (TLS, token auth, RBAC),
// kube-controller-manager (endpointslice, deployment, replicaset, garbage collector, namespace) and kube-scheduler.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { type BinaryName, type BinaryPaths, ensureBinaries, type Log } from "./binaries.ts";
import { type ManagedProcess, ProcessGroup, RUN_DIR_PREFIX, reapStaleRuns } from "./processes.ts";

export const CONTROLLERS = [
  "endpointslice",
  "endpointslicemirroring",
  "deployment",
  "replicaset",
  "garbagecollector",
  "namespace",
  // Fills the built-in view, edit and admin roles from aggregated ClusterRoles (the operator ships two).
  "clusterrole-aggregation",
];

export interface ControlPlaneOptions {
  log?: Log;
  /** Start kube-controller-manager and kube-scheduler too (default true). */
  controllers?: boolean;
  /**
   * kube-controller-manager's `--endpointslice-updates-batch-period` (e.g. "1s"): pod changes within it reach the
   * EndpointSlice in one update, as on large clusters. Default: none, every change on its own.
   */
  endpointSliceBatchPeriod?: string;
  /**
   * Which binaries to build if missing (all by default). The demo asks for CONTROL_PLANE_BINARIES only, so its first
   * run does not build the release-path tools (helm, kustomize, actionlint), whose paths then name nothing yet.
   */
  binaries?: readonly BinaryName[];
}

/** What a client needs to reach a running control plane; also what globalSetup hands to test workers. */
export interface ClusterInfo {
  server: string;
  caPem: string;
  adminToken: string;
  kubeconfigPath: string;
  kubectl: string;
  /** The release-path tools, built beside the control plane. */
  helm: string;
  kustomize: string;
  actionlint: string;
  dir: string;
}

export class ControlPlane {
  readonly info: ClusterInfo;
  private readonly procs: ProcessGroup;
  private readonly bins: BinaryPaths;
  private readonly ports: { etcd: number; etcdPeer: number; apiserver: number };
  private readonly log: Log;
  private endpointSliceBatchPeriod: string | undefined;

  private constructor(
    procs: ProcessGroup,
    bins: BinaryPaths,
    ports: ControlPlane["ports"],
    info: ClusterInfo,
    log: Log,
  ) {
    this.procs = procs;
    this.bins = bins;
    this.ports = ports;
    this.info = info;
    this.log = log;
  }

  static async start(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const log = opts.log ?? (() => {});
    reapStaleRuns();
    const bins = await ensureBinaries(log, process.env, opts.binaries);
    const dir = await mkdtemp(join(tmpdir(), RUN_DIR_PREFIX));
    const procs = new ProcessGroup(dir);
    try {
      const ports = { etcd: await freePort(), etcdPeer: await freePort(), apiserver: await freePort() };
      await mkdir(join(dir, "pki"));
      const adminToken = randomBytes(24).toString("hex");
      await writeFile(join(dir, "tokens.csv"), `${adminToken},admin,admin-uid,"system:masters"\n`);
      const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
      await writeFile(join(dir, "pki", "sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }));
      await writeFile(join(dir, "pki", "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
      const info: ClusterInfo = {
        server: `https://127.0.0.1:${ports.apiserver}`,
        caPem: "",
        adminToken,
        kubeconfigPath: join(dir, "kubeconfig"),
        kubectl: bins.kubectl,
        helm: bins.helm,
        kustomize: bins.kustomize,
        actionlint: bins.actionlint,
        dir,
      };
      const cp = new ControlPlane(procs, bins, ports, info, log);
      await cp.startEtcd();
      await cp.startApiserver();
      // The apiserver writes a self-signed serving certificate followed by its CA into --cert-dir.
      info.caPem = await readFile(join(dir, "pki", "apiserver.crt"), "utf8");
      await writeFile(info.kubeconfigPath, kubeconfigYaml(info));
      if (opts.controllers !== false) {
        cp.endpointSliceBatchPeriod = opts.endpointSliceBatchPeriod;
        cp.startControllerManager();
        cp.startScheduler();
      }
      log(`control plane ready at ${info.server} (kubeconfig ${info.kubeconfigPath})`);
      return cp;
    } catch (err) {
      await procs.close(["kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"]);
      throw err;
    }
  }

  kubeConfig(): KubeConfig {
    return kubeConfigFor(this.info);
  }

  process(name: string): ManagedProcess | undefined {
    return this.procs.get(name);
  }

  async startEtcd(): Promise<void> {
    const { etcd, etcdPeer } = this.ports;
    const client = `http://127.0.0.1:${etcd}`;
    const peer = `http://127.0.0.1:${etcdPeer}`;
    const p = this.procs.start("etcd", this.bins.etcd, [
      `--data-dir=${join(this.info.dir, "etcd")}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      "--unsafe-no-fsync=true",
      "--log-level=warn",
      "--quota-backend-bytes=4294967296",
    ]);
    await waitFor("etcd", p, 30_000, async () => (await httpGet(`${client}/health`)).status === 200);
  }

  async startApiserver(): Promise<void> {
    const d = this.info.dir;
    const p = this.procs.start("kube-apiserver", this.bins["kube-apiserver"], [
      `--etcd-servers=http://127.0.0.1:${this.ports.etcd}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${this.ports.apiserver}`,
      `--cert-dir=${join(d, "pki")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${join(d, "pki", "sa.pub")}`,
      `--service-account-signing-key-file=${join(d, "pki", "sa.key")}`,
      `--token-auth-file=${join(d, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--allow-privileged=true",
      // As envtest does: no kubelet runs, so pods need no service-account token volumes.
      "--disable-admission-plugins=ServiceAccount",
      "--profiling=false",
    ]);
    await waitFor("kube-apiserver", p, 120_000, () => this.apiserverReady());
  }

  /** Whether the apiserver answers /readyz with 200 (it does not while etcd is away). */
  async apiserverReady(): Promise<boolean> {
    const res = await httpGet(`${this.info.server}/readyz`, this.info.adminToken).catch(() => undefined);
    return res?.status === 200;
  }

  startControllerManager(): void {
    const batchPeriod = this.endpointSliceBatchPeriod; // kept from start(), so a restart keeps it too
    this.procs.start("kube-controller-manager", this.bins["kube-controller-manager"], [
      `--kubeconfig=${this.info.kubeconfigPath}`,
      `--controllers=${CONTROLLERS.join(",")}`,
      "--leader-elect=false",
      "--secure-port=0",
      "--kube-api-qps=200",
      "--kube-api-burst=400",
      "--concurrent-service-endpoint-syncs=10",
      ...(batchPeriod ? [`--endpointslice-updates-batch-period=${batchPeriod}`] : []),
    ]);
  }

  startScheduler(): void {
    this.procs.start("kube-scheduler", this.bins["kube-scheduler"], [
      `--kubeconfig=${this.info.kubeconfigPath}`,
      "--leader-elect=false",
      "--secure-port=0",
    ]);
  }

  /** Stops the apiserver (for fault tests); `startApiserver` brings it back on the same port. */
  async stopApiserver(): Promise<void> {
    await this.procs.get("kube-apiserver")?.stop();
  }

  async stopEtcd(): Promise<void> {
    await this.procs.get("etcd")?.stop();
  }

  async stop(): Promise<void> {
    await this.procs.close(["kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"]);
    this.log("control plane stopped");
  }
}

export function kubeConfigFor(info: ClusterInfo, token = info.adminToken, user = "admin"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "local", server: info.server, caData: Buffer.from(info.caPem).toString("base64") }],
    users: [{ name: user, token }],
    contexts: [{ name: "local", cluster: "local", user }],
    currentContext: "local",
  });
  return kc;
}

export function kubeconfigYaml(info: ClusterInfo, token = info.adminToken, user = "admin"): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "local",
        cluster: {
          server: info.server,
          "certificate-authority-data": Buffer.from(info.caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "local", context: { cluster: "local", user } }],
    "current-context": "local",
  });
}

async function waitFor(
  name: string,
  proc: ManagedProcess,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`${name} exited during start-up:\n${proc.tail()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} was not ready within ${timeoutMs / 1000}s:\n${proc.tail()}`);
}

/** GET on loopback; TLS is not verified here because the CA does not exist until the apiserver made it. */
function httpGet(url: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === "https:" ? httpsRequest : httpRequest;
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const req = send(u, { headers, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
