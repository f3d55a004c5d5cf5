import { describe, expect, it } from "vitest";
import type { GaapListenerBinding } from "../../src/api/types.ts";
import { Metrics } from "../../src/metrics.ts";

const binding = (name: string, conditions: [string, string, string][]): GaapListenerBinding =>
  ({
    metadata: { namespace: "shop", name },
    spec: { listenerId: "listener-1", serviceRef: { name, port: 80 } },
    status: {
      conditions: conditions.map(([type, status, reason]) => ({
        type,
        status,
        reason,
        message: "",
        lastTransitionTime: "2026-12-02T00:00:00Z",
      })),
    },
  }) as GaapListenerBinding;

const series = async (m: Metrics, name: string) =>
  (await m.registry.metrics()).split("\n").filter((l) => l.startsWith(`${name}{`));

describe("gaap_binding_condition", () => {
  it("has one series per binding and condition, labelled with its status and reason, read at scrape time", async () => {
    const m = new Metrics();
    let bindings = [
      binding("web", [
        ["Ready", "False", "MassUnbind"],
        ["Degraded", "True", "MassUnbind"],
      ]),
      binding("api", [["Ready", "True", "InSync"]]),
    ];
    m.bindings = () => bindings;
    expect(await series(m, "gaap_binding_condition")).toEqual([
      'gaap_binding_condition{namespace="shop",name="web",condition="Ready",status="False",reason="MassUnbind"} 1',
      'gaap_binding_condition{namespace="shop",name="web",condition="Degraded",status="True",reason="MassUnbind"} 1',
      'gaap_binding_condition{namespace="shop",name="api",condition="Ready",status="True",reason="InSync"} 1',
    ]);
    // A condition that changed leaves no series behind at its old status, and a deleted binding none at all.
    bindings = [binding("web", [["Ready", "True", "InSync"]])];
    expect(await series(m, "gaap_binding_condition")).toEqual([
      'gaap_binding_condition{namespace="shop",name="web",condition="Ready",status="True",reason="InSync"} 1',
    ]);
    bindings = [];
    expect(await series(m, "gaap_binding_condition")).toEqual([]);
  });
});

describe("workqueue_depth", () => {
  it("exists at 0 from the start, before any key waits in the queue", async () => {
    const m = new Metrics();
    m.controllerMetrics("gaaplistenerbinding");
    m.controllerMetrics("podreadinessgate", "podreadinessgate");
    expect(await series(m, "workqueue_depth")).toEqual([
      'workqueue_depth{name="gaaplistenerbinding"} 0',
      'workqueue_depth{name="podreadinessgate"} 0',
    ]);
  });
});
