// Deletion through the finalizer, listeners shared between bindings, rolling updates, admission of bad specs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition } from "../../../testenv/bindings.ts";
import { deployment } from "../../../testenv/workload.ts";
import { eventually } from "../../support/eventually.ts";
import {
  calls,
  createWeb,
  gaapSet,
  L,
  mergePatch,
  readyOrigins,
  type Scenario,
  scenario,
  scenarioState,
  untilBound,
} from "../../support/scenario.ts";

async function taggedOrigins(s: Scenario): Promise<string[]> {
  const res = await s.gaap.DescribeRealServers({
    ProjectId: -1,
    TagSet: [{ TagKey: "gaap.operator.dev/cluster", TagValue: "default" }],
    Limit: 50,
  });
  return res.RealServerSet.map((r) => r.RealServerIP ?? "").sort();
}

describe("deleting a binding", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("delete");
    await createWeb(s, 2);
  });
  afterAll(async () => s?.close());

  it("Unbind empties the listener and removes the origins it registered", async () => {
    await s.bindings.create("web", { listenerId: L.wrr });
    await untilBound(s, L.wrr, 8080, { count: 2 });
    expect(await taggedOrigins(s)).toHaveLength(2);
    await s.bindings.delete("web");
    await eventually(async () => expect(await s.bindings.get("web")).toBeUndefined(), {
      what: "binding gone",
    });
    expect(await gaapSet(s, L.wrr)).toEqual([]);
    expect(await taggedOrigins(s)).toEqual([]);
  });

  it("Retain leaves GAAP as it is", async () => {
    await s.bindings.create("keep", { listenerId: L.wrr2, deletionPolicy: "Retain" });
    const bound = await untilBound(s, L.wrr2, 8080, { count: 2 });
    await s.bindings.delete("keep");
    await eventually(async () => expect(await s.bindings.get("keep")).toBeUndefined(), {
      what: "binding gone",
    });
    expect(await gaapSet(s, L.wrr2)).toEqual(bound);
  });

  it("deleting an Exclusive binding that never bound anything leaves the listener alone", async () => {
    const manual = await s.gaap.AddRealServers({
      ProjectId: 0,
      RealServerIP: ["198.18.201.1"],
      RealServerName: "manual",
    });
    await s.gaap.BindListenerRealServers({
      ListenerId: L.udp,
      RealServerBindSet: [
        {
          RealServerId: manual.RealServerSet?.[0]?.RealServerId as string,
          RealServerIP: "198.18.201.1",
          RealServerPort: 53,
          RealServerWeight: 1,
        },
      ],
    });
    await s.bindings.create("typo", { listenerId: L.udp, serviceRef: { name: "no-such-service", port: 53 } });
    await eventually(
      async () => expect(condition(await s.bindings.get("typo"), "Degraded")?.reason).toBe("ServiceNotFound"),
      {
        what: "ServiceNotFound",
      },
    );
    await s.bindings.delete("typo");
    await eventually(async () => expect(await s.bindings.get("typo")).toBeUndefined(), {
      what: "binding gone",
    });
    expect(await gaapSet(s, L.udp)).toEqual(["198.18.201.1:53"]);
  });

  it("a listener that no longer exists does not block deletion", async () => {
    await s.bindings.create("doomed", { listenerId: L.rr });
    await untilBound(s, L.rr, 8080, { count: 2 });
    await s.gaap.DeleteListeners({ ListenerIds: [L.rr], Force: 1 }).catch(async () => {
      // Busy right after the bind: try again once it settles.
      await eventually(async () => {
        const r = await s.gaap.DeleteListeners({ ListenerIds: [L.rr], Force: 1 });
        expect(r.OperationSucceedListenerSet).toEqual([L.rr]);
      });
    });
    await eventually(
      async () =>
        expect(condition(await s.bindings.get("doomed"), "Degraded")?.reason).toBe("ListenerNotFound"),
      {
        what: "ListenerNotFound",
      },
    );
    await s.bindings.delete("doomed");
    await eventually(async () => expect(await s.bindings.get("doomed")).toBeUndefined(), {
      what: "binding gone",
    });
  });
});

describe("several bindings on one listener", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("share");
    await createWeb(s, 2);
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: {
        metadata: { name: "api" },
        spec: { selector: { app: "api" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
    });
    await s.c.apps.createNamespacedDeployment({
      namespace: s.ns,
      body: deployment("api", 2, { port: 9090 }),
    });
  });
  afterAll(async () => s?.close());

  it("reports a second Exclusive binding as a conflict and leaves the first one's set alone", async () => {
    await s.bindings.create("first", { listenerId: L.wrr });
    const bound = await untilBound(s, L.wrr, 8080, { count: 2 });
    await s.bindings.create("second", { listenerId: L.wrr, serviceRef: { name: "api", port: 80 } });
    const b = await eventually(
      async () => {
        const b = await s.bindings.get("second");
        expect(condition(b, "Degraded")?.reason).toBe("ListenerConflict");
        return b;
      },
      { what: "conflict" },
    );
    expect(condition(b, "Ready")?.message).toMatch(new RegExp(`held by ${s.ns}/first`));
    expect(await gaapSet(s, L.wrr)).toEqual(bound);
    // Deleting the loser must not touch the winner's origins.
    await s.bindings.delete("second");
    await eventually(async () => expect(await s.bindings.get("second")).toBeUndefined());
    expect(await gaapSet(s, L.wrr)).toEqual(bound);
  });

  it("lets two Shared bindings coexist, each keeping the other's origins and its own, and a manual one", async () => {
    // Someone bound an origin by hand before: Shared bindings keep it.
    const manual = await s.gaap.AddRealServers({
      ProjectId: 0,
      RealServerIP: ["198.18.200.1"],
      RealServerName: "manual",
    });
    await s.gaap.BindListenerRealServers({
      ListenerId: L.shared,
      RealServerBindSet: [
        {
          RealServerId: manual.RealServerSet?.[0]?.RealServerId as string,
          RealServerIP: "198.18.200.1",
          RealServerPort: 443,
          RealServerWeight: 1,
        },
      ],
    });
    await s.bindings.create("web-shared", { listenerId: L.shared, ownership: "Shared" });
    await s.bindings.create("api-shared", {
      listenerId: L.shared,
      ownership: "Shared",
      serviceRef: { name: "api", port: 80 },
    });
    const web = await readyOrigins(s, 8080, "web");
    const api = await readyOrigins(s, 9090, "api");
    const all = [...web, ...api, "198.18.200.1:443"].sort();
    await eventually(async () => expect(await gaapSet(s, L.shared)).toEqual(all), {
      what: "shared set",
      timeoutMs: 60_000,
    });
    for (const name of ["web-shared", "api-shared"]) {
      await eventually(async () =>
        expect(condition(await s.bindings.get(name), "Ready")?.status).toBe("True"),
      );
    }
    const webStatus = await s.bindings.get("web-shared");
    expect(webStatus?.status?.ownedServers?.sort()).toEqual(web);

    // Deleting one removes only its own origins.
    await s.bindings.delete("api-shared");
    await eventually(
      async () => expect(await gaapSet(s, L.shared)).toEqual([...web, "198.18.200.1:443"].sort()),
      { what: "api removed" },
    );
  });
});

describe("rolling update", () => {
  let s: Scenario;
  beforeAll(async () => {
    // Bind tasks of 1 s make coalescing visible.
    s = await scenario("roll", { state: scenarioState({ behavior: { bindTaskMs: 1000 } }) });
    await createWeb(s, 6);
    await s.bindings.create("web", { listenerId: L.wrr, maxUnbindPercent: 50 });
    await untilBound(s, L.wrr, 8080, { count: 6 });
  });
  afterAll(async () => s?.close());

  it("converges, with bind calls bounded by the task time (changes coalesce)", async () => {
    const before = s.emu.calls.lastSeq;
    const podNames = async () =>
      (await s.c.core.listNamespacedPod({ namespace: s.ns, labelSelector: "app=web" })).items
        .filter(
          (p) =>
            !p.metadata?.deletionTimestamp &&
            p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
        )
        .map((p) => p.metadata?.name as string);
    const oldPods = await podNames();
    const started = Date.now();
    await s.c.apps.patchNamespacedDeployment(
      {
        name: "web",
        namespace: s.ns,
        body: { spec: { template: { metadata: { annotations: { rollout: String(started) } } } } },
      },
      mergePatch,
    );
    await eventually(
      async () => {
        const d = await s.c.apps.readNamespacedDeployment({ name: "web", namespace: s.ns });
        expect(d.status?.observedGeneration).toBe(d.metadata?.generation);
        expect(d.status?.updatedReplicas).toBe(6);
        expect(d.status?.replicas).toBe(6);
        expect(d.status?.readyReplicas).toBe(6);
        // Every pod was replaced.
        const now = await podNames();
        expect(now).toHaveLength(6);
        expect(now.filter((n) => oldPods.includes(n))).toEqual([]);
      },
      { timeoutMs: 60_000, what: "rollout done" },
    );
    await untilBound(s, L.wrr, 8080, { count: 6 });
    const seconds = (Date.now() - started) / 1000;
    const binds = calls(s, { since: before, action: "BindListenerRealServers" });
    // One bind per task time is all that can be useful: duration / T + 2.
    expect(binds.length).toBeGreaterThan(0);
    expect(binds.length).toBeLessThanOrEqual(Math.ceil(seconds / 1) + 2);
    expect(binds.filter((c) => c.code !== "Success")).toEqual([]);
    for (const c of binds) expect((c.bindSet ?? []).length).toBeGreaterThan(0);
  });
});
