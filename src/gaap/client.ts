// The operator's GAAP client: one transport (token buckets, retries, leader check) shared by the target reader
// (listeners and forwarding rules), the origin registry and the binder. Wiring only; each concern lives in its own
// module.
import { OriginBinder } from "./binder.ts";
import { ListenerReader, type ListenerReaderOptions } from "./listener-reader.ts";
import { OriginRegistry, type OriginRegistryOptions } from "./origin-registry.ts";
import { RuleReader } from "./rule-reader.ts";
import { TargetReader } from "./target-reader.ts";
import { GaapTransport, type GaapTransportOptions } from "./transport.ts";

export interface GaapClientOptions
  extends GaapTransportOptions,
    ListenerReaderOptions,
    OriginRegistryOptions {}

export class GaapClient {
  readonly targets: Pick<TargetReader, "describeTarget">;
  readonly origins: OriginRegistry;
  readonly binder: OriginBinder;

  constructor(opts: GaapClientOptions) {
    const transport = new GaapTransport(opts);
    this.origins = new OriginRegistry(transport, opts);
    const targets = new TargetReader(
      new ListenerReader(transport, opts),
      new RuleReader(transport, {
        ...(opts.batchReads === undefined ? {} : { batchReads: opts.batchReads }),
        ...(opts.batchWindowMs === undefined ? {} : { batchWindowMs: opts.batchWindowMs }),
      }),
    );
    // What the operator asks for teaches the registry the IDs of what it holds. Not every listener a shared read
    // passes over: one in another project (or run by another tool) could hold an origin with the same IP.
    this.targets = {
      describeTarget: async (q) => {
        const t = await targets.describeTarget(q);
        this.origins.learn(t);
        return t;
      },
    };
    this.binder = new OriginBinder(transport);
  }
}
