// Binding origins: BindListenerRealServers replaces a TCP/UDP listener's whole origin set in one write, and
// BindRuleRealServers a forwarding rule's. Either write runs a task that holds the listener.
import { OperatorError } from "../errors.ts";
import { toBindEntry } from "./convert.ts";
import type { GaapTransport } from "./transport.ts";
import type { BindTarget, BoundOrigin } from "./types.ts";

export class OriginBinder {
  private readonly gaap: GaapTransport;

  constructor(gaap: GaapTransport) {
    this.gaap = gaap;
  }

  /** Replaces the whole set; GAAP then runs a task (ListenerStatus or RuleStatus 3). */
  async bind(target: BindTarget, set: readonly BoundOrigin[]): Promise<void> {
    const entries = set.map(toBindEntry);
    if (target.ruleId !== undefined) {
      if (!target.ruleId)
        throw new OperatorError("config", "RuleWithoutId", "a rule bind needs the rule's ID");
      // Omitting the set is the documented way to unbind a rule's every origin (whether [] is the same is not).
      await this.gaap.write("BindRuleRealServers", {
        RuleId: target.ruleId,
        ...(entries.length > 0 ? { RealServerBindSet: entries } : {}),
      });
    } else {
      await this.gaap.write("BindListenerRealServers", {
        ListenerId: target.listenerId,
        RealServerBindSet: entries,
      });
    }
  }
}
