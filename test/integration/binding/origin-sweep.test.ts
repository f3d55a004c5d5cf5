// The origin sweep with a broken binding in the cluster (issue 24): a binding whose Service is gone cannot say which
// origins it wants, so the origins tagged with its name stay; origins every other binding freed are still swept.
// Once its Service is back, its own unused origins go too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition } from "../../../testenv/bindings.ts";
import { deployment, service } from "../../../testenv/workload.ts";
import { eventually } from "../../support/eventually.ts";
import { createWeb, gaapSet, L, type Scenario, scale, scenario, untilBound } from "../../support/scenario.ts";

const CLUSTER_TAG = { TagKey: "gaap.operator.dev/cluster", TagValue: "default" };

describe("the origin sweep beside a broken binding", () => {
  let s: Scenario;
  /** IPs of the origins tagged with this cluster. */
  const tagged = async () =>
    (await s.gaap.DescribeRealServers({ ProjectId: -1, TagSet: [CLUSTER_TAG], Limit: 50 })).RealServerSet.map(
      (r) => r.RealServerIP,
    ).sort();
  const unboundOfApi = "198.18.77.7";

  beforeAll(async () => {
    s = await scenario("sweep");
    await createWeb(s, 3);
    await s.c.core.createNamespacedService({ namespace: s.ns, body: service("api") });
    await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: deployment("api", 2) });
    await s.bindings.create("web", { listenerId: L.wrr });
    await s.bindings.create("api", { listenerId: L.rr, serviceRef: { name: "api", port: 80 } });
    await untilBound(s, L.wrr, 8080, { count: 3 });
    await untilBound(s, L.rr, 8080, { count: 2, service: "api" });
  });
  afterAll(async () => s?.close());

  it("keeps the broken binding's own origins and sweeps the ones others freed", async () => {
    // An origin api registered and had not bound yet when its Service went away.
    await s.gaap.AddRealServers({
      RealServerIP: [unboundOfApi],
      RealServerName: "gaap-operator",
      ProjectId: 0,
      TagSet: [CLUSTER_TAG, { TagKey: "gaap.operator.dev/binding", TagValue: `${s.ns}/api` }],
    });
    const apiBound = await gaapSet(s, L.rr);
    await s.c.core.deleteNamespacedService({ namespace: s.ns, name: "api" });
    await eventually(
      async () => expect(condition(await s.bindings.get("api"), "Degraded")?.reason).toBe("ServiceNotFound"),
      { what: "api broken" },
    );
    await scale(s, 2);
    const web = await untilBound(s, L.wrr, 8080, { count: 2 });
    const ipsOf = (set: string[]) => set.map((o) => o.split(":")[0] as string);
    // web's freed origin is swept; api's bound ones and its unbound one stay.
    await eventually(
      async () => expect(await tagged()).toEqual([...ipsOf(web), ...ipsOf(apiBound), unboundOfApi].sort()),
      { what: "web's freed origin swept", timeoutMs: 60_000 },
    );
    expect(await gaapSet(s, L.rr)).toEqual(apiBound);
  });

  it("sweeps the binding's unused origins once its Service is back", async () => {
    await s.c.core.createNamespacedService({ namespace: s.ns, body: service("api") });
    await eventually(async () => expect(await tagged()).not.toContain(unboundOfApi), {
      what: "api's unused origin swept",
      timeoutMs: 60_000,
    });
    await untilBound(s, L.rr, 8080, { count: 2, service: "api" });
  });
});
