// /metrics behind authentication (--metrics-secure=true), on the real apiserver: served over HTTPS with the mounted
// certificate, and only to a bearer token that passes a TokenReview and whose user may get /metrics
// (SubjectAccessReview): none is 401, a token the apiserver does not accept is 401, a ServiceAccount without the
// reader role is 403, one bound to it reads the metrics. Nothing about a token reaches the logs.
import { request } from "node:https";
import { RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servingCert } from "../../../testenv/certs.ts";
import { FAST } from "../../../testenv/operator.ts";
import { eventually } from "../../support/eventually.ts";
import { type Scenario, scenario } from "../../support/scenario.ts";

describe("metrics behind TokenReview and SubjectAccessReview", () => {
  let s: Scenario;
  let ca: string;
  const tokens: Record<string, string> = {};
  const reader = () => `gaap-operator-metrics-reader-${s.ns}`;
  const rbac = () => s.c.kc.makeApiClient(RbacAuthorizationV1Api);

  const get = (token?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${s.operator.urls()[0]}/metrics`);
      const req = request(url, { ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });

  beforeAll(async () => {
    const cert = await servingCert();
    ca = cert.caPem;
    s = await scenario("metricsauth", {
      args: [...FAST, "--metrics-secure", "true", "--metrics-cert-dir", cert.dir],
    });
    await rbac().createClusterRole({
      body: {
        metadata: { name: reader() },
        rules: [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }],
      },
    });
    for (const sa of ["scraper", "stranger"]) {
      await s.c.core.createNamespacedServiceAccount({ namespace: s.ns, body: { metadata: { name: sa } } });
      const t = await s.c.core.createNamespacedServiceAccountToken({
        namespace: s.ns,
        name: sa,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      tokens[sa] = t.status?.token ?? "";
    }
    await rbac().createClusterRoleBinding({
      body: {
        metadata: { name: reader() },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: reader() },
        subjects: [{ kind: "ServiceAccount", name: "scraper", namespace: s.ns }],
      },
    });
    await eventually(async () => expect(s.operator.urls()).toHaveLength(2), { what: "operator serving" });
  });
  afterAll(async () => {
    await rbac()
      .deleteClusterRoleBinding({ name: reader() })
      .catch(() => {});
    await rbac()
      .deleteClusterRole({ name: reader() })
      .catch(() => {});
    await s?.close();
  });

  it("serves HTTPS with the certificate from --metrics-cert-dir", () => {
    expect(s.operator.urls()[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers 401 without a token, and to a token the apiserver does not accept", async () => {
    expect(await get()).toEqual({ status: 401, body: "Unauthorized: a bearer token is required\n" });
    expect(await get("not-a-token")).toEqual({
      status: 401,
      body: "Unauthorized: the token was not accepted\n",
    });
  });

  it("answers 403 to a ServiceAccount that may not get /metrics", async () => {
    const r = await get(tokens.stranger);
    expect(r.status).toBe(403);
    expect(r.body).toBe(`Forbidden: user "system:serviceaccount:${s.ns}:stranger" may not get /metrics\n`);
  });

  it("serves the metrics to a ServiceAccount bound to the reader role, and again from its cache", async () => {
    // RBAC reaches the authorizer a moment after the binding is created.
    const r = await eventually(
      async () => {
        const got = await get(tokens.scraper);
        expect(got.status).toBe(200);
        return got;
      },
      { what: "metrics served to the scraper" },
    );
    expect(r.body).toMatch(/^# HELP /m);
    expect(r.body).toContain("gaap_");
    expect((await get(tokens.scraper)).status).toBe(200);
  });

  it("keeps tokens out of its logs", () => {
    const out = s.operator.output();
    for (const t of Object.values(tokens)) expect(out).not.toContain(t);
    expect(out).not.toContain("not-a-token");
  });
});
