// The operator's parts, wired: the caches, the GAAP client, the binding controller and the readiness-gate
// controller with their queues, the origin sweep, and the one memory every per-binding store lives in. main.ts
// runs it as a process (flags, leader election, HTTP servers, signals); a test can run it in its own process.
import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { DynamicCredential } from "tencentcloud-sdk-nodejs/tencentcloud/common/interface.js";
import { bindingAccess } from "./access/grants.ts";
import { VALIDATE_BINDING_PATH, validateBinding } from "./access/validate.ts";
import type { GaapListenerBinding } from "./api/types.ts";
import { BindingReconciler } from "./binding/reconciler.ts";
import type { Config } from "./config.ts";
import { GaapClient } from "./gaap/client.ts";
import { CLUSTER_TAG } from "./gaap/types.ts";
import { BindingWriter } from "./kube/binding-writer.ts";
import { EventRecorder } from "./kube/events.ts";
import { PodGateWriter } from "./kube/pod-gate-writer.ts";
import type { Metrics } from "./metrics.ts";
import { OriginSweep } from "./origins/sweep.ts";
import { defaultHold, taskHistory } from "./readiness/hold.ts";
import { holdUnsupportedEvent, MUTATE_POD_PATH, mutatePod } from "./readiness/mutate.ts";
import { PodGates } from "./readiness/pod-gates.ts";
import { systemClock } from "./runtime/clock.ts";
import { Controller } from "./runtime/controller.ts";
import { KeyedMemory } from "./runtime/memory.ts";
import { ControllerLimiter, ExponentialLimiter, WorkQueue } from "./runtime/queue.ts";
import { TokenBucket } from "./runtime/token-bucket.ts";
import type { AdmissionHandler } from "./serving/admission.ts";
import { Sources } from "./watch/sources.ts";

export interface OperatorOptions {
  config: Config;
  kc: KubeConfig;
  credential: DynamicCredential;
  log: Logger;
  /** This replica's name: the GAAP user agent and the events' reporting instance. */
  identity: string;
  metrics: Metrics;
  /** False while this replica is not the leader: nothing is written to GAAP or Kubernetes. */
  canWrite: () => boolean;
}

export class Operator {
  readonly sources: Sources;
  readonly gaap: GaapClient;
  readonly events: EventRecorder;
  /** Every store that remembers something per binding beyond the caches. */
  readonly memory = new KeyedMemory();
  readonly bindings: BindingReconciler;
  readonly podGates: PodGates;
  readonly origins: OriginSweep;
  private readonly controllers: Controller[];
  private readonly sweepEveryMs: number;
  private readonly grantsRequired: boolean;
  private readonly log: Logger;

  constructor(o: OperatorOptions) {
    const { config, kc, log, metrics, canWrite } = o;
    this.sweepEveryMs = config.verifyIntervalMs;
    this.grantsRequired = config.listenerGrants === "required";
    this.log = log;
    this.gaap = new GaapClient({
      endpoint: config.gaapEndpoint,
      credential: o.credential,
      timeoutSec: Math.max(1, Math.round(config.gaapTimeoutMs / 1000)),
      rates: {
        write: config.gaapWriteQps,
        read: config.gaapReadQps,
        describeRealServers: config.gaapDescribeRealServersQps,
      },
      userAgent: `gaap-operator/${o.identity}`,
      canWrite,
      observer: metrics.gaapObserver(),
    });
    // Failures back off per key from 1 s, doubling, up to --retry-max-delay: GAAP is protected by the token buckets,
    // so the backoff only spaces one binding's retries, and after an outage every binding is retried within the cap.
    const backoff = new ExponentialLimiter(1000, config.retryMaxDelayMs, {
      counts: this.memory.map("backoff"),
    });
    const bindingMetrics = metrics.controllerMetrics("gaaplistenerbinding");
    const queue = new WorkQueue(backoff, bindingMetrics.queue);
    // The controllers are made below; events reach them only once sources.start() runs.
    this.sources = new Sources(kc, (key) => binding.enqueue(key), {
      ...(config.watchNamespace ? { namespace: config.watchNamespace } : {}),
      grants: this.grantsRequired,
      onError: (informer, err) => log.warn({ informer, err: String(err) }, "watch failed; restarting"),
    });
    const sources = this.sources;
    this.events = new EventRecorder(kc, {
      instance: o.identity,
      onError: (err) => log.warn({ err: String(err) }, "event not recorded"),
    });

    // Readiness gates: a second controller, keyed by pod, fed by the bindings' passes.
    const gateMetrics = metrics.controllerMetrics("podreadinessgate", "podreadinessgate");
    const gateQueue = new WorkQueue(
      new ControllerLimiter(new ExponentialLimiter(1000, config.retryMaxDelayMs), new TokenBucket(10, 100)),
      gateMetrics.queue,
    );
    const gateWriter = new PodGateWriter(kc);
    this.podGates = new PodGates({
      pod: (ns, name) => sources.pod(ns, name),
      binding: (key) => sources.binding(key),
      service: (ns, name) => sources.service(ns, name),
      write: (pod, conditions) => gateWriter.write(pod, conditions),
      enqueue: (key) => gates.enqueue(key),
      canWrite,
      memory: this.memory,
      clock: systemClock,
      log,
      metrics: { boundAfter: (s) => metrics.gateBoundAfter(s) },
    });
    sources.onBinding((kind, b) => this.podGates.onBinding(kind, b));
    sources.onPod((kind, pod) => {
      this.podGates.onPod(kind, pod);
      const note = kind === "add" && canWrite() ? holdUnsupportedEvent(pod, Date.now()) : undefined;
      if (note) this.events.recordOn({ apiVersion: "v1", kind: "Pod", metadata: pod.metadata ?? {} }, note);
    });

    this.origins = new OriginSweep({
      store: this.gaap.origins,
      log,
      clusterTag: { key: CLUSTER_TAG, value: config.clusterName },
      bindingKeys: () => sources.liveBindingKeys(),
      // A sweep before the caches are synced would see no binding wanting anything.
      canWrite: () => canWrite() && sources.isSynced(),
      debounceMs: config.gcDelayMs,
      wanted: this.memory.map("originsWanted"),
    });
    this.bindings = new BindingReconciler({
      cache: sources,
      gaap: this.gaap,
      status: new BindingWriter(kc, this.memory.map("statusWritten")),
      events: this.events,
      origins: this.origins,
      gates: this.podGates,
      ...(this.grantsRequired ? { access: (b, known) => bindingAccess(sources, b, known) } : {}),
      memory: this.memory,
      log,
      canWrite,
      metrics: metrics.bindingMetrics(),
      settings: {
        clusterName: config.clusterName,
        verifyIntervalMs: config.verifyIntervalMs,
        busyPollMs: config.busyPollMs,
        maxOriginsPerListener: config.maxOriginsPerListener,
        initialTaskMs: config.taskEstimateMs,
        unbindWindowMs: config.unbindWindowMs,
      },
    });
    const binding = new Controller({
      name: "gaaplistenerbinding",
      keyName: "binding",
      queue,
      synced: sources.synced,
      initialKeys: () => sources.bindingKeys(),
      reconcile: (key) => this.bindings.reconcile(key),
      workers: config.workers,
      log,
      metrics: bindingMetrics,
    });
    const gates = new Controller({
      name: "podreadinessgate",
      keyName: "pod",
      queue: gateQueue,
      synced: sources.synced,
      initialKeys: () => this.podGates.podKeys(),
      reconcile: (key) => this.podGates.reconcile(key),
      workers: Math.max(2, Math.ceil(config.workers / 2)),
      log,
      metrics: gateMetrics,
    });
    this.controllers = [binding, gates];
  }

  /**
   * What the admission webhook serves: the pod mutation (readiness gates and the termination hold) and, with grants
   * required, the bindings' grant check. Both read the caches only, so every replica serves them, leader or not; before
   * the caches are synced a pod is left as it is and a binding passes with a warning (the reconciler checks it).
   */
  admissionHandlers(sleepSupported: boolean): Record<string, AdmissionHandler> {
    const { sources, log } = this;
    const handlers: Record<string, AdmissionHandler> = {
      [MUTATE_POD_PATH]: (r) => {
        if (r.operation !== "CREATE" || r.kind?.kind !== "Pod" || !r.object || !sources.isSynced())
          return { allowed: true };
        const namespace = r.namespace ?? "";
        // A binding no grant covers will bind nothing: gating pods on it would only keep them unready. (What only a
        // GAAP read decides, its last pass wrote in its status.)
        const bindings = sources
          .bindingsIn(namespace)
          .filter(
            (b) => !this.grantsRequired || (bindingAccess(sources, b).kind !== "denied" && !refusedNow(b)),
          );
        const m = mutatePod({
          pod: r.object as V1Pod,
          bindings,
          service: (name) => sources.service(namespace, name),
          defaultHold: (b) => defaultHold(taskHistory(b, sources.allBindings(), this.bindings.tasks)),
          sleepSupported,
        });
        if (m.gates.length > 0 || m.holdSeconds)
          log.debug({ namespace, gates: m.gates, holdSeconds: m.holdSeconds }, "pod mutated");
        return { allowed: true, patch: m.patch, warnings: m.warnings };
      },
    };
    if (this.grantsRequired)
      handlers[VALIDATE_BINDING_PATH] = (r) =>
        sources.isSynced()
          ? validateBinding(r, sources)
          : {
              allowed: true,
              warnings: [
                "the operator is still loading its caches; the grant is checked before anything is bound",
              ],
            };
    return handlers;
  }

  /** Starts the caches and the periodic origin sweep; the controllers start with startControllers (the leader). */
  start(): void {
    this.sources.start();
    this.origins.start(this.sweepEveryMs);
  }

  async startControllers(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.start()));
  }

  /** Finishes (or, past `graceMs`, abandons) the reconciles in flight. The caches stay until stopSources. */
  async stopControllers(graceMs: number): Promise<void> {
    this.origins.stop();
    await Promise.all(this.controllers.map((c) => c.stop(graceMs)));
  }

  stopSources(): void {
    this.sources.stop();
  }
}

/** Whether the binding's last pass, on its current spec, found no grant covering it. */
function refusedNow(b: GaapListenerBinding): boolean {
  const ready = b.status?.conditions?.find((c) => c.type === "Ready");
  return ready?.reason === "NotPermitted" && b.status?.observedGeneration === b.metadata.generation;
}
