// The world the api*.test.ts files share: the demo-like account, started afresh around each test (useWorld), and
// helpers that register, bind and wait through the official SDK.
import type { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import { afterEach, beforeEach } from "vitest";
import type { EmulatorState } from "../../emulator/account/model.ts";
import { normalizeState } from "../../emulator/account/state.ts";
import { type GaapEmulator, startEmulator } from "../../emulator/server.ts";
import { gaapClient } from "../../testenv/gaap.ts";

export const PROXY = "link-aaaa1111";

export function account(extra: Partial<Record<keyof EmulatorState, unknown>> = {}): EmulatorState {
  return normalizeState({
    credentials: [{ secretId: "AKIDtest", secretKey: "test-key" }],
    projects: [0, 7],
    proxies: [
      { proxyId: PROXY, projectId: 0, status: "RUNNING" },
      { proxyId: "link-closed01", projectId: 0, status: "CLOSED" },
    ],
    listeners: [
      { listenerId: "listener-wrr00001", proxyId: PROXY, protocol: "TCP", port: 80, scheduler: "wrr" },
      { listenerId: "listener-rr000001", proxyId: PROXY, protocol: "TCP", port: 81, scheduler: "rr" },
      { listenerId: "listener-udp00001", proxyId: PROXY, protocol: "UDP", port: 53, scheduler: "wrr" },
      {
        listenerId: "listener-fo000001",
        proxyId: PROXY,
        protocol: "TCP",
        port: 82,
        scheduler: "wrr",
        failoverSwitch: 1,
      },
      {
        listenerId: "listener-closed01",
        proxyId: "link-closed01",
        protocol: "TCP",
        port: 80,
        scheduler: "rr",
      },
    ],
    behavior: { bindTaskMs: 300 },
    ...extra,
  });
}

export const CRED = { secretId: "AKIDtest", secretKey: "test-key" };

export let emu: GaapEmulator;
export let gaap: Client;

export async function register(ips: string[], project = 0, name = "test") {
  const res = await gaap.AddRealServers({ ProjectId: project, RealServerIP: ips, RealServerName: name });
  return (res.RealServerSet ?? []).map((r) => ({
    id: r.RealServerId as string,
    ip: r.RealServerIP as string,
  }));
}

export const bindSet = (rs: Array<{ id: string; ip: string }>, port = 8080, weight?: number) =>
  rs.map((r) => ({
    RealServerId: r.id,
    RealServerIP: r.ip,
    RealServerPort: port,
    ...(weight === undefined ? {} : { RealServerWeight: weight }),
  }));

export async function listener(id: string, protocol: "TCP" | "UDP" = "TCP") {
  const res =
    protocol === "TCP"
      ? await gaap.DescribeTCPListeners({ ListenerId: id })
      : await gaap.DescribeUDPListeners({ ListenerId: id });
  return res.ListenerSet?.[0];
}

export async function untilIdle(id: string, protocol: "TCP" | "UDP" = "TCP") {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const l = await listener(id, protocol);
    if (l?.ListenerStatus === 0) return l;
    if (Date.now() > deadline) throw new Error(`${id} still busy`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a fresh world around each test (or the file), as the tests below expect. */
export function useWorld(): void {
  beforeEach(async () => {
    emu = await startEmulator({ state: account() });
    gaap = gaapClient(emu.url, { credential: CRED });
  });
  afterEach(async () => emu.close());
}
