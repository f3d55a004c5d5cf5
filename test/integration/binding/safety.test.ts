// The design's invariants on the real control plane: never shrink by accident, level-triggered repair of drift,
// fast restarts without redundant writes, fault tolerance, and secrets kept out of logs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition } from "../../../testenv/bindings.ts";
import { kubeconfigYaml } from "../../../testenv/cluster/control-plane.ts";
import { PASS_MS, throughFaults } from "../../../testenv/deadlines.ts";
import { admin, DEMO_CREDENTIAL } from "../../../testenv/gaap.ts";
import { OperatorProcess } from "../../../testenv/operator.ts";
import { eventually } from "../../support/eventually.ts";
import { assertNoAccidentalShrink, assertWithinBudget } from "../../support/invariants.ts";
import {
  calls,
  createWeb,
  gaapSet,
  L,
  readyPodIPs,
  type Scenario,
  scale,
  scenario,
  untilBound,
} from "../../support/scenario.ts";
import { TcpProxy } from "../../support/tcp-proxy.ts";

describe("never shrink by accident", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("safety");
    await createWeb(s, 4);
    await s.bindings.create("web", { listenerId: L.wrr });
    await untilBound(s, L.wrr, 8080, { count: 4 });
  });
  afterAll(async () => s?.close());

  it("restarting the operator with nothing changed sends no bind", async () => {
    await eventually(async () =>
      expect(condition(await s.bindings.get("web"), "Ready")?.status).toBe("True"),
    );
    await s.operator.stop();
    const before = s.emu.calls.lastSeq;
    s.operator.start();
    // It has read GAAP again (a describe after the restart) and found nothing to do.
    await eventually(
      () => expect(calls(s, { since: before, action: "DescribeTCPListeners" }).length).toBeGreaterThan(0),
      {
        what: "a describe after restart",
      },
    );
    await eventually(async () =>
      expect(condition(await s.bindings.get("web"), "Ready")?.status).toBe("True"),
    );
    expect(calls(s, { since: before, action: "BindListenerRealServers" })).toEqual([]);
  });

  it("a restart that cannot reach the apiserver (caches not synced) calls GAAP not at all, and unbinds nothing after", async () => {
    await s.operator.stop();
    const proxy = new TcpProxy(Number(new URL(s.c.info.server).port));
    await proxy.listen();
    proxy.pause();
    const kubeconfig = join(s.c.info.dir, `proxy-${s.ns}.kubeconfig`);
    writeFileSync(kubeconfig, kubeconfigYaml({ ...s.c.info, server: `https://127.0.0.1:${proxy.port}` }));
    const blind = new OperatorProcess({
      cluster: s.c.info,
      gaapUrl: s.emu.url,
      namespace: s.ns,
      kubeconfig,
      name: "blind",
    });
    try {
      const before = s.emu.calls.lastSeq;
      const bound = await gaapSet(s, L.wrr);
      blind.start();
      // Let it run without caches for a while: no GAAP call may go out. This is an observation window, not a wait
      // for a condition: a process that did not wait for its caches would call GAAP within its first pass.
      await eventually(() => expect(blind.logs().some((l) => l.msg === "starting")).toBe(true), {
        what: "operator started",
      });
      await setTimeout(PASS_MS);
      expect(calls(s, { since: before }).filter((c) => c.userAgent.startsWith("gaap-operator/"))).toEqual([]);
      proxy.resume();
      await eventually(
        () => expect(blind.logs().some((l) => l.msg === "caches synced; starting workers")).toBe(true),
        {
          what: "caches synced",
        },
      );
      await eventually(async () =>
        expect(condition(await s.bindings.get("web"), "Ready")?.status).toBe("True"),
      );
      expect(await gaapSet(s, L.wrr)).toEqual(bound);
      expect(calls(s, { since: before, action: "BindListenerRealServers" })).toEqual([]);
    } finally {
      await blind.close();
      await proxy.close();
      s.operator.start();
    }
  });

  it("scaling to zero keeps the set and says why", async () => {
    const bound = await gaapSet(s, L.wrr);
    await scale(s, 0);
    const b = await eventually(
      async () => {
        const b = await s.bindings.get("web");
        expect(condition(b, "Degraded")?.reason).toBe("EmptyEndpoints");
        return b;
      },
      { what: "EmptyEndpoints" },
    );
    expect(condition(b, "Ready")?.status).toBe("False");
    expect(condition(b, "Degraded")?.message).toMatch(/keeping the 4 bound origin\(s\); set allowEmpty/);
    expect(await gaapSet(s, L.wrr)).toEqual(bound);
    await scale(s, 4);
    await untilBound(s, L.wrr, 8080, { count: 4 });
  });

  it("a deleted Service keeps the set (ServiceNotFound) until allowEmpty says otherwise", async () => {
    const bound = await gaapSet(s, L.wrr);
    await s.c.core.deleteNamespacedService({ name: "web", namespace: s.ns });
    await eventually(
      async () => expect(condition(await s.bindings.get("web"), "Degraded")?.reason).toBe("ServiceNotFound"),
      {
        what: "ServiceNotFound",
      },
    );
    expect(await gaapSet(s, L.wrr)).toEqual(bound);
    await s.bindings.patchSpec("web", { allowEmpty: true });
    await eventually(async () => expect(await gaapSet(s, L.wrr)).toEqual([]), {
      what: "unbound with allowEmpty",
    });
    await s.bindings.patchSpec("web", { allowEmpty: false });
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: {
        metadata: { name: "web" },
        spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
    });
    await untilBound(s, L.wrr, 8080, { count: 4 });
  });

  it("lets a mass removal through only to maxUnbindPercent, with a condition and an event, and the rest when allowed", async () => {
    // A selector-less Service whose EndpointSlice loses 6 of 8 endpoints in one update: one change, 75% removed.
    const ips = Array.from({ length: 8 }, (_, i) => `198.18.77.${i + 1}`);
    const slice = (addresses: string[]) => ({
      metadata: { name: "mass-1", labels: { "kubernetes.io/service-name": "mass" } },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    });
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: { metadata: { name: "mass" }, spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
    });
    await s.c.discovery.createNamespacedEndpointSlice({ namespace: s.ns, body: slice(ips) });
    await s.bindings.create("mass", { listenerId: L.wrr2, serviceRef: { name: "mass", port: 80 } });
    const all = ips.map((ip) => `${ip}:8080`).sort();
    await eventually(async () => expect(await gaapSet(s, L.wrr2)).toEqual(all), { what: "8 bound" });
    const since = s.emu.calls.lastSeq;
    await s.c.discovery.replaceNamespacedEndpointSlice({
      name: "mass-1",
      namespace: s.ns,
      body: slice(ips.slice(0, 2)),
    });
    // One bind removes 4 of the 8 (50%): the first in address order. The other 2 wait for the peak of 8 to leave
    // the window (5 minutes, longer than this test).
    const kept = [...all.slice(0, 2), ...all.slice(6)].sort();
    await eventually(
      async () => {
        const b = await s.bindings.get("mass");
        expect(condition(b, "Degraded")?.reason).toBe("MassUnbind");
        expect(await gaapSet(s, L.wrr2)).toEqual(kept);
        expect(condition(b, "Degraded")?.message).toMatch(
          /removing 2 would leave 2 bound origin\(s\), more than maxUnbindPercent \(50%\) below the recent peak of 8/,
        );
      },
      { what: "MassUnbind, 4 bound", timeoutMs: 60_000 },
    );
    const binds = calls(s, { since, action: "BindListenerRealServers", listenerId: L.wrr2 });
    expect(binds.filter((c) => c.code === "Success").map((c) => (c.bindSet ?? []).length)).toEqual([4]);
    const events = s.c.kc.makeApiClient(EventsV1Api);
    await eventually(async () => {
      const list = await events.listNamespacedEvent({ namespace: s.ns });
      const held = list.items.filter((e) => e.reason === "MassUnbind" && e.type === "Warning");
      expect(held.map((e) => e.note)).toContain(
        "removing 6 of 8 bound origins exceeds maxUnbindPercent (50%): 2 removal(s) held back for a later step",
      );
    });
    await s.bindings.patchSpec("mass", { maxUnbindPercent: 100 });
    await eventually(async () => expect(await gaapSet(s, L.wrr2)).toEqual(all.slice(0, 2)), {
      what: "2 bound",
    });
  });

  it("never sent an empty set, nor (outside the explicit allowEmpty step) a mass shrink", () => {
    const binds = calls(s, { action: "BindListenerRealServers", listenerId: L.wrr });
    const emptyAllowed = binds.filter((c) => (c.bindSet ?? []).length === 0);
    // Exactly one empty bind: the one allowEmpty asked for.
    expect(emptyAllowed).toHaveLength(1);
  });
});

const STORM_MS = throughFaults(25);

describe("drift, faults and limits", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("faults");
    await createWeb(s, 3);
    await s.bindings.create("web", { listenerId: L.wrr });
    await untilBound(s, L.wrr, 8080, { count: 3 });
  });
  afterAll(async () => s?.close());

  it("restores an origin removed by hand, in the next verification, and reports the drift", async () => {
    await eventually(async () =>
      expect(condition(await s.bindings.get("web"), "Ready")?.status).toBe("True"),
    );
    const l = (await s.gaap.DescribeTCPListeners({ ListenerId: L.wrr })).ListenerSet?.[0];
    const keep = (l?.RealServerSet ?? []).slice(1).map((r) => ({
      RealServerId: r.RealServerId as string,
      RealServerIP: r.RealServerIP as string,
      RealServerPort: r.RealServerPort as number,
      RealServerWeight: r.RealServerWeight as number,
    }));
    // A person in the console removes one origin.
    await s.gaap.BindListenerRealServers({ ListenerId: L.wrr, RealServerBindSet: keep });
    await eventually(async () => expect(await gaapSet(s, L.wrr)).toHaveLength(2), {
      what: "manual removal applied",
    });
    await untilBound(s, L.wrr, 8080, { count: 3, timeoutMs: 30_000 });
    const events = s.c.kc.makeApiClient(EventsV1Api);
    await eventually(async () => {
      const list = await events.listNamespacedEvent({ namespace: s.ns });
      expect(list.items.some((e) => e.reason === "DriftRepaired")).toBe(true);
    });
  });

  it("waits out a task started by someone else (ListenerHasTask) and then applies the change", async () => {
    await admin(s.emu.url, "POST", "task", { listenerId: L.wrr, durationMs: 3000 });
    const before = s.emu.calls.lastSeq;
    await scale(s, 4);
    await untilBound(s, L.wrr, 8080, { count: 4, timeoutMs: 30_000 });
    const b = calls(s, { since: before, action: "BindListenerRealServers" });
    expect(b.length).toBeGreaterThan(0);
    expect(b.filter((c) => c.code === "FailedOperation.ListenerHasTask")).toEqual([]);
  });

  it(
    "converges through 30% InternalError and a RequestLimitExceeded storm",
    async () => {
      const before = s.emu.calls.lastSeq;
      try {
        await admin(s.emu.url, "POST", "faults", {
          seed: 7,
          faults: [
            { action: "*", errorCode: "InternalError", rate: 0.3 },
            { action: "*", errorCode: "RequestLimitExceeded", rate: 0.2 },
          ],
        });
        // About 44% of calls fail, so up to 70% of passes may: 25 failed passes in a row has odds near 1 in 10,000.
        await scale(s, 6);
        await untilBound(s, L.wrr, 8080, { count: 6, timeoutMs: STORM_MS });
        await scale(s, 4);
        await untilBound(s, L.wrr, 8080, { count: 4, timeoutMs: STORM_MS });
      } finally {
        // A failure here must not leave the faults to the next test.
        await admin(s.emu.url, "DELETE", "faults");
      }
      const faulted = calls(s, { since: before }).filter(
        (c) => c.code === "InternalError" || c.code === "RequestLimitExceeded",
      );
      expect(faulted.length).toBeGreaterThan(0);
      // Retries stay within the process-wide budget (default 10/s per action).
      assertWithinBudget(s, before, 10);
      assertNoAccidentalShrink(s, L.wrr, 50, before);
    },
    2 * STORM_MS + PASS_MS,
  );

  it("reports more origins than the listener takes as Degraded TooManyOrigins, keeping the set", async () => {
    // Six ready pods before the operator with a limit of 5 starts: it meets the whole change at once (scaling up
    // under it would let it bind 5 on the way, rightly).
    await s.operator.stop();
    const bound = await gaapSet(s, L.wrr);
    await scale(s, 6);
    await eventually(async () => expect(await readyPodIPs(s)).toHaveLength(6), { what: "6 ready pods" });
    const since = s.emu.calls.lastSeq;
    s.operator.start(["--max-origins-per-listener", "5"]);
    try {
      await eventually(
        async () => expect(condition(await s.bindings.get("web"), "Degraded")?.reason).toBe("TooManyOrigins"),
        { what: "TooManyOrigins" },
      );
      expect(await gaapSet(s, L.wrr)).toEqual(bound);
      expect(calls(s, { since, action: "BindListenerRealServers" })).toEqual([]);
    } finally {
      // The usual operator again, even when a check failed.
      await s.operator.stop();
      s.operator.start();
    }
    await untilBound(s, L.wrr, 8080, { count: 6 });
  });

  it("keeps credentials out of logs, events and status", async () => {
    const events = s.c.kc.makeApiClient(EventsV1Api);
    const evs = JSON.stringify((await events.listNamespacedEvent({ namespace: s.ns })).items);
    const status = JSON.stringify(await s.bindings.get("web"));
    const out = s.operator.output();
    expect(out.length).toBeGreaterThan(1000);
    for (const text of [out, evs, status]) expect(text).not.toContain(DEMO_CREDENTIAL.secretKey);
    expect(await readyPodIPs(s)).toHaveLength(6);
  });
});
