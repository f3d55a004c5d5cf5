// Fault suite: bad input. Invalid GaapListenerBindings are refused at admission (kubectl apply) with a readable
// message; valid-but-wrong ones end in a clear Degraded condition while other bindings keep working.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveSpec } from "../../src/api/types.ts";
import { condition } from "../../testenv/bindings.ts";
import { deployment } from "../../testenv/workload.ts";
import { eventually } from "../support/eventually.ts";
import { createWeb, L, type Scenario, scale, scenario, untilBound } from "../support/scenario.ts";

describe("bad input", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario("badinput");
  });
  afterAll(async () => s?.close());

  async function apply(doc: unknown): Promise<string> {
    const file = `${s.c.info.dir}/bad-${Math.random().toString(36).slice(2)}.json`;
    writeFileSync(file, JSON.stringify(doc));
    try {
      const { stdout } = await promisify(execFile)(s.c.info.kubectl, [
        "--kubeconfig",
        s.c.info.kubeconfigPath,
        "-n",
        s.ns,
        "apply",
        "-f",
        file,
      ]);
      return `OK ${stdout}`;
    } catch (err) {
      return String((err as { stderr?: string }).stderr);
    }
  }
  const manifest = (spec: Record<string, unknown> | undefined, name = "bad") => ({
    apiVersion: "gaap.operator.dev/v1alpha1",
    kind: "GaapListenerBinding",
    metadata: { name },
    ...(spec === undefined ? {} : { spec }),
  });
  const base = { listenerId: "listener-abc123", serviceRef: { name: "web", port: 80 } };
  const withSpec = (patch: Record<string, unknown>) => manifest({ ...base, ...patch });

  it.each([
    { what: "no spec", doc: manifest(undefined), message: /spec: Required value/ },
    {
      what: "no listenerId",
      doc: manifest({ serviceRef: base.serviceRef }),
      message: /spec.listenerId: Required value/,
    },
    {
      what: "a listenerId that is not listener-…",
      doc: withSpec({ listenerId: "lb-123" }),
      message: /spec.listenerId.*should match '\^listener-\[a-z0-9\]\+\$'/,
    },
    {
      what: "an upper-case listenerId",
      doc: withSpec({ listenerId: "listener-ABC" }),
      message: /should match/,
    },
    {
      what: "no serviceRef",
      doc: manifest({ listenerId: base.listenerId }),
      message: /spec.serviceRef: Required value/,
    },
    {
      what: "a serviceRef without a port",
      doc: withSpec({ serviceRef: { name: "web" } }),
      message: /spec.serviceRef.port: Required value/,
    },
    {
      what: "a Service name with capitals",
      doc: withSpec({ serviceRef: { name: "Web", port: 80 } }),
      message: /spec.serviceRef.name.*should match/,
    },
    {
      what: "port 0",
      doc: withSpec({ serviceRef: { name: "web", port: 0 } }),
      message: /serviceRef.port must be a port number 1-65535 or a port name/,
    },
    {
      what: "port 70000",
      doc: withSpec({ serviceRef: { name: "web", port: 70000 } }),
      message: /serviceRef.port must be a port number/,
    },
    {
      what: "a port name with an underscore",
      doc: withSpec({ serviceRef: { name: "web", port: "my_port" } }),
      message: /serviceRef.port must be a port number 1-65535 or a port name/,
    },
    {
      what: "a weight of 0",
      doc: withSpec({ weight: 0 }),
      message: /spec.weight in body should be greater than or equal to 1/,
    },
    {
      what: "a weight of 101",
      doc: withSpec({ weight: 101 }),
      message: /spec.weight in body should be less than or equal to 100/,
    },
    {
      what: "a weight as a string",
      doc: withSpec({ weight: "ten" }),
      message: /spec.weight: Invalid value: "string": spec.weight in body must be of type integer/,
    },
    {
      what: "an unknown targetType",
      doc: withSpec({ targetType: "Ingress" }),
      message: /spec.targetType: Unsupported value: "Ingress": supported values: "Pod", "Node"/,
    },
    {
      what: "nodeSelector in Pod mode",
      doc: withSpec({ nodeSelector: { matchLabels: { a: "b" } } }),
      message: /nodeSelector applies only to targetType Node/,
    },
    {
      what: "nodeAddressType in Pod mode",
      doc: withSpec({ nodeAddressType: "InternalIP" }),
      message: /nodeAddressType applies only to targetType Node/,
    },
    {
      what: "an unknown nodeAddressType",
      doc: withSpec({ targetType: "Node", nodeAddressType: "Hostname" }),
      message: /supported values: "ExternalIP", "InternalIP"/,
    },
    {
      what: "podAddressAnnotation in Node mode",
      doc: withSpec({ targetType: "Node", podAddressAnnotation: "x/y" }),
      message: /podAddressAnnotation applies only to targetType Pod/,
    },
    {
      what: "a malformed podAddressAnnotation",
      doc: withSpec({ podAddressAnnotation: "not a key!" }),
      message: /spec.podAddressAnnotation.*should match/,
    },
    {
      what: "maxUnbindPercent 150",
      doc: withSpec({ maxUnbindPercent: 150 }),
      message: /spec.maxUnbindPercent in body should be less than or equal to 100/,
    },
    {
      what: "maxUnbindPercent -1",
      doc: withSpec({ maxUnbindPercent: -1 }),
      message: /spec.maxUnbindPercent in body should be greater than or equal to 0/,
    },
    {
      what: "an unknown ownership",
      doc: withSpec({ ownership: "Mine" }),
      message: /supported values: "Exclusive", "Shared"/,
    },
    {
      what: "an unknown deletionPolicy",
      doc: withSpec({ deletionPolicy: "Orphan" }),
      message: /supported values: "Unbind", "Retain"/,
    },
    {
      what: "a negative projectId",
      doc: withSpec({ projectId: -1 }),
      message: /spec.projectId in body should be greater than or equal to 0/,
    },
    {
      what: "a bad selector operator",
      doc: withSpec({
        targetType: "Node",
        nodeSelector: { matchExpressions: [{ key: "a", operator: "Near" }] },
      }),
      message: /supported values: "In", "NotIn", "Exists", "DoesNotExist"/,
    },
    {
      what: "a rule named by ID and by domain",
      doc: withSpec({ rule: { ruleId: "rule-abc", domain: "www.example.com", path: "/" } }),
      message: /name the rule either by ruleId or by domain and path, not both/,
    },
    {
      what: "an empty rule",
      doc: withSpec({ rule: {} }),
      message: /name the rule either by ruleId or by domain and path, not both/,
    },
    {
      what: "a rule domain without a path",
      doc: withSpec({ rule: { domain: "www.example.com" } }),
      message: /domain and path go together/,
    },
    {
      what: "a rule path not starting with /",
      doc: withSpec({ rule: { domain: "www.example.com", path: "api" } }),
      message: /spec.rule.path.*should match '\^\/'/,
    },
    {
      what: "a rule domain with a space",
      doc: withSpec({ rule: { domain: "www example.com", path: "/" } }),
      message: /spec.rule.domain.*should match/,
    },
    {
      what: "a terminationHoldSeconds in Node mode",
      doc: withSpec({ targetType: "Node", terminationHoldSeconds: 30 }),
      message: /terminationHoldSeconds applies only to targetType Pod/,
    },
    {
      what: "a Pod-mode binding whose name is too long for its readiness gate",
      doc: manifest(base, "a".repeat(64)),
      message: /a targetType Pod binding's name is at most 63 characters/,
    },
  ])("refuses $what with a readable message", async ({ doc, message }) => {
    const out = await apply(doc);
    expect(out).toMatch(message);
    expect(out).not.toMatch(/^OK/);
  });

  const grant = (spec: Record<string, unknown>) => ({
    apiVersion: "gaap.operator.dev/v1alpha1",
    kind: "GaapListenerGrant",
    // Every one is refused, so none is left behind (a grant is cluster-scoped).
    metadata: { name: "bad-grant-input" },
    spec,
  });
  it.each([
    {
      what: "a grant naming no namespace",
      doc: grant({ targets: [{ listenerId: "listener-abc1" }] }),
      message: /name the namespaces, select them by label, or both/,
    },
    {
      what: "a grant target with both a proxy and a listener",
      doc: grant({ namespaces: ["a"], targets: [{ proxyId: "link-1", listenerId: "listener-abc1" }] }),
      message: /a target names either a proxyId or a listenerId/,
    },
    {
      what: "rule IDs under a proxy",
      doc: grant({ namespaces: ["a"], targets: [{ proxyId: "link-1", ruleIds: ["rule-1"] }] }),
      message: /ruleIds belong to a listenerId/,
    },
    {
      what: "a grant with no targets",
      doc: grant({ namespaces: ["a"], targets: [] }),
      message: /spec.targets: Invalid value: 0: spec.targets in body should have at least 1 items/,
    },
    {
      what: "a selector expression In without values",
      doc: grant({
        namespaceSelector: { matchExpressions: [{ key: "team", operator: "In" }] },
        targets: [{ listenerId: "listener-abc1" }],
      }),
      message: /In and NotIn take values; Exists and DoesNotExist take none/,
    },
  ])("refuses $what with a readable message", async ({ doc, message }) => {
    const out = await apply(doc);
    expect(out).toMatch(message);
    expect(out).not.toMatch(/^OK/);
  });

  it("stores a binding with the schema's defaults filled in: the defaults the operator assumes", async () => {
    expect(await apply(manifest(base, "defaults"))).toMatch(/^OK/);
    const b = await s.bindings.get("defaults");
    expect(b?.spec).toEqual(resolveSpec(base));
  });

  it("refuses changing listenerId", async () => {
    expect(await apply(manifest(base, "immutable"))).toMatch(/^OK/);
    expect(await apply(manifest({ ...base, listenerId: "listener-other1" }, "immutable"))).toMatch(
      /listenerId is immutable/,
    );
  });

  it("refuses changing, adding or removing the rule", async () => {
    const ruled = { ...base, rule: { ruleId: "rule-abc1" } };
    expect(await apply(manifest(ruled, "ruled"))).toMatch(/^OK/);
    expect(await apply(manifest({ ...base, rule: { ruleId: "rule-abc2" } }, "ruled"))).toMatch(
      /rule is immutable/,
    );
    expect(await apply(manifest(base, "ruled"))).toMatch(/rule is immutable/);
    expect(await apply(manifest(base, "unruled"))).toMatch(/^OK/);
    expect(await apply(manifest(ruled, "unruled"))).toMatch(/rule is immutable/);
  });

  it("reports valid-but-wrong bindings as Degraded with a clear reason, while a good binding keeps working", async () => {
    await createWeb(s, 2);
    await s.c.core.createNamespacedService({
      namespace: s.ns,
      body: {
        metadata: { name: "many" },
        spec: { selector: { app: "many" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
    });
    // One more than the listener takes in npm test; the 150 in the full fault run.
    const many = Number(process.env.FAULT_KILLS ?? 6) >= 50 ? 150 : 101;
    await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: deployment("many", many) });
    await s.bindings.create("good", { listenerId: L.wrr });
    await s.bindings.create("unknown-listener", { listenerId: "listener-nothere0" });
    await s.bindings.create("udp-for-tcp", { listenerId: L.udp });
    await s.bindings.create("no-such-port", { listenerId: L.rr, serviceRef: { name: "web", port: "grpc" } });
    await s.bindings.create("too-many", { listenerId: L.wrr2, serviceRef: { name: "many", port: 80 } });
    const expected: Record<string, RegExp> = {
      "unknown-listener": /^ListenerNotFound$/,
      "udp-for-tcp": /^ProtocolMismatch$/,
      "no-such-port": /^ServicePortNotFound$/,
      "too-many": /^TooManyOrigins$/,
    };
    for (const [name, reason] of Object.entries(expected)) {
      await eventually(
        async () => {
          const b = await s.bindings.get(name);
          expect(condition(b, "Degraded")?.reason).toMatch(reason);
          expect(condition(b, "Ready")?.status).toBe("False");
          expect(condition(b, "Degraded")?.message.length).toBeGreaterThan(10);
        },
        { timeoutMs: 90_000, what: `${name} Degraded` },
      );
    }
    // The good one converged and keeps following its pods.
    await untilBound(s, L.wrr, 8080, { count: 2 });
    await scale(s, 3);
    await untilBound(s, L.wrr, 8080, { count: 3 });
    console.log("faults tried: 30 invalid manifests, 4 immutability changes, 4 valid-but-wrong bindings");
  });
});
