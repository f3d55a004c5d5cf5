// Desired origins (logic/desired.ts): Pod mode and Node mode, from cached Services, EndpointSlices, pods and nodes.
import { describe, expect, it } from "vitest";
import type { GaapListenerBindingSpec } from "../../../../../src/api/types.ts";
import { desiredOrigins } from "../../../../../src/binding/logic/desired.ts";
import { ips, node, pod, slice, spec, svc, view } from "./desired-fixtures.ts";

describe("desired origins: Pod mode", () => {
  const http = svc([{ name: "http", port: 80 }]);
  it.each([
    {
      name: "ready endpoints with the slice's resolved target port",
      v: { service: http, slices: [slice("a", 8080, [{ ip: "10.0.0.2" }, { ip: "10.0.0.1", ready: true }])] },
      want: ["10.0.0.1:8080", "10.0.0.2:8080"],
    },
    {
      name: "skips not-ready and terminating endpoints",
      v: {
        service: http,
        slices: [
          slice("a", 8080, [
            { ip: "10.0.0.1", ready: false },
            { ip: "10.0.0.2", ready: false, terminating: true },
            { ip: "10.0.0.3" },
          ]),
        ],
      },
      want: ["10.0.0.3:8080"],
    },
    {
      name: "merges slices and dedupes an endpoint listed twice during a slice migration",
      v: {
        service: http,
        slices: [
          slice("a", 8080, [{ ip: "10.0.0.1" }]),
          slice("b", 8080, [{ ip: "10.0.0.1" }, { ip: "10.0.0.9" }]),
        ],
      },
      want: ["10.0.0.1:8080", "10.0.0.9:8080"],
    },
    {
      name: "ignores slices of another port name and FQDN slices",
      v: {
        service: http,
        slices: [
          slice("a", 9090, [{ ip: "10.0.0.1" }], "metrics"),
          slice("b", 8080, [{ ip: "x.example" }], "http", "FQDN"),
        ],
      },
      want: [],
    },
    { name: "no slices yet: an empty set", v: { service: http }, want: [] },
    { name: "Service missing", v: {}, want: "ServiceNotFound" },
    {
      name: "Service without the port",
      v: { service: svc([{ name: "grpc", port: 81 }]) },
      want: "ServicePortNotFound",
    },
  ])("$name", ({ v, want }) => {
    expect(ips(desiredOrigins("ns", spec(), view(v)))).toEqual(want);
  });

  it("finds the Service port by name", () => {
    const r = desiredOrigins(
      "ns",
      spec({ serviceRef: { name: "web", port: "http" } }),
      view({ service: http, slices: [slice("a", 8080, [{ ip: "10.0.0.1" }])] }),
    );
    expect(ips(r)).toEqual(["10.0.0.1:8080"]);
  });

  it("binds the public IP from the pod annotation and reports pods without one", () => {
    const s = spec({ podAddressAnnotation: "example.com/public-ip" });
    const r = desiredOrigins(
      "ns",
      s,
      view({
        service: http,
        slices: [
          slice("a", 8080, [
            { ip: "10.0.0.1", pod: "p1" },
            { ip: "10.0.0.2", pod: "p2" },
            { ip: "10.0.0.3", pod: "p3" },
          ]),
        ],
        pods: [
          pod("p1", { "example.com/public-ip": "198.18.0.1" }),
          pod("p2", { "example.com/public-ip": "not-an-ip" }),
          pod("p3"),
        ],
      }),
    );
    expect(ips(r)).toEqual(["198.18.0.1:8080"]);
    expect(r.ok && r.notes[0]).toMatch(
      /2 ready pod\(s\) without an IP in annotation example.com\/public-ip: p2, p3/,
    );
  });

  it("takes weights from pod annotations, falling back (with a note) on bad values", () => {
    const r = desiredOrigins(
      "ns",
      spec({ weight: 7 }),
      view({
        service: http,
        slices: [
          slice("a", 80, [
            { ip: "10.0.0.1", pod: "p1" },
            { ip: "10.0.0.2", pod: "p2" },
            { ip: "10.0.0.3", pod: "p3" },
          ]),
        ],
        pods: [
          pod("p1", { "gaap.operator.dev/weight": "30" }),
          pod("p2", { "gaap.operator.dev/weight": "300" }),
          pod("p3"),
        ],
      }),
    );
    expect(r.ok && r.origins.map((o) => o.weight)).toEqual([30, 7, 7]);
    expect(r.ok && r.notes.join()).toMatch(
      /pod p2: gaap.operator.dev\/weight="300" is not an integer 1-100; using 7/,
    );
  });

  it("marks pods matching secondarySelector as secondary", () => {
    const r = desiredOrigins(
      "ns",
      spec({ secondarySelector: { matchLabels: { tier: "backup" } } }),
      view({
        service: http,
        slices: [
          slice("a", 80, [
            { ip: "10.0.0.1", pod: "p1" },
            { ip: "10.0.0.2", pod: "p2" },
          ]),
        ],
        pods: [pod("p1", {}, { tier: "backup" }), pod("p2", {}, { tier: "main" })],
      }),
    );
    expect(r.ok && r.origins.map((o) => o.secondary)).toEqual([true, false]);
  });

  it("reports the Service port's protocol", () => {
    const r = desiredOrigins(
      "ns",
      spec(),
      view({ service: svc([{ name: "dns", port: 80, protocol: "UDP" }]) }),
    );
    expect(r.ok && r.protocol).toBe("UDP");
  });
});

describe("desired origins: Node mode", () => {
  const np = svc([{ name: "http", port: 80, nodePort: 30080 }], { type: "NodePort" });
  const nodeSpec = (s: Partial<GaapListenerBindingSpec> = {}) => spec({ targetType: "Node", ...s });
  it.each([
    {
      name: "every Ready, schedulable node's ExternalIP with the NodePort",
      s: {},
      nodes: [node("n1"), node("n2")],
      want: ["203.0.113.1:30080", "203.0.113.2:30080"],
    },
    {
      name: "InternalIP when asked",
      s: { nodeAddressType: "InternalIP" as const },
      nodes: [node("n1")],
      want: ["192.0.2.1:30080"],
    },
    {
      name: "skips not-ready, cordoned, excluded and deleting nodes",
      s: {},
      nodes: [
        node("n1", { ready: false }),
        node("n2", { unschedulable: true }),
        node("n3", { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } }),
        node("n4", { taints: ["ToBeDeletedByClusterAutoscaler"] }),
        node("n5", { taints: ["karpenter.sh/disrupted"] }),
        node("n6"),
      ],
      want: ["203.0.113.6:30080"],
    },
    {
      name: "honours nodeSelector",
      s: { nodeSelector: { matchExpressions: [{ key: "pool", operator: "In", values: ["edge"] }] } },
      nodes: [node("n1", { labels: { pool: "edge" } }), node("n2", { labels: { pool: "core" } }), node("n3")],
      want: ["203.0.113.1:30080"],
    },
    {
      name: "skips nodes without the address type",
      s: {},
      nodes: [node("n1", { external: null }), node("n2")],
      want: ["203.0.113.2:30080"],
    },
    {
      name: "IPv6 ExternalIPs with the NodePort",
      s: {},
      nodes: [node("n1", { external: "2001:db8:1::1" }), node("n2", { external: "2001:db8:1::2" })],
      want: ["[2001:db8:1::1]:30080", "[2001:db8:1::2]:30080"],
    },
    {
      name: "IPv6 InternalIP when asked",
      s: { nodeAddressType: "InternalIP" as const },
      nodes: [node("n1", { internal: "fd00:10::1" }), node("n2", { external: null, internal: "fd00:10::2" })],
      want: ["[fd00:10::1]:30080", "[fd00:10::2]:30080"],
    },
    {
      name: "mixed-family nodes, in address text order",
      s: {},
      nodes: [node("n1"), node("n2", { external: "2001:db8:1::2" }), node("n3", { external: "fd00::3" })],
      want: ["[2001:db8:1::2]:30080", "203.0.113.1:30080", "[fd00::3]:30080"],
    },
    {
      name: "skips an IPv6 node that is not ready",
      s: {},
      nodes: [
        node("n1", { external: "2001:db8:1::1", ready: false }),
        node("n2", { external: "2001:db8:1::2" }),
      ],
      want: ["[2001:db8:1::2]:30080"],
    },
  ])("$name", ({ s, nodes, want }) => {
    expect(ips(desiredOrigins("ns", nodeSpec(s), view({ service: np, nodes })))).toEqual(want);
  });

  it.each([
    {
      family: "IPv4",
      nodes: [node("n1"), node("n2"), node("n3")],
      addressType: "IPv4" as const,
      endpoints: ["10.0.0.1", "10.0.0.2"],
      want: ["203.0.113.2:30080"],
    },
    {
      family: "IPv6",
      nodes: [1, 2, 3].map((i) => node(`n${i}`, { external: `2001:db8:1::${i}` })),
      addressType: "IPv6" as const,
      endpoints: ["fd00::1", "fd00::2"],
      want: ["[2001:db8:1::2]:30080"],
    },
  ])(
    "with externalTrafficPolicy Local, only nodes that run a ready endpoint ($family)",
    ({ nodes, addressType, endpoints, want }) => {
      const local = svc([{ name: "http", port: 80, nodePort: 30080 }], {
        type: "NodePort",
        externalTrafficPolicy: "Local",
      });
      const [onN2, notReadyOnN3] = endpoints as [string, string];
      const eps = [
        { ip: onN2, node: "n2" },
        { ip: notReadyOnN3, node: "n3", ready: false },
      ];
      const r = desiredOrigins(
        "ns",
        nodeSpec(),
        view({ service: local, nodes, slices: [slice("a", 8080, eps, "http", addressType)] }),
      );
      expect(ips(r)).toEqual(want);
    },
  );

  it("refuses a Service without a NodePort", () => {
    const r = desiredOrigins(
      "ns",
      nodeSpec(),
      view({ service: svc([{ name: "http", port: 80 }]), nodes: [node("n1")] }),
    );
    expect(r.ok ? "ok" : r.problem).toBe("ServiceHasNoNodePort");
  });

  it("takes weights and roles from node annotations and labels", () => {
    const r = desiredOrigins(
      "ns",
      nodeSpec({ secondarySelector: { matchLabels: { role: "standby" } } }),
      view({
        service: np,
        nodes: [
          node("n1", { annotations: { "gaap.operator.dev/weight": "50" } }),
          node("n2", { labels: { role: "standby" } }),
        ],
      }),
    );
    expect(r.ok && r.origins.map((o) => [o.weight, o.secondary])).toEqual([
      [50, false],
      [10, true],
    ]);
  });
});
