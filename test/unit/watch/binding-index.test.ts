// The binding index: which binding keys each informer event enqueues, without an apiserver.
import type { V1EndpointSlice, V1Node, V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { GaapListenerBinding, TargetType } from "../../../src/api/types.ts";
import { BindingIndex } from "../../../src/watch/binding-index.ts";

const binding = (
  key: string,
  listenerId: string,
  o: { service?: string; targetType?: TargetType; status?: object; generation?: number } = {},
): GaapListenerBinding => {
  const [namespace, name] = key.split("/") as [string, string];
  return {
    metadata: { namespace, name, generation: o.generation ?? 1 },
    spec: {
      listenerId,
      serviceRef: { name: o.service ?? "web", port: 80 },
      ...(o.targetType ? { targetType: o.targetType } : {}),
    },
    ...(o.status ? { status: o.status } : {}),
  } as GaapListenerBinding;
};

const service = (namespace: string, name: string): V1Service => ({ metadata: { namespace, name } });
const slice = (namespace: string, svc?: string): V1EndpointSlice => ({
  addressType: "IPv4",
  endpoints: [],
  metadata: { namespace, name: `${svc}-abc`, labels: svc ? { "kubernetes.io/service-name": svc } : {} },
});
const node = (labels: Record<string, string> = {}, heartbeat = "2024-01-01T00:00:00Z"): V1Node => ({
  metadata: { name: "n1", labels },
  status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: new Date(heartbeat) }] },
});
const pod = (namespace: string, labels: Record<string, string> = {}): V1Pod => ({
  metadata: { namespace, name: "p1", labels },
});

/** a/one and a/two share lsr-1; b/three is on lsr-2 in Node mode; b/four reads Service "api" in Pod mode. */
function seeded(): BindingIndex {
  const idx = new BindingIndex();
  idx.onBinding("add", binding("a/one", "lsr-1"));
  idx.onBinding("add", binding("a/two", "lsr-1", { service: "api" }));
  idx.onBinding("add", binding("b/three", "lsr-2", { targetType: "Node" }));
  idx.onBinding("add", binding("b/four", "lsr-3", { service: "api" }));
  return idx;
}

describe("BindingIndex", () => {
  it.each<[string, (idx: BindingIndex) => string[], string[]]>([
    [
      "a new binding and the others on its listener",
      (i) => i.onBinding("add", binding("c/five", "lsr-2")),
      ["c/five", "b/three"],
    ],
    [
      "a binding moving listener: itself, then the bindings on the old and the new one",
      (i) => i.onBinding("update", binding("a/one", "lsr-2", { generation: 2 })),
      ["a/one", "a/two", "b/three"],
    ],
    [
      "a status-only update: nothing",
      (i) => i.onBinding("update", binding("a/one", "lsr-1", { status: { observedGeneration: 1 } })),
      [],
    ],
    [
      "a deleted binding and the others that were on its listener",
      (i) => i.onBinding("delete", binding("a/two", "lsr-1")),
      ["a/two", "a/one"],
    ],
    [
      "a Service: the bindings reading it in its namespace",
      (i) => i.onService(service("b", "api")),
      ["b/four"],
    ],
    ["a Service nobody reads", (i) => i.onService(service("a", "db")), []],
    ["a slice: the bindings reading its Service", (i) => i.onSlice(slice("a", "web")), ["a/one"]],
    ["a slice of no Service", (i) => i.onSlice(slice("a")), []],
    ["a new node: Node-mode bindings only", (i) => i.onNode("add", node()), ["b/three"]],
    ["a removed node", (i) => i.onNode("delete", node()), ["b/three"]],
    ["a new pod: nothing (its slice brings it)", (i) => i.onPod("add", pod("a")), []],
    ["a listener's bindings", (i) => i.keysOnListener("lsr-1"), ["a/one", "a/two"]],
    ["a listener nobody names", (i) => i.keysOnListener("lsr-9"), []],
  ])("%s", (_, event, keys) => {
    expect(event(seeded())).toEqual(keys);
  });

  it.each<[string, (idx: BindingIndex) => unknown, (idx: BindingIndex) => string[], string[]]>([
    [
      "a moved binding leaves its old listener",
      (i) => i.onBinding("update", binding("a/one", "lsr-2", { generation: 2 })),
      (i) => i.keysOnListener("lsr-1"),
      ["a/two"],
    ],
    [
      "a deleted binding no longer follows its Service",
      (i) => i.onBinding("delete", binding("b/four", "lsr-3", { service: "api" })),
      (i) => i.onService(service("b", "api")),
      [],
    ],
    [
      "a node heartbeat enqueues nothing",
      (i) => i.onNode("add", node()),
      (i) => i.onNode("update", node({}, "2024-01-01T00:00:40Z")),
      [],
    ],
    [
      "a node label change enqueues the Node-mode bindings",
      (i) => i.onNode("add", node()),
      (i) => i.onNode("update", node({ pool: "edge" })),
      ["b/three"],
    ],
    [
      "a pod label change enqueues the Pod-mode bindings of its namespace only",
      (i) => i.onPod("add", pod("b", { app: "web" })),
      (i) => i.onPod("update", pod("b", { app: "api" })),
      ["b/four"],
    ],
    [
      "a pod update that changes no label or annotation enqueues nothing",
      (i) => i.onPod("add", pod("a", { app: "web" })),
      (i) => i.onPod("update", pod("a", { app: "web" })),
      [],
    ],
  ])("%s", (_, before, event, keys) => {
    const idx = seeded();
    before(idx);
    expect(event(idx)).toEqual(keys);
  });

  it("keeps nothing of bindings that are gone, nor of the Services and listeners they named", () => {
    const idx = seeded();
    const internals = idx as unknown as { byService: Map<string, unknown>; byListener: Map<string, unknown> };
    for (let i = 0; i < 100; i++) {
      idx.onBinding("add", binding(`preview-${i}/web`, `lsr-p${i}`, { service: `web-${i}` }));
      // Re-pointed once, then deleted.
      idx.onBinding(
        "update",
        binding(`preview-${i}/web`, `lsr-q${i}`, { service: `api-${i}`, generation: 2 }),
      );
      idx.onBinding(
        "delete",
        binding(`preview-${i}/web`, `lsr-q${i}`, { service: `api-${i}`, generation: 2 }),
      );
    }
    expect([...internals.byService.keys()].sort()).toEqual(["a/api", "a/web", "b/api", "b/web"]);
    expect([...internals.byListener.keys()].sort()).toEqual(["lsr-1", "lsr-2", "lsr-3"]);
    expect(idx.keysOnListener("lsr-q1")).toEqual([]);
  });
});
