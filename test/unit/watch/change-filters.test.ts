// The change filters: which edits of a Node, Pod or binding can alter a desired set, and so reach the queue.
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { type GaapListenerBinding, WEIGHT_ANNOTATION } from "../../../src/api/types.ts";
import { bindingPrint, ChangeFilter, nodePrint, podPrint } from "../../../src/watch/change-filters.ts";

const node = (o: { heartbeat?: string; ready?: string; labels?: Record<string, string> } = {}): V1Node => ({
  metadata: { name: "n1", labels: o.labels ?? { zone: "a" }, annotations: { note: "x" } },
  spec: { taints: [{ key: "dedicated", effect: "NoSchedule" }] },
  status: {
    addresses: [{ type: "InternalIP", address: "10.0.0.1" }],
    conditions: [
      {
        type: "Ready",
        status: o.ready ?? "True",
        lastHeartbeatTime: new Date(o.heartbeat ?? "2024-01-01T00:00:00Z"),
      },
    ],
  },
});

const pod = (labels: Record<string, string> = { app: "web" }, phase = "Running"): V1Pod => ({
  metadata: { name: "p1", namespace: "ns", labels, annotations: { a: "1" } },
  status: { phase },
});

const binding = (o: { generation?: number; observed?: number; finalizers?: string[] } = {}) =>
  ({
    metadata: { name: "b1", namespace: "ns", generation: o.generation ?? 1, finalizers: o.finalizers ?? [] },
    spec: { listenerId: "lsr-1", serviceRef: { name: "web", port: 80 } },
    status: { observedGeneration: o.observed ?? 1 },
  }) as unknown as GaapListenerBinding;

const withMeta = <T extends { metadata?: object }>(o: T, meta: object): T => ({
  ...o,
  metadata: { ...o.metadata, ...meta },
});

describe("prints", () => {
  it.each<[string, string, string, boolean]>([
    ["node heartbeat only", nodePrint(node()), nodePrint(node({ heartbeat: "2024-01-01T00:00:40Z" })), true],
    ["node label change", nodePrint(node()), nodePrint(node({ labels: { zone: "b" } })), false],
    ["node Ready flips", nodePrint(node()), nodePrint(node({ ready: "False" })), false],
    [
      "node weight annotation",
      nodePrint(node()),
      nodePrint(withMeta(node(), { annotations: { [WEIGHT_ANNOTATION]: "5" } })),
      false,
    ],
    [
      "node unrelated annotation",
      nodePrint(node()),
      nodePrint(withMeta(node(), { annotations: { note: "y" } })),
      true,
    ],
    [
      "node cordoned",
      nodePrint(node()),
      nodePrint({ ...node(), spec: { ...node().spec, unschedulable: true } }),
      false,
    ],
    ["pod label change", podPrint(pod()), podPrint(pod({ app: "api" })), false],
    ["pod status only", podPrint(pod()), podPrint(pod(undefined, "Succeeded")), true],
    ["binding status only", bindingPrint(binding()), bindingPrint(binding({ observed: 7 })), true],
    ["binding spec edit", bindingPrint(binding()), bindingPrint(binding({ generation: 2 })), false],
    ["binding finalizer", bindingPrint(binding()), bindingPrint(binding({ finalizers: ["f"] })), false],
    [
      "binding being deleted",
      bindingPrint(binding()),
      bindingPrint(withMeta(binding(), { deletionTimestamp: "2024-01-01T00:00:00Z" })),
      false,
    ],
  ])("%s: same print is %s", (_, before, after, same) => {
    expect(before === after).toBe(same);
  });
});

const later = "2024-01-01T00:01:00Z";

describe("ChangeFilter", () => {
  // Each row feeds one filter a sequence of events and lists which of them pass.
  it.each<[string, (f: ChangeFilter) => boolean[], boolean[]]>([
    ["binding add", (f) => [f.binding("add", binding())], [true]],
    [
      "binding status-only update",
      (f) => [f.binding("add", binding()), f.binding("update", binding({ observed: 3 }))],
      [true, false],
    ],
    [
      "binding spec edit",
      (f) => [f.binding("add", binding()), f.binding("update", binding({ generation: 2 }))],
      [true, true],
    ],
    ["binding delete", (f) => [f.binding("add", binding()), f.binding("delete", binding())], [true, true]],
    [
      "binding update after delete",
      (f) => [f.binding("delete", binding()), f.binding("update", binding())],
      [true, true],
    ],
    ["node first sight", (f) => [f.node("add", node())], [true]],
    [
      "node heartbeat",
      (f) => [f.node("add", node()), f.node("update", node({ heartbeat: later }))],
      [true, false],
    ],
    [
      "node label change",
      (f) => [f.node("add", node()), f.node("update", node({ labels: {} }))],
      [true, true],
    ],
    ["node delete", (f) => [f.node("add", node()), f.node("delete", node())], [true, true]],
    ["new pod (its slice brings it)", (f) => [f.pod("add", pod())], [false]],
    ["pod label change", (f) => [f.pod("add", pod()), f.pod("update", pod({ app: "api" }))], [false, true]],
    [
      "pod status only",
      (f) => [f.pod("add", pod()), f.pod("update", pod(undefined, "Failed"))],
      [false, false],
    ],
    ["pod delete", (f) => [f.pod("add", pod()), f.pod("delete", pod())], [false, false]],
    ["pod update after delete", (f) => [f.pod("delete", pod()), f.pod("update", pod({}))], [false, false]],
  ])("%s", (_, run, passes) => {
    expect(run(new ChangeFilter())).toEqual(passes);
  });
});
