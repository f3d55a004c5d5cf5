// Reads of forwarding rules (HTTP/HTTPS listeners). DescribeRulesByRuleIds takes at most 10 IDs, so concurrent
// reads share calls of up to 10 rules, from any listener; a rule named by domain and path is found once through
// DescribeRules(ListenerId) and then read by its ID like the others.
import type {
  DomainRuleSet,
  RuleInfo,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { isRetryable, OperatorError } from "../errors.ts";
import type { GaapTransport } from "./transport.ts";

/** The most IDs one DescribeRulesByRuleIds call takes. */
export const RULE_ID_BATCH = 10;

export interface RuleReaderOptions {
  /** Share calls between concurrent reads (default true), waiting this long to gather them. */
  batchReads?: boolean;
  batchWindowMs?: number;
}

/**
 * A rule ID GAAP does not have, as Terraform reads the answers: ResourceNotFound, or InvalidParameter naming the
 * rule ID (only here, for rule reads: elsewhere that code means a bad request).
 */
function gone(err: unknown): boolean {
  if (!(err instanceof OperatorError)) return false;
  return err.kind === "notFound" || (err.code === "InvalidParameter" && /ruleId/i.test(err.message));
}

type Waiter = { resolve: (r: RuleInfo | undefined) => void; reject: (e: Error) => void };
type Batch = Map<string, Waiter[]>;

export class RuleReader {
  private readonly gaap: Pick<GaapTransport, "read" | "takeToken">;
  private readonly opts: RuleReaderOptions;
  /** The batch still taking IDs: it closes when full, or when its call holds a token. */
  private open: Batch | undefined;

  constructor(gaap: Pick<GaapTransport, "read" | "takeToken">, opts: RuleReaderOptions = {}) {
    this.gaap = gaap;
    this.opts = opts;
  }

  /** A rule by ID, sharing the call with concurrent reads; undefined when GAAP has no such rule. */
  read(ruleId: string): Promise<RuleInfo | undefined> {
    if (this.opts.batchReads === false) return this.alone(ruleId);
    return new Promise((resolve, reject) => {
      let batch = this.open;
      if (!batch || (batch.size >= RULE_ID_BATCH && !batch.has(ruleId))) {
        const created: Batch = new Map();
        batch = created;
        this.open = created;
        setTimeout(() => void this.flush(created), this.opts.batchWindowMs ?? 5);
      }
      batch.set(ruleId, [...(batch.get(ruleId) ?? []), { resolve, reject }]);
    });
  }

  /** The rule of a listener that serves this domain and path (DescribeRules), or which of the two is missing. */
  async find(
    listenerId: string,
    domain: string,
    path: string,
  ): Promise<RuleInfo | { missing: "domain" | "path" }> {
    const res = await this.gaap.read<{ DomainRuleSet?: DomainRuleSet[] }>("DescribeRules", {
      ListenerId: listenerId,
    });
    const d = (res.DomainRuleSet ?? []).find((x) => x.Domain === domain);
    if (!d) return { missing: "domain" };
    return d.RuleSet?.find((r) => r.Path === path) ?? { missing: "path" };
  }

  private async flush(batch: Batch): Promise<void> {
    // Open until the call holds a token: reads arriving while reads are throttled ride along, up to 10.
    const noToken = await this.gaap.takeToken("DescribeRulesByRuleIds").then(
      () => undefined,
      (err: Error) => err,
    );
    if (this.open === batch) this.open = undefined;
    const settle = (id: string, r: RuleInfo | undefined | Error) => {
      for (const w of batch.get(id) ?? []) r instanceof Error ? w.reject(r) : w.resolve(r);
    };
    const ids = [...batch.keys()];
    if (noToken) {
      for (const id of ids) settle(id, noToken);
      return;
    }
    try {
      const found = await this.byIds(ids, true);
      for (const id of ids) settle(id, found.get(id));
    } catch (err) {
      if (isRetryable(err) || ids.length === 1) {
        for (const id of ids) settle(id, gone(err) ? undefined : (err as Error));
        return;
      }
      // One unknown or malformed ID may fail the whole call: ask for each alone, so it fails only its own read.
      await Promise.all(
        ids.map((id) =>
          this.alone(id).then(
            (r) => settle(id, r),
            (e: Error) => settle(id, e),
          ),
        ),
      );
    }
  }

  private async alone(ruleId: string): Promise<RuleInfo | undefined> {
    try {
      return (await this.byIds([ruleId])).get(ruleId);
    } catch (err) {
      if (gone(err)) return undefined;
      throw err;
    }
  }

  private async byIds(ids: string[], prepaid = false): Promise<Map<string, RuleInfo>> {
    const res = await this.gaap.read<{ RuleSet?: RuleInfo[] }>(
      "DescribeRulesByRuleIds",
      { RuleIds: ids },
      prepaid,
    );
    return new Map((res.RuleSet ?? []).filter((r) => r.RuleId).map((r) => [r.RuleId as string, r]));
  }
}
