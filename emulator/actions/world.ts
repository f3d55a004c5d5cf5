// The emulator's GAAP account seen from the server: one Account (account.ts) and the action modules that
// serve it, dispatched by action name, plus the admin operations the server's /_emulator/ endpoints call.
// Each concern is its own module with an Actions table: TCP/UDP listeners, HTTP/HTTPS listeners with their
// domains, forwarding rules, origins and channels.
import { Account, type Actions, type Params, type Result } from "../account/account.ts";
import type { Behavior, EmulatorState, RealServer } from "../account/model.ts";
import { GaapError } from "../params.ts";
import { layer7ListenerActions, setDomainStatus } from "./layer7-listeners.ts";
import { listenerActions } from "./listeners.ts";
import { startTask } from "./origin-binds.ts";
import { findRealServerByIp, originServerActions, setHealth } from "./origin-servers.ts";
import { proxyActions } from "./proxies.ts";
import { removeRule, ruleActions } from "./rules.ts";

const ACTION_MODULES: ReadonlyArray<(a: Account) => Actions> = [
  listenerActions,
  layer7ListenerActions,
  ruleActions,
  originServerActions,
  proxyActions,
];

/** What an admin call is about: a listener or a forwarding rule. */
export type Subject = { listenerId?: string; ruleId?: string };

export class World {
  readonly behavior: Behavior;
  private readonly account: Account;
  private readonly clock: () => number;
  // A Map, not an object, so that names such as "toString" stay unknown actions.
  private readonly actions = new Map<string, (p: Params) => Result>();

  /** The instant the request being handled sees; undefined between requests. */
  private instant: number | undefined;

  constructor(state: EmulatorState, now: () => number) {
    this.account = new Account(state, () => this.instant ?? now());
    this.clock = now;
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
    // A request sees one instant, as a real read is of one moment: a status read a moment after the set it renders
    // would otherwise show a task over beside the set the task replaces.
    this.instant = this.clock();
    try {
      return act(p);
    } finally {
      this.instant = undefined;
    }
  }

  // ---- admin ----

  setHealth(status: number, realServerId: string, on: Subject = {}): void {
    setHealth(this.account, status, realServerId, on);
  }

  /**
   * Makes a listener (ListenerStatus 3) or a rule (RuleStatus 3) busy as if someone else had started a task on
   * it. On an HTTP/HTTPS listener this is the listener's own status, which refuses rule writes.
   */
  startTask(on: Subject, durationMs: number): void {
    if ((on.listenerId === undefined) === (on.ruleId === undefined))
      throw new Error("name exactly one of listenerId and ruleId");
    const owner = on.ruleId ? this.account.rule(on.ruleId) : this.account.listener(on.listenerId as string);
    startTask(this.account, owner, durationMs);
  }

  setDomainStatus(listenerId: string, domain: string, status: number): void {
    setDomainStatus(this.account, listenerId, domain, status);
  }

  /** Deletes a rule and its bindings behind every client's back (no task, no Force check). */
  deleteRule(ruleId: string): void {
    removeRule(this.account, ruleId);
  }

  /** The listener a rule belongs to, for the call log and fault matching; undefined for an unknown rule. */
  ruleListener(ruleId: string): string | undefined {
    return this.account.rules.get(ruleId)?.listenerId;
  }

  findRealServerByIp(ip: string): RealServer | undefined {
    return findRealServerByIp(this.account, ip);
  }
}
