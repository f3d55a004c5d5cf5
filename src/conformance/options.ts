// `gaap-operator conformance` flags. The GAAP flags (endpoint, credentials, rates, timeout) are the operator's
// own: same names, defaults and checks (config.ts parses them); the rest say what the run may write.
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { ConfigError, FLAGS, parseConfig } from "../config.ts";
import { flagReader } from "../flags.ts";

/** The operator's flags the conformance run takes as they are. */
const GAAP_FLAGS = [
  "gaap-endpoint",
  "credentials",
  "credentials-dir",
  "gaap-write-qps",
  "gaap-read-qps",
  "gaap-describe-realservers-qps",
  "gaap-timeout",
] as const;

const OWN_FLAGS = {
  write: {
    type: "boolean",
    help: "also run the write checks (needs --listener and/or --rule, and --origin-ip)",
  },
  listener: {
    type: "string",
    help: "a TCP/UDP listener dedicated to this run: it must hold no origin; the only listener written",
  },
  rule: {
    type: "string",
    help: "a forwarding rule of an HTTP/HTTPS listener dedicated to this run: it must hold no origin",
  },
  "sibling-rule": {
    type: "string",
    help: "a second empty rule on --rule's listener, to learn whether a task on one rule blocks the other",
  },
  "origin-ip": {
    type: "string",
    multiple: true,
    help: "an IP to register as a conformance origin (repeat; 2 or more for the replace checks, 101 for the over-limit checks); it must not be registered in the account yet",
  },
  "origin-port": { type: "string", default: "80", help: "port the origins are bound with" },
  "project-id": { type: "string", default: "0", help: "project the origins are registered in" },
  "other-project-id": {
    type: "string",
    help: "a second project: registering the same IP there tells whether DuplicateRS is per account or per project",
  },
  binds: { type: "string", default: "5", help: "binds timed for the task-time measurement" },
  proxy: {
    type: "string",
    help: "the channel whose listeners the read checks page through (default: the first)",
  },
  "task-timeout": { type: "string", default: "5m", help: "longest wait for one bind task to finish" },
  poll: { type: "string", default: "500ms", help: "how often a running task's status is read" },
  report: { type: "string", help: "write the JSON report here (redacted; send it back to the project)" },
  help: { type: "boolean", help: "show this help" },
} as const;

export interface ConformanceOptions {
  endpoint: string;
  credentials: "auto" | "env" | "file" | "oidc" | "chain";
  credentialsDir: string;
  rates: { write: number; read: number; describeRealServers: number };
  timeoutSec: number;
  write: boolean;
  listenerId?: string;
  ruleId?: string;
  siblingRuleId?: string;
  originIps: string[];
  originPort: number;
  projectId: number;
  otherProjectId?: number;
  binds: number;
  proxyId?: string;
  taskTimeoutMs: number;
  pollMs: number;
  reportPath?: string;
}

export type ParsedConformance = { action: "help" } | { action: "run"; options: ConformanceOptions };

export function conformanceUsage(): string {
  const line = (name: string, help: string, arg: string, def?: string) =>
    `  --${name}${arg}\n      ${help}${def ? ` (default ${def})` : ""}`;
  const own = Object.entries(OWN_FLAGS).map(([n, f]) =>
    line(n, f.help, f.type === "boolean" ? "" : " <value>", "default" in f ? f.default : undefined),
  );
  const shared = GAAP_FLAGS.map((n) => {
    const f = FLAGS[n];
    return line(n, f?.help ?? "", " <value>", f?.default);
  });
  return `Usage: gaap-operator conformance [flags]

Asks GAAP how it behaves where the operator's reference says UNCONFIRMED, and reports each answer against the
emulator's. Reads only, unless --write: then it writes only to the listener and rules you dedicate to it, registers
only the origins you give (tagged gaap.operator.dev/conformance) and removes them all before it exits.
See docs/conformance.md.

Flags:
${own.join("\n")}

GAAP flags (as the operator's):
${shared.join("\n")}

Exit codes: 0 all answered as the operator assumes; 3 finished with WARNINGs (an answer the operator does not
assume); 1 stopped early, refused, or could not clean up; 2 bad flags or no credentials.
`;
}

export function parseConformanceArgs(argv: string[]): ParsedConformance {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(GAAP_FLAGS.map((n) => [n, { type: "string" as const }])),
        ...Object.fromEntries(
          Object.entries(OWN_FLAGS).map(([n, f]) => [
            n,
            { type: f.type, ...("multiple" in f ? { multiple: true } : {}) },
          ]),
        ),
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values.help) return { action: "help" };
  const problems: string[] = [];
  // The operator's parser checks the GAAP flags: same messages, same defaults.
  const shared = GAAP_FLAGS.filter((n) => values[n] !== undefined).map((n) => `--${n}=${values[n]}`);
  let base: ReturnType<typeof parseConfig> | undefined;
  try {
    base = parseConfig(shared);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
  }
  const flags = flagReader(
    values,
    (n) => (OWN_FLAGS as Record<string, { default?: string }>)[n]?.default,
    problems,
  );
  const str = (n: keyof typeof OWN_FLAGS) => flags.get(n);
  const int = (n: keyof typeof OWN_FLAGS, min: number, max: number): number | undefined =>
    str(n) === undefined ? undefined : flags.num(n, min, max, true);
  const duration = (n: keyof typeof OWN_FLAGS, minMs: number) => flags.duration(n, minMs);
  const originIps = (values["origin-ip"] as string[] | undefined) ?? [];
  for (const ip of originIps) if (!isIP(ip)) problems.push(`--origin-ip must be an IP address, not "${ip}"`);
  if (new Set(originIps).size !== originIps.length) problems.push("--origin-ip names an IP twice");
  const write = values.write === true;
  const listenerId = str("listener");
  const ruleId = str("rule");
  const siblingRuleId = str("sibling-rule");
  if (write && !listenerId && !ruleId)
    problems.push("--write needs --listener and/or --rule: the only targets it may write");
  if (write && originIps.length === 0) problems.push("--write needs at least one --origin-ip");
  if (!write && (listenerId || ruleId || siblingRuleId || originIps.length > 0))
    problems.push(
      "--listener, --rule, --sibling-rule and --origin-ip are for --write runs; without --write nothing is written",
    );
  if (siblingRuleId && !ruleId) problems.push("--sibling-rule needs --rule");
  if (siblingRuleId && siblingRuleId === ruleId)
    problems.push("--sibling-rule must be another rule than --rule");
  const projectId = int("project-id", 0, 2 ** 31) ?? 0;
  const otherProjectId = int("other-project-id", 0, 2 ** 31);
  if (otherProjectId !== undefined && otherProjectId === projectId)
    problems.push("--other-project-id must differ from --project-id");
  const options: ConformanceOptions = {
    endpoint: base?.action === "run" ? base.config.gaapEndpoint : "",
    credentials: base?.action === "run" ? base.config.credentials : "auto",
    credentialsDir: base?.action === "run" ? base.config.credentialsDir : "",
    rates:
      base?.action === "run"
        ? {
            write: base.config.gaapWriteQps,
            read: base.config.gaapReadQps,
            describeRealServers: base.config.gaapDescribeRealServersQps,
          }
        : { write: 1, read: 1, describeRealServers: 1 },
    timeoutSec: base?.action === "run" ? Math.ceil(base.config.gaapTimeoutMs / 1000) : 10,
    write,
    ...(listenerId ? { listenerId } : {}),
    ...(ruleId ? { ruleId } : {}),
    ...(siblingRuleId ? { siblingRuleId } : {}),
    originIps,
    originPort: int("origin-port", 1, 65_535) ?? 80,
    projectId,
    ...(otherProjectId === undefined ? {} : { otherProjectId }),
    binds: int("binds", 1, 50) ?? 5,
    ...(str("proxy") ? { proxyId: str("proxy") as string } : {}),
    taskTimeoutMs: duration("task-timeout", 1000),
    pollMs: duration("poll", 10),
    ...(str("report") ? { reportPath: str("report") as string } : {}),
  };
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  return { action: "run", options: Object.freeze(options) };
}
