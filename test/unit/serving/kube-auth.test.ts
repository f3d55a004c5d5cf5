// Who may read /metrics (src/serving/kube-auth.ts), against a reviewer that counts what it is asked: 401 without or
// with a refused token, 403 for a user who may not, cached answers (a token 1 min, an allow 5 min, a deny 30 s),
// decisions keyed by the whole identity, reviews limited under a flood, and no token in what is logged.
import type { IncomingMessage } from "node:http";
import type { V1UserInfo } from "@kubernetes/client-node";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { KubeAuth, type Reviewer } from "../../../src/serving/kube-auth.ts";

const req = (token?: string, path = "/metrics"): IncomingMessage =>
  ({
    headers: token ? { authorization: `Bearer ${token}` } : {},
    url: path,
    method: "GET",
  }) as IncomingMessage;

function world(users: Record<string, V1UserInfo>, allowedUsers: string[]) {
  const asked = { tokens: 0, access: 0 };
  const seen: string[] = [];
  const reviewer: Reviewer = {
    async tokenReview(token) {
      asked.tokens++;
      return users[token] ?? null;
    },
    async accessReview(user) {
      asked.access++;
      seen.push(JSON.stringify(user.extra ?? {}));
      return allowedUsers.includes(user.username ?? "");
    },
  };
  const clock = { t: 0, now: () => clock.t };
  const lines: string[] = [];
  const auth = new KubeAuth(reviewer, pino({}, { write: (l: string) => lines.push(l) }), clock);
  return { auth, asked, clock, seen, lines };
}

const SCRAPER = {
  username: "system:serviceaccount:mon:prometheus",
  uid: "u1",
  groups: ["system:serviceaccounts"],
};
const STRANGER = { username: "system:serviceaccount:app:web", uid: "u2" };

describe("KubeAuth", () => {
  it("refuses no token and a refused token (401), a user who may not (403), and lets the reader through", async () => {
    const { auth } = world({ good: SCRAPER, other: STRANGER }, [SCRAPER.username]);
    expect(await auth.check(req())).toEqual({
      status: 401,
      message: "Unauthorized: a bearer token is required",
    });
    expect(await auth.check(req("bad"))).toEqual({
      status: 401,
      message: "Unauthorized: the token was not accepted",
    });
    expect(await auth.check(req("other"))).toEqual({
      status: 403,
      message: 'Forbidden: user "system:serviceaccount:app:web" may not get /metrics',
    });
    expect(await auth.check(req("good"))).toBeUndefined();
  });

  it("caches a token for a minute and an allow for five, a deny for 30 s", async () => {
    const { auth, asked, clock } = world({ good: SCRAPER, other: STRANGER }, [SCRAPER.username]);
    await auth.check(req("good"));
    await auth.check(req("other"));
    const both = async (t: number) => {
      clock.t = t;
      await auth.check(req("good"));
      await auth.check(req("other"));
      return { ...asked };
    };
    expect(await both(29_000)).toEqual({ tokens: 2, access: 2 });
    expect(await both(31_000)).toEqual({ tokens: 2, access: 3 }); // the deny expired
    expect(await both(60_500)).toEqual({ tokens: 4, access: 3 }); // the tokens too; the allow and the new deny hold
    expect(await both(301_000)).toEqual({ tokens: 6, access: 5 }); // past five minutes, the allow as well
  });

  it("keys a decision by the whole identity, extra included", async () => {
    const a = { ...SCRAPER, extra: { scopes: ["a"] } };
    const b = { ...SCRAPER, extra: { scopes: ["b"] } };
    const { auth, asked, seen } = world({ a, b }, [SCRAPER.username]);
    await auth.check(req("a"));
    await auth.check(req("b"));
    expect(asked.access).toBe(2);
    expect(seen).toEqual(['{"scopes":["a"]}', '{"scopes":["b"]}']);
  });

  it("asks the apiserver for at most a burst of reviews, then a few a second: a flood of tokens gets 429", async () => {
    const { auth, asked, clock } = world({}, []);
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push((await auth.check(req(`flood-${i}`)))?.status);
    expect(asked.tokens).toBe(20);
    expect(answers.filter((s) => s === 429)).toHaveLength(10);
    clock.t = 1000;
    expect((await auth.check(req("flood-next")))?.status).toBe(401);
    expect(asked.tokens).toBe(21);
  });

  it("never logs a token, even when a review fails", async () => {
    const reviewer: Reviewer = {
      tokenReview: async () => {
        throw new Error("apiserver unavailable");
      },
      accessReview: async () => true,
    };
    const lines: string[] = [];
    const auth = new KubeAuth(reviewer, pino({}, { write: (l: string) => lines.push(l) }));
    expect((await auth.check(req("secret-token-value")))?.status).toBe(500);
    expect(lines.join("")).toContain("apiserver unavailable");
    expect(lines.join("")).not.toContain("secret-token-value");
  });
});
