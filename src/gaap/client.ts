// The operator's GAAP client: one transport (token buckets, retries, leader check) shared by the listener reader,
// the origin registry and the binder. Wiring only; each concern lives in its own module.
import { ListenerBinder } from "./binder.ts";
import { ListenerReader, type ListenerReaderOptions } from "./listener-reader.ts";
import { OriginRegistry, type OriginRegistryOptions } from "./origin-registry.ts";
import { GaapTransport, type GaapTransportOptions } from "./transport.ts";

export interface GaapClientOptions
  extends GaapTransportOptions,
    ListenerReaderOptions,
    OriginRegistryOptions {}

export class GaapClient {
  readonly listeners: Pick<ListenerReader, "describeListener">;
  readonly origins: OriginRegistry;
  readonly binder: ListenerBinder;

  constructor(opts: GaapClientOptions) {
    const transport = new GaapTransport(opts);
    this.origins = new OriginRegistry(transport, opts);
    const reader = new ListenerReader(transport, opts);
    // A listener the operator asks for teaches the registry the IDs of what it holds. Not every listener a shared
    // read passes over: one in another project (or run by another tool) could hold an origin with the same IP.
    this.listeners = {
      describeListener: async (listenerId, protocolHint) => {
        const l = await reader.describeListener(listenerId, protocolHint);
        this.origins.learn(l);
        return l;
      },
    };
    this.binder = new ListenerBinder(transport);
  }
}
