// Origin servers (GAAP "real servers"): registering, finding and removing them, and the process-wide cache of
// the ID each IP is registered under, so that a bind can name origins without a lookup per IP.
import type { DescribeRealServersRequest } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_models.js";
import { OperatorError } from "../errors.ts";
import { forEachLimit } from "../runtime/pool.ts";
import type { GaapTransport } from "./transport.ts";
import { BINDING_TAG, type OriginTag, type TaggedOrigin, type TargetState } from "./types.ts";

export interface OriginRegistryOptions {
  /** IPs per AddRealServers call. */
  registerBatch?: number;
}

/** AddRealServers without its IPs: the same for every batch of one register(). */
type AddRequest = {
  ProjectId: number;
  RealServerName: string;
  TagSet: Array<{ TagKey: string; TagValue: string }>;
};
type RealServerSet = {
  RealServerSet?: Array<{
    RealServerIP?: string;
    RealServerId?: string;
    TagSet?: Array<{ TagKey?: string; TagValue?: string }>;
  }>;
};

/** The most IDs DescribeRealServersStatus and RemoveRealServers take at once. */
const ID_BATCH = 20;

const isAlreadyBound = (err: unknown) =>
  err instanceof OperatorError && err.code === "FailedOperation.RealServerAlreadyBound";

export class OriginRegistry {
  /** IP → RealServerId, as last learned; an entry may be stale until a bind is refused for it. */
  readonly ids: ReadonlyMap<string, string>;
  private readonly known = new Map<string, string>();
  /** IPs learned or registered since the last `retain`: what a read saw is kept until the next sweep at least. */
  private readonly recent = new Set<string>();
  private readonly gaap: GaapTransport;
  private readonly opts: OriginRegistryOptions;

  constructor(gaap: GaapTransport, opts: OriginRegistryOptions = {}) {
    this.gaap = gaap;
    this.opts = opts;
    this.ids = this.known;
  }

  /** Remembers the IDs of the origins a listener holds: they are registered. */
  learn(listener: TargetState): void {
    for (const o of listener.bound) if (o.realServerId) this.remember(o.ip, o.realServerId);
  }

  /**
   * Forgets every ID neither in `held` (what GAAP lists under this cluster's tag) nor learned since the last call:
   * origins removed or replaced behind our back, and other clients' origins no listener we read holds any more. So
   * the cache follows what GAAP holds instead of every IP the cluster ever had; a wrong guess costs one lookup.
   */
  retain(held: ReadonlySet<string>): void {
    for (const ip of this.known.keys()) if (!held.has(ip) && !this.recent.has(ip)) this.known.delete(ip);
    this.recent.clear();
  }

  private remember(ip: string, id: string): void {
    this.known.set(ip, id);
    this.recent.add(ip);
  }

  /** Drops IDs found stale (e.g. a bind refused with RealServerNotBelong): the next use looks them up again. */
  invalidate(ips: readonly string[]): void {
    for (const ip of ips) this.known.delete(ip);
  }

  /**
   * Registers IPs in batches and remembers their IDs. It tries to register straight away: an IP registered already
   * (DuplicateRS) is looked up only then, so a cold start does not look up thousands of IPs that do not exist.
   */
  async register(
    ips: readonly string[],
    projectId: number,
    name: string,
    tags: OriginTag[],
  ): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const req: AddRequest = {
      ProjectId: projectId,
      RealServerName: name,
      TagSet: tags.map((t) => ({ TagKey: t.key, TagValue: t.value })),
    };
    const batch = this.opts.registerBatch ?? 20;
    for (let i = 0; i < ips.length; i += batch) await this.registerChunk(ips.slice(i, i + batch), req, ids);
    return ids;
  }

  /** Adds what it registers or finds to `ids` and to the cache at once, so a later failure loses none of it. */
  private async registerChunk(
    chunk: readonly string[],
    req: AddRequest,
    ids: Map<string, string>,
  ): Promise<void> {
    const keep = (ip: string, id: string) => {
      ids.set(ip, id);
      this.remember(ip, id);
    };
    try {
      const res = await this.gaap.write<RealServerSet>("AddRealServers", { ...req, RealServerIP: chunk });
      for (const r of res.RealServerSet ?? [])
        if (r.RealServerIP && r.RealServerId) keep(r.RealServerIP, r.RealServerId);
    } catch (err) {
      if (!(err instanceof OperatorError && err.code === "InvalidParameterValue.DuplicateRS")) throw err;
      // The call is all or nothing: find those registered meanwhile, register the rest.
      const existing = await this.lookup(chunk, req.ProjectId);
      for (const [ip, id] of existing) keep(ip, id);
      const still = chunk.filter((ip) => !existing.has(ip));
      if (still.length === chunk.length) throw err;
      if (still.length > 0) await this.registerChunk(still, req, ids);
    }
  }

  /** Registered origin IDs for these IPs, by exact match (the API's search is fuzzy). */
  private async lookup(ips: readonly string[], projectId: number): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    await forEachLimit(ips, 8, async (ip) => {
      const req: DescribeRealServersRequest = {
        ProjectId: projectId,
        Filters: [{ Name: "RealServerIP", Values: [ip] }],
        Limit: 50,
      };
      const res = await this.gaap.read<RealServerSet>("DescribeRealServers", req);
      const hit = res.RealServerSet?.find((r) => r.RealServerIP === ip && r.RealServerId);
      if (hit?.RealServerId) found.set(ip, hit.RealServerId);
    });
    return found;
  }

  /** Origins carrying a tag, in any project, all pages, with the binding that registered each. */
  async tagged(tag: OriginTag): Promise<TaggedOrigin[]> {
    const out: TaggedOrigin[] = [];
    for (let offset = 0; ; offset += 50) {
      const res = await this.gaap.read<RealServerSet & { TotalCount?: number }>("DescribeRealServers", {
        ProjectId: -1,
        TagSet: [{ TagKey: tag.key, TagValue: tag.value }],
        Offset: offset,
        Limit: 50,
      });
      const page = res.RealServerSet ?? [];
      for (const r of page) {
        if (!r.RealServerId || !r.RealServerIP) continue;
        const binding = r.TagSet?.find((t) => t.TagKey === BINDING_TAG)?.TagValue;
        out.push({ id: r.RealServerId, ip: r.RealServerIP, ...(binding ? { binding } : {}) });
      }
      if (page.length < 50 || offset + 50 >= (res.TotalCount ?? 0)) return out;
    }
  }

  /** Which of these origins something binds (any listener, any client). */
  async boundOf(ids: readonly string[]): Promise<Set<string>> {
    const bound = new Set<string>();
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const res = await this.gaap.read<{
        RealServerStatusSet?: Array<{ RealServerId?: string; BindStatus?: number }>;
      }>("DescribeRealServersStatus", { RealServerIds: ids.slice(i, i + ID_BATCH) });
      for (const s of res.RealServerStatusSet ?? [])
        if (s.RealServerId && s.BindStatus !== 0) bound.add(s.RealServerId);
    }
    return bound;
  }

  /**
   * Removes origins and forgets the IPs whose IDs are gone; returns the IDs GAAP refused because something bound
   * them meanwhile.
   */
  async remove(ids: readonly string[]): Promise<string[]> {
    const refused: string[] = [];
    const gone = new Set<string>();
    try {
      for (let i = 0; i < ids.length; i += ID_BATCH) {
        const chunk = ids.slice(i, i + ID_BATCH);
        try {
          await this.gaap.write("RemoveRealServers", { RealServerIds: chunk });
          for (const id of chunk) gone.add(id);
        } catch (err) {
          if (!isAlreadyBound(err)) throw err;
          // The call is all or nothing: remove the others one by one.
          for (const id of chunk) {
            try {
              await this.gaap.write("RemoveRealServers", { RealServerIds: [id] });
              gone.add(id);
            } catch (e) {
              if (isAlreadyBound(e)) refused.push(id);
              else if (e instanceof OperatorError && e.kind === "notFound") gone.add(id);
              else throw e;
            }
          }
        }
      }
    } finally {
      // Also when a later call failed: what was removed stays removed.
      for (const [ip, id] of this.known) if (gone.has(id)) this.known.delete(ip);
    }
    return refused;
  }
}
