// Readiness gates on the real apiserver, the kubelet simulator folding them into Ready, and the emulator's
// applied set: a gated pod is Ready only once GAAP holds it, and the gate says why while it is not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gateType } from "../../../src/api/types.ts";
import { admin } from "../../../testenv/gaap.ts";
import { eventually } from "../../support/eventually.ts";
import { isReady, podCondition, podsOf } from "../../support/pods.ts";
import { calls, createWeb, gaapSet, L, type Scenario, scale, scenario } from "../../support/scenario.ts";

const GATE = gateType("web");

describe("pod readiness gates", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("gates");
    await s.bindings.create("web", { listenerId: L.wrr });
    await createWeb(s, 3, { readinessGates: [GATE] });
  });
  afterAll(async () => s?.close());

  const readyPods = async () => (await podsOf(s.c.core, s.ns)).filter((p) => !p.metadata?.deletionTimestamp);

  it("a gated pod turns Ready only after the bind that added it has finished", async () => {
    const pods = await eventually(
      async () => {
        const ps = await readyPods();
        expect(ps.filter(isReady)).toHaveLength(3);
        return ps;
      },
      { what: "3 gated pods Ready", timeoutMs: 60_000 },
    );
    const held = await gaapSet(s, L.wrr);
    for (const p of pods) {
      const origin = `${p.status?.podIP}:8080`;
      expect(held).toContain(origin);
      const gate = podCondition(p, GATE);
      expect(gate).toMatchObject({
        status: "True",
        reason: "Bound",
        message: `listener ${L.wrr} holds ${origin}`,
      });
      // The first bind that sent this origin, and when its task could have ended at the earliest.
      const firstBind = calls(s, { action: "BindListenerRealServers" }).find((c) =>
        c.bindSet?.includes(origin),
      );
      expect(firstBind).toBeDefined();
      const applied = Date.parse(firstBind?.endTime as string);
      const readyAt = Date.parse(String(podCondition(p, "Ready")?.lastTransitionTime));
      // Condition times have whole seconds: Ready may read up to 1 s early, never a whole task early.
      expect(readyAt + 1000).toBeGreaterThanOrEqual(applied);
      expect(Date.parse(String(gate?.lastTransitionTime)) + 1000).toBeGreaterThanOrEqual(applied);
    }
    // What every replica's webhook makes the default termination hold from.
    await eventually(async () =>
      expect((await s.bindings.get("web"))?.status?.listener?.longestTaskSeconds).toBeGreaterThanOrEqual(1),
    );
  });

  it("while the task runs the gate says Binding, then Bound", async () => {
    // The task must outlast the test's noticing the bind and marking the origin (a loaded runner takes seconds).
    await admin(s.emu.url, "POST", "behavior", { bindTaskMs: 6000 });
    try {
      const before = new Set((await readyPods()).map((p) => p.metadata?.name));
      await scale(s, 4);
      const reasons = new Set<string>();
      await eventually(
        async () => {
          const fresh = (await readyPods()).find((p) => !before.has(p.metadata?.name));
          const g = podCondition(fresh, GATE);
          if (g?.reason) reasons.add(`${g.status}/${g.reason}`);
          expect(g?.status).toBe("True");
          expect(fresh && isReady(fresh)).toBe(true);
        },
        { what: "the new pod's gate True", timeoutMs: 60_000, intervalMs: 100 },
      );
      expect([...reasons]).toContain("False/Binding");
      expect([...reasons].at(-1)).toBe("True/Bound");
    } finally {
      await admin(s.emu.url, "POST", "behavior", { bindTaskMs: 500 });
    }
  });

  it("an origin GAAP's health check reports abnormal keeps its new pod unready, with reason Unhealthy", async () => {
    // The task must outlast the test's noticing the bind and marking the origin (a loaded runner takes seconds).
    await admin(s.emu.url, "POST", "behavior", { bindTaskMs: 6000 });
    let ip: string | undefined;
    try {
      const before = new Set((await readyPods()).map((p) => p.metadata?.name));
      await scale(s, 5);
      // Once the bind is sent (the gate says Binding), the origin exists: mark it abnormal before the task ends.
      ip = await eventually(
        async () => {
          const fresh = (await readyPods()).find((p) => !before.has(p.metadata?.name));
          expect(podCondition(fresh, GATE)?.reason).toBe("Binding");
          return fresh?.status?.podIP as string;
        },
        { what: "the new pod's bind sent", timeoutMs: 60_000, intervalMs: 100 },
      );
      await admin(s.emu.url, "POST", "health", { ip, status: 1 });
      const pod = await eventually(
        async () => {
          const p = (await readyPods()).find((x) => x.status?.podIP === ip);
          expect(podCondition(p, GATE)).toMatchObject({ status: "False", reason: "Unhealthy" });
          return p;
        },
        { what: "gate Unhealthy", timeoutMs: 30_000 },
      );
      expect(pod && isReady(pod)).toBe(false);
      expect(podCondition(pod, GATE)?.message).toMatch(/health check reports it abnormal/);
      expect(await gaapSet(s, L.wrr)).toContain(`${ip}:8080`);
    } finally {
      if (ip) await admin(s.emu.url, "POST", "health", { ip, status: 0 }).catch(() => {});
      await admin(s.emu.url, "POST", "behavior", { bindTaskMs: 500 });
    }
    await eventually(
      async () => {
        const p = (await readyPods()).find((x) => x.status?.podIP === ip);
        expect(podCondition(p, GATE)).toMatchObject({ status: "True", reason: "Bound" });
        expect(p && isReady(p)).toBe(true);
      },
      { what: "healthy again: Bound and Ready", timeoutMs: 30_000 },
    );
  });

  it("a gate naming a binding that does not exist is True (BindingNotFound): it never hangs a rollout", async () => {
    await s.c.core.createNamespacedPod({
      namespace: s.ns,
      body: {
        metadata: { name: "stray", labels: { app: "stray" } },
        spec: {
          containers: [{ name: "c", image: "example.invalid/c:1" }],
          readinessGates: [{ conditionType: gateType("nobody") }],
        },
      },
    });
    const pod = await eventually(
      async () => {
        const p = await s.c.core.readNamespacedPod({ name: "stray", namespace: s.ns });
        expect(podCondition(p, gateType("nobody"))).toMatchObject({
          status: "True",
          reason: "BindingNotFound",
        });
        expect(isReady(p)).toBe(true);
        return p;
      },
      { what: "stray pod Ready", timeoutMs: 30_000 },
    );
    expect(podCondition(pod, gateType("nobody"))?.message).toMatch(/no GaapListenerBinding nobody/);
  });

  it("exports the gate latency and the gates by reason", async () => {
    const body = await (await fetch(`${s.operator.urls()[0]}/metrics`)).text();
    const value = (name: string) =>
      Number(
        body
          .split("\n")
          .find((l) => l.startsWith(name))
          ?.split(" ")
          .at(-1),
      );
    // Five web pods went True (Bound) after their containers were ready; the stray pod's gate is BindingNotFound.
    expect(value("gaap_pod_readiness_gate_seconds_count")).toBeGreaterThanOrEqual(5);
    expect(value('gaap_pod_readiness_gates{reason="Bound"}')).toBe(5);
    expect(value('gaap_pod_readiness_gates{reason="BindingNotFound"}')).toBe(1);
    expect(
      value('controller_runtime_reconcile_total{controller="podreadinessgate",result="success"}'),
    ).toBeGreaterThan(0);
  });

  it("writes a gate only when it changes: no patch storm while nothing moves", async () => {
    // Every pass republishes the facts; the gates must stay as written. Read the resourceVersions twice, a few
    // verify passes apart (an observation window: nothing may happen in it).
    const rv = async () =>
      (await readyPods()).map((p) => `${p.metadata?.name}@${p.metadata?.resourceVersion}`).sort();
    const first = await rv();
    await new Promise((r) => setTimeout(r, 7000));
    expect(await rv()).toEqual(first);
  });
});
