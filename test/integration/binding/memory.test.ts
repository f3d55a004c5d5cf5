// After a busy run, deleting every binding leaves nothing of them in the operator's memory: not in KeyedMemory
// (where every per-binding store lives, forgotten in one call), and not anywhere else the operator can reach. The
// second check walks the whole object graph of the operator, as the process wires it, looking for the bindings'
// keys and uids in every Map, Set, array and object, so a store kept outside KeyedMemory fails this test.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.ts";
import { Metrics } from "../../../src/metrics.ts";
import { Operator } from "../../../src/operator.ts";
import { DEMO_CREDENTIAL } from "../../../testenv/gaap.ts";
import { FAST } from "../../../testenv/operator.ts";
import { deployment, service } from "../../../testenv/workload.ts";
import { eventually } from "../../support/eventually.ts";
import { L, mergePatch, type Scenario, scenario, untilBound } from "../../support/scenario.ts";

/**
 * Where a needle is kept: Map keys and values, Set members, array items, object keys and string values, reached
 * from the roots. Functions' closures cannot be walked; the roots name what they would hide (the metrics).
 */
function kept(roots: Record<string, unknown>, needles: string[], skip: ReadonlySet<unknown>): string[] {
  const found: string[] = [];
  const seen = new WeakSet<object>();
  const stack: Array<[unknown, string]> = Object.entries(roots).map(([k, v]) => [v, k]);
  const match = (s: string) => needles.some((n) => s.includes(n));
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === "string") {
      if (match(v)) found.push(`${path} = ${v.slice(0, 80)}`);
      continue;
    }
    if (v === null || typeof v !== "object" || skip.has(v) || seen.has(v)) continue;
    seen.add(v);
    // Sockets, buffers and the like hold no state of ours, and are large.
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || OPAQUE.has(v.constructor?.name ?? "")) continue;
    if (v instanceof Map) {
      for (const [k, x] of v) {
        if (typeof k === "string" && match(k)) found.push(`${path} has key ${k}`);
        stack.push([x, `${path}.get(${String(k).slice(0, 40)})`]);
      }
      continue;
    }
    if (v instanceof Set) {
      for (const x of v) stack.push([x, `${path} member`]);
      continue;
    }
    for (const k of Object.keys(v)) {
      if (match(k)) found.push(`${path} has property ${k}`);
      stack.push([(v as Record<string, unknown>)[k], `${path}.${k}`]);
    }
  }
  return found;
}
const OPAQUE = new Set([
  "Socket",
  "TLSSocket",
  "Agent",
  "ClientRequest",
  "IncomingMessage",
  "Timeout",
  "Worker",
]);

describe("the operator's memory after its bindings are gone", () => {
  let s: Scenario;
  let op: Operator;
  let metrics: Metrics;
  const names = ["memo-a", "memo-b", "memo-c", "memo-conflict", "memo-noservice"];

  beforeAll(async () => {
    s = await scenario("memory", { start: false });
    const parsed = parseConfig([
      "--kubeconfig",
      s.c.info.kubeconfigPath,
      "--gaap-endpoint",
      s.emu.url,
      "--watch-namespace",
      s.ns,
      ...FAST,
    ]);
    if (parsed.action !== "run") throw new Error("the flags did not parse to a run");
    metrics = new Metrics();
    op = new Operator({
      config: parsed.config,
      kc: s.c.kc,
      credential: { getCredential: async () => DEMO_CREDENTIAL },
      log: pino({ level: "silent" }),
      identity: "memory-test",
      metrics,
      canWrite: () => true,
    });
    op.start();
    await op.startControllers();
  });

  afterAll(async () => {
    await op?.stopControllers(5000);
    op?.stopSources();
    await s?.close();
  });

  it("keeps no key of a deleted binding in any store, nor anywhere else it can reach", async () => {
    const listeners = [L.wrr, L.wrr2, L.rr];
    for (const [i, name] of names.slice(0, 3).entries()) {
      await s.c.core.createNamespacedService({ namespace: s.ns, body: service(name) });
      await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: deployment(name, 3) });
      await s.bindings.create(name, { listenerId: listeners[i] as string, serviceRef: { name, port: 80 } });
    }
    // A second binding on a held listener (a conflict), and one whose Service never exists (desired set unknown).
    await s.bindings.create("memo-conflict", { listenerId: L.wrr, serviceRef: { name: "memo-a", port: 80 } });
    await s.bindings.create("memo-noservice", {
      listenerId: L.udp,
      serviceRef: { name: "nothing", port: 53 },
    });
    for (const [i, name] of names.slice(0, 3).entries())
      await untilBound(s, listeners[i] as string, 8080, { count: 3, service: name });

    // Busy: scale up, down, and a rollout, each followed to GAAP.
    for (const replicas of [5, 3]) {
      await s.c.apps.patchNamespacedDeployment(
        { name: "memo-a", namespace: s.ns, body: { spec: { replicas } } },
        mergePatch,
      );
      await untilBound(s, L.wrr, 8080, { count: replicas, service: "memo-a" });
    }
    await s.c.apps.patchNamespacedDeployment(
      {
        name: "memo-b",
        namespace: s.ns,
        body: { spec: { template: { metadata: { annotations: { rollout: "1" } } } } },
      },
      mergePatch,
    );
    await untilBound(s, L.wrr2, 8080, { count: 3, service: "memo-b" });

    const keys = names.map((n) => `${s.ns}/${n}`);
    const uids = await Promise.all(names.map(async (n) => (await s.bindings.get(n))?.metadata.uid as string));
    expect(keys.filter((k) => op.memory.holding(k).length > 0)).toEqual(keys);

    for (const name of names) await s.bindings.delete(name);
    for (const name of names.slice(0, 3)) {
      await s.c.apps.deleteNamespacedDeployment({ name, namespace: s.ns });
      await s.c.core.deleteNamespacedService({ name, namespace: s.ns });
    }
    await eventually(
      async () => {
        const left = (await s.c.core.listNamespacedPod({ namespace: s.ns })).items.length;
        const bindings = (await s.bindings.list()).length;
        if (left + bindings > 0) throw new Error(`${bindings} bindings and ${left} pods left`);
      },
      { timeoutMs: 60_000, what: "bindings and pods deleted" },
    );

    // The event recorder's spam filter keeps what it recorded for its window (10 minutes, at most 10,000 entries)
    // on purpose: it is bounded by time and size, not by bindings.
    const skip = new Set<unknown>([op.events]);
    const roots = { operator: op, metrics: metrics.registry };
    await eventually(
      () => {
        const held = keys.flatMap((k) => op.memory.holding(k).map((store) => `${store}: ${k}`));
        const elsewhere = kept(roots, [...keys, ...uids], skip);
        if (held.length + elsewhere.length > 0) throw new Error([...held, ...elsewhere].join("\n"));
      },
      { timeoutMs: 30_000, what: "every binding forgotten" },
    );
    expect(Object.values(op.memory.sizes()).every((n) => n === 0)).toBe(true);
  });

  it("the walk does find a store kept outside KeyedMemory (the check above can fail)", () => {
    const planted = new Map([[`${s.ns}/memo-a`, { since: 1 }]]);
    Object.assign(op.podGates, { planted });
    try {
      expect(kept({ operator: op }, [`${s.ns}/memo-a`], new Set([op.events]))).toEqual([
        `operator.podGates.planted has key ${s.ns}/memo-a`,
      ]);
    } finally {
      Object.assign(op.podGates, { planted: undefined });
    }
  });
});
