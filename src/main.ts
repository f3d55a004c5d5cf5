#!/usr/bin/env node
// gaap-operator: wiring only. Configuration, clients, sources, reconciler, controller, leader election, metrics,
// health, signals.
import type { Server } from "node:http";
import { hostname } from "node:os";
import pRetry from "p-retry";
import type { DynamicCredential } from "tencentcloud-sdk-nodejs/tencentcloud/common/interface.js";
import { systemClock } from "./binding/ports.ts";
import { Reconciler } from "./binding/reconciler.ts";
import { type Config, ConfigError, parseConfig, usage } from "./config.ts";
import { GaapClient } from "./gaap/client.ts";
import { resolveCredential } from "./gaap/credentials.ts";
import { CLUSTER_TAG } from "./gaap/types.ts";
import { parseBindAddress, serve, text } from "./http.ts";
import { BindingWriter } from "./kube/binding-writer.ts";
import { loadKubeConfig } from "./kube/client.ts";
import { EventRecorder } from "./kube/events.ts";
import { LeaderElector } from "./kube/leader.ts";
import { PodGateWriter } from "./kube/pod-gate-writer.ts";
import { serverVersion } from "./kube/version.ts";
import { createLogger } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { OriginCollector } from "./origins/sweep.ts";
import { defaultHold, taskHistory } from "./readiness/hold.ts";
import { holdUnsupportedEvent, mutatePod } from "./readiness/mutate.ts";
import { PodGates } from "./readiness/pod-gates.ts";
import { WebhookServer } from "./readiness/webhook-server.ts";
import { Controller } from "./runtime/controller.ts";
import { ControllerLimiter, ExponentialLimiter, WorkQueue } from "./runtime/queue.ts";
import { TokenBucket } from "./runtime/token-bucket.ts";
import { VERSION } from "./version.ts";
import { Sources } from "./watch/sources.ts";

/** An informer failing this many times in a row (about 4 minutes of backoff) makes /healthz fail. */
const INFORMER_DEAD_AFTER = 10;

function fail(message: string): never {
  process.stderr.write(`gaap-operator: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    const parsed = parseConfig(process.argv.slice(2));
    if (parsed.action === "help") {
      process.stdout.write(usage());
      return;
    }
    if (parsed.action === "version") {
      process.stdout.write(`${VERSION}\n`);
      return;
    }
    config = parsed.config;
  } catch (err) {
    if (err instanceof ConfigError) fail(`${err.message}\nRun gaap-operator --help for usage.`);
    throw err;
  }
  let credential: DynamicCredential;
  let credentialSource: string;
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    ({ credential, source: credentialSource } = await resolveCredential(
      config.credentials,
      config.credentialsDir,
    ));
    kc = loadKubeConfig(config.kubeconfig);
  } catch (err) {
    fail((err as Error).message);
  }

  const log = createLogger(config.logLevel);
  const identity = process.env.POD_NAME || `${hostname()}-${process.pid}`;
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection"));
  process.on("uncaughtException", (err) => log.fatal({ err }, "uncaught exception"));

  const metrics = new Metrics();
  let elector: LeaderElector | undefined;
  const canWrite = () => (elector ? elector.isLeader() : true);
  const gaap = new GaapClient({
    endpoint: config.gaapEndpoint,
    credential,
    timeoutSec: Math.max(1, Math.round(config.gaapTimeoutMs / 1000)),
    rates: {
      write: config.gaapWriteQps,
      read: config.gaapReadQps,
      describeRealServers: config.gaapDescribeRealServersQps,
    },
    userAgent: `gaap-operator/${identity}`,
    canWrite,
    observer: metrics.gaapObserver(),
  });
  const controllerMetrics = metrics.controllerMetrics("gaaplistenerbinding");
  // Failures back off per key from 1 s, doubling, up to --retry-max-delay: GAAP is protected by the token buckets,
  // so the backoff only spaces one binding's retries, and after an outage every binding is retried within the cap.
  const backoff = () => new ExponentialLimiter(1000, config.retryMaxDelayMs);
  const queue = new WorkQueue(
    new ControllerLimiter(backoff(), new TokenBucket(10, 100)),
    controllerMetrics.queue,
  );
  // The controllers are made below; events reach them only once sources.start() runs.
  const sources = new Sources(kc, (key) => controller.enqueue(key), {
    ...(config.watchNamespace ? { namespace: config.watchNamespace } : {}),
    onError: (informer, err) => log.warn({ informer, err: String(err) }, "watch failed; restarting"),
  });
  const events = new EventRecorder(kc, {
    instance: identity,
    onError: (err) => log.warn({ err: String(err) }, "event not recorded"),
  });

  // Readiness gates: a second controller, keyed by pod, fed by the bindings' passes.
  const gateMetrics = metrics.controllerMetrics("podreadinessgate", "podreadinessgate");
  const gateQueue = new WorkQueue(
    new ControllerLimiter(backoff(), new TokenBucket(10, 100)),
    gateMetrics.queue,
  );
  const gateWriter = new PodGateWriter(kc);
  const podGates = new PodGates({
    pod: (ns, name) => sources.pod(ns, name),
    binding: (key) => sources.binding(key),
    service: (ns, name) => sources.service(ns, name),
    write: (pod, conditions) => gateWriter.write(pod, conditions),
    enqueue: (key) => gateController.enqueue(key),
    canWrite,
    clock: systemClock,
    log,
    hooks: { boundAfter: (s) => metrics.gateBoundAfter(s) },
  });
  metrics.gatesByReason = () => podGates.countsByReason();
  // From the leader only, like the origin gauges: two replicas never count one binding twice.
  metrics.bindings = () => (canWrite() ? sources.allBindings() : []);
  sources.onPod((kind, pod) => {
    podGates.onPod(kind, pod);
    const note = kind === "add" && canWrite() ? holdUnsupportedEvent(pod, Date.now()) : undefined;
    if (note) events.recordOn({ apiVersion: "v1", kind: "Pod", metadata: pod.metadata ?? {} }, note);
  });

  sources.onBinding((kind, b) => podGates.onBinding(kind, b));
  const origins = new OriginCollector({
    store: gaap.origins,
    log,
    clusterTag: { key: CLUSTER_TAG, value: config.clusterName },
    bindingKeys: () => sources.liveBindingKeys(),
    // A sweep before the caches are synced would see no binding wanting anything.
    canWrite: () => canWrite() && sources.isSynced(),
    debounceMs: config.gcDelayMs,
  });
  const reconciler = new Reconciler({
    cache: sources,
    reader: gaap.targets,
    registry: gaap.origins,
    binder: gaap.binder,
    status: new BindingWriter(kc),
    events,
    origins,
    gates: podGates,
    backoff: backoff(),
    log,
    canWrite,
    hooks: metrics.reconcilerHooks(),
    settings: {
      clusterName: config.clusterName,
      verifyIntervalMs: config.verifyIntervalMs,
      busyPollMs: config.busyPollMs,
      maxOriginsPerListener: config.maxOriginsPerListener,
      initialTaskMs: config.taskEstimateMs,
      unbindWindowMs: config.unbindWindowMs,
    },
  });
  const controller = new Controller({
    name: "gaaplistenerbinding",
    queue,
    synced: sources.synced,
    initialKeys: () => sources.bindingKeys(),
    reconcile: (key) => reconciler.reconcile(key),
    workers: config.workers,
    log,
    metrics: controllerMetrics,
  });
  const gateController = new Controller({
    name: "podreadinessgate",
    queue: gateQueue,
    synced: sources.synced,
    initialKeys: () => podGates.podKeys(),
    reconcile: (key) => podGates.reconcile(key),
    workers: Math.max(2, Math.ceil(config.workers / 2)),
    log,
    metrics: gateMetrics,
  });

  // The admission webhook reads the caches only, so every replica serves it, leader or not.
  let webhook: WebhookServer | undefined;
  if (config.webhookPort > 0) {
    // Without the version the hold cannot be promised: an older apiserver would drop the hook without a word.
    const version = await pRetry(() => serverVersion(kc), { retries: 4, minTimeout: 1000, factor: 1 }).catch(
      (err) => {
        log.warn(
          { err: String(err) },
          "could not read the apiserver version; adding readiness gates without a hold",
        );
        return undefined;
      },
    );
    const sleepSupported = version !== undefined && (version.major > 1 || version.minor >= 30);
    webhook = new WebhookServer({
      host: config.webhookHost,
      port: config.webhookPort,
      certDir: config.webhookCertDir,
      reloadIntervalMs: config.webhookCertPollMs,
      log,
      mutate: (pod, namespace) => {
        if (!sources.isSynced()) return undefined;
        const m = mutatePod({
          pod,
          bindings: sources.bindingsIn(namespace),
          service: (name) => sources.service(namespace, name),
          defaultHold: (b) => defaultHold(taskHistory(b, sources.allBindings(), reconciler.tasks)),
          sleepSupported,
        });
        if (m.gates.length > 0 || m.holdSeconds)
          log.debug({ namespace, gates: m.gates, holdSeconds: m.holdSeconds }, "pod mutated");
        return m;
      },
    });
    await webhook.start();
    log.info({ url: webhook.url, sleepSupported, version }, "serving the pod admission webhook");
  }

  const servers: Server[] = [];
  const metricsBind = parseBindAddress(config.metricsBindAddress);
  if (metricsBind) {
    servers.push(
      await serve(metricsBind, {
        "/metrics": async (_req, res) =>
          text(res, 200, await metrics.registry.metrics(), metrics.registry.contentType),
      }),
    );
  }
  const probeBind = parseBindAddress(config.healthProbeBindAddress);
  if (probeBind) {
    servers.push(
      await serve(probeBind, {
        // Alive unless an informer has been failing for minutes: a restart may then help (e.g. a revoked token).
        "/healthz": (_req, res) => {
          const dead = sources.health().filter((h) => h.failures >= INFORMER_DEAD_AFTER);
          if (dead.length > 0)
            text(res, 500, `informers failing: ${dead.map((d) => `${d.name}: ${d.lastError}`).join("; ")}\n`);
          else text(res, 200, "ok\n");
        },
        // Ready once the caches are synced, leader or not: a standby is a ready replica.
        "/readyz": (_req, res) => {
          if (sources.isSynced()) text(res, 200, "ok\n");
          else
            text(
              res,
              503,
              `waiting for caches: ${sources
                .health()
                .filter((h) => !h.synced)
                .map((h) => h.name)
                .join(", ")}\n`,
            );
        },
      }),
    );
  }

  for (const sv of servers) log.info({ url: (sv as Server & { url: string }).url }, "serving http");
  log.info(
    {
      version: VERSION,
      endpoint: config.gaapEndpoint,
      namespace: config.watchNamespace ?? "(all)",
      identity,
      credentials: credentialSource,
      leaderElect: config.leaderElect,
    },
    "starting",
  );
  sources.start();
  const sweep = setInterval(() => {
    origins.collect().catch((err) => log.warn({ err: String(err) }, "origin sweep failed"));
  }, config.verifyIntervalMs);
  sweep.unref();

  let stopping = false;
  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    clearInterval(sweep);
    origins.stop();
    // Finish (or, past the grace period, abandon) reconciles in flight while still leader, then hand over.
    await Promise.all([controller.stop(config.shutdownGraceMs), gateController.stop(config.shutdownGraceMs)]);
    webhook?.stop();
    await elector?.stop();
    metrics.setLeader(config.leaderElectionId, false);
    sources.stop();
    for (const s of servers) s.close();
    log.info("stopped");
    log.flush();
    process.exit(code);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));

  const startControllers = () => Promise.all([controller.start(), gateController.start()]);
  if (!config.leaderElect) {
    metrics.setLeader(config.leaderElectionId, true);
    await startControllers();
    return;
  }
  elector = new LeaderElector(kc, {
    namespace: config.leaderElectionNamespace,
    name: config.leaderElectionId,
    identity,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    log,
    onStartedLeading: () => {
      metrics.setLeader(config.leaderElectionId, true);
      startControllers().catch((err) => log.error({ err }, "controller failed to start"));
    },
    onStoppedLeading: () => {
      // Writes stopped already (canWrite turned false when renewal failed); exit so a fresh process rejoins.
      metrics.setLeader(config.leaderElectionId, false);
      void shutdown("leadership lost", 1);
    },
    onNewLeader: (leader) => log.info({ leader }, "leader is now"),
  });
  metrics.setLeader(config.leaderElectionId, false);
  await elector.run();
}

await main();
