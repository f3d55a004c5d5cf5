// Pod mode end to end: the operator as a process, the real control plane, the emulator through the SDK.
import { EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition } from "../../../testenv/bindings.ts";
import { eventually } from "../../support/eventually.ts";
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

describe("Pod mode", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("pods");
    await createWeb(s, 3);
    await s.bindings.create("web", { listenerId: L.wrr, weight: 20 });
  });
  afterAll(async () => s?.close());

  it("binds the ready pods with the resolved target port and the weight", async () => {
    await untilBound(s, L.wrr, 8080, { count: 3 });
    const detail = await gaapSet(s, L.wrr, true);
    expect(detail.every((d) => d.endsWith(":8080/w20"))).toBe(true);
    const ips = await readyPodIPs(s);
    expect(detail.map((d) => d.split(":")[0]).sort()).toEqual(ips);
  });

  it("reports it in the status: Ready, counts, bound servers, the listener", async () => {
    const b = await eventually(
      async () => {
        const b = await s.bindings.get("web");
        expect(condition(b, "Ready")?.status).toBe("True");
        return b;
      },
      { what: "Ready" },
    );
    expect(b?.status?.observedGeneration).toBe(b?.metadata.generation);
    expect(b?.status?.desiredCount).toBe(3);
    expect(b?.status?.boundCount).toBe(3);
    expect(b?.status?.boundServers?.map((x) => x.realServerId)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^rs-/)]),
    );
    expect(b?.status?.listener).toMatchObject({ protocol: "TCP", port: 80, scheduler: "wrr", status: 0 });
    expect(condition(b, "Degraded")?.status).toBe("False");
    expect(condition(b, "Synced")?.status).toBe("True");
    expect(b?.status?.lastSyncTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(b?.metadata.finalizers).toContain("gaap.operator.dev/finalizer");
  });

  it("follows scaling up and down", async () => {
    await scale(s, 5);
    await untilBound(s, L.wrr, 8080, { count: 5 });
    await scale(s, 3);
    await untilBound(s, L.wrr, 8080, { count: 3 });
  });

  it("registers origins tagged with the cluster and binding, and removes the ones scaling down freed", async () => {
    const tagged = async () =>
      (
        await s.gaap.DescribeRealServers({
          ProjectId: -1,
          TagSet: [{ TagKey: "gaap.operator.dev/cluster", TagValue: "default" }],
          Limit: 50,
        })
      ).RealServerSet;
    expect((await tagged())[0]?.TagSet).toContainEqual({
      TagKey: "gaap.operator.dev/binding",
      TagValue: `${s.ns}/web`,
    });
    // 5 were registered while scaled up; after scaling to 3 the 2 unused ones are garbage-collected.
    await eventually(
      async () => {
        const bound = (await gaapSet(s, L.wrr)).map((x) => x.split(":")[0]);
        expect(bound).toHaveLength(3);
        expect((await tagged()).map((r) => r.RealServerIP).sort()).toEqual(bound);
      },
      { what: "unused origins removed" },
    );
  });

  it("records Bound events on the binding", async () => {
    const events = s.c.kc.makeApiClient(EventsV1Api);
    const list = await eventually(async () => {
      const l = await events.listNamespacedEvent({ namespace: s.ns });
      const bound = l.items.filter((e) => e.reason === "Bound");
      expect(bound.length).toBeGreaterThan(0);
      return bound;
    });
    expect(list[0]?.regarding?.kind).toBe("GaapListenerBinding");
    expect(list[0]?.reportingController).toBe("gaap.operator.dev/gaap-operator");
  });

  it("never sent a bind while the listener was busy", () => {
    const binds = calls(s, { action: "BindListenerRealServers" });
    expect(binds.length).toBeGreaterThan(0);
    expect(binds.filter((c) => c.code !== "Success")).toEqual([]);
  });
});
