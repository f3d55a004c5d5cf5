// npm run demo: the whole product on one machine, no cluster and no Tencent account needed. Starts a local
// control plane (with a simulated kubelet), the GAAP emulator and the operator, then walks a sample workload
// through creation, scaling, a rolling update, a rolling update gated on GAAP (pod readiness gates), the
// mass-removal breaker and a forwarding rule of an HTTP listener, showing the bindings' status and the origins
// live, and cleans up.
//
//   npm run demo              live view (redraws in place on a terminal)
//   npm run demo -- --plain   one line per change (also what you get when output is not a terminal)
//
// The control plane is real kube-apiserver, etcd, controller-manager and scheduler binaries. The first run builds
// them from source with Go (1.26+) from the Go module proxy into ~/.cache/gaap-operator, printing its progress: that
// takes minutes and about 6 GB of Go caches, once. Later runs start in seconds.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { startEmulator } from "../emulator/server.ts";
import { GRANT_KIND, GRANT_PLURAL } from "../src/api/grant.ts";
import { GROUP, gateType, VERSION } from "../src/api/types.ts";
import { Bindings } from "../testenv/bindings.ts";
import {
  CONTROL_PLANE_BINARIES,
  ensureBinaries,
  FIRST_BUILD_COST,
  missingBinaries,
} from "../testenv/cluster/binaries.ts";
import { ControlPlane } from "../testenv/cluster/control-plane.ts";
import { KubeletSimulator } from "../testenv/cluster/kubelet.ts";
import { ProcessGroup, RUN_DIR_PREFIX } from "../testenv/cluster/processes.ts";
import { gaapClient } from "../testenv/gaap.ts";
import { deployment, service } from "../testenv/workload.ts";

const plain = process.argv.includes("--plain") || !process.stdout.isTTY;
const NS = "demo";
const LISTENER = "listener-aaaa1111";
/** The emulator's demo HTTP listener and its rule for www.example.com/. */
const HTTP_LISTENER = "listener-eeee5555";
const RULE = "rule-aaaa1111";
const GATE = gateType("web");
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Finds the control-plane binaries, or builds them (first run), saying what that needs and how far it got. */
async function controlPlaneBinaries(): Promise<boolean> {
  const missing = missingBinaries(CONTROL_PLANE_BINARIES);
  if (missing.length === 0) {
    say("  control-plane binaries: found (built on an earlier run)");
    return true;
  }
  say(`  first run: ${missing.join(", ")} must be built from source before the demo can start.`);
  say(
    "  That needs Go 1.26+ on the PATH and access to the Go module proxy (proxy.golang.org, or your GOPROXY),",
  );
  say(`  and takes ${FIRST_BUILD_COST}. Progress follows.`);
  try {
    // Printed in the live view too: nothing is drawn yet, and a build that says nothing for minutes looks hung.
    await ensureBinaries((l) => say(`  [build] ${l}`), process.env, CONTROL_PLANE_BINARIES);
    return true;
  } catch (err) {
    say(`\ndemo cannot start: ${(err as Error).message}`);
    return false;
  }
}

async function main(): Promise<number> {
  say("gaap-operator demo: a local control plane, the GAAP emulator and the operator, on this machine.");
  if (!(await controlPlaneBinaries())) return 1;
  say("  starting the control plane, the GAAP emulator and the operator...");
  // Batched EndpointSlice updates, so scaling 6 to 2 reaches the operator as one change. (In smaller steps the
  // breaker would hold it too, judged against the set's recent peak.)
  const cp = await ControlPlane.start({
    log: plain ? (l) => say(`  ${l}`) : () => {},
    endpointSliceBatchPeriod: "1s",
    binaries: CONTROL_PLANE_BINARIES,
  });
  const procs = new ProcessGroup(mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX)));
  const kubelet = new KubeletSimulator(cp.kubeConfig(), {
    nodes: [1, 2, 3].map((i) => ({ name: `node-${i}` })),
    startDelayMs: 400,
  });
  const emu = await startEmulator();
  try {
    await kubelet.start();
    const kubectl = (...args: string[]) =>
      promisify(execFile)(cp.info.kubectl, ["--kubeconfig", cp.info.kubeconfigPath, ...args]);
    await kubectl("apply", "-f", "crds/");
    await kubectl(
      "wait",
      "--for=condition=Established",
      "crd/gaaplistenerbindings.gaap.operator.dev",
      "crd/gaaplistenergrants.gaap.operator.dev",
    );
    // The operator runs as installed, with --listener-grants=required: a binding may write only the listeners a
    // GaapListenerGrant gives its namespace (docs/multi-team.md). The demo's namespace gets the two it uses.
    await cp
      .kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: GRANT_PLURAL,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: GRANT_KIND,
          metadata: { name: NS },
          spec: { namespaces: [NS], targets: [{ listenerId: LISTENER }, { listenerId: HTTP_LISTENER }] },
        },
      });
    const operator = procs.start(
      "operator",
      process.execPath,
      [
        "src/main.ts",
        "--kubeconfig",
        cp.info.kubeconfigPath,
        "--gaap-endpoint",
        emu.url,
        "--metrics-bind-address",
        "127.0.0.1:0",
        "--health-probe-bind-address",
        "127.0.0.1:0",
        "--verify-interval",
        "30s",
        "--gc-delay",
        "1s",
        // The pod webhook is off here: the demo lists the readiness gate in the pod template itself.
        "--webhook-port",
        "0",
        "--listener-grants",
        "required",
      ],
      { TENCENTCLOUD_SECRET_ID: "AKIDexample", TENCENTCLOUD_SECRET_KEY: "example-key" },
    );
    say(`  kubeconfig: ${cp.info.kubeconfigPath}`);
    say(`  GAAP emulator: ${emu.url} (bind task time 2 s, like GAAP)`);
    say(`  operator log: ${operator.logPath}`);
    say(`  GaapListenerGrant ${NS}: namespace ${NS} may bind ${LISTENER} and ${HTTP_LISTENER}`);

    const kc = cp.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const bindings = new Bindings(kc, NS);
    const gaap = gaapClient(emu.url);

    const view = async () => {
      const [b, pods, l, registered, rules, rb] = await Promise.all([
        bindings.get("web").catch(() => undefined),
        core.listNamespacedPod({ namespace: NS, labelSelector: "app=web" }),
        gaap.DescribeTCPListeners({ ListenerId: LISTENER }),
        gaap.DescribeRealServers({ ProjectId: -1 }),
        gaap.DescribeRulesByRuleIds({ RuleIds: [RULE] }),
        bindings.get("web-http").catch(() => undefined),
      ]);
      const rule = rules.RuleSet?.[0];
      const ruleOrigins = (rule?.RealServerSet ?? [])
        .map((r) => `${r.RealServerIP}:${r.RealServerPort}`)
        .sort();
      const ruleReady = rb?.status?.conditions?.find((c) => c.type === "Ready");
      const ready = pods.items.filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      );
      const listener = l.ListenerSet?.[0];
      const origins = (listener?.RealServerSet ?? [])
        .map((r) => `${r.RealServerIP}:${r.RealServerPort}`)
        .sort();
      const readyCond = b?.status?.conditions?.find((c) => c.type === "Ready");
      const degraded = b?.status?.conditions?.find((c) => c.type === "Degraded" && c.status === "True");
      const podIPs = ready.map((p) => `${p.status?.podIP}:8080`).sort();
      const gates = new Map<string, number>();
      for (const p of pods.items) {
        if (p.metadata?.deletionTimestamp || !p.spec?.readinessGates?.some((g) => g.conditionType === GATE))
          continue;
        const g = p.status?.conditions?.find((c) => c.type === GATE);
        const reason = g ? `${g.reason}` : "no gate yet";
        gates.set(reason, (gates.get(reason) ?? 0) + 1);
      }
      const gateText = [...gates].map(([r, n]) => `${n} ${r}`).join(", ");
      return {
        pods: `${ready.length}/${pods.items.length} pods ready${gateText ? `; readiness gate: ${gateText}` : ""}`,
        gatedBound: gates.get("Bound") ?? 0,
        binding: b
          ? `Ready=${readyCond?.status ?? "?"} (${readyCond?.reason ?? "-"}) bound ${b.status?.boundCount ?? 0}/${b.status?.desiredCount ?? 0}${degraded ? ` Degraded: ${degraded.reason}` : ""}`
          : "no binding",
        listener: `listener ${LISTENER} status ${listener?.ListenerStatus}: ${origins.length} origin(s) ${origins.join(" ")}`,
        rule: `rule ${RULE} (${rule?.Domain}${rule?.Path} of HTTP ${HTTP_LISTENER}) status ${rule?.RuleStatus}: ${ruleOrigins.length} origin(s) ${ruleOrigins.join(" ")}${rb ? `; binding web-http Ready=${ruleReady?.status ?? "?"} (${ruleReady?.reason ?? "-"})` : ""}`,
        ruleConverged:
          rb !== undefined &&
          ruleReady?.status === "True" &&
          JSON.stringify(ruleOrigins) === JSON.stringify(podIPs),
        ruleEmpty: ruleOrigins.length === 0,
        registered: registered.TotalCount,
        converged:
          b !== undefined &&
          readyCond?.status === "True" &&
          JSON.stringify(origins) === JSON.stringify(podIPs),
        degraded: degraded?.reason,
        empty: origins.length === 0,
      };
    };

    let drawn = 0;
    let lastPlain = "";
    const render = (title: string, v: Awaited<ReturnType<typeof view>>) => {
      const lines = [
        `  ${v.pods}`,
        `  binding web: ${v.binding}`,
        `  ${v.listener}`,
        `  ${v.rule}`,
        `  origin servers registered: ${v.registered}`,
      ];
      if (plain) {
        const text = lines.join("\n");
        if (text !== lastPlain) say(text);
        lastPlain = text;
        return;
      }
      if (drawn > 0) process.stdout.write(`\x1b[${drawn}A`);
      for (const line of [title, ...lines])
        process.stdout.write(`\x1b[2K${line.slice(0, process.stdout.columns || 160)}\n`);
      drawn = lines.length + 1;
    };
    const step = async (
      title: string,
      until: (v: Awaited<ReturnType<typeof view>>) => boolean,
      timeoutMs = 60_000,
    ) => {
      say("");
      say(`== ${title}`);
      drawn = 0;
      lastPlain = "";
      const started = Date.now();
      for (;;) {
        const v = await view();
        render(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`, v);
        if (until(v)) {
          say(`  -> done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          return;
        }
        if (Date.now() - started > timeoutMs)
          throw new Error(`step "${title}" did not converge within ${timeoutMs / 1000} s`);
        await sleep(plain ? 250 : 200);
      }
    };

    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedService({ namespace: NS, body: service("web") });
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment("web", 3, { terminationGracePeriodSeconds: 2 }),
    });
    await bindings.create("web", { listenerId: LISTENER, weight: 10 });
    await step(
      "A Deployment of 3 behind a Service, and a GaapListenerBinding: the listener follows the pods",
      (v) => v.converged,
    );

    await apps.patchNamespacedDeployment(
      { name: "web", namespace: NS, body: { spec: { replicas: 6 } } },
      merge,
    );
    await step("Scale to 6", (v) => v.converged && v.pods.startsWith("6/6"));

    await apps.patchNamespacedDeployment(
      {
        name: "web",
        namespace: NS,
        body: { spec: { template: { metadata: { annotations: { "demo/rollout": String(Date.now()) } } } } },
      },
      merge,
    );
    await sleep(1000);
    await step(
      "Rolling update: new pods replace old ones; changes during a 2 s bind coalesce into the next",
      (v) => v.converged && v.pods === "6/6 pods ready",
      120_000,
    );

    // The webhook would add this to pods in a labelled namespace; listed in the template, it rolls the pods too.
    await apps.patchNamespacedDeployment(
      {
        name: "web",
        namespace: NS,
        body: { spec: { template: { spec: { readinessGates: [{ conditionType: GATE }] } } } },
      },
      merge,
    );
    await sleep(1000);
    await step(
      `Rolling update with the readiness gate ${GATE}: each new pod waits (Binding) until GAAP holds it, then goes Ready, so the rollout never outruns GAAP`,
      (v) => v.converged && v.pods.startsWith("6/6") && v.gatedBound === 6,
      120_000,
    );

    await apps.patchNamespacedDeployment(
      { name: "web", namespace: NS, body: { spec: { replicas: 2 } } },
      merge,
    );
    await step(
      "Scale to 2: removing 4 of 6 origins at once trips the circuit breaker (maxUnbindPercent 50): 3 of the 6 may go now, the last waits a window",
      (v) => v.degraded === "MassUnbind",
    );

    await bindings.patchSpec("web", { maxUnbindPercent: 100 });
    await step("Allow it (maxUnbindPercent: 100)", (v) => v.converged && v.pods.startsWith("2/2"));

    await bindings.create("web-http", {
      listenerId: HTTP_LISTENER,
      rule: { domain: "www.example.com", path: "/" },
    });
    await step(
      `An HTTP listener: a second binding names its forwarding rule by domain and path, found as ${RULE} and bound with BindRuleRealServers`,
      (v) => v.ruleConverged && v.converged,
    );

    await bindings.delete("web");
    await bindings.delete("web-http");
    await step(
      "Delete the bindings: the finalizers unbind the listener and the rule, and remove the origin servers they registered",
      (v) => v.empty && v.ruleEmpty && v.binding === "no binding" && v.registered === 0,
    );

    say("");
    say("Demo complete. Cleaning up.");
    return 0;
  } catch (err) {
    say(`\ndemo failed: ${(err as Error).message}`);
    return 1;
  } finally {
    kubelet.stop();
    await procs.close();
    await emu.close();
    await cp.stop();
  }
}

// Exit at once: on exit each process group kills what it started, and its reaper removes the run directories.
process.on("SIGINT", () => {
  say("\ninterrupted: stopping what the demo started and exiting");
  process.exit(130);
});

process.exitCode = await main();
