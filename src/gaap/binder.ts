// Binding origins to a listener: BindListenerRealServers replaces the listener's whole origin set in one write.
import { toBindEntry } from "./convert.ts";
import type { GaapTransport } from "./transport.ts";
import type { BoundOrigin } from "./types.ts";

export class ListenerBinder {
  private readonly gaap: GaapTransport;

  constructor(gaap: GaapTransport) {
    this.gaap = gaap;
  }

  /** Replaces the listener's whole origin set; GAAP then runs a task on the listener (ListenerStatus 3). */
  async bind(listenerId: string, set: readonly BoundOrigin[]): Promise<void> {
    await this.gaap.write("BindListenerRealServers", {
      ListenerId: listenerId,
      RealServerBindSet: set.map(toBindEntry),
    });
  }
}
