// Desired origins with IPv6 endpoints and nodes: canonical addresses, dual-stack slices, and what is left out.
import type { V1EndpointSlice } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { desiredOrigins } from "../../../../../src/binding/logic/desired.ts";
import { canonicalIp, originKey } from "../../../../../src/binding/logic/origin.ts";
import { type Ep, ips, pod, slice, spec, svc, view } from "./desired-fixtures.ts";

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
