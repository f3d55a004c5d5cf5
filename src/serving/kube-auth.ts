// Who may read an endpoint, asked of the apiserver as controller-runtime's metrics filter does: the bearer token
// through a TokenReview (who is calling), then a SubjectAccessReview for the request's verb on its non-resource path
// (may they). Answers are cached briefly (a token 1 min, an allow 5 min, a deny 30 s) and the caches are bounded and
// keyed by the token's hash, so a scrape every few seconds costs the apiserver almost nothing, a flood of bad tokens
// can neither grow the heap nor send the apiserver more than a few reviews a second, and no token is kept.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  type KubeConfig,
  type V1UserInfo,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { type Clock, systemClock } from "../runtime/clock.ts";
import { TokenBucket } from "../runtime/token-bucket.ts";

const TOKEN_TTL_MS = 60_000;
const ALLOW_TTL_MS = 5 * 60_000;
const DENY_TTL_MS = 30_000;
const MAX_ENTRIES = 1024;
/** Reviews the apiserver is asked for (cache misses), per second and at once. */
const REVIEWS_PER_SEC = 10;
const REVIEW_BURST = 20;

/** Undefined: let the request through; otherwise the status and a short reason to answer with. */
export type Refusal = { status: 401 | 403 | 429 | 500; message: string } | undefined;

/** The two reviews, as the apiserver answers them. */
export interface Reviewer {
  /** The token's user, or null when the apiserver does not accept it. */
  tokenReview(token: string): Promise<V1UserInfo | null>;
  /** Whether the user may do `verb` on the non-resource `path`. */
  accessReview(user: V1UserInfo, path: string, verb: string): Promise<boolean>;
}

/** The reviews through the apiserver (authentication.k8s.io/v1, authorization.k8s.io/v1). */
export function kubeReviewer(kc: KubeConfig): Reviewer {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async tokenReview(token) {
      const review = await authn.createTokenReview({ body: { spec: { token } } });
      return review.status?.authenticated && review.status.user ? review.status.user : null;
    },
    async accessReview(user, path, verb) {
      const review = await authz.createSubjectAccessReview({
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
      return review.status?.allowed === true;
    },
  };
}

export class KubeAuth {
  private readonly reviewer: Reviewer;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly users = new Expiring<V1UserInfo | null>();
  private readonly decisions = new Expiring<boolean>();
  private readonly reviews: TokenBucket;

  constructor(reviewer: Reviewer, log: Logger, clock: Clock = systemClock) {
    this.reviewer = reviewer;
    this.log = log;
    this.clock = clock;
    this.reviews = new TokenBucket(REVIEWS_PER_SEC, REVIEW_BURST, () => clock.now());
  }

  async check(req: IncomingMessage): Promise<Refusal> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m) return { status: 401, message: "Unauthorized: a bearer token is required" };
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const verb = (req.method ?? "GET").toLowerCase();
    try {
      const user = await this.user(
        createHash("sha256")
          .update(m[1] as string)
          .digest("hex"),
        m[1] as string,
      );
      if (user === "throttled") return THROTTLED;
      if (!user) return { status: 401, message: "Unauthorized: the token was not accepted" };
      const allowed = await this.allowed(user, path, verb);
      if (allowed === "throttled") return THROTTLED;
      if (!allowed)
        return { status: 403, message: `Forbidden: user "${user.username}" may not ${verb} ${path}` };
      return undefined;
    } catch (err) {
      // Never the token: only what failed.
      this.log.warn({ path, err: String(err) }, "could not review a metrics request");
      return { status: 500, message: "Internal Server Error: the request could not be reviewed" };
    }
  }

  private async user(hash: string, token: string): Promise<V1UserInfo | null | "throttled"> {
    const now = this.clock.now();
    const cached = this.users.get(hash, now);
    if (cached !== undefined) return cached;
    if (!this.reviews.tryTake()) return "throttled";
    const user = await this.reviewer.tokenReview(token);
    this.users.set(hash, user, now + TOKEN_TTL_MS);
    return user;
  }

  private async allowed(user: V1UserInfo, path: string, verb: string): Promise<boolean | "throttled"> {
    const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, path, verb]);
    const now = this.clock.now();
    const cached = this.decisions.get(key, now);
    if (cached !== undefined) return cached;
    if (!this.reviews.tryTake()) return "throttled";
    const allowed = await this.reviewer.accessReview(user, path, verb);
    this.decisions.set(key, allowed, now + (allowed ? ALLOW_TTL_MS : DENY_TTL_MS));
    return allowed;
  }
}

const THROTTLED: Refusal = {
  status: 429,
  message: "Too Many Requests: reviews are limited; try again shortly",
};

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
