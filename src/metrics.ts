// Prometheus metrics: controller-runtime's names for reconcile and work-queue metrics (so existing dashboards
// work), client-go's leader metric, and the operator's own GAAP and binding metrics. One registry.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ControllerMetrics } from "./controller/controller.ts";
import type { ReconcilerHooks } from "./controller/ports.ts";
import type { GaapObserver } from "./gaap/transport.ts";

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
  private readonly desired: Gauge<"namespace" | "name">;
  private readonly bound: Gauge<"namespace" | "name">;
  private readonly leader: Gauge<"name">;

  constructor(controller = "gaaplistenerbinding") {
    this.controller = controller;
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    this.reconcileTotal = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Reconciliations per controller and result",
      labelNames: ["controller", "result"],
      registers: r,
    });
    this.reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Reconciliation errors per controller",
      labelNames: ["controller"],
      registers: r,
    });
    this.reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Time per reconciliation",
      labelNames: ["controller"],
      buckets: seconds,
      registers: r,
    });
    this.depth = new Gauge({
      name: "workqueue_depth",
      help: "Current depth of the work queue",
      labelNames: ["name"],
      registers: r,
    });
    this.adds = new Counter({
      name: "workqueue_adds_total",
      help: "Adds handled by the work queue",
      labelNames: ["name"],
      registers: r,
    });
    this.queueDuration = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "Time an item waits in the queue before being worked on",
      labelNames: ["name"],
      buckets: seconds,
      registers: r,
    });
    this.workDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "Time working on an item",
      labelNames: ["name"],
      buckets: seconds,
      registers: r,
    });
    this.retries = new Counter({
      name: "workqueue_retries_total",
      help: "Rate-limited retries handled by the queue",
      labelNames: ["name"],
      registers: r,
    });
    this.gaapCalls = new Counter({
      name: "gaap_api_calls_total",
      help: "GAAP API calls by action and result code (Success or the error code)",
      labelNames: ["action", "code"],
      registers: r,
    });
    this.gaapLatency = new Histogram({
      name: "gaap_api_call_duration_seconds",
      help: "GAAP API call latency",
      labelNames: ["action"],
      buckets: seconds,
      registers: r,
    });
    this.throttleWait = new Histogram({
      name: "gaap_api_throttle_wait_seconds",
      help: "Time calls waited for the per-action token bucket",
      labelNames: ["action"],
      buckets: seconds,
      registers: r,
    });
    this.binds = new Counter({
      name: "gaap_binds_total",
      help: "BindListenerRealServers calls sent",
      registers: r,
    });
    this.holds = new Counter({
      name: "gaap_holds_total",
      help: "Changes held by a safety rule, by reason",
      labelNames: ["reason"],
      registers: r,
    });
    this.drift = new Counter({
      name: "gaap_drift_repairs_total",
      help: "Binds that restored a set changed outside the operator",
      registers: r,
    });
    this.desired = new Gauge({
      name: "gaap_binding_desired_origins",
      help: "Origins a binding's Service calls for",
      labelNames: ["namespace", "name"],
      registers: r,
    });
    this.bound = new Gauge({
      name: "gaap_binding_bound_origins",
      help: "A binding's origins bound on its listener",
      labelNames: ["namespace", "name"],
      registers: r,
    });
    this.leader = new Gauge({
      name: "leader_election_master_status",
      help: "1 while this process is the leader",
      labelNames: ["name"],
      registers: r,
    });
  }

  controllerMetrics(queueName: string): ControllerMetrics {
    const c = this.controller;
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

  reconcilerHooks(): ReconcilerHooks {
    return {
      bound: () => this.binds.inc(),
      held: (reason) => this.holds.inc({ reason }),
      driftRepaired: () => this.drift.inc(),
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
