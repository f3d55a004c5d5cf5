// Prometheus metrics: controller-runtime's names for reconcile and work-queue metrics (so existing dashboards
// work), client-go's leader metric, and the operator's own GAAP and binding metrics. One registry.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { GaapListenerBinding } from "./api/types.ts";
import type { BindingMetrics } from "./binding/ports.ts";
import type { GaapObserver } from "./gaap/transport.ts";
import type { ControllerMetrics } from "./runtime/controller.ts";
import { VERSION } from "./version.ts";

export class Metrics {
  readonly registry = new Registry();
  private readonly controller: string;
  private readonly reconcileTotal: Counter<"controller" | "result">;
  private readonly reconcileErrors: Counter<"controller">;
  private readonly reconcileTime: Histogram<"controller">;
  private readonly depth: Gauge<"name">;
  private readonly adds: Counter<"name">;
  private readonly queueDuration: Histogram<"name">;
  private readonly workDuration: Histogram<"name">;
  private readonly retries: Counter<"name">;
  private readonly gaapCalls: Counter<"action" | "code">;
  private readonly gaapLatency: Histogram<"action">;
  private readonly throttleWait: Histogram<"action">;
  private readonly binds: Counter;
  private readonly holds: Counter<"reason">;
  private readonly drift: Counter;
  private readonly holdRemovals: Counter;
  private readonly lateRemovals: Counter;
  private readonly holdOverrun: Counter;
  private readonly desired: Gauge<"namespace" | "name">;
  private readonly bound: Gauge<"namespace" | "name">;
  private readonly leader: Gauge<"name">;
  private readonly gateLatency: Histogram;
  /** Gates by reason, read at scrape time from whoever keeps them. */
  gatesByReason: () => Map<string, number> = () => new Map();
  /** Entries of every store the operator keeps beyond its caches, by store (KeyedMemory.sizes, the origin IDs). */
  storeSizes: () => Record<string, number> = () => ({});
  /** The cached bindings, read at scrape time for their conditions. */
  bindings: () => Iterable<GaapListenerBinding> = () => [];

  constructor(controller = "gaaplistenerbinding") {
    this.controller = controller;
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Prometheus' build_info convention: which version each replica runs, for dashboards and during an upgrade.
    new Gauge({
      name: "gaap_operator_build_info",
      help: "The running operator's version (always 1)",
      labelNames: ["version"],
      registers: r,
    }).set({ version: VERSION }, 1);
    const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers: r });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Gauge<L>({ name, help, labelNames, registers: r });
    const histogram = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Histogram<L>({ name, help, labelNames, buckets: seconds, registers: r });
    this.reconcileTotal = counter(
      "controller_runtime_reconcile_total",
      "Reconciliations per controller and result",
      ["controller", "result"],
    );
    this.reconcileErrors = counter(
      "controller_runtime_reconcile_errors_total",
      "Reconciliation errors per controller",
      ["controller"],
    );
    this.reconcileTime = histogram("controller_runtime_reconcile_time_seconds", "Time per reconciliation", [
      "controller",
    ]);
    this.depth = gauge("workqueue_depth", "Current depth of the work queue", ["name"]);
    this.adds = counter("workqueue_adds_total", "Adds handled by the work queue", ["name"]);
    this.queueDuration = histogram(
      "workqueue_queue_duration_seconds",
      "Time an item waits in the queue before being worked on",
      ["name"],
    );
    this.workDuration = histogram("workqueue_work_duration_seconds", "Time working on an item", ["name"]);
    this.retries = counter("workqueue_retries_total", "Rate-limited retries handled by the queue", ["name"]);
    this.gaapCalls = counter(
      "gaap_api_calls_total",
      "GAAP API calls by action and result code (Success or the error code)",
      ["action", "code"],
    );
    this.gaapLatency = histogram("gaap_api_call_duration_seconds", "GAAP API call latency", ["action"]);
    this.throttleWait = histogram(
      "gaap_api_throttle_wait_seconds",
      "Time calls waited for the per-action token bucket",
      ["action"],
    );
    this.binds = counter("gaap_binds_total", "BindListenerRealServers calls sent");
    this.holds = counter("gaap_holds_total", "Changes held by a safety rule, by reason", ["reason"]);
    this.drift = counter(
      "gaap_drift_repairs_total",
      "Binds that restored a set changed outside the operator",
    );
    this.holdRemovals = counter(
      "gaap_termination_hold_removals_total",
      "Origins of pods in their termination hold whose removal GAAP applied",
    );
    this.lateRemovals = counter(
      "gaap_termination_hold_late_removals_total",
      "Of those, removals surely applied only after the pod's termination hold had ended",
    );
    this.holdOverrun = counter(
      "gaap_termination_hold_overrun_seconds_total",
      "Origin-seconds those late removals stayed bound past the end of the hold (up to the read that saw them done)",
    );
    this.desired = gauge("gaap_binding_desired_origins", "Origins a binding's Service calls for", [
      "namespace",
      "name",
    ]);
    this.bound = gauge("gaap_binding_bound_origins", "A binding's origins bound on its listener", [
      "namespace",
      "name",
    ]);
    this.leader = gauge("leader_election_master_status", "1 while this process is the leader", ["name"]);
    this.gateLatency = new Histogram({
      name: "gaap_pod_readiness_gate_seconds",
      help: "Time from a gated pod's ContainersReady to its readiness gate turning True (GAAP holds it)",
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers: r,
    });
    const self = this;
    new Gauge({
      name: "gaap_pod_readiness_gates",
      help: "Readiness-gate conditions on live pods, by the reason they carry",
      labelNames: ["reason"],
      registers: r,
      collect() {
        this.reset();
        for (const [reason, n] of self.gatesByReason()) this.set({ reason }, n);
      },
    });
    // What months without a restart must keep flat: each store's size follows the live bindings and pods.
    new Gauge({
      name: "gaap_operator_store_entries",
      help: "Entries held by each of the operator's own per-key stores (beyond the informer caches)",
      labelNames: ["store"],
      registers: r,
      collect() {
        this.reset();
        for (const [store, n] of Object.entries(self.storeSizes())) this.set({ store }, n);
      },
    });
    // kube-state-metrics' shape: one series per binding and condition, 1, labelled with its status and reason.
    // Reasons are the operator's own words or GAAP error codes, a bounded set.
    new Gauge({
      name: "gaap_binding_condition",
      help: "A binding's status condition (always 1), by its status and reason",
      labelNames: ["namespace", "name", "condition", "status", "reason"],
      registers: r,
      collect() {
        this.reset();
        for (const b of self.bindings()) {
          const { namespace = "", name = "" } = b.metadata;
          for (const c of b.status?.conditions ?? [])
            this.set({ namespace, name, condition: c.type, status: c.status, reason: c.reason }, 1);
        }
      },
    });
  }

  /** The readiness gate's latency histogram. */
  gateBoundAfter(seconds: number): void {
    this.gateLatency.observe(seconds);
  }

  controllerMetrics(queueName: string, controller = this.controller): ControllerMetrics {
    const c = controller;
    // From the start: a key handed straight to a waiting worker never changes the depth, so it might never be set.
    this.depth.set({ name: queueName }, 0);
    return {
      reconciled: (result, secs) => {
        this.reconcileTotal.inc({ controller: c, result });
        if (result === "error") this.reconcileErrors.inc({ controller: c });
        this.reconcileTime.observe({ controller: c }, secs);
      },
      queue: {
        added: () => this.adds.inc({ name: queueName }),
        depth: (n) => this.depth.set({ name: queueName }, n),
        queued: (ms) => this.queueDuration.observe({ name: queueName }, ms / 1000),
        worked: (ms) => this.workDuration.observe({ name: queueName }, ms / 1000),
        retried: () => this.retries.inc({ name: queueName }),
      },
    };
  }

  gaapObserver(): GaapObserver {
    return {
      call: (action, code, secs) => {
        this.gaapCalls.inc({ action, code });
        this.gaapLatency.observe({ action }, secs);
      },
      throttled: (action, secs) => this.throttleWait.observe({ action }, secs),
    };
  }

  bindingMetrics(): BindingMetrics {
    return {
      bound: () => this.binds.inc(),
      held: (reason) => this.holds.inc({ reason }),
      driftRepaired: () => this.drift.inc(),
      holdsMeasured: (o) => {
        this.holdRemovals.inc(o.removals);
        this.lateRemovals.inc(o.late.length);
        this.holdOverrun.inc(o.overrunSeconds);
      },
      origins: (key, desired, bound) => {
        const [namespace = "", name = ""] = key.split("/");
        if (desired === undefined && bound === undefined) {
          this.desired.remove({ namespace, name });
          this.bound.remove({ namespace, name });
          return;
        }
        if (desired !== undefined) this.desired.set({ namespace, name }, desired);
        if (bound !== undefined) this.bound.set({ namespace, name }, bound);
      },
    };
  }

  setLeader(name: string, leading: boolean): void {
    this.leader.set({ name }, leading ? 1 : 0);
  }
}
