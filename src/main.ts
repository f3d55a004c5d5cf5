#!/usr/bin/env node
// gaap-operator: wiring only. Configuration, clients, sources, reconciler, controller, signals.
import { hostname } from "node:os";
import {
  DefaultCredentialProvider,
  EnvironmentVariableCredential,
} from "tencentcloud-sdk-nodejs/tencentcloud/common/credential.js";
import type { DynamicCredential } from "tencentcloud-sdk-nodejs/tencentcloud/common/interface.js";
import { type Config, ConfigError, parseConfig, usage } from "./config.ts";
import { Controller } from "./controller/controller.ts";
import { OriginCollector } from "./controller/origins.ts";
import { ControllerLimiter, ExponentialLimiter, WorkQueue } from "./controller/queue.ts";
import { CLUSTER_TAG, Reconciler } from "./controller/reconciler.ts";
import { GaapClient } from "./gaap/client.ts";
import { loadKubeConfig } from "./kube/client.ts";
import { EventRecorder } from "./kube/events.ts";
import { Sources } from "./kube/sources.ts";
import { StatusWriter } from "./kube/status.ts";
import { createLogger } from "./log.ts";
import { TokenBucket } from "./util/token-bucket.ts";

function fail(message: string): never {
  process.stderr.write(`gaap-operator: ${message}\n`);
  process.exit(2);
}

async function credentialFor(config: Config): Promise<DynamicCredential> {
  const fromEnv = Boolean(process.env.TENCENTCLOUD_SECRET_ID && process.env.TENCENTCLOUD_SECRET_KEY);
  if (config.credentials === "env" || (config.credentials === "auto" && fromEnv)) {
    if (!fromEnv)
      throw new ConfigError("no GAAP credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY");
    // Read on every call, so a changed environment (or token) is picked up.
    return new EnvironmentVariableCredential();
  }
  const chain = new DefaultCredentialProvider();
  const c = await chain.getCredential().catch(() => undefined);
  if (!c?.secretId || !c?.secretKey) {
    throw new ConfigError(
      "no GAAP credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or configure a profile, a CVM role or TKE OIDC",
    );
  }
  return chain;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    const parsed = parseConfig(process.argv.slice(2));
    if (parsed.help) {
      process.stdout.write(usage());
      return;
    }
    config = parsed.config;
  } catch (err) {
    if (err instanceof ConfigError) fail(`${err.message}\nRun gaap-operator --help for usage.`);
    throw err;
  }
  let credential: DynamicCredential;
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    credential = await credentialFor(config);
    kc = loadKubeConfig(config.kubeconfig);
  } catch (err) {
    fail((err as Error).message);
  }

  const log = createLogger(config.logLevel);
  const instance = process.env.POD_NAME || hostname();
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection"));
  process.on("uncaughtException", (err) => log.fatal({ err }, "uncaught exception"));

  const canWrite = () => true;
  const gaap = new GaapClient({
    endpoint: config.gaapEndpoint,
    credential,
    timeoutSec: Math.max(1, Math.round(config.gaapTimeoutMs / 1000)),
    rates: {
      write: config.gaapWriteQps,
      read: config.gaapReadQps,
      describeRealServers: config.gaapDescribeRealServersQps,
    },
    requestClient: `gaap-operator/${instance}`,
  });
  const queue = new WorkQueue(
    new ControllerLimiter(new ExponentialLimiter(1000, 300_000), new TokenBucket(10, 100)),
  );
  const sources = new Sources(kc, (key) => queue.add(key), {
    ...(config.watchNamespace ? { namespace: config.watchNamespace } : {}),
    onError: (informer, err) => log.warn({ informer, err: String(err) }, "watch failed; restarting"),
  });
  let reconciler: Reconciler | undefined;
  const origins = new OriginCollector({
    gaap,
    log,
    clusterTag: { key: CLUSTER_TAG, value: config.clusterName },
    bindingKeys: () => sources.bindingKeys(),
    canWrite,
    debounceMs: config.gcDelayMs,
    onRemoved: (ips) => reconciler?.forgetOrigins(ips),
  });
  reconciler = new Reconciler({
    kc,
    sources,
    gaap,
    status: new StatusWriter(kc),
    events: new EventRecorder(kc, {
      instance,
      onError: (err) => log.warn({ err: String(err) }, "event not recorded"),
    }),
    origins,
    log,
    canWrite,
    settings: {
      clusterName: config.clusterName,
      verifyIntervalMs: config.verifyIntervalMs,
      busyPollMs: config.busyPollMs,
      maxOriginsPerListener: config.maxOriginsPerListener,
      initialTaskMs: config.taskEstimateMs,
    },
  });
  const r = reconciler;
  const controller = new Controller({
    name: "gaaplistenerbinding",
    queue,
    sources,
    reconcile: (key) => r.reconcile(key),
    workers: config.workers,
    log,
  });

  log.info(
    { endpoint: config.gaapEndpoint, namespace: config.watchNamespace ?? "(all)", instance },
    "starting",
  );
  sources.start();
  const sweep = setInterval(
    () => origins.collect().catch((err) => log.warn({ err: String(err) }, "origin sweep failed")),
    config.verifyIntervalMs,
  );
  sweep.unref();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    clearInterval(sweep);
    origins.stop();
    await controller.stop(config.shutdownGraceMs);
    sources.stop();
    log.info("stopped");
    log.flush();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  await controller.start();
}

await main();
