// Reads of GAAP listeners (TCP, UDP, HTTP, HTTPS). The account allows only 20 describes a second, so concurrent
// reads of listeners of one protocol on one channel share one call (Describe<Protocol>Listeners by ProxyId, page by
// page); a directory of every channel's listeners says which channel a listener lives on.
import { OperatorError } from "../errors.ts";
import { type AnyListener, toListenerState } from "./convert.ts";
import type { GaapTransport } from "./transport.ts";
import type { ListenerProtocol, TargetState } from "./types.ts";

export interface ListenerReaderOptions {
  /** Share describe calls between listeners of one channel (default true), waiting this long to gather them. */
  batchReads?: boolean;
  batchWindowMs?: number;
}

type Protocol = ListenerProtocol;
const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "HTTP", "HTTPS"];
type Home = { proxyId: string; protocol: Protocol };
type Waiter = { resolve: (l: TargetState) => void; reject: (e: Error) => void };
type ListenerPage = { TotalCount?: number; ListenerSet?: AnyListener[] };

/** How long a directory is trusted before a listener it does not know makes it be read again. */
const DIRECTORY_TTL_MS = 60_000;

export class ListenerReader {
  private readonly gaap: GaapTransport;
  private readonly opts: ListenerReaderOptions;
  private protocols = new Map<string, Protocol>();
  private homes = new Map<string, Home>();
  private readonly batches = new Map<string, Map<string, Waiter[]>>();
  /** Listeners last counted on each channel, by `protocol/proxyId`: how many pages a shared read costs. */
  private readonly channelSizes = new Map<string, number>();
  private directory: Promise<void> | undefined;
  private directoryAt = 0;
  private pageSize = 50;

  constructor(gaap: GaapTransport, opts: ListenerReaderOptions = {}) {
    this.gaap = gaap;
    this.opts = opts;
  }

  /**
   * Reads a listener, sharing the call with concurrent reads of its channel. The directory is built once and
   * refreshed when a listener is not found in it. Throws notFound if GAAP has no such listener of any protocol.
   */
  describeListener(listenerId: string, protocolHint?: string): Promise<TargetState> {
    return this.homeOf(listenerId).then((home) => {
      if (!home) return this.describeOne(listenerId, protocolHint);
      return new Promise<TargetState>((resolve, reject) => {
        const key = channelKey(home);
        let batch = this.batches.get(key);
        if (!batch) {
          const created = new Map<string, Waiter[]>();
          batch = created;
          this.batches.set(key, created);
          setTimeout(() => void this.flush(key, home, created), this.opts.batchWindowMs ?? 5);
        }
        batch.set(listenerId, [...(batch.get(listenerId) ?? []), { resolve, reject }]);
      });
    });
  }

  private async homeOf(listenerId: string): Promise<Home | undefined> {
    const known = this.homes.get(listenerId);
    if (known || this.opts.batchReads === false) return known;
    // One directory read at a time; a listener missing from a fresh directory is read on its own.
    if (Date.now() - this.directoryAt > DIRECTORY_TTL_MS) {
      this.directory ??= this.loadDirectory().finally(() => {
        this.directory = undefined;
      });
      await this.directory.catch(() => undefined);
    }
    return this.homes.get(listenerId);
  }

  private async loadDirectory(): Promise<void> {
    const proxies: string[] = [];
    for (let offset = 0; ; offset += 100) {
      const res = await this.gaap.read<{ ProxySet?: Array<{ ProxyId?: string }> }>("DescribeProxies", {
        Offset: offset,
        Limit: 100,
      });
      for (const p of res.ProxySet ?? []) if (p.ProxyId) proxies.push(p.ProxyId);
      if ((res.ProxySet?.length ?? 0) < 100) break;
    }
    // Built afresh and swapped in: listeners and channels deleted since the last read are not kept.
    const homes = new Map<string, Home>();
    const protocols = new Map<string, Protocol>();
    for (const proxyId of proxies) {
      for (const protocol of PROTOCOLS) {
        for (const l of await this.listenersOn(proxyId, protocol)) {
          homes.set(l.listenerId, { proxyId, protocol });
          protocols.set(l.listenerId, protocol);
        }
      }
    }
    this.homes = homes;
    this.protocols = protocols;
    const live = new Set(proxies);
    for (const key of this.channelSizes.keys())
      if (!live.has(key.slice(key.indexOf("/") + 1))) this.channelSizes.delete(key);
    this.directoryAt = Date.now();
  }

  /** Every listener of one protocol on a channel, page by page; `prepaid`: the first page's token is held. */
  private async listenersOn(proxyId: string, protocol: Protocol, prepaid = false): Promise<TargetState[]> {
    const action = listenersAction(protocol);
    const out: TargetState[] = [];
    let paid = prepaid;
    for (let offset = 0; ; offset += this.pageSize) {
      let res: ListenerPage;
      try {
        res = await this.gaap.read(action, { ProxyId: proxyId, Offset: offset, Limit: this.pageSize }, paid);
      } catch (err) {
        // The largest page GAAP takes is not documented: fall back to its default of 20 if 50 is refused.
        if (
          this.pageSize > 20 &&
          err instanceof OperatorError &&
          err.code.startsWith("InvalidParameterValue")
        ) {
          this.pageSize = 20;
          offset = -this.pageSize;
          out.length = 0;
          continue;
        }
        throw err;
      } finally {
        paid = false;
      }
      for (const l of res.ListenerSet ?? []) out.push(toListenerState(l, protocol));
      const total = typeof res.TotalCount === "number" ? res.TotalCount : undefined;
      if (
        (res.ListenerSet?.length ?? 0) < this.pageSize ||
        (total !== undefined && offset + this.pageSize >= total)
      ) {
        this.channelSizes.set(channelKey({ proxyId, protocol }), out.length);
        return out;
      }
    }
  }

  private async flush(key: string, home: Home, batch: Map<string, Waiter[]>): Promise<void> {
    const settle = (id: string, result: TargetState | Error) => {
      for (const w of batch.get(id) ?? []) result instanceof Error ? w.reject(result) : w.resolve(result);
    };
    // The batch stays open until its call holds a token: when reads are throttled, those that arrive meanwhile
    // ride along instead of each waiting for a token of its own.
    const noToken = await this.gaap.takeToken(listenersAction(home.protocol)).then(
      () => undefined,
      (err: Error) => err,
    );
    this.batches.delete(key);
    const ids = [...batch.keys()];
    if (noToken) {
      for (const id of ids) settle(id, noToken);
      return;
    }
    const alone = (id: string, prepaid?: Protocol) =>
      this.describeOne(id, home.protocol, prepaid).then(
        (l) => settle(id, l),
        (e: Error) => settle(id, e),
      );
    // A shared read costs a call per page of the channel; fewer reads than that are cheaper one by one.
    const pages = Math.ceil((this.channelSizes.get(key) ?? 0) / this.pageSize);
    if (ids.length === 1 || ids.length < pages) {
      await Promise.all(ids.map((id, i) => alone(id, i === 0 ? home.protocol : undefined)));
      return;
    }
    let found: Map<string, TargetState>;
    try {
      const all = await this.listenersOn(home.proxyId, home.protocol, true);
      found = new Map(all.map((l) => [l.listenerId, l]));
    } catch (err) {
      // A channel that is gone says nothing certain of each listener: only a read of the listener itself may.
      if (!(err instanceof OperatorError && err.kind === "notFound")) {
        for (const id of ids) settle(id, err as Error);
        return;
      }
      found = new Map();
    }
    const missing = ids.filter((id) => !found.has(id));
    for (const id of ids) {
      const l = found.get(id);
      if (l) settle(id, l);
    }
    // Moved or deleted since the directory was read: ask for each alone.
    for (const id of missing) this.homes.delete(id);
    await Promise.all(missing.map((id) => alone(id)));
  }

  /**
   * Reads one listener by ID, finding out once whether it is TCP, UDP, HTTP or HTTPS. `prepaid` names the protocol
   * whose read token the caller already holds.
   */
  private async describeOne(
    listenerId: string,
    protocolHint?: string,
    prepaid?: Protocol,
  ): Promise<TargetState> {
    const hinted = PROTOCOLS.find((p) => p === protocolHint);
    const known = this.protocols.get(listenerId) ?? hinted ?? "TCP";
    const order: Protocol[] = [known, ...PROTOCOLS.filter((p) => p !== known)];
    for (const protocol of order) {
      try {
        const res = await this.gaap.read<ListenerPage>(
          listenersAction(protocol),
          { ListenerId: listenerId },
          protocol === prepaid,
        );
        const l = res.ListenerSet?.find((x) => x.ListenerId === listenerId);
        if (!l) continue;
        this.protocols.set(listenerId, protocol);
        if (l.ProxyId && this.opts.batchReads !== false)
          this.homes.set(listenerId, { proxyId: l.ProxyId, protocol });
        return toListenerState(l, protocol);
      } catch (err) {
        if (!(err instanceof OperatorError && err.kind === "notFound")) throw err;
      }
    }
    this.protocols.delete(listenerId);
    throw new OperatorError(
      "notFound",
      "ListenerNotFound",
      `GAAP listener ${listenerId} does not exist (not as TCP, UDP, HTTP or HTTPS)`,
    );
  }
}

function channelKey(home: Home): string {
  return `${home.protocol}/${home.proxyId}`;
}

function listenersAction(protocol: Protocol): string {
  return `Describe${protocol}Listeners`;
}
