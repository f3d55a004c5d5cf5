#!/usr/bin/env node
// gaap-emulator: a local GAAP API for tests, benchmarks and demos.
import { parseArgs } from "node:util";
import { loadProfile } from "./account/profile.ts";
import { defaultState, loadStateFile, mergeBehavior } from "./account/state.ts";
import { startEmulator } from "./server.ts";

const USAGE = `Usage: gaap-emulator [--port <n>] [--host <addr>] [--state <file.json|file.yaml>] [--profile <report.json>]
                    [--fault-seed <n>]

A local Tencent Cloud GAAP API (version 2018-05-29) for tests and demos. Point the official SDK at it with
httpProfile { endpoint: "<host>:<port>", protocol: "http://" }.

  --port <n>         port to listen on (default 9000; 0 picks a free one)
  --host <addr>      address to listen on (default 127.0.0.1)
  --state <file>     initial account state (JSON or YAML); the embedded demo account otherwise
  --profile <file>   behave as a conformance report says GAAP does (gaap-operator conformance --report);
                     untested behaviours keep the state's settings
  --fault-seed <n>   seed for fault-injection randomness (default 1)
  --help             this text

Admin endpoints live under /_emulator/ (state, reset, faults, calls, health, task, domain, delete-rule,
behavior); see docs/emulator.md.`;

function main(): Promise<void> | void {
  let values: ReturnType<typeof parse>;
  try {
    values = parse();
  } catch (err) {
    console.error(`gaap-emulator: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? 9000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`gaap-emulator: --port must be 0-65535, not ${values.port}`);
    process.exit(2);
  }
  let state: ReturnType<typeof defaultState>;
  let loading = values.state;
  try {
    state = values.state ? loadStateFile(values.state) : defaultState();
    loading = values.profile;
    if (values.profile) state.behavior = mergeBehavior(state.behavior, loadProfile(values.profile));
  } catch (err) {
    console.error(`gaap-emulator: cannot load ${loading}: ${(err as Error).message}`);
    process.exit(2);
  }
  return run(port, values.host ?? "127.0.0.1", state, Number(values["fault-seed"] ?? 1));
}

function parse() {
  return parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      state: { type: "string" },
      profile: { type: "string" },
      "fault-seed": { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  }).values;
}

async function run(port: number, host: string, state: ReturnType<typeof defaultState>, seed: number) {
  const emu = await startEmulator({ port, host, state, faultSeed: seed });
  console.log(`listening on ${emu.url}`);
  const stop = async () => {
    await emu.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main();
