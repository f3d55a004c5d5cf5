// The operator's GAAP client: one transport (token buckets, retries, leader check) shared by the target reader
// (listeners and forwarding rules), the origin registry and the binder. It is the binding controller's GAAP port;
// each concern lives in its own module.
import type { Gaap } from "../binding/ports.ts";
import { OriginBinder } from "./binder.ts";
import { ListenerReader, type ListenerReaderOptions } from "./listener-reader.ts";
import { OriginRegistry, type OriginRegistryOptions } from "./origin-registry.ts";
import { RuleReader } from "./rule-reader.ts";
import { TargetReader } from "./target-reader.ts";
import { GaapTransport, type GaapTransportOptions } from "./transport.ts";
import type { BindTarget, BoundOrigin, OriginTag, TargetQuery, TargetState } from "./types.ts";

export interface GaapClientOptions
  extends GaapTransportOptions,
    ListenerReaderOptions,
    OriginRegistryOptions {}

export class GaapClient implements Gaap {
  /** The origin servers themselves: registration, lookup, and the sweep's calls. */
  readonly origins: OriginRegistry;
  private readonly targets: TargetReader;
  private readonly binder: OriginBinder;

  constructor(opts: GaapClientOptions) {
    const transport = new GaapTransport(opts);
    this.origins = new OriginRegistry(transport, opts);
    this.targets = new TargetReader(
      new ListenerReader(transport, opts),
      new RuleReader(transport, {
        ...(opts.batchReads === undefined ? {} : { batchReads: opts.batchReads }),
        ...(opts.batchWindowMs === undefined ? {} : { batchWindowMs: opts.batchWindowMs }),
      }),
    );
    this.binder = new OriginBinder(transport);
  }

  async describeTarget(q: TargetQuery): Promise<TargetState> {
    const t = await this.targets.describeTarget(q);
    // What the operator asks for teaches the registry the IDs of what it holds. Not every listener a shared read
    // passes over: one in another project (or run by another tool) could hold an origin with the same IP.
    this.origins.learn(t);
    return t;
  }

  get originIds(): ReadonlyMap<string, string> {
    return this.origins.ids;
  }

  registerOrigins(
    ips: readonly string[],
    projectId: number,
    name: string,
    tags: OriginTag[],
  ): Promise<Map<string, string>> {
    return this.origins.register(ips, projectId, name, tags);
  }

  invalidateOriginIds(ips: readonly string[]): void {
    this.origins.invalidate(ips);
  }

  bind(target: BindTarget, set: readonly BoundOrigin[]): Promise<void> {
    return this.binder.bind(target, set);
  }
}
