// Reaction: single changes (scale up, pod deleted and replaced, scale down), one at a time, each timed from the
// EndpointSlice change to GAAP holding the new set, and set against the floor of one bind (its RTT plus T). Two
// variants: a TCP listener (BindListenerRealServers) and a forwarding rule of an HTTP listener (BindRuleRealServers,
// its reads batched by DescribeRulesByRuleIds).
import type { V1Pod } from "@kubernetes/client-node";
import { bench, log, NS, percentile, processStats, round, T_MS, table, until, writeResult } from "./lib.ts";
import {
  type BenchTarget,
  gaapIPs,
  mergePatch,
  oneListener,
  reflectingBind,
  sameSet,
  webBinding,
} from "./web.ts";

export async function reaction(variant: "listener" | "rule"): Promise<void> {
  const changes = Number(process.env.BENCH_CHANGES ?? 200);
  const L: BenchTarget =
    variant === "rule"
      ? { listenerId: "listener-bench0002", ruleId: "rule-bench0001" }
      : { listenerId: "listener-bench0001" };
  const name = variant === "rule" ? "reaction-rule" : "reaction";
  const b = await bench(oneListener(L));
  try {
    const { w, op } = await webBinding(b, L, 6, { startDelayMs: 2500 });
    const settled = async () =>
      until("settled", 120_000, async () => {
        const g = await gaapIPs(b, L);
        const want = w.readyIPs();
        return g.status === 0 && want.length > 0 && sameSet(g.ips, want) ? true : undefined;
      });
    await settled();
    const samples: Array<{ kind: string; latencyMs: number; floorMs: number; overheadMs: number }> = [];
    const measure = async (
      kind: string,
      afterSeq: number,
      since: number,
      pick: (t: { ip: string; ready: boolean }) => boolean,
    ) => {
      const t = await until(`${kind} transition`, 60_000, async () =>
        w.transitions.find((x) => x.at >= since && pick(x) && !(x as { used?: boolean }).used),
      );
      (t as { used?: boolean }).used = true;
      const bind = await until(`${kind} reflected`, 60_000, async () =>
        reflectingBind(b.emu.calls.list({ since: afterSeq }), afterSeq, t.ip, t.ready),
      );
      const reflectedAt = Date.parse(bind.time) + T_MS;
      const floorMs = bind.latencyMs + T_MS;
      const latencyMs = reflectedAt - t.at;
      samples.push({ kind, latencyMs, floorMs, overheadMs: latencyMs - floorMs });
    };
    const replicasOf = async () =>
      (await b.apps.readNamespacedDeployment({ name: "web", namespace: NS })).spec?.replicas ?? 0;
    while (samples.length < changes) {
      const step = samples.length % 4;
      const seq = b.emu.calls.lastSeq;
      const at = Date.now();
      const before = new Set(w.readyIPs());
      if (step === 0) {
        await b.apps.patchNamespacedDeployment(
          { name: "web", namespace: NS, body: { spec: { replicas: (await replicasOf()) + 1 } } },
          mergePatch,
        );
        await measure("scale up (pod ready)", seq, at, (x) => x.ready && !before.has(x.ip));
      } else if (step === 1) {
        const pods = await b.core.listNamespacedPod({ namespace: NS, labelSelector: "app=web" });
        const victim = pods.items.find(
          (p: V1Pod) => !p.metadata?.deletionTimestamp && before.has(p.status?.podIP ?? ""),
        ) as V1Pod;
        await b.core.deleteNamespacedPod({ name: victim.metadata?.name as string, namespace: NS });
        await measure("pod deleted", seq, at, (x) => !x.ready && x.ip === victim.status?.podIP);
        // The ReplicaSet's replacement becomes ready later: a "pod ready" change of its own.
        await settled();
        const seq2 = b.emu.calls.lastSeq;
        await measure("pod ready (replacement)", seq2 - 1, at, (x) => x.ready && !before.has(x.ip));
      } else if (step === 3) {
        await b.apps.patchNamespacedDeployment(
          { name: "web", namespace: NS, body: { spec: { replicas: Math.max(4, (await replicasOf()) - 1) } } },
          mergePatch,
        );
        await measure("scale down (pod removed)", seq, at, (x) => !x.ready && before.has(x.ip));
      } else {
        continue;
      }
      await settled();
      log(
        `${name}: ${samples.length}/${changes} (${samples.at(-1)?.kind}: ${samples.at(-1)?.overheadMs} ms over the floor)`,
      );
    }
    const over = samples.map((s) => s.overheadMs);
    const lat = samples.map((s) => s.latencyMs);
    const floor = percentile(
      samples.map((s) => s.floorMs),
      50,
    );
    const result = {
      scenario: name,
      binds:
        variant === "rule"
          ? "forwarding rule (BindRuleRealServers)"
          : "TCP listener (BindListenerRealServers)",
      changes: samples.length,
      taskMs: T_MS,
      latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: Math.max(...lat) },
      floorMs: { p50: floor },
      overheadMs: { p50: percentile(over, 50), p99: percentile(over, 99), max: Math.max(...over) },
      p99OverFloor: round(percentile(lat, 99) / floor),
      target: "p99 overhead over the floor < 300 ms",
      met: percentile(over, 99) < 300,
      byKind: Object.fromEntries(
        [...new Set(samples.map((s) => s.kind))].map((k) => {
          const o = samples.filter((s) => s.kind === k).map((s) => s.overheadMs);
          return [k, { n: o.length, p50: percentile(o, 50), p99: percentile(o, 99) }];
        }),
      ),
      operator: processStats(op.pid),
    };
    writeResult(name, result);
    console.log(
      `\nReaction, ${variant === "rule" ? "forwarding rule" : "TCP listener"} (${samples.length} single changes, T = ${T_MS} ms)\n${table(
        [
          ["latency p50 / p99 (ms)", `${result.latencyMs.p50} / ${result.latencyMs.p99}`],
          ["floor: bind RTT + T (ms)", floor],
          ["overhead over floor p50 / p99 (ms)", `${result.overheadMs.p50} / ${result.overheadMs.p99}`],
          ["p99 / floor", result.p99OverFloor],
          ["target met (p99 overhead < 300 ms)", String(result.met)],
        ],
      )}`,
    );
    w.stop();
  } finally {
    await b.close();
  }
}
