import { isIP } from "node:net";
import type { V1EndpointSlice, V1Node, V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { type GaapListenerBindingSpec, resolveSpec } from "../../../../src/api/types.ts";
import { desiredOrigins } from "../../../../src/binding/logic/desired.ts";
import { drainingOrigins, holdEndsAt } from "../../../../src/binding/logic/drain.ts";
import { canonicalIp, originKey } from "../../../../src/binding/logic/origin.ts";
import type { ClusterView } from "../../../../src/model/cluster-view.ts";

const svc = (
  ports: Array<{ name?: string; port: number; nodePort?: number; protocol?: string }>,
  extra = {},
): V1Service => ({
  metadata: { name: "web", namespace: "ns" },
  spec: { ports, ...extra },
});

interface Ep {
  ip: string;
  ready?: boolean;
  terminating?: boolean;
  pod?: string;
  node?: string;
}
const slice = (
  name: string,
  port: number,
  eps: Ep[],
  portName = "http",
  addressType = "IPv4",
): V1EndpointSlice => ({
  addressType,
  metadata: { name, namespace: "ns", labels: { "kubernetes.io/service-name": "web" } },
  ports: [{ name: portName, port, protocol: "TCP" }],
  endpoints: eps.map((e) => ({
    addresses: [e.ip],
    conditions: {
      ...(e.ready === undefined ? {} : { ready: e.ready }),
      ...(e.terminating === undefined ? {} : { terminating: e.terminating }),
    },
    ...(e.pod ? { targetRef: { kind: "Pod", name: e.pod, namespace: "ns" } } : {}),
    ...(e.node ? { nodeName: e.node } : {}),
  })),
});

interface NodeOpts {
  ready?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: string[];
  unschedulable?: boolean;
  external?: string | null;
  internal?: string;
}
const node = (name: string, o: NodeOpts = {}): V1Node => ({
  metadata: { name, labels: o.labels ?? {}, annotations: o.annotations ?? {} },
  spec: {
    unschedulable: o.unschedulable ?? false,
    taints: (o.taints ?? []).map((key) => ({ key, effect: "NoSchedule" })),
  },
  status: {
    addresses: [
      ...(o.external === null
        ? []
        : [{ type: "ExternalIP", address: o.external ?? `203.0.113.${name.slice(-1)}` }]),
      { type: "InternalIP", address: o.internal ?? `192.0.2.${name.slice(-1)}` },
    ],
    conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }],
  },
});

const pod = (
  name: string,
  annotations: Record<string, string> = {},
  labels: Record<string, string> = {},
): V1Pod => ({
  metadata: { name, namespace: "ns", annotations, labels },
});

function view(v: Partial<Omit<ClusterView, "pod">> & { pods?: V1Pod[] }): ClusterView {
  return {
    service: v.service,
    slices: v.slices ?? [],
    nodes: v.nodes ?? [],
    pod: (name) => v.pods?.find((p) => p.metadata?.name === name),
    selectedPods: () => v.pods ?? [],
  };
}

const spec = (s: Partial<GaapListenerBindingSpec> = {}) =>
  resolveSpec({ listenerId: "listener-a", serviceRef: { name: "web", port: 80 }, ...s });

// IPv6 in brackets, so "[2001:db8::1]:8080" cannot be misread as the address 2001:db8::1:8080.
const ips = (r: ReturnType<typeof desiredOrigins>) =>
  r.ok ? r.origins.map((o) => (isIP(o.ip) === 6 ? `[${o.ip}]:${o.port}` : `${o.ip}:${o.port}`)) : r.problem;

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

describe("desired origins: IPv6", () => {
  const http = svc([{ name: "http", port: 80 }]);
  const slice6 = (name: string, port: number, eps: Ep[], portName = "http") =>
    slice(name, port, eps, portName, "IPv6");

  it.each([
    {
      name: "an IPv6 slice yields IPv6 origins",
      slices: [slice6("a", 8080, [{ ip: "2001:db8::2" }, { ip: "2001:db8::1", ready: true }])],
      want: ["[2001:db8::1]:8080", "[2001:db8::2]:8080"],
    },
    {
      name: "skips not-ready and terminating IPv6 endpoints",
      slices: [
        slice6("a", 8080, [
          { ip: "2001:db8::1", ready: false },
          { ip: "2001:db8::2", ready: false, terminating: true },
          { ip: "2001:db8::3" },
        ]),
      ],
      want: ["[2001:db8::3]:8080"],
    },
    {
      name: "dual-stack: an IPv4 and an IPv6 slice for one Service yield both families",
      slices: [
        slice("a-v4", 8080, [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }]),
        slice6("a-v6", 8080, [{ ip: "fd00::2" }, { ip: "2001:db8::1" }]),
      ],
      want: ["10.0.0.1:8080", "10.0.0.2:8080", "[2001:db8::1]:8080", "[fd00::2]:8080"],
    },
    {
      name: "dedupes an IPv6 endpoint listed in two slices",
      slices: [
        slice6("a", 8080, [{ ip: "2001:db8::1" }]),
        slice6("b", 8080, [{ ip: "2001:db8::1" }, { ip: "2001:db8::9" }]),
      ],
      want: ["[2001:db8::1]:8080", "[2001:db8::9]:8080"],
    },
    {
      name: "keeps one IPv6 address on two resolved ports, ordered by port",
      slices: [slice6("b", 8081, [{ ip: "2001:db8::1" }]), slice6("a", 8080, [{ ip: "2001:db8::1" }])],
      want: ["[2001:db8::1]:8080", "[2001:db8::1]:8081"],
    },
    {
      name: "ignores an IPv6 slice of another port name",
      slices: [slice6("a", 9090, [{ ip: "2001:db8::1" }], "metrics")],
      want: [],
    },
  ])("$name", ({ slices, want }) => {
    expect(ips(desiredOrigins("ns", spec(), view({ service: http, slices })))).toEqual(want);
  });

  it("sorts mixed families by the address text, then port: the same order for any input order", () => {
    const v4 = slice("a-v4", 8080, [{ ip: "10.0.0.2" }, { ip: "203.0.113.5" }, { ip: "10.0.0.10" }]);
    const v6 = slice6("a-v6", 8080, [
      { ip: "fd00::1" },
      { ip: "2001:db8::a" },
      { ip: "2001:db8::1" },
      { ip: "::1" },
      { ip: "2001:db8::10" },
      { ip: "2001:db8::2" },
    ]);
    // A plain string order: digits before ":" before hex letters, so the families interleave.
    const want = [
      "10.0.0.10:8080",
      "10.0.0.2:8080",
      "[2001:db8::1]:8080",
      "[2001:db8::10]:8080",
      "[2001:db8::2]:8080",
      "[2001:db8::a]:8080",
      "203.0.113.5:8080",
      "[::1]:8080",
      "[fd00::1]:8080",
    ];
    const reversed = (s: V1EndpointSlice): V1EndpointSlice => ({
      ...s,
      endpoints: [...(s.endpoints ?? [])].reverse(),
    });
    expect(ips(desiredOrigins("ns", spec(), view({ service: http, slices: [v4, v6] })))).toEqual(want);
    expect(
      ips(desiredOrigins("ns", spec(), view({ service: http, slices: [reversed(v6), reversed(v4)] }))),
    ).toEqual(want);
  });

  it("dedupes across families and slices deterministically, keeping each address once", () => {
    const slices = [
      slice6("a", 8080, [
        { ip: "2001:db8::1", pod: "p1" },
        { ip: "2001:db8::2", pod: "p2" },
      ]),
      slice("b", 8080, [{ ip: "10.0.0.1", pod: "p1" }]),
      slice6("c", 8080, [
        { ip: "2001:db8::2", pod: "p2" },
        { ip: "2001:db8::1", pod: "p1" },
      ]),
    ];
    const pods = [pod("p1", { "gaap.operator.dev/weight": "20" }), pod("p2")];
    const once = desiredOrigins("ns", spec(), view({ service: http, slices, pods }));
    const again = desiredOrigins("ns", spec(), view({ service: http, slices: [...slices].reverse(), pods }));
    expect(ips(once)).toEqual(["10.0.0.1:8080", "[2001:db8::1]:8080", "[2001:db8::2]:8080"]);
    expect(once.ok && once.origins.map((o) => o.weight)).toEqual([20, 20, 10]);
    expect(again).toEqual(once);
  });

  it("binds an IPv6 address from the pod annotation, on either family's slice", () => {
    const r = desiredOrigins(
      "ns",
      spec({ podAddressAnnotation: "example.com/public-ip" }),
      view({
        service: http,
        slices: [
          slice("a", 8080, [{ ip: "10.0.0.1", pod: "p1" }]),
          slice6("b", 8080, [{ ip: "fd00::2", pod: "p2" }]),
          slice6("c", 8080, [{ ip: "fd00::3", pod: "p3" }]),
        ],
        pods: [
          pod("p1", { "example.com/public-ip": "2001:db8::1" }),
          pod("p2", { "example.com/public-ip": " 2001:db8::2 " }),
          pod("p3", { "example.com/public-ip": "198.18.0.3" }),
        ],
      }),
    );
    expect(ips(r)).toEqual(["198.18.0.3:8080", "[2001:db8::1]:8080", "[2001:db8::2]:8080"]);
    expect(r.ok && r.notes).toEqual([]);
  });

  // Pods p1, p2, ... on an IPv6 slice, each annotated with the public address given.
  const annotated = (values: string[]) =>
    desiredOrigins(
      "ns",
      spec({ podAddressAnnotation: "example.com/public-ip" }),
      view({
        service: http,
        slices: [
          slice6(
            "a",
            8080,
            values.map((_, i) => ({ ip: `fd00::${i + 1}`, pod: `p${i + 1}` })),
          ),
        ],
        pods: values.map((v, i) => pod(`p${i + 1}`, { "example.com/public-ip": v })),
      }),
    );

  it.each([
    {
      name: "leaves out pods whose annotation is not a bare IPv6 address, with a note",
      values: ["2001:db8::1", "[2001:db8::2]", "2001:db8::3/64", "2001:db8:::4", "[2001:db8::5]:80"],
      want: ["[2001:db8::1]:8080"],
      note: "4 ready pod(s) without an IP in annotation example.com/public-ip: p2, p3, p4, ...",
    },
    {
      name: "one address written three ways is one origin, in its canonical form; a zone-scoped one is none",
      values: ["2001:DB8::1", "2001:db8:0:0::1", "2001:db8::1", "fe80::1%eth0"],
      want: ["[2001:db8::1]:8080"],
      note: "1 ready pod(s) without an IP in annotation example.com/public-ip: p4",
    },
  ])("$name", ({ values, want, note }) => {
    const r = annotated(values);
    expect(ips(r)).toEqual(want);
    expect(r.ok && r.notes).toEqual([note]);
  });

  it.each([
    { ip: "2001:db8::1", port: 80, want: "[2001:db8::1]:80" },
    { ip: "::1", port: 30080, want: "[::1]:30080" },
    { ip: "::ffff:10.0.0.1", port: 80, want: "[::ffff:10.0.0.1]:80" },
    { ip: "10.0.0.1", port: 80, want: "10.0.0.1:80" },
  ])("originKey($ip, $port) is $want", ({ ip, port, want }) => {
    expect(originKey({ ip, port })).toBe(want);
  });

  it("originKey of every desired IPv6 origin is [ip]:port", () => {
    const r = desiredOrigins(
      "ns",
      spec(),
      view({
        service: http,
        slices: [slice6("a", 8080, [{ ip: "2001:db8::1" }]), slice("b", 8080, [{ ip: "10.0.0.1" }])],
      }),
    );
    expect(r.ok && r.origins.map(originKey)).toEqual(["10.0.0.1:8080", "[2001:db8::1]:8080"]);
  });

  it.each([
    { raw: "2001:DB8::1", want: "2001:db8::1" },
    { raw: "2001:db8:0:0::1", want: "2001:db8::1" },
    { raw: " 2001:db8::1 ", want: "2001:db8::1" },
    { raw: "2001:0db8:0000:0000:0000:0000:0000:0001", want: "2001:db8::1" },
    { raw: "::ffff:10.0.0.1", want: "::ffff:a00:1" },
    { raw: "10.0.0.1", want: "10.0.0.1" },
    { raw: "fe80::1%eth0", want: undefined },
    { raw: "[2001:db8::1]", want: undefined },
    { raw: "not-an-ip", want: undefined },
    { raw: "", want: undefined },
    { raw: undefined, want: undefined },
  ])("canonicalIp($raw) is $want", ({ raw, want }) => {
    expect(canonicalIp(raw)).toBe(want);
  });
});

describe("desired origins: pods waiting on this binding's readiness gate", () => {
  const GATE = "listener-bound.gaap.operator.dev/web";
  const http = svc([{ name: "http", port: 80 }]);
  const gatedPod = (
    name: string,
    o: { containersReady?: boolean; gates?: string[]; deleting?: boolean } = {},
  ): V1Pod => ({
    metadata: { name, namespace: "ns", ...(o.deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { containers: [], readinessGates: (o.gates ?? [GATE]).map((conditionType) => ({ conditionType })) },
    status: {
      conditions: [{ type: "ContainersReady", status: o.containersReady === false ? "False" : "True" }],
    },
  });
  const cases: Array<{ name: string; pod: V1Pod; ep?: Partial<Ep>; gate?: string; want: string[] }> = [
    {
      name: "containers ready, gate not yet True: an origin",
      pod: gatedPod("p1"),
      want: ["10.0.0.1:8080 gated"],
    },
    {
      name: "without the gate option, the endpoint's ready decides",
      pod: gatedPod("p1"),
      gate: "",
      want: [],
    },
    {
      name: "containers not ready: not an origin",
      pod: gatedPod("p1", { containersReady: false }),
      want: [],
    },
    {
      name: "another binding's gate: not ours to fold",
      pod: gatedPod("p1", { gates: ["listener-bound.gaap.operator.dev/other"] }),
      want: [],
    },
    { name: "terminating endpoint: never", pod: gatedPod("p1"), ep: { terminating: true }, want: [] },
    { name: "pod being deleted: never", pod: gatedPod("p1", { deleting: true }), want: [] },
    {
      name: "ready endpoint of a gated pod (gate True): a ready origin",
      pod: gatedPod("p1"),
      ep: { ready: true },
      want: ["10.0.0.1:8080 ready"],
    },
  ];
  it.each(cases)("$name", ({ pod: p, ep, gate, want }) => {
    const v = view({
      service: http,
      slices: [slice("a", 8080, [{ ip: "10.0.0.1", ready: false, pod: "p1", ...ep }])],
      pods: [p],
    });
    const r = desiredOrigins("ns", spec(), v, gate === "" ? {} : { gate: gate ?? GATE });
    expect(r.ok && r.origins.map((o) => `${originKey(o)} ${o.ready ? "ready" : "gated"}`)).toEqual(want);
  });

  it("names the pod behind each origin, and an address listed twice keeps its ready entry", () => {
    const v = view({
      service: http,
      slices: [
        slice("a", 8080, [{ ip: "10.0.0.1", ready: false, pod: "p1" }]),
        slice("b", 8080, [{ ip: "10.0.0.1", ready: true, pod: "p1" }]),
      ],
      pods: [gatedPod("p1")],
    });
    const r = desiredOrigins("ns", spec(), v, { gate: GATE });
    expect(r.ok && r.origins).toEqual([expect.objectContaining({ ip: "10.0.0.1", ready: true, pod: "p1" })]);
  });
});

describe("draining origins: terminating pods still in their termination hold", () => {
  const GATE = "listener-bound.gaap.operator.dev/web";
  const http = svc([{ name: "http", port: 80 }]);
  // Deleted at t=100 s with a 30 s grace: deletionTimestamp is when the grace ends, t=130 s.
  const deleting = (name: string, sleep: number | undefined, grace = 30): V1Pod => ({
    metadata: {
      name,
      namespace: "ns",
      labels: { app: "web" },
      deletionTimestamp: new Date(130_000),
      deletionGracePeriodSeconds: grace,
    },
    spec: {
      containers: [
        { name: "c", ...(sleep ? { lifecycle: { preStop: { sleep: { seconds: sleep } } } } : {}) },
      ],
      readinessGates: [{ conditionType: GATE }],
    },
  });
  const starting = (name: string, ready = false): V1Pod => ({
    metadata: { name, namespace: "ns", labels: { app: "web" } },
    spec: { containers: [{ name: "c" }], readinessGates: [{ conditionType: GATE }] },
    status: { conditions: [{ type: "ContainersReady", status: ready ? "True" : "False" }] },
  });
  const run = (pods: V1Pod[], origins: string[] = []) =>
    drainingOrigins(
      spec(),
      view({
        service: http,
        slices: [
          slice(
            "a",
            8080,
            pods
              .filter((p) => p.metadata?.deletionTimestamp)
              .map((p, i) => ({
                ip: `10.0.0.${i + 1}`,
                ready: false,
                terminating: true,
                pod: p.metadata?.name as string,
              })),
          ),
        ],
        pods,
      }),
      GATE,
      origins.map((pod, i) => ({
        ip: `10.0.1.${i}`,
        port: 8080,
        weight: 1,
        secondary: false,
        ready: true,
        pod,
      })),
    );

  it.each([
    { name: "a 15 s hold from t=100 s ends at t=115 s", pod: deleting("old", 15), want: 115_000 },
    { name: "a hold longer than the grace period ends with it", pod: deleting("old", 40, 30), want: 130_000 },
    { name: "a shorter deletion grace (an eviction) cuts it", pod: deleting("old", 15, 5), want: 130_000 },
  ])("$name", ({ pod: p, want }) => {
    expect(holdEndsAt(p)).toBe(want);
  });

  it("no preStop sleep: no hold", () => {
    expect(holdEndsAt(deleting("old", undefined))).toBeUndefined();
    expect(run([deleting("old", undefined), starting("new")]).draining.size).toBe(0);
  });

  it("lists held origins, and whether gated pods are on their way", () => {
    expect(run([deleting("old", 15), starting("new")])).toEqual({
      draining: new Map([["10.0.0.1:8080", { endsAt: 115_000, holdSeconds: 15, pod: "old" }]]),
      additionsComing: true,
      revisionReplaced: false,
    });
    // Ready and listed in the Service's slices: an origin, nothing more on its way.
    expect(run([deleting("old", 15), starting("new", true)], ["new"]).additionsComing).toBe(false);
    // Ready, but the EndpointSlice controller has not listed it yet: still on its way.
    expect(run([deleting("old", 15), starting("new", true)]).additionsComing).toBe(true);
    expect(run([deleting("old", 15)]).additionsComing).toBe(false);
  });

  it("tells a rollout's last step: no live pod is of the drained pods' revision any more", () => {
    const rev = (p: V1Pod, hash: string): V1Pod => ({
      ...p,
      metadata: { ...p.metadata, labels: { ...p.metadata?.labels, "pod-template-hash": hash } },
    });
    const live = (name: string, hash: string) => rev({ ...starting(name, true) }, hash);
    const old = rev(deleting("old", 15), "a");
    expect(run([old, live("new", "b")], ["new"]).revisionReplaced).toBe(true);
    // Mid-rollout (an old pod still live) or a scale-down: more may come.
    expect(run([old, live("new", "b"), live("old-2", "a")], ["new", "old-2"]).revisionReplaced).toBe(false);
    expect(run([old, live("old-2", "a")], ["old-2"]).revisionReplaced).toBe(false);
    // An old pod deleted already whose endpoint is not terminating yet is still an origin: not the last step yet.
    const deletedOld = {
      ...rev(starting("old-3", true), "a"),
      metadata: { ...rev(starting("old-3", true), "a").metadata, deletionTimestamp: new Date(130_000) },
    };
    expect(run([old, live("new", "b"), deletedOld], ["new", "old-3"]).revisionReplaced).toBe(false);
    // Pods without the label (not a Deployment's): never taken as the last step.
    expect(run([deleting("old", 15), starting("new", true)], ["new"]).revisionReplaced).toBe(false);
  });
});
