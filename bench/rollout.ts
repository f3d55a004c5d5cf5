// Rollout: does a rolling update outrun GAAP? A Deployment of 20 pods, the default strategy (maxSurge and
// maxUnavailable 25%), pods ready 1 s after they start and exiting 0.3 s after SIGTERM. Warm rows: three
// configurations (nothing, the readiness gate only, and gate + termination hold: the webhook's default hold) at task
// times of 2 s and 10 s, measuring a second rollout. First-rollout rows: gate + hold at 2, 10 and 20 s, measuring the
// first rollout after the Deployment is created, by a freshly started operator that has seen no bind task anywhere
// (as a new user meets it). Every 200 ms it compares GAAP's applied set (the emulator's, in process: no read budget
// spent) with the pods: how many origins GAAP has on live pods, and how many on pods that got SIGTERM or are gone.
import { AdmissionregistrationV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { normalizeState } from "../emulator/account/state.ts";
import { INJECT_LABEL } from "../src/readiness/mutate.ts";
import { Informer } from "../src/watch/informer.ts";
import { Bindings } from "../testenv/bindings.ts";
import { servingCert } from "../testenv/certs.ts";
import { SIM } from "../testenv/cluster/kubelet.ts";
import { DEMO_CREDENTIAL } from "../testenv/gaap.ts";
import { freePort } from "../testenv/net.ts";
import type { OperatorProcess } from "../testenv/operator.ts";
import { loopbackWebhook, loopbackWebhookArgs } from "../testenv/webhook.ts";
import { deployment, service } from "../testenv/workload.ts";
import { type Bench, bench, log, round, table, until, writeResult } from "./lib.ts";
import { mergePatch } from "./web.ts";

const REPLICAS = Number(process.env.BENCH_ROLLOUT_REPLICAS ?? 20);
const SURGE = Math.ceil(REPLICAS * 0.25);
const UNAVAILABLE = Math.floor(REPLICAS * 0.25);
// gate+short-hold: the gate and a hold made too short on purpose (SHORT_HOLD_S, under a task), so the operator's
// overrun metric has something to count beside the benchmark's own count of dead origin-seconds.
const ALL_CONFIGS = ["nothing", "gate", "gate+hold", "gate+short-hold"] as const;
const SHORT_HOLD_S = 3;
type Config = (typeof ALL_CONFIGS)[number];
type Start = "first" | "warm";
// BENCH_ROLLOUT_TASKS=2000,10000 and BENCH_ROLLOUT_CONFIGS=nothing,gate,gate+hold,gate+short-hold pick warm rows
// (all by default);
// BENCH_ROLLOUT_FIRST_TASKS=2000,10000,20000 the first-rollout rows (gate + hold), "" none.
const list = (v: string | undefined, fallback: string) =>
  (v ?? fallback).split(",").filter(Boolean).map(Number);
const TASKS_MS = list(process.env.BENCH_ROLLOUT_TASKS, "2000,10000");
const FIRST_TASKS_MS = list(process.env.BENCH_ROLLOUT_FIRST_TASKS, "2000,10000,20000");
const CONFIGS = ALL_CONFIGS.filter((c) =>
  (process.env.BENCH_ROLLOUT_CONFIGS ?? ALL_CONFIGS.join(",")).split(",").includes(c),
);
/** The pods' own start (the simulator's start delay), part of every wave's floor. */
const POD_START_MS = 1000;
/** The grace periods the two kinds of row give their pods: the first rollout the Kubernetes default. */
const GRACE_S: Record<Start, number> = { first: 30, warm: 60 };

interface Case {
  taskMs: number;
  config: Config;
  start: Start;
}
const SAMPLE_MS = 200;
/** A bind's round trip to GAAP and back through the operator, for the floor: measured below, this is a floor of it. */
const RTT_FLOOR_MS = 100;

interface Row {
  taskMs: number;
  config: Config;
  start: Start;
  waves: number;
  durationS: number;
  floorS: number;
  overFloor: number;
  fewestLive: number;
  promised: number;
  belowPromisedS: number;
  deadOriginSeconds: number;
  mostDeadAtOnce: number;
  /** The operator's own count of the same (gaap_termination_hold_overrun_seconds_total, during the rollout). */
  overrunMetricSeconds: number;
  lateRemovalsMetric: number;
  /** The replaced pods' termination hold (s), fewest and most. */
  holdS: [number, number] | null;
  /** The least time the kubelet gave a replaced pod's app after SIGTERM (its grace less the hold). */
  appGraceS: number | null;
  /** The grace the replaced pods' owner set (the template's). */
  ownGraceS: number;
}

export async function rollout(): Promise<void> {
  // Warm rows first, by rising task time, on one operator, as they were first measured (its task estimate is
  // learnt across listeners, so a long task before a short one slows the short one's first reads); then each
  // first-rollout row on an operator of its own.
  const cases: Case[] = [
    ...TASKS_MS.flatMap((taskMs) => CONFIGS.map((config): Case => ({ taskMs, config, start: "warm" }))),
    ...FIRST_TASKS_MS.map((taskMs): Case => ({ taskMs, config: "gate+hold", start: "first" })),
  ];
  const listeners = cases.map(listenerOf);
  if (listeners.length === 0) throw new Error("BENCH_ROLLOUT_* pick nothing");
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
      behavior: { bindTaskMs: cases[0]?.taskMs },
    }),
    { startDelayMs: POD_START_MS, maxGraceMs: 700_000, onSigterm: (key, at) => sigterms.set(key, at) },
  );
  const rows: Row[] = [];
  try {
    const cert = await servingCert();
    const port = await freePort();
    const args = [...loopbackWebhookArgs(port, cert.dir), "--busy-poll", "250ms"];
    let op = await serving(b.operator(args).start());
    await b.kc.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
      body: loopbackWebhook({ name: "gaap-operator-bench", port, caPem: cert.caPem }),
    });

    for (const c of cases) {
      if (c.start === "first") {
        // As a new user meets it: no binding left from another row, and an operator that has seen no task.
        await until("earlier rows' namespaces gone", 300_000, async () => {
          const nss = await b.core.listNamespace();
          return !nss.items.some((n) => n.metadata?.name?.startsWith("rollout-"));
        });
        await op.stop();
        op = await serving(b.operator(args).start());
      }
      await fetch(`${b.emu.url}/_emulator/behavior`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ bindTaskMs: c.taskMs }),
      });
      rows.push(await run(b, op, c, sigterms));
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
  for (const start of ["first", "warm"] as const) {
    for (const taskMs of new Set(rows.filter((r) => r.start === start).map((r) => r.taskMs))) {
      const mine = rows.filter((r) => r.taskMs === taskMs && r.start === start);
      console.log(
        `\n${start === "first" ? "First rollout" : "Rollout after a warm-up"} (${REPLICAS} pods, maxSurge ${SURGE}, maxUnavailable ${UNAVAILABLE}, T = ${taskMs} ms)\n${table(
          mine.flatMap((r) => [
            [
              `${r.config}: rollout (s) / floor (${r.waves} waves)`,
              `${r.durationS} / ${r.floorS} = ${r.overFloor}`,
            ],
            [`${r.config}: fewest live origins / promised`, `${r.fewestLive} / ${r.promised}`],
            [`${r.config}: time below promised (s)`, r.belowPromisedS],
            [`${r.config}: origin-seconds on SIGTERMed or gone pods`, r.deadOriginSeconds],
            [`${r.config}: most such at once`, r.mostDeadAtOnce],
            [
              `${r.config}: overrun metric (origin-seconds, late removals)`,
              `${r.overrunMetricSeconds}, ${r.lateRemovalsMetric}`,
            ],
            [`${r.config}: replaced pods' hold (s)`, r.holdS ? r.holdS.join("-") : "none"],
            [`${r.config}: app's time after SIGTERM (s) / its own grace`, `${r.appGraceS} / ${r.ownGraceS}`],
          ]),
        )}`,
      );
    }
  }
  const held = rows.filter((r) => r.config === "gate+hold");
  const met = held.every(
    (r) =>
      r.fewestLive >= r.promised &&
      r.deadOriginSeconds === 0 &&
      r.overFloor <= 1.3 &&
      (r.appGraceS ?? 0) >= r.ownGraceS,
  );
  console.log(
    `  targets (gate+hold: never below promised, 0 dead origin-seconds, <= 1.3 x floor, the app's own grace) met: ${met}`,
  );
}

/** Waits until the operator's webhook serves (it needs synced caches to answer). */
async function serving(op: OperatorProcess): Promise<OperatorProcess> {
  await until("webhook serving", 60_000, async () =>
    op.logs().some((l) => l.msg === "serving the admission webhook"),
  );
  return op;
}

function listenerOf(c: Case): string {
  const config = { nothing: "none", gate: "gate", "gate+hold": "hold", "gate+short-hold": "shrt" }[c.config];
  return `listener-${c.start === "first" ? "f" : "r"}${String(c.taskMs / 1000).padStart(2, "0")}${config}`;
}

/** The operator's counters, from its /metrics. */
async function counters(op: OperatorProcess, names: string[]): Promise<number[]> {
  const body = await (await fetch(`${op.urls()[0]}/metrics`)).text();
  return names.map((name) =>
    Number(
      body
        .split("\n")
        .find((l) => l.startsWith(`${name} `))
        ?.split(" ")
        .at(-1) ?? Number.NaN,
    ),
  );
}

const OVERRUN = ["gaap_termination_hold_overrun_seconds_total", "gaap_termination_hold_late_removals_total"];

/** The overrun counters once they stopped moving: two reads a task and a poll apart agree (within 2 minutes). */
async function settled(op: OperatorProcess, taskMs: number): Promise<number[]> {
  let last = await counters(op, OVERRUN);
  const deadline = Date.now() + 120_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, taskMs + 1000));
    const now = await counters(op, OVERRUN);
    if (JSON.stringify(now) === JSON.stringify(last) || Date.now() > deadline) return now;
    last = now;
  }
}

async function run(b: Bench, op: OperatorProcess, c: Case, sigterms: Map<string, number>): Promise<Row> {
  const { taskMs, config, start } = c;
  const ns = `rollout-${start}-${taskMs / 1000}s-${config.replace("+", "-")}`;
  const listenerId = listenerOf(c);
  log(`rollout: T=${taskMs} ms, ${config}, ${start}`);
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
    ...(config === "gate+short-hold" ? { terminationHoldSeconds: SHORT_HOLD_S } : {}),
  });
  await until("binding seen", 30_000, async () => !!(await bindings.get("web"))?.metadata.finalizers);
  await core.createNamespacedService({ namespace: ns, body: service("web") });
  const template = (generation: string) => ({
    annotations: {
      [`${SIM}/start-delay-ms`]: "1000",
      [`${SIM}/exit-after-ms`]: "300",
      "bench/generation": generation,
    },
    // The first rollout: Kubernetes' default, as a new user has it (the webhook raises it by the hold). The warm
    // rows keep the 60 s they were first measured with.
    terminationGracePeriodSeconds: GRACE_S[start],
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
    // Warm rows roll once first: the pods the measured rollout replaces are then ones created after the operator
    // has seen this task time, as in a service long in production. A first rollout replaces the pods created with
    // the Deployment, before any task was seen.
    const [before, next] = start === "warm" ? ["1", "2"] : ["0", "1"];
    if (start === "warm") {
      await roll("1");
      await until("warm-up rollout", 300_000, () => converged("1"), 200);
      await until("warm-up pods gone", 700_000, async () => pods.list(ns).length === REPLICAS, 200);
    }
    const replaced = pods.list(ns).filter((p) => p.metadata?.annotations?.["bench/generation"] === before);
    const holds = replaced.map((p) => Number(p.spec?.containers[0]?.lifecycle?.preStop?.sleep?.seconds ?? 0));
    // The operator measures a removal when it next reads the listener after the task: let the warm-up's settle.
    const [overrunBefore, lateBefore] = await settled(op, taskMs);
    /** The replaced pods' grace as the kubelet takes it at deletion, less the hold: the app's time after SIGTERM. */
    const appGrace = new Map<string, number>();

    const started = Date.now();
    await roll(next);
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
      for (const p of pods.list(ns)) {
        const name = p.metadata?.name as string;
        // Grace 0 is the kubelet's final removal of a pod that has exited, not the grace it was deleted with.
        const grace = p.metadata?.deletionGracePeriodSeconds ?? p.spec?.terminationGracePeriodSeconds ?? 30;
        if (!p.metadata?.deletionTimestamp || appGrace.has(name) || grace === 0) continue;
        const sleep = Number(p.spec?.containers[0]?.lifecycle?.preStop?.sleep?.seconds ?? 0);
        appGrace.set(name, Math.max(2, grace - Math.min(sleep, grace)));
      }
      done = await converged(next);
      if (!done) await new Promise((r) => setTimeout(r, SAMPLE_MS));
      if (Date.now() - started > 600_000) throw new Error(`rollout ${ns} did not finish in 10 min`);
    }
    const durationMs = Date.now() - started;
    if (process.env.BENCH_DEBUG) {
      // Each new pod's timeline from the rollout's start: created, scheduled, containers ready, gate True.
      const at = (t: unknown) => (t ? ((new Date(t as string).getTime() - started) / 1000).toFixed(1) : "-");
      for (const p of pods.list(ns).filter((x) => x.metadata?.annotations?.["bench/generation"] === next)) {
        const c = (type: string) => p.status?.conditions?.find((x) => x.type === type)?.lastTransitionTime;
        log(
          `  ${p.metadata?.name}: created ${at(p.metadata?.creationTimestamp)} scheduled ${at(c("PodScheduled"))} containers ready ${at(c("ContainersReady"))} gate ${at(c(`listener-bound.gaap.operator.dev/web`))}`,
        );
      }
    }
    // The floor: a gated rollout's wave of up to maxSurge + maxUnavailable new pods (the Deployment controller starts
    // that many before any is available) starts, then one bind applies it (a round trip and its task); the last old
    // pods' removal is one more bind.
    const waves = Math.ceil(REPLICAS / (SURGE + UNAVAILABLE));
    const floorMs = waves * (POD_START_MS + RTT_FLOOR_MS + taskMs) + RTT_FLOOR_MS + taskMs;
    const [overrunAfter, lateAfter] = await settled(op, taskMs);
    return {
      taskMs,
      config,
      start,
      waves,
      durationS: round(durationMs / 1000, 1),
      floorS: round(floorMs / 1000, 1),
      overFloor: round(durationMs / floorMs, 2),
      fewestLive,
      promised,
      belowPromisedS: round(belowMs / 1000, 1),
      deadOriginSeconds: round(deadMs / 1000, 1),
      mostDeadAtOnce: mostDead,
      overrunMetricSeconds: round((overrunAfter ?? 0) - (overrunBefore ?? 0), 1),
      lateRemovalsMetric: (lateAfter ?? 0) - (lateBefore ?? 0),
      holdS: holds.length > 0 ? [Math.min(...holds), Math.max(...holds)] : null,
      appGraceS: appGrace.size > 0 ? Math.min(...appGrace.values()) : null,
      ownGraceS: GRACE_S[start],
    };
  } finally {
    pods.stop();
    await core.deleteNamespace({ name: ns }).catch(() => {});
  }
}
