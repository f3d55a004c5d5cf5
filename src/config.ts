// Command-line configuration, parsed once into a frozen object; every problem is reported together.
import { parseArgs } from "node:util";
import { flagReader } from "./flags.ts";
import { parseBindAddress } from "./serving/http.ts";

export interface Config {
  kubeconfig?: string;
  gaapEndpoint: string;
  watchNamespace?: string;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  workers: number;
  gaapWriteQps: number;
  gaapReadQps: number;
  gaapDescribeRealServersQps: number;
  gaapTimeoutMs: number;
  verifyIntervalMs: number;
  busyPollMs: number;
  taskEstimateMs: number;
  retryMaxDelayMs: number;
  unbindWindowMs: number;
  gcDelayMs: number;
  clusterName: string;
  maxOriginsPerListener: number;
  credentials: "auto" | "env" | "file" | "oidc" | "chain";
  credentialsDir: string;
  shutdownGraceMs: number;
  metricsBindAddress: string;
  metricsSecure: boolean;
  metricsCertDir: string;
  listenerGrants: "required" | "open";
  healthProbeBindAddress: string;
  webhookHost: string;
  webhookPort: number;
  webhookCertDir: string;
  webhookCertPollMs: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface Flag {
  type: "string" | "boolean";
  help: string;
  default?: string;
  kind?: "int" | "qps" | "duration" | "url" | "choice";
  choices?: string[];
}

export const FLAGS: Record<string, Flag> = {
  kubeconfig: {
    type: "string",
    help: "kubeconfig file (default: in-cluster config, then $KUBECONFIG, then ~/.kube/config)",
  },
  "gaap-endpoint": {
    type: "string",
    kind: "url",
    default: "https://gaap.tencentcloudapi.com",
    help: "GAAP API endpoint; http://127.0.0.1:9000 for the local emulator",
  },
  "watch-namespace": {
    type: "string",
    help: "only watch GaapListenerBindings, Services, EndpointSlices and Pods in this namespace (default: all)",
  },
  "log-level": {
    type: "string",
    kind: "choice",
    choices: ["trace", "debug", "info", "warn", "error", "fatal"],
    default: "info",
    help: "log level",
  },
  workers: { type: "string", kind: "int", default: "8", help: "bindings reconciled concurrently" },
  "gaap-write-qps": {
    type: "string",
    kind: "qps",
    default: "10",
    help: "requests/s for each GAAP write action, process-wide (account limit: 20)",
  },
  "gaap-read-qps": {
    type: "string",
    kind: "qps",
    default: "10",
    help: "requests/s for each GAAP describe action, process-wide (account limit: 20)",
  },
  "gaap-describe-realservers-qps": {
    type: "string",
    kind: "qps",
    default: "500",
    help: "requests/s for DescribeRealServers (account limit: 1000)",
  },
  "gaap-timeout": { type: "string", kind: "duration", default: "10s", help: "timeout of one GAAP API call" },
  "verify-interval": {
    type: "string",
    kind: "duration",
    default: "5m",
    help: "how often each binding re-reads GAAP to find and repair drift (jittered ±10%)",
  },
  "busy-poll": {
    type: "string",
    kind: "duration",
    default: "250ms",
    help: "how often to look again at a listener that is busy with a task",
  },
  "task-estimate": {
    type: "string",
    kind: "duration",
    default: "1s",
    help: "first guess of how long GAAP takes to apply a bind (learned afterwards)",
  },
  "retry-max-delay": {
    type: "string",
    kind: "duration",
    default: "10s",
    help: "longest wait between retries of a binding after a transient failure (GAAP or Kubernetes server errors, throttling, transport); backoff starts at 1s and doubles up to this, so after an outage ends every binding is retried within it",
  },
  "unbind-window": {
    type: "string",
    kind: "duration",
    default: "5m",
    help: "how far back the mass-unbind breaker looks for a binding's peak: removals may not take the set more than maxUnbindPercent below the most origins it held within this window, so a collapse in small steps is held like one big step and a larger shrink goes a window at a time (0: judge each bind alone, so a collapse goes through in a few binds)",
  },
  "gc-delay": {
    type: "string",
    kind: "duration",
    default: "10s",
    help: "delay before removing origin servers freed by an unbind",
  },
  "cluster-name": {
    type: "string",
    default: "default",
    help: "this cluster's name, tagged on origin servers it registers; unique per GAAP account",
  },
  "max-origins-per-listener": {
    type: "string",
    kind: "int",
    default: "100",
    help: "GAAP's limit of origins bound to one TCP/UDP listener or one forwarding rule (100 for both)",
  },
  credentials: {
    type: "string",
    kind: "choice",
    choices: ["auto", "env", "file", "oidc", "chain"],
    default: "auto",
    help: "where GAAP credentials come from: env (TENCENTCLOUD_SECRET_ID/_SECRET_KEY/_SESSION_TOKEN); file (those names as files in --credentials-dir, re-read when they change); oidc (TKE web identity); chain (the SDK's providers: env, profile file, CVM role, TKE OIDC); auto: the first of env, file, oidc, chain that is configured",
  },
  "credentials-dir": {
    type: "string",
    default: "/etc/gaap/credentials",
    help: "directory of a mounted Secret holding the credential files",
  },
  "metrics-bind-address": {
    type: "string",
    default: ":8080",
    help: "address of /metrics (host:port, :port, or 0 for off)",
  },
  "metrics-secure": {
    type: "string",
    kind: "choice",
    choices: ["true", "false"],
    default: "false",
    help: "serve /metrics over HTTPS, only to callers whose bearer token passes a TokenReview and who may get the non-resource URL /metrics (SubjectAccessReview), as controller-runtime's metrics filter does",
  },
  "metrics-cert-dir": {
    type: "string",
    help: "directory holding tls.crt and tls.key for --metrics-secure; re-read when they change (default: --webhook-cert-dir)",
  },
  "listener-grants": {
    type: "string",
    kind: "choice",
    choices: ["required", "open"],
    default: "required",
    help: "required: a binding may write only the GAAP proxies, listeners and rules a GaapListenerGrant gives its namespace (checked at admission and on every pass); open: any binding may name any listener of the account, for clusters whose every namespace is trusted with the operator's key",
  },
  "health-probe-bind-address": {
    type: "string",
    default: ":8081",
    help: "address of /healthz and /readyz (host:port, :port, or 0 for off)",
  },
  "webhook-host": {
    type: "string",
    default: "",
    help: "address the admission webhook listens on (default: all interfaces)",
  },
  "webhook-port": {
    type: "string",
    kind: "int",
    default: "9443",
    help: "HTTPS port of the pod admission webhook that injects readiness gates and the termination hold (0: off)",
  },
  "webhook-cert-dir": {
    type: "string",
    default: "/tmp/k8s-webhook-server/serving-certs",
    help: "directory holding the webhook's tls.crt and tls.key; re-read when they change (as cert-manager rotates them)",
  },
  "webhook-cert-poll": {
    type: "string",
    kind: "duration",
    default: "10s",
    help: "how often to look for a rotated webhook certificate in --webhook-cert-dir",
  },
  "leader-elect": {
    type: "string",
    kind: "choice",
    choices: ["true", "false"],
    default: "false",
    help: "elect a leader through a Lease, so that only one replica writes",
  },
  "leader-election-namespace": {
    type: "string",
    help: "namespace of the Lease (default: $POD_NAMESPACE, else gaap-operator)",
  },
  "leader-election-id": { type: "string", default: "gaap-operator", help: "name of the Lease" },
  "leader-elect-lease-duration": {
    type: "string",
    kind: "duration",
    default: "15s",
    help: "how long a lease lasts without renewal",
  },
  "leader-elect-renew-deadline": {
    type: "string",
    kind: "duration",
    default: "10s",
    help: "how long the leader keeps trying to renew before it stops writing",
  },
  "leader-elect-retry-period": {
    type: "string",
    kind: "duration",
    default: "2s",
    help: "interval between lease attempts",
  },
  "shutdown-grace": {
    type: "string",
    kind: "duration",
    default: "20s",
    help: "how long to let reconciles in flight finish on SIGTERM",
  },
  help: { type: "boolean", help: "show this help" },
  version: { type: "boolean", help: "print the version and exit" },
};

export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, f]) => {
    const arg =
      f.type === "boolean"
        ? ""
        : ` <${f.kind === "choice" ? (f.choices ?? []).join("|") : (f.kind ?? "value")}>`;
    const def = f.default ? ` (default ${f.default})` : "";
    return `  --${name}${arg}\n      ${f.help}${def}`;
  });
  return `Usage: gaap-operator [flags]
       gaap-operator conformance [flags]   (checks a GAAP account against what the operator assumes; --help)

Keeps Tencent Cloud GAAP TCP/UDP listeners bound to the ready endpoints of Kubernetes Services, as declared by
GaapListenerBinding resources (gaap.operator.dev/v1alpha1).

Flags:
${lines.join("\n")}

Environment:
  TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, TENCENTCLOUD_SESSION_TOKEN   GAAP credentials
  TKE_REGION, TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE, TKE_ROLE_ARN       TKE OIDC web identity
  KUBECONFIG                                                                   kubeconfig when --kubeconfig is not given
  POD_NAME, POD_NAMESPACE                                                      identity and lease namespace in a pod
`;
}

export class ConfigError extends Error {}

export type ParsedArgs = { action: "help" } | { action: "version" } | { action: "run"; config: Config };

export function parseConfig(argv: string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(FLAGS).map(([k, f]) => [k, { type: f.type }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values.help) return { action: "help" };
  if (values.version) return { action: "version" };
  const problems: string[] = [];
  const { get, num, duration } = flagReader(values, (name) => FLAGS[name]?.default, problems);
  const choice = <T extends string>(name: string): T => {
    const raw = get(name) as string;
    if (!FLAGS[name]?.choices?.includes(raw))
      problems.push(`--${name} must be one of ${FLAGS[name]?.choices?.join(", ")}, not "${raw}"`);
    return raw as T;
  };
  const bindAddress = (name: string): string => {
    const raw = get(name) as string;
    try {
      parseBindAddress(raw);
    } catch (err) {
      problems.push(`--${name}: ${(err as Error).message}`);
    }
    return raw;
  };
  const endpoint = get("gaap-endpoint") as string;
  try {
    const u = new URL(endpoint);
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error();
    if (u.pathname !== "/" || u.search)
      problems.push(`--gaap-endpoint must be a scheme and host only, not "${endpoint}"`);
  } catch {
    problems.push(`--gaap-endpoint must be a URL like https://gaap.tencentcloudapi.com, not "${endpoint}"`);
  }
  const clusterName = get("cluster-name") as string;
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.:]{0,62}$/.test(clusterName)) {
    problems.push(`--cluster-name must be 1-63 letters, digits, '-', '_', '.' or ':', not "${clusterName}"`);
  }
  const config: Config = {
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig as string } : {}),
    gaapEndpoint: endpoint.replace(/\/$/, ""),
    ...(values["watch-namespace"] ? { watchNamespace: values["watch-namespace"] as string } : {}),
    logLevel: choice("log-level"),
    workers: num("workers", 1, 256, true),
    gaapWriteQps: num("gaap-write-qps", 0.1, 1000, false),
    gaapReadQps: num("gaap-read-qps", 0.1, 1000, false),
    gaapDescribeRealServersQps: num("gaap-describe-realservers-qps", 0.1, 10_000, false),
    gaapTimeoutMs: duration("gaap-timeout", 1000),
    verifyIntervalMs: duration("verify-interval", 1000),
    busyPollMs: duration("busy-poll", 10),
    taskEstimateMs: duration("task-estimate", 10),
    retryMaxDelayMs: duration("retry-max-delay", 1000),
    unbindWindowMs: duration("unbind-window", 0),
    gcDelayMs: duration("gc-delay", 0),
    clusterName,
    maxOriginsPerListener: num("max-origins-per-listener", 1, 10_000, true),
    credentials: choice("credentials"),
    credentialsDir: get("credentials-dir") as string,
    shutdownGraceMs: duration("shutdown-grace", 0),
    metricsBindAddress: bindAddress("metrics-bind-address"),
    metricsSecure: choice("metrics-secure") === "true",
    metricsCertDir: (values["metrics-cert-dir"] as string | undefined) || (get("webhook-cert-dir") as string),
    listenerGrants: choice("listener-grants"),
    healthProbeBindAddress: bindAddress("health-probe-bind-address"),
    webhookHost: (values["webhook-host"] as string | undefined) ?? "",
    webhookPort: num("webhook-port", 0, 65_535, true),
    webhookCertDir: get("webhook-cert-dir") as string,
    webhookCertPollMs: duration("webhook-cert-poll", 100),
    leaderElect: choice("leader-elect") === "true",
    leaderElectionNamespace:
      (values["leader-election-namespace"] as string | undefined) ??
      process.env.POD_NAMESPACE ??
      "gaap-operator",
    leaderElectionId: get("leader-election-id") as string,
    leaseDurationMs: duration("leader-elect-lease-duration", 1000),
    renewDeadlineMs: duration("leader-elect-renew-deadline", 500),
    retryPeriodMs: duration("leader-elect-retry-period", 100),
  };
  if (!(config.leaseDurationMs > config.renewDeadlineMs && config.renewDeadlineMs > config.retryPeriodMs)) {
    problems.push(
      "leader election needs --leader-elect-lease-duration > --leader-elect-renew-deadline > --leader-elect-retry-period",
    );
  }
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  return { action: "run", config: Object.freeze(config) };
}
