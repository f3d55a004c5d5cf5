// Rolling update: a template change rolls every pod; counts the binds sent against the most that could be useful
// (one per T), and how long an old pod stayed bound after it stopped serving.
import { bench, NS, processStats, round, T_MS, table, until, writeResult } from "./lib.ts";
import { gaapIPs, mergePatch, oneListener, reflectingBind, sameSet, webBinding } from "./web.ts";

export async function rolling(): Promise<void> {
  const L = { listenerId: "listener-bench0001" };
  const replicas = Number(process.env.BENCH_ROLL_REPLICAS ?? 100);
  const b = await bench(oneListener(L));
  try {
    // 100 origins is the listener's limit, so the rollout may not surge: 10 at a time go away, then come back.
    const { w, op } = await webBinding(b, L, replicas, {
      startDelayMs: 5000,
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: 0, maxUnavailable: Math.max(1, Math.round(replicas / 10)) },
      },
    });
    await until(
      "initial convergence",
      180_000,
      async () => {
        const g = await gaapIPs(b, L);
        return g.status === 0 && w.readyIPs().length === replicas && sameSet(g.ips, w.readyIPs())
          ? true
          : undefined;
      },
      200,
    );
    const oldIPs = new Set(w.readyIPs());
    const seq = b.emu.calls.lastSeq;
    const started = Date.now();
    await b.apps.patchNamespacedDeployment(
      {
        name: "web",
        namespace: NS,
        body: { spec: { template: { metadata: { annotations: { "bench/rollout": String(started) } } } } },
      },
      mergePatch,
    );
    await until(
      "rollout converged",
      300_000,
      async () => {
        const d = await b.apps.readNamespacedDeployment({ name: "web", namespace: NS });
        const done =
          d.status?.observedGeneration === d.metadata?.generation &&
          d.status?.updatedReplicas === replicas &&
          d.status?.readyReplicas === replicas &&
          d.status?.replicas === replicas;
        if (!done) return undefined;
        const ready = w.readyIPs();
        if (ready.some((ip) => oldIPs.has(ip)) || ready.length !== replicas) return undefined;
        const g = await gaapIPs(b, L);
        return g.status === 0 && sameSet(g.ips, ready) ? true : undefined;
      },
      200,
    );
    const ended = Date.now();
    const durationS = (ended - started) / 1000;
    const calls = b.emu.calls.list({ since: seq });
    const binds = calls.filter((c) => c.action === "BindListenerRealServers");
    const usefulMax = durationS / (T_MS / 1000) + 2;
    let worstStaleMs = Number.NEGATIVE_INFINITY;
    let worstSinceNotReadyMs = 0;
    for (const ip of oldIPs) {
      const unbound = reflectingBind(calls, seq, ip, false);
      if (!unbound) continue;
      const gone = Date.parse(unbound.time) + T_MS;
      const stopped = w.stoppedServing.get(ip);
      if (stopped !== undefined && stopped >= started) worstStaleMs = Math.max(worstStaleMs, gone - stopped);
      const notReady = w.transitions.find((t) => t.ip === ip && !t.ready && t.at >= started);
      if (notReady) worstSinceNotReadyMs = Math.max(worstSinceNotReadyMs, gone - notReady.at);
    }
    const result = {
      scenario: "rolling",
      replicas,
      taskMs: T_MS,
      durationS: round(durationS),
      bindsSent: binds.length,
      usefulMaxBinds: round(usefulMax),
      bindsOverUsefulMax: round(binds.length / usefulMax),
      finalSetExact: true,
      worstStaleMs,
      staleMeasuredFrom:
        "the endpoint's serving condition turning false (the pod drains for its 2 s grace period)",
      worstSinceNotReadyMs,
      staleOverTarget: round(worstStaleMs / (T_MS + 1000)),
      targets: { binds: "<= useful max", staleMs: `<= T + 1 s = ${T_MS + 1000}` },
      met: binds.length <= usefulMax && worstStaleMs <= T_MS + 1000,
      operator: processStats(op.pid),
    };
    writeResult("rolling", result);
    console.log(
      `\nRolling update (${replicas} pods, T = ${T_MS} ms)\n${table([
        ["rollout duration (s)", result.durationS],
        [
          "binds sent / useful max (duration/T + 2)",
          `${binds.length} / ${result.usefulMaxBinds} = ${result.bindsOverUsefulMax}`,
        ],
        ["final set exact", "yes"],
        [
          "worst stale time after stop serving (ms) / T+1s",
          `${worstStaleMs} / ${T_MS + 1000} = ${result.staleOverTarget}`,
        ],
        ["worst time bound after turning not-ready (ms)", worstSinceNotReadyMs],
        ["targets met", String(result.met)],
      ])}`,
    );
    w.stop();
  } finally {
    await b.close();
  }
}
