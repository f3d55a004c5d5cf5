// What a binding writes, read from GAAP: a TCP/UDP listener with its origins, or one forwarding rule of an
// HTTP/HTTPS listener with the rule's origins (and the tasks of its sibling rules, which hold the listener).
// Whether the binding names a rule where it must (and only there) is the plan's to judge: a listener of the other
// kind is returned as it is.
import type { RuleInfo } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import type { RuleRef } from "../api/types.ts";
import { isRetryable, OperatorError } from "../errors.ts";
import { toRuleTarget } from "./convert.ts";
import type { ListenerReader } from "./listener-reader.ts";
import type { RuleReader } from "./rule-reader.ts";
import { isLayer7, type TargetQuery, type TargetState } from "./types.ts";

type RuleRead = { rule: RuleInfo; siblings: RuleInfo[] };

export class TargetReader {
  private readonly listeners: Pick<ListenerReader, "describeListener">;
  private readonly rules: RuleReader;

  constructor(listeners: Pick<ListenerReader, "describeListener">, rules: RuleReader) {
    this.listeners = listeners;
    this.rules = rules;
  }

  /** Throws OperatorError kind notFound for a listener, domain or rule GAAP does not have. */
  async describeTarget(q: TargetQuery): Promise<TargetState> {
    const early = q.rule && isLayer7(q.protocolHint ?? "") ? this.readRule(q, q.rule) : undefined;
    // Judged only once the listener is known: a rule read that fails beside a TCP listener means nothing.
    early?.catch(() => {});
    const listener = await this.listeners.describeListener(q.listenerId, q.protocolHint);
    if (!q.rule || !isLayer7(listener.protocol)) return listener;
    const { rule, siblings } = await (early ?? this.readRule(q, q.rule));
    return toRuleTarget(listener, rule, siblings);
  }

  private async readRule(q: TargetQuery, ref: RuleRef): Promise<RuleRead> {
    // A sibling that is gone or misnamed holds nothing; one that could not be read might: the pass fails.
    const siblings = Promise.all(
      (q.siblingRules ?? []).map((id) =>
        this.rules.read(id).catch((err: unknown) => {
          if (isRetryable(err)) throw err;
          return undefined;
        }),
      ),
    );
    siblings.catch(() => {});
    const rule = await this.ruleOf(q.listenerId, ref, q.knownRuleId);
    return { rule, siblings: (await siblings).filter((r): r is RuleInfo => r !== undefined) };
  }

  private async ruleOf(listenerId: string, ref: RuleRef, knownRuleId: string | undefined): Promise<RuleInfo> {
    if (ref.ruleId) {
      const r = await this.rules.read(ref.ruleId);
      if (!r) {
        throw new OperatorError(
          "notFound",
          "RuleNotFound",
          `forwarding rule ${ref.ruleId} does not exist on ${listenerId}`,
        );
      }
      if (r.ListenerId !== listenerId) {
        throw new OperatorError(
          "config",
          "RuleNotOnListener",
          `forwarding rule ${ref.ruleId} belongs to ${r.ListenerId ?? "no listener GAAP names"}, not to ${listenerId}`,
        );
      }
      return named(r);
    }
    const domain = ref.domain ?? "";
    const path = ref.path ?? "";
    if (knownRuleId) {
      // Checked against the spec: a rule deleted and made again has a new ID.
      const r = await this.rules.read(knownRuleId);
      if (r && r.ListenerId === listenerId && r.Domain === domain && r.Path === path) return named(r);
    }
    const found = await this.rules.find(listenerId, domain, path);
    if ("missing" in found) {
      throw found.missing === "domain"
        ? new OperatorError("notFound", "DomainNotFound", `listener ${listenerId} has no domain ${domain}`)
        : new OperatorError(
            "notFound",
            "RuleNotFound",
            `listener ${listenerId} has no forwarding rule for ${domain}${path}`,
          );
    }
    return named(found);
  }
}

/** A rule without an ID could not be bound by ID: never guess one. */
function named(r: RuleInfo): RuleInfo {
  if (!r.RuleId)
    throw new OperatorError(
      "transient",
      "RuleWithoutId",
      "GAAP described a forwarding rule without its RuleId",
    );
  return r;
}
