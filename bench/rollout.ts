// Rollout: does a rolling update outrun GAAP? A Deployment of 20 pods, the default strategy (maxSurge and
// maxUnavailable 25%), pods ready 1 s after they start and exiting 0.3 s after SIGTERM, under three configurations:
// nothing, the readiness gate only, and gate + termination hold (the webhook's default hold), each at task times
// of 2 s and 10 s. Every 200 ms it compares GAAP's applied set (the emulator's, in process: no read budget spent)
// with the pods: how many origins GAAP has on live pods, and how many on pods that got SIGTERM or are gone.
import { AdmissionregistrationV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { normalizeState } from "../src/emulator/state.ts";
import { Informer } from "../src/kube/informer.ts";
import { INJECT_LABEL } from "../src/webhook/mutate.ts";
import { SIM } from "../test/harness/kubelet.ts";
import { Bindings } from "../test/support/bindings.ts";
import { servingCert } from "../test/support/certs.ts";
import { DEMO_CREDENTIAL } from "../test/support/gaap.ts";
import { freePort } from "../test/support/net.ts";
import { loopbackWebhook, loopbackWebhookArgs } from "../test/support/webhook.ts";
import { deployment, service } from "../test/support/workload.ts";
import { type Bench, bench, log, round, table, until, writeResult } from "./lib.ts";
import { mergePatch } from "./web.ts";

const REPLICAS = Number(process.env.BENCH_ROLLOUT_REPLICAS ?? 20);
const SURGE = Math.ceil(REPLICAS * 0.25);
const UNAVAILABLE = Math.floor(REPLICAS * 0.25);
const ALL_CONFIGS = ["nothing", "gate", "gate+hold"] as const;
type Config = (typeof ALL_CONFIGS)[number];
// BENCH_ROLLOUT_TASKS=2000,10000 and BENCH_ROLLOUT_CONFIGS=nothing,gate,gate+hold pick some (all by default).
const TASKS_MS = (process.env.BENCH_ROLLOUT_TASKS ?? "2000,10000").split(",").map(Number);
const CONFIGS = ALL_CONFIGS.filter((c) =>
  (process.env.BENCH_ROLLOUT_CONFIGS ?? ALL_CONFIGS.join(",")).split(",").includes(c),
);
const SAMPLE_MS = 200;
/** A bind's round trip to GAAP and back through the operator, for the floor: measured below, this is a floor of it. */
const RTT_FLOOR_MS = 100;

interface Row {
  taskMs: number;
  config: Config;
  steps: number;
  durationS: number;
  floorS: number;
  overFloor: number;
  fewestLive: number;
  promised: number;
  belowPromisedS: number;
  deadOriginSeconds: number;
  mostDeadAtOnce: number;
}

export async function rollout(): Promise<void> {
  const listeners = TASKS_MS.flatMap((t) => CONFIGS.map((c) => listenerOf(t, c)));
  if (listeners.length === 0) throw new Error("BENCH_ROLLOUT_TASKS / BENCH_ROLLOUT_CONFIGS pick nothing");
  const sigterms = new Map<string, number>();
  const b = await bench(
    normalizeState({
      credentials: [DEMO_CREDENTIAL],
      proxies: [{ proxyId: "link-bench0001" }],
      listeners: listeners.map((listenerId, i) => ({
        listenerId,
        proxyId: "link-bench0001",
        protocol: "TCP",
        port: 80 + i,
        scheduler: "wrr",
      })),
      behavior: { bindTaskMs: TASKS_MS[0] },
    }),
    { startDelayMs: 1000, maxGraceMs: 120_000, onSigterm: (key, at) => sigterms.set(key, at) },
  );
  const rows: Row[] = [];
  try {
    const cert = await servingCert();
    const port = await freePort();
    const op = b.operator([...loopbackWebhookArgs(port, cert.dir), "--busy-poll", "250ms"]).start();
    await until("webhook serving", 60_000, async () =>
      op.logs().some((l) => l.msg === "serving the pod admission webhook"),
    );
    await b.kc.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
      body: loopbackWebhook({ name: "gaap-operator-bench", port, caPem: cert.caPem }),
    });

    for (const taskMs of TASKS_MS) {
      await fetch(`${b.emu.url}/_emulator/behavior`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ bindTaskMs: taskMs }),
      });
      for (const config of CONFIGS) rows.push(await run(b, taskMs, config, sigterms));
    }
  } finally {
    await b.close();
  }
  writeResult("rollout", {
    scenario: "rollout",
    replicas: REPLICAS,
    surge: SURGE,
    unavailable: UNAVAILABLE,
    rows,
  });
  for (const taskMs of TASKS_MS) {
    const mine = rows.filter((r) => r.taskMs === taskMs);
    console.log(
      `\nRollout (${REPLICAS} pods, maxSurge ${SURGE}, maxUnavailable ${UNAVAILABLE}, T = ${taskMs} ms)\n${table(
        mine.flatMap((r) => [
          [
            `${r.config}: rollout (s) / floor (${r.steps} steps)`,
            `${r.durationS} / ${r.floorS} = ${r.overFloor}`,
          ],
          [`${r.config}: fewest live origins / promised`, `${r.fewestLive} / ${r.promised}`],
          [`${r.config}: time below promised (s)`, r.belowPromisedS],
          [`${r.config}: origin-seconds on SIGTERMed or gone pods`, r.deadOriginSeconds],
          [`${r.config}: most such at once`, r.mostDeadAtOnce],
        ]),
      )}`,
    );
  }
  const held = rows.filter((r) => r.config === "gate+hold");
  const met = held.every(
    (r) => r.fewestLive >= r.promised && r.deadOriginSeconds === 0 && r.overFloor <= 1.3,
  );
  console.log(
    `  targets (gate+hold: never below promised, 0 dead origin-seconds, <= 1.3 x floor) met: ${met}`,
  );
}

function listenerOf(taskMs: number, config: Config): string {
  return `listener-r${String(taskMs / 1000).padStart(2, "0")}${config === "nothing" ? "none" : config === "gate" ? "gate" : "hold"}`;
}

async function run(b: Bench, taskMs: number, config: Config, sigterms: Map<string, number>): Promise<Row> {
  const ns = `rollout-${taskMs / 1000}s-${config.replace("+", "-")}`;
  const listenerId = listenerOf(taskMs, config);
  log(`rollout: T=${taskMs} ms, ${config}`);
  const core = b.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({
    body: {
      metadata: { name: ns, labels: config === "nothing" ? {} : { [INJECT_LABEL.key]: INJECT_LABEL.value } },
    },
  });
  const bindings = new Bindings(b.kc, ns);
  await bindings.create("web", {
    listenerId,
    ...(config === "gate" ? { terminationHoldSeconds: 0 } : {}),
  });
  await until("binding seen", 30_000, async () => !!(await bindings.get("web"))?.metadata.finalizers);
  await core.createNamespacedService({ namespace: ns, body: service("web") });
  const template = (generation: string) => ({
    annotations: {
      [`${SIM}/start-delay-ms`]: "1000",
      [`${SIM}/exit-after-ms`]: "300",
      "bench/generation": generation,
    },
    // Long enough that the grace period never cuts the hold or the app's exit short.
    terminationGracePeriodSeconds: 60,
  });
  await b.apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment("web", REPLICAS, template("0")),
  });
  const pods = new Informer<V1Pod>(b.kc, {
    name: `bench-pods-${ns}`,
    path: `/api/v1/namespaces/${ns}/pods`,
    list: () => core.listNamespacedPod({ namespace: ns }),
    modelType: "V1Pod",
  });
  pods.start();
  await pods.synced;
  const applied = () => {
    const snap = b.emu.snapshot();
    const ips = new Map(snap.realServers.map((r) => [r.realServerId, r.ip]));
    return snap.bindings
      .filter((x) => x.listenerId === listenerId)
      .map((x) => ips.get(x.realServerId) as string);
  };
  /** Pods by IP: live (running, no SIGTERM yet) or dead (SIGTERMed); an IP with no pod is a gone pod. */
  const podsByIp = () => {
    const out = new Map<string, "live" | "dead">();
    for (const p of pods.list(ns)) {
      const ip = p.status?.podIP;
      if (!ip) continue;
      out.set(ip, sigterms.has(`${ns}/${p.metadata?.name}`) ? "dead" : "live");
    }
    return out;
  };
  const converged = async (generation: string) => {
    const d = await b.apps.readNamespacedDeployment({ name: "web", namespace: ns });
    const done =
      d.status?.observedGeneration === d.metadata?.generation &&
      d.status?.updatedReplicas === REPLICAS &&
      d.status?.availableReplicas === REPLICAS &&
      d.status?.replicas === REPLICAS;
    if (!done) return false;
    const current = pods
      .list(ns)
      .filter(
        (p) => p.metadata?.annotations?.["bench/generation"] === generation && !p.metadata?.deletionTimestamp,
      )
      .map((p) => p.status?.podIP as string)
      .sort();
    const have = applied().sort();
    return current.length === REPLICAS && JSON.stringify(have) === JSON.stringify(current);
  };
  const roll = (generation: string) =>
    b.apps.patchNamespacedDeployment(
      {
        name: "web",
        namespace: ns,
        body: { spec: { template: { metadata: { annotations: { "bench/generation": generation } } } } },
      },
      mergePatch,
    );
  try {
    await until("initial convergence", 180_000, () => converged("0"), 200);
    // A warm-up rollout first: the pods the measured rollout replaces are then ones created after the operator
    // has seen this task time, as in a service long in production.
    await roll("1");
    await until("warm-up rollout", 300_000, () => converged("1"), 200);
    await until("warm-up pods gone", 300_000, async () => pods.list(ns).length === REPLICAS, 200);

    const started = Date.now();
    await roll("2");
    let fewestLive = REPLICAS;
    let belowMs = 0;
    let deadMs = 0;
    let mostDead = 0;
    const promised = REPLICAS - UNAVAILABLE;
    let done = false;
    while (!done) {
      const byIp = podsByIp();
      const set = applied();
      const live = set.filter((ip) => byIp.get(ip) === "live").length;
      const dead = set.length - live;
      fewestLive = Math.min(fewestLive, live);
      if (live < promised) belowMs += SAMPLE_MS;
      deadMs += dead * SAMPLE_MS;
      mostDead = Math.max(mostDead, dead);
      done = await converged("2");
      if (!done) await new Promise((r) => setTimeout(r, SAMPLE_MS));
      if (Date.now() - started > 600_000) throw new Error(`rollout ${ns} did not finish in 10 min`);
    }
    const durationMs = Date.now() - started;
    if (process.env.BENCH_DEBUG) {
      // Each new pod's timeline from the rollout's start: created, scheduled, containers ready, gate True.
      const at = (t: unknown) => (t ? ((new Date(t as string).getTime() - started) / 1000).toFixed(1) : "-");
      for (const p of pods.list(ns).filter((x) => x.metadata?.annotations?.["bench/generation"] === "2")) {
        const c = (type: string) => p.status?.conditions?.find((x) => x.type === type)?.lastTransitionTime;
        log(
          `  ${p.metadata?.name}: created ${at(p.metadata?.creationTimestamp)} scheduled ${at(c("PodScheduled"))} containers ready ${at(c("ContainersReady"))} gate ${at(c(`listener-bound.gaap.operator.dev/web`))}`,
        );
      }
    }
    // The floor: each step of a gated rollout waits for GAAP once (a bind round trip and its task). A step brings up
    // to maxSurge + maxUnavailable new pods (the Deployment controller starts that many before any is available),
    // and the last old pods' removal is one more bind.
    const steps = Math.ceil(REPLICAS / (SURGE + UNAVAILABLE)) + 1;
    const floorMs = steps * (RTT_FLOOR_MS + taskMs);
    return {
      taskMs,
      config,
      steps,
      durationS: round(durationMs / 1000, 1),
      floorS: round(floorMs / 1000, 1),
      overFloor: round(durationMs / floorMs, 2),
      fewestLive,
      promised,
      belowPromisedS: round(belowMs / 1000, 1),
      deadOriginSeconds: round(deadMs / 1000, 1),
      mostDeadAtOnce: mostDead,
    };
  } finally {
    pods.stop();
    await core.deleteNamespace({ name: ns }).catch(() => {});
  }
}
