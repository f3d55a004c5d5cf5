// examples/, applied with kubectl as the docs tell a user to, after replacing what a user replaces (the listener and
// rule IDs) with listeners of this test's GAAP emulator: the grant is accepted, every binding reaches Ready=True, and
// GAAP holds exactly the origins each example calls for (nodes' ExternalIP with the NodePort, pods' public IPs); the
// gated example's pods get the readiness gate and the termination hold from the webhook; and deleting the examples
// while the operator runs empties the listeners (the uninstall order docs/install.md gives). The operator runs as
// installed: watching every namespace, with --listener-grants=required.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AdmissionregistrationV1Api, CustomObjectsApi, type V1Node } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type GaapEmulator, startEmulator } from "../../../emulator/server.ts";
import { GRANT_PLURAL } from "../../../src/api/grant.ts";
import { GROUP, gateType, VERSION } from "../../../src/api/types.ts";
import { HOLD_ANNOTATION } from "../../../src/readiness/mutate.ts";
import { Bindings, condition } from "../../../testenv/bindings.ts";
import { servingCert } from "../../../testenv/certs.ts";
import { SIM } from "../../../testenv/cluster/kubelet.ts";
import { gaapClient } from "../../../testenv/gaap.ts";
import { freePort } from "../../../testenv/net.ts";
import { FAST, OperatorProcess } from "../../../testenv/operator.ts";
import { loopbackGrantWebhook, loopbackWebhook, loopbackWebhookArgs } from "../../../testenv/webhook.ts";
import { testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";
import { isTerminating, podCondition, podsOf } from "../../support/pods.ts";
import { gaapSet, L, L7, RULE, type Scenario, scenarioState } from "../../support/scenario.ts";

const exec = promisify(execFile);
const c = testCluster();
const kubectl = async (...args: string[]) =>
  (await exec(c.info.kubectl, ["--kubeconfig", c.info.kubeconfigPath, ...args])).stdout;
/**
 * `kubectl apply -f` of an example: what it created. No warning either, so the grant check admitted the binding on the
 * grant (it warns when it cannot decide, e.g. before the operator's caches are synced).
 */
const apply = async (path: string) => {
  const { stdout, stderr } = await exec(c.info.kubectl, [
    "--kubeconfig",
    c.info.kubeconfigPath,
    "apply",
    "-f",
    path,
  ]);
  expect(stderr).toBe("");
  return stdout;
};

/** What a user replaces in examples/, and the emulator's listeners and rule it becomes here. */
const IDS: Record<string, string> = {
  "listener-replace1": L.wrr,
  "listener-replace2": L.wrr2,
  "listener-replace3": L7.http,
  "rule-replace3": RULE.root,
};
/** The examples' namespaces, renamed per run so that a run killed half-way cannot disturb the next. */
const suffix = randomBytes(3).toString("hex");
const NS = {
  node: `example-node-${suffix}`,
  gated: `example-gated-${suffix}`,
  http: `example-http-${suffix}`,
};
/** The annotation the gated example reads each pod's public IP from (the kubelet simulator fills it in). */
const EIP = "tke.cloud.tencent.com/eip-public-ip";

/** examples/ copied with the IDs and namespaces replaced. */
function rewrittenExamples(): string {
  const dir = mkdtempSync(join(tmpdir(), "examples-"));
  cpSync("examples", dir, { recursive: true });
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".yaml"));
  for (const f of files) {
    let text = readFileSync(join(dir, f), "utf8");
    for (const [placeholder, id] of Object.entries(IDS)) text = text.replaceAll(placeholder, id);
    for (const [name, ns] of Object.entries(NS)) text = text.replaceAll(`example-${name}`, ns);
    writeFileSync(join(dir, f), text);
  }
  // The simulated kubelet gives each pod of the gated example a fake public IP in that annotation, as a CNI would.
  const deployment = join(dir, "tcp-pod-gated", "4-deployment.yaml");
  const d = parse(readFileSync(deployment, "utf8"));
  d.spec.template.metadata.annotations = { [`${SIM}/public-ip-annotation`]: EIP };
  writeFileSync(deployment, stringify(d));
  return dir;
}

/** The origins Node mode calls for with ExternalIP: every Ready, schedulable node's external address. */
async function nodeOrigins(service: string, namespace: string): Promise<string[]> {
  const svc = await c.core.readNamespacedService({ name: service, namespace });
  const nodePort = svc.spec?.ports?.[0]?.nodePort;
  expect(nodePort).toBeGreaterThan(0);
  const eligible = (n: V1Node) =>
    n.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") &&
    !n.spec?.unschedulable &&
    !n.metadata?.labels?.["node.kubernetes.io/exclude-from-external-load-balancers"] &&
    !(n.spec?.taints ?? []).some((t) =>
      ["ToBeDeletedByClusterAutoscaler", "karpenter.sh/disrupted"].includes(t.key),
    );
  const ips = (await c.core.listNode()).items
    .filter(eligible)
    .flatMap((n) => (n.status?.addresses ?? []).filter((a) => a.type === "ExternalIP").map((a) => a.address));
  expect(ips.length).toBeGreaterThan(0);
  return ips.map((ip) => `${ip}:${nodePort}`).sort();
}

describe("examples/", () => {
  let emu: GaapEmulator;
  let gaap: Pick<Scenario, "gaap">;
  let operator: OperatorProcess;
  let dir: string;
  const admission = c.kc.makeApiClient(AdmissionregistrationV1Api);
  const webhookName = `gaap-operator-test-examples-${suffix}`;
  const grantWebhookName = `gaap-operator-grants-examples-${suffix}`;
  const readyBinding = (namespace: string, name: string) =>
    eventually(
      async () => {
        const b = await new Bindings(c.kc, namespace).get(name);
        expect(condition(b, "Ready")).toMatchObject({ status: "True", reason: "InSync" });
        return b;
      },
      { what: `binding ${namespace}/${name} Ready`, timeoutMs: 90_000 },
    );

  beforeAll(async () => {
    // deploy.test applies deploy/, whose webhook calls a Service no test may reach: make sure it is gone first.
    await admission.deleteMutatingWebhookConfiguration({ name: "gaap-operator" }).catch(() => {});
    await kubectl(
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      "crd/gaaplistenergrants.gaap.operator.dev",
    );
    dir = rewrittenExamples();
    emu = await startEmulator({ state: scenarioState() });
    gaap = { gaap: gaapClient(emu.url) };
    const cert = await servingCert();
    const port = await freePort();
    await admission.createMutatingWebhookConfiguration({
      body: loopbackWebhook({ name: webhookName, port, caPem: cert.caPem, namespaces: [NS.gated] }),
    });
    // The grant check at admission, as installed (failurePolicy Fail), for the examples' namespaces.
    await admission.createValidatingWebhookConfiguration({
      body: loopbackGrantWebhook({
        name: grantWebhookName,
        port,
        caPem: cert.caPem,
        namespaces: Object.values(NS),
      }),
    });
    // The tests' fast settings, but with grants required, as the operator runs once installed.
    const fast = FAST.filter((a, i) => a !== "--listener-grants" && FAST[i - 1] !== "--listener-grants");
    operator = new OperatorProcess({
      cluster: c.info,
      gaapUrl: emu.url,
      args: [...fast, "--listener-grants", "required", ...loopbackWebhookArgs(port, cert.dir)],
    }).start();
    await eventually(
      () => expect(operator.logs().some((l) => l.msg === "serving the admission webhook")).toBe(true),
      { what: "webhook serving" },
    );
    // Until its caches are synced the grant check lets bindings through with a warning (the reconciler checks them
    // later): wait for /readyz, so that admission here decides on the grant.
    await eventually(async () => expect((await fetch(`${operator.urls()[1]}/readyz`)).status).toBe(200), {
      what: "operator caches synced",
      timeoutMs: 60_000,
    });
  });

  afterAll(async () => {
    await admission.deleteMutatingWebhookConfiguration({ name: webhookName }).catch(() => {});
    await admission.deleteValidatingWebhookConfiguration({ name: grantWebhookName }).catch(() => {});
    for (const ns of Object.values(NS)) await c.core.deleteNamespace({ name: ns }).catch(() => {});
    await kubectl("delete", "-f", join(dir, "grant.yaml"), "--ignore-not-found").catch(() => {});
    await operator?.close();
    await emu?.close();
  });

  it("leave nothing to replace but the IDs the docs name", () => {
    const files = readdirSync("examples", { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".yaml"),
    );
    expect(files.sort()).toEqual([
      "grant.yaml",
      "http-rule/1-namespace.yaml",
      "http-rule/2-workload.yaml",
      "http-rule/3-binding.yaml",
      "tcp-node/1-namespace.yaml",
      "tcp-node/2-workload.yaml",
      "tcp-node/3-binding.yaml",
      "tcp-pod-gated/1-namespace.yaml",
      "tcp-pod-gated/2-service.yaml",
      "tcp-pod-gated/3-binding.yaml",
      "tcp-pod-gated/4-deployment.yaml",
    ]);
    const all = files.map((f) => readFileSync(join("examples", f), "utf8")).join("\n");
    for (const placeholder of Object.keys(IDS)) expect(all).toContain(placeholder);
    // Every listener or rule ID outside a comment is a placeholder: a user who replaces those has replaced them all.
    const code = all.replace(/#.*$/gm, "");
    const ids = [...code.matchAll(/\b(?:listener|rule|link)-[a-z0-9]+\b/g)].map((m) => m[0]);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => !(id in IDS))).toEqual([]);
  });

  it("grant.yaml is a GaapListenerGrant the apiserver accepts, covering the three examples", async () => {
    expect(await apply(join(dir, "grant.yaml"))).toMatch(/gaaplistenergrant.* created/);
    const grant = (await c.kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: GRANT_PLURAL,
      name: "examples",
    })) as { spec: { namespaces: string[]; targets: unknown[] } };
    expect(grant.spec.namespaces).toEqual([NS.node, NS.gated, NS.http]);
    expect(grant.spec.targets).toEqual([
      { listenerId: L.wrr },
      { listenerId: L.wrr2 },
      { listenerId: L7.http, ruleIds: [RULE.root] },
    ]);
  });

  it("tcp-node binds the nodes' public IPs with the NodePort to the TCP listener", async () => {
    expect(await apply(join(dir, "tcp-node"))).toMatch(/gaaplistenerbinding.* created/);
    await readyBinding(NS.node, "web");
    const want = await nodeOrigins("web", NS.node);
    await eventually(async () => expect(await gaapSet(gaap as Scenario, L.wrr)).toEqual(want), {
      what: "the nodes on the listener",
    });
  });

  it("the grant is what lets them bind: a listener it does not name is refused at admission in the same namespace", async () => {
    const binding = parse(readFileSync(join(dir, "tcp-node", "3-binding.yaml"), "utf8"));
    binding.metadata.name = "not-granted";
    binding.spec.listenerId = L.rr;
    const file = join(dir, "not-granted.yaml");
    writeFileSync(file, stringify(binding));
    const refused = await kubectl("apply", "-f", file).then(
      () => "admitted",
      (err: { stderr?: string }) => err.stderr ?? "",
    );
    expect(refused).toMatch(`no GaapListenerGrant lets namespace ${NS.node} bind listener ${L.rr}`);
    expect(await new Bindings(c.kc, NS.node).get("not-granted")).toBeUndefined();
  });

  it("http-rule binds the nodes to the HTTP listener's rule, and no other rule", async () => {
    expect(await apply(join(dir, "http-rule"))).toMatch(/gaaplistenerbinding.* created/);
    const b = await readyBinding(NS.http, "api");
    expect(b?.status?.rule?.ruleId).toBe(RULE.root);
    const want = await nodeOrigins("api", NS.http);
    await eventually(async () => expect(await gaapSet(gaap as Scenario, RULE.root)).toEqual(want), {
      what: "the nodes on the rule",
    });
    expect(await gaapSet(gaap as Scenario, RULE.api)).toEqual([]);
  });

  it("tcp-pod-gated binds the pods' public IPs, and its pods carry the readiness gate and the termination hold", async () => {
    expect(await apply(join(dir, "tcp-pod-gated"))).toMatch(/gaaplistenerbinding.* created/);
    await readyBinding(NS.gated, "web");
    // The pods the Deployment made first may predate the operator's sight of the binding; the example's comment
    // says a restart gives them the gate. After it, every pod must have both.
    await kubectl("-n", NS.gated, "rollout", "restart", "deployment", "web");
    const gate = gateType("web");
    const pods = await eventually(
      async () => {
        const live = (await podsOf(c.core, NS.gated)).filter((p) => !isTerminating(p));
        expect(live).toHaveLength(3);
        for (const p of live) {
          expect(p.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
          expect(p.spec?.readinessGates).toEqual([{ conditionType: gate }]);
          expect(podCondition(p, gate)).toMatchObject({ status: "True", reason: "Bound" });
          expect(p.spec?.containers[0]?.lifecycle?.preStop?.sleep?.seconds).toBeGreaterThan(0);
          expect(p.metadata?.annotations?.[HOLD_ANNOTATION]).toMatch(/^\d+s, from /);
        }
        return live;
      },
      { what: "3 restarted pods, gated and bound", timeoutMs: 120_000 },
    );
    const want = pods.map((p) => `${p.metadata?.annotations?.[EIP]}:8080`).sort();
    expect(want.every((o) => /^198\.18\.\d+\.\d+:8080$/.test(o))).toBe(true);
    await eventually(async () => expect(await gaapSet(gaap as Scenario, L.wrr2)).toEqual(want), {
      what: "the pods' public IPs on the listener",
      timeoutMs: 60_000,
    });
    await readyBinding(NS.gated, "web");
  });

  it("deleting the examples while the operator runs unbinds every listener and rule they held", async () => {
    for (const example of ["tcp-node", "tcp-pod-gated", "http-rule"])
      await kubectl("delete", "-f", join(dir, example), "--wait=false");
    await eventually(
      async () => {
        for (const id of [L.wrr, L.wrr2, RULE.root])
          expect(await gaapSet(gaap as Scenario, id), id).toEqual([]);
        for (const ns of Object.values(NS)) expect(await new Bindings(c.kc, ns).list()).toEqual([]);
      },
      { what: "listeners emptied and bindings gone", timeoutMs: 90_000 },
    );
  });
});
