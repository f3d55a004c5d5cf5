// Shared by the GAAP client tests: an emulator with two channels of listeners, fresh for each test, and
// operator clients pointed at it whose leadership a test can take away.
import { afterEach, beforeEach } from "vitest";
import { normalizeState } from "../../emulator/account/state.ts";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { GaapClient } from "../../src/gaap/client.ts";
import { DEMO_CREDENTIAL } from "../../testenv/gaap.ts";

/** n listeners, half on link-a and half on link-b, every fifth one UDP. */
export const listeners = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    listenerId: `listener-c${String(i).padStart(4, "0")}`,
    proxyId: i < n / 2 ? "link-a" : "link-b",
    protocol: i % 5 === 4 ? "UDP" : "TCP",
    port: 1000 + i,
    scheduler: "wrr",
  }));

export interface ClientOptions {
  batchReads?: boolean;
  /** Requests per second per read and per write action. */
  read?: number;
  write?: number;
}

export interface Fixture {
  readonly emu: GaapEmulator;
  /** What the clients' canWrite answers; true again at the start of each test. */
  leader: boolean;
  client(opts?: ClientOptions): GaapClient;
}

/** Starts an emulator before each test (40 listeners; `state` adds or replaces top-level keys), closes it after. */
export function useEmulator(state: Record<string, unknown> = {}): Fixture {
  let emu: GaapEmulator | undefined;
  const f: Fixture = {
    get emu() {
      if (!emu) throw new Error("the emulator runs only inside a test");
      return emu;
    },
    leader: true,
    client: (opts = {}) =>
      new GaapClient({
        endpoint: f.emu.url,
        credential: DEMO_CREDENTIAL,
        timeoutSec: 5,
        rates: { write: opts.write ?? 100, read: opts.read ?? 100, describeRealServers: 1000 },
        canWrite: () => f.leader,
        batchReads: opts.batchReads ?? true,
      }),
  };
  beforeEach(async () => {
    f.leader = true;
    emu = await startEmulator({
      state: normalizeState({
        credentials: [DEMO_CREDENTIAL],
        proxies: [{ proxyId: "link-a" }, { proxyId: "link-b" }],
        listeners: listeners(40),
        behavior: { bindTaskMs: 100, rateLimits: { default: 1000 } },
        ...state,
      }),
    });
  });
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });
  return f;
}
