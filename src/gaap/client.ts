// The operator's GAAP client: one transport (token buckets, retries, leader check) shared by the listener reader,
// the origin registry and the binder. Wiring only; each concern lives in its own module.
import { ListenerBinder } from "./binder.ts";
import { ListenerReader, type ListenerReaderOptions } from "./listener-reader.ts";
import { OriginRegistry, type OriginRegistryOptions } from "./origin-registry.ts";
import { GaapTransport, type GaapTransportOptions } from "./transport.ts";

export interface GaapClientOptions
  extends GaapTransportOptions,
    Omit<ListenerReaderOptions, "onListener">,
    OriginRegistryOptions {}

export class GaapClient {
  readonly listeners: ListenerReader;
  readonly origins: OriginRegistry;
  readonly binder: ListenerBinder;

  constructor(opts: GaapClientOptions) {
    const transport = new GaapTransport(opts);
    this.origins = new OriginRegistry(transport, opts);
    // Every listener read teaches the registry the IDs of the origins it holds.
    this.listeners = new ListenerReader(transport, {
      ...opts,
      onListener: (l) => this.origins.learn(l),
    });
    this.binder = new ListenerBinder(transport);
  }
}
