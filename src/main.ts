#!/usr/bin/env node
// gaap-operator as a process: flags, credentials, the operator's parts (operator.ts), the admission webhook, leader
// election, metrics and health endpoints, signals.
import type { Server } from "node:http";
import { hostname } from "node:os";
import pRetry from "p-retry";
import type { DynamicCredential } from "tencentcloud-sdk-nodejs/tencentcloud/common/interface.js";
import { type Config, ConfigError, parseConfig, usage } from "./config.ts";
import { resolveCredential } from "./gaap/credentials.ts";
import { loadKubeConfig } from "./kube/client.ts";
import { LeaderElector } from "./kube/leader.ts";
import { serverVersion } from "./kube/version.ts";
import { createLogger } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { Operator } from "./operator.ts";
import { AdmissionServer } from "./serving/admission.ts";
import { parseBindAddress, serve, text } from "./serving/http.ts";
import { KubeAuth, kubeReviewer } from "./serving/kube-auth.ts";
import { VERSION } from "./version.ts";

/** An informer failing this many times in a row (about 4 minutes of backoff) makes /healthz fail. */
const INFORMER_DEAD_AFTER = 10;

function fail(message: string): never {
  process.stderr.write(`gaap-operator: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  // A subcommand, not a flag: the conformance run shares only the GAAP flags with the operator.
  if (process.argv[2] === "conformance") {
    const { conformanceMain } = await import("./conformance/cli.ts");
    process.exit(await conformanceMain(process.argv.slice(3)));
  }
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
  const operator = new Operator({ config, kc, credential, log, identity, metrics, canWrite });
  const { sources } = operator;
  metrics.gatesByReason = () => operator.podGates.countsByReason();
  metrics.storeSizes = () => ({
    ...operator.memory.sizes(),
    originIds: operator.gaap.originIds.size,
    eventNotes: operator.events.remembered,
  });
  // From the leader only, like the origin gauges: two replicas never count one binding twice.
  metrics.bindings = () => (canWrite() ? sources.allBindings() : []);

  // The admission webhook reads the caches only, so every replica serves it, leader or not.
  let webhook: AdmissionServer | undefined;
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
    webhook = new AdmissionServer({
      host: config.webhookHost,
      port: config.webhookPort,
      certDir: config.webhookCertDir,
      reloadIntervalMs: config.webhookCertPollMs,
      log,
      handlers: operator.admissionHandlers(sleepSupported),
    });
    await webhook.start();
    log.info({ url: webhook.url, sleepSupported, version }, "serving the admission webhook");
  }

  const servers: Array<Server & { stopCertificate?: () => void }> = [];
  const auth = new KubeAuth(kubeReviewer(kc), log);
  const metricsBind = parseBindAddress(config.metricsBindAddress);
  if (metricsBind) {
    servers.push(
      await serve(
        metricsBind,
        {
          "/metrics": async (_req, res) =>
            text(res, 200, await metrics.registry.metrics(), metrics.registry.contentType),
        },
        config.metricsSecure
          ? {
              tls: { certDir: config.metricsCertDir, pollMs: config.webhookCertPollMs, log, what: "metrics" },
              authorize: (req) => auth.check(req),
            }
          : {},
      ),
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
  if (config.metricsSecure && metricsBind)
    log.info({ certDir: config.metricsCertDir }, "metrics need a bearer token allowed to get /metrics");
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
  operator.start();

  let stopping = false;
  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    // Finish (or, past the grace period, abandon) reconciles in flight while still leader, then hand over.
    await operator.stopControllers(config.shutdownGraceMs);
    webhook?.stop();
    await elector?.stop();
    metrics.setLeader(config.leaderElectionId, false);
    operator.stopSources();
    for (const s of servers) {
      s.stopCertificate?.();
      s.close();
    }
    log.info("stopped");
    log.flush();
    process.exit(code);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));

  const startControllers = () => operator.startControllers();
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
