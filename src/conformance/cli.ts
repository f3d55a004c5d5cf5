// `gaap-operator conformance`: flags, the operator's credential loading and transport (same token buckets), the
// run with SIGINT/SIGTERM/SIGHUP turned into a clean stop, the table on stdout and the redacted JSON report.
import { writeFileSync } from "node:fs";
import { ConfigError } from "../config.ts";
import { resolveCredential } from "../gaap/credentials.ts";
import { GaapTransport } from "../gaap/transport.ts";
import { VERSION } from "../version.ts";
import { conformanceUsage, parseConformanceArgs } from "./options.ts";
import { exitCode, renderTable } from "./report.ts";
import { runConformance } from "./run.ts";

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  env?: NodeJS.ProcessEnv;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

const ignore = () => {};
const stdio: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** Runs the subcommand and resolves with its exit code (options.ts lists them). */
export async function conformanceMain(argv: string[], io: CliIo = stdio): Promise<number> {
  let parsed: ReturnType<typeof parseConformanceArgs>;
  try {
    parsed = parseConformanceArgs(argv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`gaap-operator conformance: ${err.message}\nRun gaap-operator conformance --help for usage.\n`);
    return 2;
  }
  if (parsed.action === "help") {
    io.out(conformanceUsage());
    return 0;
  }
  const opts = parsed.options;
  let credential: Awaited<ReturnType<typeof resolveCredential>>["credential"];
  try {
    ({ credential } = await resolveCredential(opts.credentials, opts.credentialsDir, io.env ?? process.env));
  } catch (err) {
    io.err(`gaap-operator conformance: ${(err as Error).message}\n`);
    return 2;
  }
  const transport = new GaapTransport({
    endpoint: opts.endpoint,
    credential,
    timeoutSec: opts.timeoutSec,
    rates: opts.rates,
    userAgent: `gaap-operator-conformance/${VERSION}`,
  });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal does not cut cleanup short (that would leave origins behind): say so instead.
    if (stop.signal.aborted)
      io.err(`${signal}: cleanup is running; it stops once the run's origins are unbound and removed\n`);
    else io.err(`${signal}: stopping at the next call, then cleaning up (this can take a task's time)\n`);
    stop.abort(signal);
  };
  // A closed terminal (SIGHUP) stops the run as Ctrl-C does, rather than killing it with origins registered; its
  // writes then fail (EIO, EPIPE) and must not end the process before cleanup either.
  for (const s of SIGNALS) process.on(s, onSignal);
  for (const stream of [process.stdout, process.stderr]) stream.on("error", ignore);
  io.err(
    opts.write
      ? "conformance: read and write checks\n"
      : "conformance: read-only checks (add --write for the rest)\n",
  );
  try {
    const report = await runConformance(opts, {
      transport,
      signal: stop.signal,
      tool: `gaap-operator ${VERSION}`,
      // Printed as made, so an origin is known even if the process dies before its report.
      onOrigin: (id, ip) => io.err(`registered ${id} (${ip})\n`),
    });
    // The file first: a terminal gone since the run began must not cost the report.
    if (opts.reportPath) writeFileSync(opts.reportPath, `${JSON.stringify(report, null, 2)}\n`);
    io.out(renderTable(report));
    if (opts.reportPath) io.out(`report written to ${opts.reportPath} (secrets and account IDs redacted)\n`);
    return exitCode(report);
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    for (const stream of [process.stdout, process.stderr]) stream.off("error", ignore);
  }
}
