// The operator as deploy/ installs it: RBAC proven by running it with the ServiceAccount's own token, two replicas
// with leader election and their hand-over, metrics and probes, and a clean exit on SIGTERM.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition } from "../../../testenv/bindings.ts";
import { kubeconfigYaml } from "../../../testenv/cluster/control-plane.ts";
import { Grants } from "../../../testenv/grants.ts";
import { OperatorProcess } from "../../../testenv/operator.ts";
import { testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";
import { removeDeploy } from "../../support/manifests.ts";
import { createWeb, L, type Scenario, scale, scenario, untilBound } from "../../support/scenario.ts";

const exec = promisify(execFile);
const _SA = "system:serviceaccount:gaap-operator:gaap-operator";

afterAll(() => removeDeploy(testCluster().info), 150_000);

describe("running as the ServiceAccount, two replicas with leader election", () => {
  let s: Scenario;
  let kubeconfig: string;
  const ops: OperatorProcess[] = [];
  const coordination = () => s.c.kc.makeApiClient(CoordinationV1Api);
  const LEASE = "gaap-operator-test";
  const GRANT = () => `deploy-test-${s.ns}`;
  const grants = () => new Grants(s.c.kc);
  const electionArgs = [
    "--leader-elect=true",
    "--leader-election-namespace=gaap-operator",
    `--leader-election-id=${LEASE}`,
    "--leader-elect-lease-duration=4s",
    "--leader-elect-renew-deadline=3s",
    "--leader-elect-retry-period=500ms",
    "--verify-interval=3s",
    "--busy-poll=100ms",
    "--gc-delay=200ms",
  ];
  const operator = (name: string) => {
    const op = new OperatorProcess({
      cluster: s.c.info,
      gaapUrl: s.emu.url,
      namespace: s.ns,
      kubeconfig,
      name,
      args: electionArgs,
      env: { POD_NAME: name },
    });
    ops.push(op);
    return op;
  };
  const get = async (url: string, path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: await res.text() };
  };
  const metric = (body: string, name: string) =>
    body
      .split("\n")
      .filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
  const lease = async () =>
    (await coordination().readNamespacedLease({ name: LEASE, namespace: "gaap-operator" })).spec ?? {};
  const holder = async () => (await lease()).holderIdentity;
  const time = (t: Date | string | undefined) => new Date(t ?? NaN).getTime();
  const writers = (since = 0) =>
    s.emu.calls
      .list({ since })
      .filter((c) => ["BindListenerRealServers", "AddRealServers", "RemoveRealServers"].includes(c.action))
      .map((c) => ({ who: c.userAgent, start: Date.parse(c.time), end: Date.parse(c.endTime) }));

  beforeAll(async () => {
    s = await scenario("leader", { start: false });
    await exec(s.c.info.kubectl, ["--kubeconfig", s.c.info.kubeconfigPath, "apply", "-k", "deploy/"]);
    // The operator runs here as a process, not behind deploy/'s webhook Service: every binding write would wait on a
    // webhook no one serves (ignored on failure, but only after the call fails). The operator's own grant check, on
    // every reconcile, still runs.
    await exec(s.c.info.kubectl, [
      "--kubeconfig",
      s.c.info.kubeconfigPath,
      "delete",
      "validatingwebhookconfiguration",
      "gaap-operator",
    ]);
    // A real ServiceAccount token (TokenRequest), not the admin's.
    const token = (
      await exec(s.c.info.kubectl, [
        "--kubeconfig",
        s.c.info.kubeconfigPath,
        "-n",
        "gaap-operator",
        "create",
        "token",
        "gaap-operator",
        "--duration=1h",
      ])
    ).stdout.trim();
    kubeconfig = join(s.c.info.dir, `sa-${s.ns}.kubeconfig`);
    writeFileSync(kubeconfig, kubeconfigYaml(s.c.info, token, "gaap-operator"));
    // deploy/ passes --listener-grants=required, as do these replicas (the default): the binding needs a grant, and
    // the operator reads it (and the namespace) with the ServiceAccount's RBAC.
    await grants().create(GRANT(), { namespaces: [s.ns], targets: [{ listenerId: L.wrr }] });
    await createWeb(s, 3);
    await s.bindings.create("web", { listenerId: L.wrr });
  });
  afterAll(async () => {
    for (const op of ops) await op.close();
    if (s) await grants().delete(GRANT());
    await s?.close();
  });

  it("works end to end with only its RBAC, and exactly one replica reconciles", async () => {
    const a = operator("replica-a").start();
    await eventually(async () => expect(await holder()).toBe("replica-a"), { what: "replica-a leads" });
    const b = operator("replica-b").start();
    await untilBound(s, L.wrr, 8080, { count: 3 });
    await eventually(async () =>
      expect(condition(await s.bindings.get("web"), "Ready")?.status).toBe("True"),
    );
    // Both are ready (caches synced); only the leader says it leads and has reconciled.
    await eventually(
      async () => {
        for (const op of [a, b]) expect((await get(op.urls()[1] as string, "/readyz")).status).toBe(200);
      },
      { what: "both ready" },
    );
    const [ma, mb] = await Promise.all([
      get(a.urls()[0] as string, "/metrics"),
      get(b.urls()[0] as string, "/metrics"),
    ]);
    expect(metric(ma.body, "leader_election_master_status")).toBe(1);
    expect(metric(mb.body, "leader_election_master_status")).toBe(0);
    expect(metric(ma.body, "controller_runtime_reconcile_total")).toBeGreaterThan(0);
    expect(metric(mb.body, "controller_runtime_reconcile_total")).toBe(0);
    expect(
      metric(ma.body, 'gaap_api_calls_total{action="BindListenerRealServers",code="Success"}'),
    ).toBeGreaterThan(0);
    expect(ma.body).toMatch(/gaap_binding_bound_origins\{namespace="[^"]+",name="web"\} 3/);
    expect(ma.body).toContain("workqueue_depth");
    expect((await get(a.urls()[1] as string, "/healthz")).status).toBe(200);
    expect(new Set(writers().map((w) => w.who))).toEqual(new Set(["gaap-operator/replica-a"]));
  });

  it("hands over once the lease expires when the leader is killed, with no overlapping writers", async () => {
    const [a, b] = ops as [OperatorProcess, OperatorProcess];
    // The lease's own timestamps (both replicas on this machine's clock), not the test's: a loaded runner's polling
    // must not decide it. a renews every retry period, so its last renewal is this one or later.
    const before = await lease();
    expect(before.holderIdentity).toBe("replica-a");
    await a.kill();
    await eventually(async () => expect(await holder()).toBe("replica-b"), {
      what: "replica-b leads",
      timeoutMs: 15_000,
    });
    const after = await lease();
    const waited = time(after.acquireTime) - time(before.renewTime);
    // Not before the lease expired (4 s; MicroTime keeps microseconds), and not long after it: retries every 500 ms.
    expect(waited).toBeGreaterThanOrEqual(4000);
    expect(waited).toBeLessThan(4000 + 5000);
    expect(after.leaseTransitions).toBe((before.leaseTransitions ?? 0) + 1);
    await scale(s, 5);
    await untilBound(s, L.wrr, 8080, { count: 5 });
    const w = writers();
    const lastA = Math.max(...w.filter((x) => x.who === "gaap-operator/replica-a").map((x) => x.end));
    const firstB = Math.min(...w.filter((x) => x.who === "gaap-operator/replica-b").map((x) => x.start));
    expect(firstB).toBeGreaterThan(lastA);
    const mb = await get(b.urls()[0] as string, "/metrics");
    expect(metric(mb.body, "leader_election_master_status")).toBe(1);
  });

  it("on SIGTERM finishes, releases the lease and exits cleanly within the grace period", async () => {
    const b = ops[1] as OperatorProcess;
    const started = Date.now();
    await b.stop();
    expect(await b.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await holder()).toBe("");
    expect(b.logs().some((l) => l.msg === "lease released")).toBe(true);
    // A new replica takes over at once: the lease was released, not left to expire.
    const c = operator("replica-c").start();
    await eventually(async () => expect(await holder()).toBe("replica-c"), {
      what: "replica-c leads",
      timeoutMs: 10_000,
    });
    await scale(s, 3);
    await untilBound(s, L.wrr, 8080, { count: 3 });
    await c.stop();
  });
});
