// The one way the operator talks to GAAP: the official SDK behind a process-wide token bucket per action, error
// classification into OperatorError, and short bounded retries of reads. Nothing else calls the SDK.
import pRetry from "p-retry";
import type { Credential, DynamicCredential } from "tencentcloud-sdk-nodejs/tencentcloud/common/interface.js";
import { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import type {
  BindRealServer,
  DescribeRealServersRequest,
  TCPListener,
  UDPListener,
} from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { fromGaapError, OperatorError } from "../errors.ts";
import { TokenBucket } from "../util/token-bucket.ts";
import type { BoundOrigin, ListenerState } from "./types.ts";

export const WRITE_ACTIONS = new Set([
  "BindListenerRealServers",
  "AddRealServers",
  "RemoveRealServers",
  "ModifyRealServerName",
]);

export interface GaapRates {
  /** Requests per second for each write action. */
  write: number;
  /** Requests per second for each describe action. */
  read: number;
  /** DescribeRealServers has a higher account limit (1000/s). */
  describeRealServers: number;
}

export interface GaapObserver {
  /** One SDK call finished: its action, "Success" or the error code, and how long it took. */
  call?(action: string, code: string, seconds: number): void;
  /** A call waited for its action's token bucket. */
  throttled?(action: string, seconds: number): void;
}

export interface GaapClientOptions {
  /** e.g. https://gaap.tencentcloudapi.com or http://127.0.0.1:9000 */
  endpoint: string;
  credential: Credential | DynamicCredential;
  timeoutSec: number;
  rates: GaapRates;
  /** IPs per AddRealServers call. */
  registerBatch?: number;
  /** Share describe calls between listeners of one channel (default true), waiting this long to gather them. */
  batchReads?: boolean;
  batchWindowMs?: number;
  observer?: GaapObserver;
  /** Checked right before every write: false (no longer the leader) refuses the call. */
  canWrite?: () => boolean;
  /** Sent as User-Agent so GAAP-side logs can tell writers apart (the SDK owns X-TC-RequestClient). */
  userAgent?: string;
}

export interface OriginTag {
  key: string;
  value: string;
}

type Call = <T>(action: string, req: object, prepaid?: boolean) => Promise<T>;
type Home = { proxyId: string; protocol: "TCP" | "UDP" };
type Waiter = { resolve: (l: ListenerState) => void; reject: (e: Error) => void };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class GaapClient {
  private readonly sdk: Client;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly opts: GaapClientOptions;
  private readonly protocols = new Map<string, "TCP" | "UDP">();
  private readonly homes = new Map<string, Home>();
  private readonly batches = new Map<string, Map<string, Waiter[]>>();
  /** Listeners last counted on each channel, by `protocol/proxyId`: how many pages a shared read costs. */
  private readonly channelSizes = new Map<string, number>();
  private directory: Promise<void> | undefined;
  private directoryAt = 0;
  private pageSize = 50;

  constructor(opts: GaapClientOptions) {
    this.opts = opts;
    const url = new URL(opts.endpoint);
    this.sdk = new Client({
      credential: opts.credential,
      profile: {
        httpProfile: {
          endpoint: url.host,
          protocol: `${url.protocol}//`,
          reqTimeout: opts.timeoutSec,
          ...(opts.userAgent ? { headers: { "User-Agent": opts.userAgent } } : {}),
        },
      },
    });
  }

  /**
   * Reads a listener. Concurrent reads of listeners on one channel share one call (DescribeTCPListeners or
   * DescribeUDPListeners by ProxyId, 50 a page), since the account allows only 20 describes a second; where a
   * listener lives is learned from a directory of every channel's listeners, built once and refreshed when a
   * listener is not found in it. Throws notFound if the listener is neither TCP nor UDP.
   */
  describeListener(listenerId: string, protocolHint?: string): Promise<ListenerState> {
    return this.homeOf(listenerId).then((home) => {
      if (!home) return this.describeOne(listenerId, protocolHint);
      return new Promise<ListenerState>((resolve, reject) => {
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
    if (Date.now() - this.directoryAt > 60_000) {
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
      const res = await this.read<{ TotalCount?: number; ProxySet?: Array<{ ProxyId?: string }> }>(
        "DescribeProxies",
        { Offset: offset, Limit: 100 },
      );
      for (const p of res.ProxySet ?? []) if (p.ProxyId) proxies.push(p.ProxyId);
      if ((res.ProxySet?.length ?? 0) < 100) break;
    }
    for (const proxyId of proxies) {
      for (const protocol of ["TCP", "UDP"] as const) {
        for (const l of await this.listenersOn(proxyId, protocol)) {
          this.homes.set(l.listenerId, { proxyId, protocol });
          this.protocols.set(l.listenerId, protocol);
        }
      }
    }
    this.directoryAt = Date.now();
  }

  /** Every listener of one protocol on a channel, page by page; `prepaid`: the first page's token is held. */
  private async listenersOn(
    proxyId: string,
    protocol: "TCP" | "UDP",
    prepaid = false,
  ): Promise<ListenerState[]> {
    const action = listenersAction(protocol);
    const out: ListenerState[] = [];
    let paid = prepaid;
    for (let offset = 0; ; offset += this.pageSize) {
      let res: { TotalCount?: number; ListenerSet?: Array<TCPListener | UDPListener> };
      try {
        res = await this.read(action, { ProxyId: proxyId, Offset: offset, Limit: this.pageSize }, paid);
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
    const settle = (id: string, result: ListenerState | Error) => {
      for (const w of batch.get(id) ?? []) result instanceof Error ? w.reject(result) : w.resolve(result);
    };
    // The batch stays open until its call holds a token: when reads are throttled, those that arrive meanwhile
    // ride along instead of each waiting for a token of its own.
    const noToken = await this.takeToken(listenersAction(home.protocol)).then(
      () => undefined,
      (err: Error) => err,
    );
    this.batches.delete(key);
    const ids = [...batch.keys()];
    if (noToken) {
      for (const id of ids) settle(id, noToken);
      return;
    }
    const alone = (id: string, prepaid?: "TCP" | "UDP") =>
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
    let found: Map<string, ListenerState>;
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
   * Reads one listener by ID, finding out once whether it is TCP or UDP. `prepaid` names the protocol whose read
   * token the caller already holds.
   */
  private async describeOne(
    listenerId: string,
    protocolHint?: string,
    prepaid?: "TCP" | "UDP",
  ): Promise<ListenerState> {
    const known = this.protocols.get(listenerId) ?? (protocolHint === "UDP" ? "UDP" : "TCP");
    const order: Array<"TCP" | "UDP"> = known === "UDP" ? ["UDP", "TCP"] : ["TCP", "UDP"];
    for (const protocol of order) {
      const action = listenersAction(protocol);
      try {
        const res = await this.read<{ ListenerSet?: Array<TCPListener | UDPListener> }>(
          action,
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
      `GAAP listener ${listenerId} does not exist (neither TCP nor UDP)`,
    );
  }

  /** Registered origin IDs for these IPs, by exact match (the API's search is fuzzy). */
  async lookupOrigins(ips: readonly string[], projectId = -1): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    await forEachLimit(ips, 8, async (ip) => {
      const req: DescribeRealServersRequest = {
        ProjectId: projectId,
        Filters: [{ Name: "RealServerIP", Values: [ip] }],
        Limit: 50,
      };
      const res = await this.read<{
        RealServerSet?: Array<{ RealServerIP?: string; RealServerId?: string }>;
      }>("DescribeRealServers", req);
      const hit = res.RealServerSet?.find((r) => r.RealServerIP === ip && r.RealServerId);
      if (hit?.RealServerId) found.set(ip, hit.RealServerId);
    });
    return found;
  }

  /** Registers IPs in batches; an IP someone registered meanwhile (DuplicateRS) is looked up instead. */
  async registerOrigins(
    ips: readonly string[],
    projectId: number,
    name: string,
    tags: OriginTag[],
  ): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const batch = this.opts.registerBatch ?? 20;
    for (let i = 0; i < ips.length; i += batch) {
      const chunk = ips.slice(i, i + batch);
      try {
        const res = await this.write<{
          RealServerSet?: Array<{ RealServerIP?: string; RealServerId?: string }>;
        }>("AddRealServers", {
          ProjectId: projectId,
          RealServerIP: chunk,
          RealServerName: name,
          TagSet: tags.map((t) => ({ TagKey: t.key, TagValue: t.value })),
        });
        for (const r of res.RealServerSet ?? [])
          if (r.RealServerIP && r.RealServerId) ids.set(r.RealServerIP, r.RealServerId);
      } catch (err) {
        if (!(err instanceof OperatorError && err.code === "InvalidParameterValue.DuplicateRS")) throw err;
        const existing = await this.lookupOrigins(chunk, projectId);
        for (const [ip, id] of existing) ids.set(ip, id);
        const still = chunk.filter((ip) => !existing.has(ip));
        if (still.length > 0 && still.length < chunk.length) {
          for (const [ip, id] of await this.registerOrigins(still, projectId, name, tags)) ids.set(ip, id);
        } else if (still.length > 0) {
          throw err;
        }
      }
    }
    return ids;
  }

  /** Replaces the listener's whole origin set. */
  async bind(listenerId: string, set: readonly BoundOrigin[]): Promise<void> {
    await this.write("BindListenerRealServers", {
      ListenerId: listenerId,
      RealServerBindSet: set.map((o) => ({
        RealServerId: o.realServerId,
        RealServerIP: o.ip,
        RealServerPort: o.port,
        ...(o.weight === undefined ? {} : { RealServerWeight: o.weight }),
        ...(o.role ? { RealServerFailoverRole: o.role } : {}),
      })),
    });
  }

  /** Origins carrying a tag, all pages. */
  async originsTagged(tag: OriginTag): Promise<Array<{ id: string; ip: string; tags: OriginTag[] }>> {
    const out: Array<{ id: string; ip: string; tags: OriginTag[] }> = [];
    for (let offset = 0; ; offset += 50) {
      const res = await this.read<{
        TotalCount?: number;
        RealServerSet?: Array<{
          RealServerId?: string;
          RealServerIP?: string;
          TagSet?: Array<{ TagKey?: string; TagValue?: string }>;
        }>;
      }>("DescribeRealServers", {
        ProjectId: -1,
        TagSet: [{ TagKey: tag.key, TagValue: tag.value }],
        Offset: offset,
        Limit: 50,
      });
      const page = res.RealServerSet ?? [];
      for (const r of page) {
        if (!r.RealServerId || !r.RealServerIP) continue;
        out.push({
          id: r.RealServerId,
          ip: r.RealServerIP,
          tags: (r.TagSet ?? []).map((t) => ({ key: t.TagKey ?? "", value: t.TagValue ?? "" })),
        });
      }
      if (page.length < 50 || offset + 50 >= (res.TotalCount ?? 0)) return out;
    }
  }

  /** Which of these origins something binds (any listener, any client). */
  async boundOrigins(ids: readonly string[]): Promise<Set<string>> {
    const bound = new Set<string>();
    for (let i = 0; i < ids.length; i += 20) {
      const res = await this.read<{
        RealServerStatusSet?: Array<{ RealServerId?: string; BindStatus?: number }>;
      }>("DescribeRealServersStatus", { RealServerIds: ids.slice(i, i + 20) });
      for (const s of res.RealServerStatusSet ?? [])
        if (s.RealServerId && s.BindStatus !== 0) bound.add(s.RealServerId);
    }
    return bound;
  }

  /** Removes origins; returns those GAAP refused because something bound them meanwhile. */
  async removeOrigins(ids: readonly string[]): Promise<string[]> {
    const refused: string[] = [];
    for (let i = 0; i < ids.length; i += 20) {
      const chunk = ids.slice(i, i + 20);
      try {
        await this.write("RemoveRealServers", { RealServerIds: chunk });
      } catch (err) {
        if (!(err instanceof OperatorError && err.code === "FailedOperation.RealServerAlreadyBound"))
          throw err;
        // The call is all or nothing: remove the others one by one.
        for (const id of chunk) {
          try {
            await this.write("RemoveRealServers", { RealServerIds: [id] });
          } catch (e) {
            if (e instanceof OperatorError && e.code === "FailedOperation.RealServerAlreadyBound")
              refused.push(id);
            else if (!(e instanceof OperatorError && e.kind === "notFound")) throw e;
          }
        }
      }
    }
    return refused;
  }

  /** Whether the credentials work: one cheap signed call. */
  async checkAccess(): Promise<void> {
    await this.read("DescribeProxies", { Limit: 1 });
  }

  /** `prepaid`: the caller already holds this action's token for the first attempt. */
  private read<T>(action: string, req: object, prepaid = false): Promise<T> {
    // Reads are safe to repeat: retry transport and server errors and throttling a couple of times.
    return pRetry((attempt) => this.call<T>(action, req, prepaid && attempt === 1), {
      retries: 2,
      minTimeout: 200,
      maxTimeout: 2000,
      randomize: true,
      shouldRetry: ({ error }) =>
        error instanceof OperatorError && (error.kind === "transient" || error.kind === "throttled"),
    });
  }

  private write<T>(action: string, req: object): Promise<T> {
    // Writes go once; the reconciler re-reads GAAP before deciding to send anything again.
    return this.call<T>(action, req);
  }

  /** Waits for a token of this action's bucket; reservations queue, so waiters are spaced at the bucket's rate. */
  private async takeToken(action: string): Promise<void> {
    const wait = this.bucket(action).reserve();
    if (wait > 0) {
      this.opts.observer?.throttled?.(action, wait / 1000);
      await sleep(wait);
    }
  }

  private call: Call = async <T>(action: string, req: object, prepaid = false) => {
    if (!prepaid) await this.takeToken(action);
    // A process that is no longer the leader sends no write, even from a reconcile begun while it was.
    if (WRITE_ACTIONS.has(action) && this.opts.canWrite && !this.opts.canWrite()) {
      throw new OperatorError(
        "transient",
        "NotLeader",
        `${action}: not sent, this process is not the leader`,
      );
    }
    const started = performance.now();
    try {
      const res = (await this.sdk.request(action, req)) as T;
      this.opts.observer?.call?.(action, "Success", (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      const e = fromGaapError(action, err);
      this.opts.observer?.call?.(action, e.code, (performance.now() - started) / 1000);
      throw e;
    }
  };

  private bucket(action: string): TokenBucket {
    let b = this.buckets.get(action);
    if (!b) {
      const r = this.opts.rates;
      const rate = WRITE_ACTIONS.has(action)
        ? r.write
        : action === "DescribeRealServers"
          ? r.describeRealServers
          : r.read;
      b = new TokenBucket(rate, Math.max(1, rate));
      this.buckets.set(action, b);
    }
    return b;
  }
}

function channelKey(home: Home): string {
  return `${home.protocol}/${home.proxyId}`;
}

function listenersAction(protocol: "TCP" | "UDP"): string {
  return protocol === "TCP" ? "DescribeTCPListeners" : "DescribeUDPListeners";
}

function toListenerState(l: TCPListener | UDPListener, protocol: "TCP" | "UDP"): ListenerState {
  return {
    listenerId: l.ListenerId ?? "",
    protocol,
    port: l.Port ?? 0,
    scheduler: l.Scheduler ?? "rr",
    failoverSwitch: l.FailoverSwitch ?? 0,
    realServerType: l.RealServerType ?? "IP",
    status: l.ListenerStatus ?? 0,
    bound: (l.RealServerSet ?? []).map(toBoundOrigin),
  };
}

function toBoundOrigin(r: BindRealServer): BoundOrigin {
  return {
    realServerId: r.RealServerId ?? "",
    ip: r.RealServerIP ?? "",
    port: r.RealServerPort ?? 0,
    ...(r.RealServerWeight === undefined || r.RealServerWeight === null
      ? {}
      : { weight: r.RealServerWeight }),
    ...(r.RealServerFailoverRole ? { role: r.RealServerFailoverRole } : {}),
  };
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
