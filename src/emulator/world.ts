// The emulator's GAAP account seen from the server: one Account (account.ts) and the action modules that
// serve it, dispatched by action name, plus the admin operations the server's /_emulator/ endpoints call.
// Each concern is its own module with an Actions table; layer 7 (HTTP/HTTPS listeners, domains, rules)
// joins by adding its table to ACTION_MODULES.
import { Account, type Actions, type Params, type Result } from "./account.ts";
import { listenerActions, startTask } from "./listeners.ts";
import { findRealServerByIp, originServerActions, setHealth } from "./origin-servers.ts";
import { GaapError } from "./params.ts";
import { proxyActions } from "./proxies.ts";
import type { Behavior, EmulatorState, RealServer } from "./state.ts";

const ACTION_MODULES: ReadonlyArray<(a: Account) => Actions> = [
  listenerActions,
  originServerActions,
  proxyActions,
];

export class World {
  readonly behavior: Behavior;
  private readonly account: Account;
  // A Map, not an object, so that names such as "toString" stay unknown actions.
  private readonly actions = new Map<string, (p: Params) => Result>();

  constructor(state: EmulatorState, now: () => number) {
    this.account = new Account(state, now);
    this.behavior = this.account.behavior;
    for (const module of ACTION_MODULES) {
      for (const [name, act] of Object.entries(module(this.account))) {
        if (this.actions.has(name)) throw new Error(`action ${name} is served by two modules`);
        this.actions.set(name, act);
      }
    }
  }

  credential(secretId: string) {
    return this.account.credentials.find((c) => c.secretId === secretId);
  }

  snapshot(): EmulatorState {
    return this.account.snapshot();
  }

  handle(action: string, p: Params): Result {
    const act = this.actions.get(action);
    if (!act) throw new GaapError("InvalidAction", `The action ${action} is not supported.`);
    return act(p);
  }

  // ---- admin ----

  setHealth(status: number, realServerId: string, listenerId?: string): void {
    setHealth(this.account, status, realServerId, listenerId);
  }

  /** Makes a listener busy as if someone else had started a task on it. */
  startTask(listenerId: string, durationMs: number): void {
    startTask(this.account, listenerId, durationMs);
  }

  findRealServerByIp(ip: string): RealServer | undefined {
    return findRealServerByIp(this.account, ip);
  }
}
