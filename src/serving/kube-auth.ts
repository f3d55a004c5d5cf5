// Who may read an endpoint, asked of the apiserver as controller-runtime's metrics filter does: the bearer token
// through a TokenReview (who is calling), then a SubjectAccessReview for the request's verb on its non-resource path
// (may they). Answers are cached briefly (a token 1 min, an allow 5 min, a deny 30 s) and the caches are bounded, so
// a scrape every few seconds costs the apiserver almost nothing and a flood of bad tokens cannot grow the heap.
import type { IncomingMessage } from "node:http";
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  type KubeConfig,
  type V1UserInfo,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { type Clock, systemClock } from "../runtime/clock.ts";

const TOKEN_TTL_MS = 60_000;
const ALLOW_TTL_MS = 5 * 60_000;
const DENY_TTL_MS = 30_000;
const MAX_ENTRIES = 1024;

/** Undefined: let the request through; otherwise the status and a short reason to answer with. */
export type Refusal = { status: 401 | 403 | 500; message: string } | undefined;

export class KubeAuth {
  private readonly authn: AuthenticationV1Api;
  private readonly authz: AuthorizationV1Api;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly users = new Expiring<V1UserInfo | null>();
  private readonly decisions = new Expiring<boolean>();

  constructor(kc: KubeConfig, log: Logger, clock: Clock = systemClock) {
    this.authn = kc.makeApiClient(AuthenticationV1Api);
    this.authz = kc.makeApiClient(AuthorizationV1Api);
    this.log = log;
    this.clock = clock;
  }

  async check(req: IncomingMessage): Promise<Refusal> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m) return { status: 401, message: "Unauthorized: a bearer token is required" };
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const verb = (req.method ?? "GET").toLowerCase();
    try {
      const user = await this.user(m[1] as string);
      if (!user) return { status: 401, message: "Unauthorized: the token was not accepted" };
      if (!(await this.allowed(user, path, verb)))
        return { status: 403, message: `Forbidden: user "${user.username}" may not ${verb} ${path}` };
      return undefined;
    } catch (err) {
      // Never the token: only what failed.
      this.log.warn({ path, err: String(err) }, "could not review a metrics request");
      return { status: 500, message: "Internal Server Error: the request could not be reviewed" };
    }
  }

  private async user(token: string): Promise<V1UserInfo | null> {
    const now = this.clock.now();
    const cached = this.users.get(token, now);
    if (cached !== undefined) return cached;
    const review = await this.authn.createTokenReview({ body: { spec: { token } } });
    const user = review.status?.authenticated && review.status.user ? review.status.user : null;
    this.users.set(token, user, now + TOKEN_TTL_MS);
    return user;
  }

  private async allowed(user: V1UserInfo, path: string, verb: string): Promise<boolean> {
    const key = JSON.stringify([user.username, user.uid, user.groups, path, verb]);
    const now = this.clock.now();
    const cached = this.decisions.get(key, now);
    if (cached !== undefined) return cached;
    const review = await this.authz.createSubjectAccessReview({
      body: {
        spec: {
          ...(user.username ? { user: user.username } : {}),
          ...(user.uid ? { uid: user.uid } : {}),
          ...(user.groups ? { groups: user.groups } : {}),
          ...(user.extra ? { extra: user.extra } : {}),
          nonResourceAttributes: { path, verb },
        },
      },
    });
    const allowed = review.status?.allowed === true;
    this.decisions.set(key, allowed, now + (allowed ? ALLOW_TTL_MS : DENY_TTL_MS));
    return allowed;
  }
}

/** A map whose entries expire, holding at most MAX_ENTRIES (the oldest go first). */
class Expiring<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until > now) return e.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, until: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, until });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
}
