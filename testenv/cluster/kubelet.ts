// Plays the kubelet for a control plane that has none: registers Nodes with fake InternalIP/ExternalIP addresses
// and a Ready condition, brings scheduled pods to Running/Ready with a fake pod IP after a delay, honours readiness
// gates, and keeps deleted pods terminating for their grace period before removing them.
//
// Every address here is fake (RFC 5737 documentation ranges for nodes, 10.244/16 pod IPs, 198.18/15 pod public IPs): nothing may connect to them.
//
// Per-pod knobs, as pod annotations:
//   sim.gaap.operator.dev/start-delay-ms      delay before the pod is Running and Ready (default: options.startDelayMs)
//   sim.gaap.operator.dev/never-ready         "true": Running but never Ready
//   sim.gaap.operator.dev/exit-after-ms       on deletion, exit this long after SIGTERM (after any preStop sleep)
//                                             instead of at the end of the grace period
//   sim.gaap.operator.dev/sigterm-at          set by the simulator: when the terminating pod's containers got SIGTERM
//   sim.gaap.operator.dev/public-ip-annotation  set this annotation on the pod to a fake public IP when it starts
import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1Pod,
  type V1PodCondition,
} from "@kubernetes/client-node";

import { nodeObject, nodeStatus, type SimNodeSpec } from "./sim-nodes.ts";

export const SIM = "sim.gaap.operator.dev";

/** The grace cap the test suite runs its kubelet with, so a default 30 s grace does not slow every test. */
export const TEST_MAX_GRACE_MS = 5_000;

export interface KubeletOptions {
  /** Delay between a pod being scheduled and it being Running and Ready. */
  startDelayMs?: number;
  /**
   * Upper bound on a terminating pod's grace period, so a default 30 s grace does not slow every test. None by
   * default: what users run by hand (npm run cluster, the demo) honours the grace period and the hold as a kubelet
   * does; the test suite sets it.
   */
  maxGraceMs?: number;
  /** Nodes to register at start. */
  nodes?: SimNodeSpec[];
  /** Called when a terminating pod's containers get SIGTERM (after its preStop hook): the app stops serving. */
  onSigterm?: (podKey: string, at: number) => void;
}

/** The kubelet's minimumGracePeriodInSeconds: what is left for the app after preStop is never less. */
const MIN_GRACE_MS = 2000;

const strategic = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

export class KubeletSimulator {
  private readonly core: CoreV1Api;
  private readonly pods: ReturnType<typeof makeInformer<V1Pod>>;
  private readonly opts: Required<Omit<KubeletOptions, "nodes" | "onSigterm">> &
    Pick<KubeletOptions, "onSigterm"> & { nodes: SimNodeSpec[] };
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<string>();
  private readonly deleting = new Set<string>();
  private readonly podIPs = new Map<string, string>();
  private readonly usedIPs = new Set<string>();
  private readonly nodeIndex = new Map<string, number>();
  private readonly cursor = new Map<string, number>();
  private stopped = false;

  constructor(kc: KubeConfig, opts: KubeletOptions = {}) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.opts = { startDelayMs: 200, maxGraceMs: Number.POSITIVE_INFINITY, nodes: [], ...opts };
    // client-node's own informer, not the operator's: the world the operator is tested in shares no code with it.
    this.pods = makeInformer<V1Pod>(kc, "/api/v1/pods", () => this.core.listPodForAllNamespaces());
    this.pods.on("add", (p) => this.observe(p));
    this.pods.on("update", (p) => this.observe(p));
    this.pods.on("delete", (p) => this.forget(p));
    // client-node's informer stops on an error; it is started again after a second, as its README shows.
    this.pods.on("error", (err) => {
      if (this.stopped) return;
      console.error(`kubelet simulator: pod watch: ${String(err)}`);
      setTimeout(() => {
        if (!this.stopped) this.pods.start().catch(() => {});
      }, 1000).unref();
    });
  }

  async start(): Promise<void> {
    for (const n of this.opts.nodes) await this.addNode(n);
    await this.pods.start();
  }

  stop(): void {
    this.stopped = true;
    void this.pods.stop();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Registers a Node with addresses and a Ready condition, or updates one registered before. */
  async addNode(spec: SimNodeSpec): Promise<V1Node> {
    const idx = this.indexOf(spec.name);
    const body = nodeObject(spec);
    try {
      await this.core.createNode({ body });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      await this.core.patchNode({ name: spec.name, body }, strategic);
    }
    await this.core.patchNodeStatus({ name: spec.name, body: { status: nodeStatus(spec, idx) } }, strategic);
    // The TaintNodesByCondition admission plugin taints every new Node not-ready; with no node lifecycle
    // controller running, the simulator lifts it as that controller would once the node is Ready.
    return this.core.patchNode(
      { name: spec.name, body: { spec: { taints: spec.taints ?? [] } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  private indexOf(nodeName: string): number {
    let idx = this.nodeIndex.get(nodeName);
    if (idx === undefined) {
      idx = this.nodeIndex.size + 1;
      this.nodeIndex.set(nodeName, idx);
    }
    return idx;
  }

  private observe(pod: V1Pod): void {
    if (this.stopped) return;
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    if (pod.metadata?.deletionTimestamp) {
      this.scheduleDeletion(pod);
      return;
    }
    if (!pod.status?.podIP) {
      if (this.timers.has(key)) return;
      const delay = Number(annotation(pod, "start-delay-ms") ?? this.opts.startDelayMs);
      this.schedule(key, delay, () => this.startPod(key));
      return;
    }
    // Running: keep the Ready condition in step with readiness gates set by controllers.
    const want = readyStatus(pod);
    const have = condition(pod, "Ready")?.status;
    if (want !== have) this.run(key, () => this.setReady(pod, want));
  }

  private forget(pod: V1Pod): void {
    const key = podKey(pod);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.deleting.delete(key);
    const ip = this.podIPs.get(key);
    if (ip) this.usedIPs.delete(ip);
    this.podIPs.delete(key);
  }

  private schedule(key: string, delayMs: number, fn: () => Promise<void>): void {
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.run(key, fn);
      }, delayMs),
    );
  }

  /** One write per pod at a time; a failed write is retried on the pod's next event or after a second. */
  private run(key: string, fn: () => Promise<void>): void {
    if (this.inFlight.has(key) || this.stopped) return;
    this.inFlight.add(key);
    fn()
      .catch((err) => {
        const code = (err as { code?: number }).code;
        if (code === 404 || this.stopped) return;
        setTimeout(() => {
          const pod = this.lookup(key);
          if (pod) this.observe(pod);
        }, 1000).unref();
      })
      .finally(() => this.inFlight.delete(key));
  }

  private lookup(key: string): V1Pod | undefined {
    const [namespace, name] = key.split("/");
    return this.pods.get(name as string, namespace);
  }

  private async startPod(key: string): Promise<void> {
    const pod = this.lookup(key);
    if (!pod || pod.metadata?.deletionTimestamp || pod.status?.podIP) return;
    const nodeName = pod.spec?.nodeName as string;
    const ip = this.allocateIP(key, nodeName);
    const now = new Date().toISOString();
    const ready = readyStatus(pod, true);
    const conditions: V1PodCondition[] = [
      { type: "PodScheduled", status: "True" },
      { type: "Initialized", status: "True" },
      { type: "ContainersReady", status: containersReady(pod) ? "True" : "False" },
      { type: "Ready", status: ready },
    ].map((c) => ({ ...c, lastTransitionTime: now as unknown as Date }));
    const publicIPAnnotation = annotation(pod, "public-ip-annotation");
    if (publicIPAnnotation) {
      const [, , third, fourth] = ip.split(".");
      await this.core.patchNamespacedPod(
        {
          name: pod.metadata?.name as string,
          namespace: pod.metadata?.namespace as string,
          // 198.18.0.0/15 is reserved for network testing (RFC 2544): fake, never connected to.
          body: { metadata: { annotations: { [publicIPAnnotation]: `198.18.${third}.${fourth}` } } },
        },
        strategic,
      );
    }
    await this.core.patchNamespacedPodStatus(
      {
        name: pod.metadata?.name as string,
        namespace: pod.metadata?.namespace as string,
        body: {
          status: {
            phase: "Running",
            podIP: ip,
            podIPs: [{ ip }],
            hostIP: this.hostIP(nodeName),
            startTime: now,
            conditions,
            containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
              name: c.name,
              image: c.image ?? "",
              imageID: "",
              ready: containersReady(pod),
              restartCount: 0,
              started: true,
              state: { running: { startedAt: now } },
            })),
          },
        },
      },
      strategic,
    );
  }

  private async setReady(pod: V1Pod, status: string): Promise<void> {
    await this.core.patchNamespacedPodStatus(
      {
        name: pod.metadata?.name as string,
        namespace: pod.metadata?.namespace as string,
        body: {
          status: {
            conditions: [{ type: "Ready", status, lastTransitionTime: new Date().toISOString() }],
          },
        },
      },
      strategic,
    );
  }

  /**
   * Deletion as the kubelet carries it out (pkg/kubelet/kuberuntime/kuberuntime_container.go, killContainer and
   * executePreStopHook, Kubernetes 1.35): grace is deletionGracePeriodSeconds, else terminationGracePeriodSeconds;
   * the preStop hook runs for at most the grace, and starts as soon as the kubelet sees the deletion, while the
   * EndpointSlice controller marks the endpoint terminating (neither waits for the other); then grace -= the hook's
   * duration, raised to a floor of 2 s (minimumGracePeriodInSeconds), and StopContainer sends SIGTERM and kills
   * at the end of what is left. The app exits exit-after-ms after SIGTERM if that is sooner. Only the sleep action
   * runs here (exec and httpGet hooks count as instant). maxGraceMs, where a test sets it, caps the whole.
   */
  private scheduleDeletion(pod: V1Pod): void {
    const key = podKey(pod);
    if (this.deleting.has(key)) return;
    this.deleting.add(key);
    clearTimeout(this.timers.get(key));
    const graceMs =
      (pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    const sleeps = (pod.spec?.containers ?? []).map((c) => Number(c.lifecycle?.preStop?.sleep?.seconds ?? 0));
    const hookMs = Math.min(Math.max(0, ...sleeps) * 1000, graceMs);
    const leftMs = Math.max(MIN_GRACE_MS, graceMs - hookMs);
    const exitAfter = annotation(pod, "exit-after-ms");
    const exitMs = Math.min(exitAfter === undefined ? leftMs : Number(exitAfter), leftMs);
    // The kubelet starts the hook when it sees the deletion (SyncTerminatingPod), so the clock starts now.
    const sigtermIn = Math.min(hookMs, this.opts.maxGraceMs);
    const goneIn = Math.min(hookMs + exitMs, this.opts.maxGraceMs);
    const sigterm = setTimeout(() => void this.sigterm(pod, key), Math.max(0, sigtermIn));
    sigterm.unref();
    this.schedule(key, Math.max(0, goneIn), async () => {
      try {
        await this.core.deleteNamespacedPod({
          name: pod.metadata?.name as string,
          namespace: pod.metadata?.namespace as string,
          gracePeriodSeconds: 0,
        });
      } catch (err) {
        this.deleting.delete(key); // let the retry schedule it again
        throw err;
      }
    });
  }

  /** Notes SIGTERM on the terminating pod (annotation sigterm-at, ms since the epoch) and tells onSigterm. */
  private async sigterm(pod: V1Pod, key: string): Promise<void> {
    const at = Date.now();
    this.opts.onSigterm?.(key, at);
    await this.core
      .patchNamespacedPod(
        {
          name: pod.metadata?.name as string,
          namespace: pod.metadata?.namespace as string,
          body: { metadata: { annotations: { [`${SIM}/sigterm-at`]: String(at) } } },
        },
        strategic,
      )
      .catch(() => {}); // the pod may be gone already
  }

  private allocateIP(key: string, nodeName: string): string {
    const existing = this.podIPs.get(key);
    if (existing) return existing;
    const idx = this.indexOf(nodeName);
    // A /22 per node: 10.244.(4*idx .. 4*idx+3).(2..251), handed out round-robin (as CNIs do) so a freed
    // address is not reused at once.
    const start = this.cursor.get(nodeName) ?? 0;
    for (let j = 0; j < 1000; j++) {
      const i = (start + j) % 1000;
      const ip = `10.244.${(idx * 4 + Math.floor(i / 250)) % 256}.${2 + (i % 250)}`;
      if (!this.usedIPs.has(ip)) {
        this.cursor.set(nodeName, i + 1);
        this.usedIPs.add(ip);
        this.podIPs.set(key, ip);
        return ip;
      }
    }
    throw new Error(`no pod IPs left on ${nodeName}`);
  }

  private hostIP(nodeName: string): string {
    return `192.0.2.${this.indexOf(nodeName)}`;
  }
}

function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function annotation(pod: V1Pod, name: string): string | undefined {
  return pod.metadata?.annotations?.[`${SIM}/${name}`];
}

function condition(pod: V1Pod, type: string): V1PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

function containersReady(pod: V1Pod): boolean {
  return annotation(pod, "never-ready") !== "true";
}

/** Ready as the kubelet computes it: containers ready and every readiness gate's condition True. */
function readyStatus(pod: V1Pod, starting = false): "True" | "False" {
  if (!containersReady(pod)) return "False";
  if (!starting && condition(pod, "ContainersReady")?.status !== "True") return "False";
  const gates = pod.spec?.readinessGates ?? [];
  return gates.every((g) => condition(pod, g.conditionType)?.status === "True") ? "True" : "False";
}
