// The reconciler through its ports (binding-world.ts): the facts the gates learn from each pass, forwarding rules,
// and termination holds measured once GAAP applied their removals.
import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { HoldOverrun } from "../../../src/binding/logic/hold-overrun.ts";
import { OperatorError } from "../../../src/errors.ts";
import type { ClusterView } from "../../../src/model/cluster-view.ts";
import { listenerState } from "../fixtures.ts";
import { BUSY_POLL_MS, LISTENER, origin, podView, TASK_MS, VERIFY_MS, World } from "./binding-world.ts";

describe("Reconciler: the gates' facts and forwarding rules", () => {
  it("publishes what the pass learnt for the gates: the bind sent, then the listener that holds it", async () => {
    const w = new World();
    w.addListener();
    const key = w.addBinding("web", {}, ["10.0.0.1"]);
    const r = w.reconciler();
    await r.reconcile(key);
    expect([...(w.published.get(key)?.sent ?? [])]).toEqual(["10.0.0.1:8080"]);
    w.t += TASK_MS + 1;
    await r.reconcile(key);
    const facts = w.published.get(key);
    expect(facts?.target?.bound.map((o) => o.ip)).toEqual(["10.0.0.1"]);
    expect(facts?.sent).toBeUndefined();
    // A failed read leaves no listener, and says why.
    w.failures.describe.push(new OperatorError("transient", "InternalError", "GAAP is down"));
    w.t += VERIFY_MS;
    await r.reconcile(key);
    expect(w.published.get(key)?.target).toBeUndefined();
    expect(w.published.get(key)).toMatchObject({
      blocked: { reason: "BindingDegraded", message: "binding web is degraded: InternalError: GAAP is down" },
    });
    // Gone: the gates of its pods are told so.
    w.bindings.delete(key);
    await r.reconcile(key);
    expect(w.published.has(key) && w.published.get(key)).toBeUndefined();
  });

  describe("on forwarding rules", () => {
    const HTTP = "listener-h";
    function httpWorld() {
      const w = new World();
      w.listeners.set(HTTP, listenerState({ listenerId: HTTP, protocol: "HTTP", port: 8000, scheduler: "" }));
      w.rules.set("rule-a", { listenerId: HTTP, domain: "www.example.com", path: "/a", bound: [] });
      w.rules.set("rule-b", { listenerId: HTTP, domain: "www.example.com", path: "/b", bound: [] });
      return w;
    }

    it("binds two rules of one listener one task apart, never into a sibling's task", async () => {
      const w = httpWorld();
      const a = w.addBinding("a", { listenerId: HTTP, rule: { ruleId: "rule-a" } }, ["10.0.0.1"]);
      const b = w.addBinding("b", { listenerId: HTTP, rule: { domain: "www.example.com", path: "/b" } }, [
        "10.0.0.2",
      ]);
      const r = w.reconciler();
      await r.reconcile(a);
      expect(w.log.filter((l) => l.startsWith("bind"))).toEqual(["bind rule-a 10.0.0.1:8080"]);
      // b's pass while rule-a's task runs: its rule is idle, but the listener is not; nothing is sent.
      w.t += TASK_MS / 2;
      expect(await r.reconcile(b)).toEqual({ requeueAfterMs: TASK_MS / 2, poll: true });
      w.t += TASK_MS / 2 - 1;
      const ruleA = w.rules.get("rule-a");
      if (ruleA) ruleA.busyUntil = w.t + 500; // GAAP is slower than the estimate
      expect(await r.reconcile(b)).toEqual({ requeueAfterMs: 1, poll: true });
      w.t += 1;
      expect(await r.reconcile(b)).toEqual({ requeueAfterMs: BUSY_POLL_MS });
      expect(w.condition(b, "Ready")).toMatchObject({ status: "False", reason: "ListenerBusy" });
      expect(w.condition(b, "Ready")?.message).toMatch(/a task on its rule rule-a/);
      w.t += 500;
      await r.reconcile(b);
      expect(w.log.filter((l) => l.startsWith("bind"))).toEqual([
        "bind rule-a 10.0.0.1:8080",
        "bind rule-b 10.0.0.2:8080",
      ]);
      // b resolved its rule from domain and path: the ID is in its status, and its next read asks for it.
      expect(w.get(b).status?.rule).toMatchObject({
        ruleId: "rule-b",
        domain: "www.example.com",
        path: "/b",
      });
      // a waits for b's task like b waited for a's: the listener is the unit of single flight.
      const reads = w.reads;
      expect((await r.reconcile(a)).requeueAfterMs).toBeGreaterThan(0);
      expect(w.reads).toBe(reads);
      w.t += 2 * TASK_MS;
      await r.reconcile(a);
      expect(w.queries.at(-1)).toMatchObject({ rule: { ruleId: "rule-a" }, siblingRules: ["rule-b"] });
      await r.reconcile(b);
      expect(w.queries.at(-1)).toMatchObject({ knownRuleId: "rule-b", siblingRules: ["rule-a"] });
      expect(w.condition(a, "Ready")).toMatchObject({ status: "True", reason: "InSync" });
      expect(w.condition(b, "Ready")).toMatchObject({ status: "True", reason: "InSync" });
      // The listener itself holds nothing.
      expect(w.bound()).toEqual([]);
    });

    it("finds a rule named by ID and another binding naming it by domain and path one and the same: the younger does nothing", async () => {
      const w = httpWorld();
      const old = w.addBinding(
        "old",
        { listenerId: HTTP, rule: { ruleId: "rule-a" } },
        ["10.0.0.1"],
        "2026-01-01T00:00:00Z",
      );
      const young = w.addBinding(
        "young",
        { listenerId: HTTP, rule: { domain: "www.example.com", path: "/a" } },
        ["10.0.0.9"],
        "2026-02-01T00:00:00Z",
      );
      const r = w.reconciler();
      // The young one passes first: it can only tell once it has read its rule.
      await r.reconcile(young);
      expect(w.condition(young, "Ready")).toMatchObject({ status: "False", reason: "ListenerConflict" });
      expect(w.condition(young, "Ready")?.message).toMatch(/is held by ns\/old/);
      await r.reconcile(old);
      expect(w.log.filter((l) => l.startsWith("bind"))).toEqual(["bind rule-a 10.0.0.1:8080"]);
    });

    it("reports a rule on a TCP listener and an HTTP listener without a rule as Degraded, binding nothing", async () => {
      const w = httpWorld();
      w.addListener([origin("10.0.0.7")]);
      const onTcp = w.addBinding("on-tcp", { rule: { ruleId: "rule-a" } }, ["10.0.0.1"]);
      const noRule = w.addBinding("no-rule", { listenerId: HTTP }, ["10.0.0.2"]);
      const r = w.reconciler();
      await r.reconcile(onTcp);
      await r.reconcile(noRule);
      expect(w.condition(onTcp, "Degraded")).toMatchObject({ status: "True", reason: "RuleNotApplicable" });
      expect(w.condition(noRule, "Degraded")).toMatchObject({ status: "True", reason: "RuleRequired" });
      expect(w.get(onTcp).status?.boundCount).toBe(0);
      expect(w.log.filter((l) => l.startsWith("bind") || l.startsWith("register"))).toEqual([]);
      // Deleting the one on the TCP listener leaves that listener's origins alone.
      w.bindings.set(onTcp, {
        ...w.get(onTcp),
        metadata: { ...w.get(onTcp).metadata, deletionTimestamp: new Date() },
      });
      await r.reconcile(onTcp);
      expect(w.bound()).toEqual(["10.0.0.7"]);
      expect(w.bindings.has(onTcp)).toBe(false);
    });

    it("unbinds only its rule on deletion, and lets go when the rule is gone", async () => {
      const w = httpWorld();
      const a = w.addBinding("a", { listenerId: HTTP, rule: { ruleId: "rule-a" } }, ["10.0.0.1"]);
      const b = w.addBinding("b", { listenerId: HTTP, rule: { ruleId: "rule-b" } }, ["10.0.0.2"]);
      const r = w.reconciler();
      await r.reconcile(a);
      w.t += TASK_MS;
      await r.reconcile(b);
      w.t += TASK_MS;
      await r.reconcile(a);
      await r.reconcile(b);
      w.bindings.set(a, { ...w.get(a), metadata: { ...w.get(a).metadata, deletionTimestamp: new Date() } });
      await r.reconcile(a);
      expect(w.log.at(-1)).toBe("bind rule-a ");
      expect(w.rules.get("rule-b")?.bound.map((o) => o.ip)).toEqual(["10.0.0.2"]);
      w.t += TASK_MS;
      await r.reconcile(a);
      expect(w.bindings.has(a)).toBe(false);
      // b's rule deleted in GAAP: its deletion does not wait for it.
      w.rules.delete("rule-b");
      w.bindings.set(b, { ...w.get(b), metadata: { ...w.get(b).metadata, deletionTimestamp: new Date() } });
      await r.reconcile(b);
      expect(w.bindings.has(b)).toBe(false);
    });
  });
});

describe("termination holds, measured", () => {
  /** 10.0.0.1 serving; 10.0.0.2 the endpoint of pod "old", deleted at `deletedAt` with a 3 s preStop sleep. */
  const drainingView = (deletedAt: number): ClusterView => {
    const old: V1Pod = {
      metadata: {
        name: "old",
        namespace: "ns",
        deletionTimestamp: new Date(deletedAt + 30_000),
        deletionGracePeriodSeconds: 30,
      },
      spec: { containers: [{ name: "c", lifecycle: { preStop: { sleep: { seconds: 3 } } } }] },
    };
    const view = podView(["10.0.0.1"]);
    const [slice] = view.slices;
    const terminating = {
      addresses: ["10.0.0.2"],
      conditions: { ready: false, terminating: true },
      targetRef: { kind: "Pod", name: "old" },
    };
    return {
      ...view,
      slices: slice ? [{ ...slice, endpoints: [...(slice.endpoints ?? []), terminating] }] : [],
      pod: (name) => (name === "old" ? old : undefined),
    };
  };
  /** A binding whose pod "old" (10.0.0.2) was deleted just now, on a listener busy until `busyUntil` (if given). */
  const setUp = (busyUntil?: number) => {
    const w = new World();
    const deletedAt = w.t;
    w.addListener(
      [origin("10.0.0.1"), origin("10.0.0.2")],
      busyUntil === undefined ? {} : { busyUntil: deletedAt + busyUntil },
    );
    const key = w.addBinding("web", {}, []);
    w.views.set(key, drainingView(deletedAt));
    const measured: HoldOverrun[] = [];
    const r = w.reconciler({ metrics: { holdsMeasured: (o) => measured.push(o) } });
    return { w, key, deletedAt, measured, r };
  };
  /** The bind's task takes `taskMs`; a read at `busyReadAt` (if any) still sees it, one at `doneReadAt` sees it done. */
  const run = async (taskMs: number, doneReadAt: number, busyReadAt?: number) => {
    const { w, key, deletedAt, measured, r } = setUp();
    // No task seen yet: the removal cannot wait for anything within a 3 s hold, so it goes at once.
    await r.reconcile(key);
    expect(w.log.at(-1)).toBe("bind 10.0.0.1:8080");
    const l = w.listeners.get(LISTENER);
    if (l) l.busyUntil = deletedAt + taskMs;
    if (busyReadAt !== undefined) {
      w.t = deletedAt + busyReadAt;
      await r.reconcile(key);
      expect(measured).toEqual([]);
    }
    w.t = deletedAt + doneReadAt;
    await r.reconcile(key);
    return { w, measured };
  };

  it("a removal GAAP applied after the hold ended: counted, with the overrun, and an event naming the hold needed", async () => {
    // The hold ends at 3 s (4 s at the latest: whole-second timestamps); the task still ran at 4.5 s.
    const { w, measured } = await run(5000, 5500, 4500);
    expect(measured).toHaveLength(1);
    expect(measured[0]?.removals).toBe(1);
    expect(measured[0]?.late.map((l) => l.pod)).toEqual(["old"]);
    // Surely late (the read at 4.5 s saw the task running), by as much as the read that saw it done at 5.5 s says.
    expect(measured[0]?.overrunSeconds).toBeCloseTo(1.5, 6);
    const event = w.events.find((e) => e.reason === "TerminationHoldTooShort");
    expect(event?.type).toBe("Warning");
    expect(event?.note).toContain("old (10.0.0.2:8080, hold 3s); a hold of 6s would have covered it");
  });

  it("a pod that exits before its removal is sent: the removal is still measured against its hold", async () => {
    // Someone else's task keeps the listener busy for 5 s.
    const { w, key, deletedAt, measured, r } = setUp(5000);
    await r.reconcile(key);
    expect(w.log.filter((l) => l.startsWith("bind"))).toEqual([]);
    // The pod has exited and left the slices by the time the listener is free.
    w.views.set(key, podView(["10.0.0.1"]));
    w.t = deletedAt + 6000;
    await r.reconcile(key);
    expect(w.log.at(-1)).toBe("bind 10.0.0.1:8080");
    w.t = deletedAt + 7500;
    await r.reconcile(key);
    expect(measured).toHaveLength(1);
    expect(measured[0]).toMatchObject({ removals: 1, sentLate: 1 });
    expect(measured[0]?.overrunSeconds).toBeCloseTo(3.5, 6);
  });

  it("a pod seen in its hold only while our own bind was pending, gone by the next read: still measured", async () => {
    const { w, key, deletedAt, measured, r } = setUp();
    // Our bind adding 10.0.0.3 is being applied when the pod is deleted.
    w.views.set(key, podView(["10.0.0.1", "10.0.0.2", "10.0.0.3"]));
    await r.reconcile(key);
    expect(w.log.at(-1)).toBe("bind 10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080");
    const reads = w.reads;
    const drainingNow = drainingView(deletedAt);
    w.views.set(key, drainingNow);
    await r.reconcile(key); // waits out our bind: no read
    expect(w.reads).toBe(reads);
    w.views.set(key, podView(["10.0.0.1", "10.0.0.3"]));
    w.t = deletedAt + 5000;
    await r.reconcile(key);
    expect(w.log.at(-1)).toBe("bind 10.0.0.1:8080,10.0.0.3:8080");
    w.t = deletedAt + 7000;
    await r.reconcile(key);
    expect(measured.at(-1)).toMatchObject({ removals: 1, sentLate: 1 });
  });

  it("a removal seen done only after the hold, but maybe applied within it: counted, not late, no event", async () => {
    // No read saw the task running: it may have ended right after the send.
    const { w, measured } = await run(1000, 9000);
    expect(measured[0]).toMatchObject({ removals: 1, late: [], overrunSeconds: 0 });
    expect(w.events.map((e) => e.reason)).not.toContain("TerminationHoldTooShort");
  });

  it("a removal applied within the hold: counted, not late, no event", async () => {
    const { w, measured } = await run(1000, 1500);
    expect(measured).toHaveLength(1);
    expect(measured[0]).toMatchObject({ removals: 1, late: [], overrunSeconds: 0 });
    expect(w.events.map((e) => e.reason)).not.toContain("TerminationHoldTooShort");
  });
});
