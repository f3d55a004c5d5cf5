// The Helm chart's webhooks and certificates (the generate mode installed and upgraded on the real apiserver), the
// listener grants' modes and metrics behind authentication, rendered with the real helm and kustomize.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openssl } from "../../../testenv/certs.ts";
import { CHART, certManagerFile, container, failure, find, info, sorted } from "../../support/chart.ts";
import { tempNamespace, testCluster } from "../../support/cluster.ts";
import { helmRender, helmTemplate, kustomizeOverlay, type Manifest } from "../../support/manifests.ts";

const exec = promisify(execFile);

describe("listener grants", () => {
  it("required (the default): the flag, the RBAC to read grants and namespaces, and the grant-check webhook", async () => {
    const out = await helmTemplate(info, {
      set: ["listenerGrants.failurePolicy=Fail,webhook.timeoutSeconds=3"],
    });
    expect(container(out).args).toContain("--listener-grants=required");
    expect(find(out, "ClusterRole", "gaap-operator").rules).toEqual(
      expect.arrayContaining([
        {
          apiGroups: ["gaap.operator.dev"],
          resources: ["gaaplistenergrants"],
          verbs: ["get", "list", "watch"],
        },
        { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] },
      ]),
    );
    const vwc = find(out, "ValidatingWebhookConfiguration", "gaap-operator");
    expect(vwc.webhooks).toEqual([
      {
        name: "gaaplistenerbindings.gaap.operator.dev",
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Fail",
        timeoutSeconds: 3,
        matchPolicy: "Equivalent",
        clientConfig: {
          service: {
            name: "gaap-operator-webhook",
            namespace: "gaap-operator",
            path: "/validate-gaaplistenerbinding",
          },
        },
        rules: [
          {
            operations: ["CREATE", "UPDATE"],
            apiGroups: ["gaap.operator.dev"],
            apiVersions: ["v1alpha1"],
            resources: ["gaaplistenerbindings"],
            scope: "Namespaced",
          },
        ],
      },
    ]);
    expect(find(out, "MutatingWebhookConfiguration").webhooks[0].timeoutSeconds).toBe(3);
    // Grants stay out of the aggregated roles: cluster-scoped, for cluster administrators.
    for (const role of out.filter((o) => o.metadata.name.startsWith("gaap-operator-bindings-")))
      expect(JSON.stringify(role.rules)).not.toContain("gaaplistenergrants");
  });

  it("open: the flag, and no grant-check webhook; without webhooks neither", async () => {
    const open = await helmTemplate(info, { set: ["listenerGrants.mode=open"] });
    expect(container(open).args).toContain("--listener-grants=open");
    expect(find(open, "ValidatingWebhookConfiguration")).toBeUndefined();
    const off = await helmTemplate(info, { set: ["webhook.enabled=false"] });
    expect(container(off).args).toEqual(
      expect.arrayContaining(["--listener-grants=required", "--webhook-port=0"]),
    );
    expect(off.filter((o) => /WebhookConfiguration$/.test(o.kind))).toEqual([]);
  });

  it("both webhooks get their CA the same way in every certificate mode", async () => {
    const hooks = (out: Manifest[]) =>
      ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"].map((kind) => find(out, kind));
    for (const h of hooks(await helmTemplate(info))) {
      expect(h.metadata.annotations).toEqual({
        "cert-manager.io/inject-ca-from": "gaap-operator/gaap-operator-webhook",
      });
      expect(h.webhooks[0].clientConfig).not.toHaveProperty("caBundle");
    }
    const generated = await helmTemplate(info, { set: ["webhook.certificate=generate"] });
    const ca = find(generated, "Secret", "gaap-operator-webhook-tls").data["ca.crt"];
    for (const h of hooks(generated)) {
      expect(h.metadata).not.toHaveProperty("annotations");
      expect(h.webhooks[0].clientConfig.caBundle).toBe(ca);
    }
    const own = await helmTemplate(info, { set: ["webhook.certificate=none,webhook.caBundle=Q0EK"] });
    for (const h of hooks(own)) {
      expect(h.metadata).not.toHaveProperty("annotations");
      expect(h.webhooks[0].clientConfig.caBundle).toBe("Q0EK");
    }
    expect(own.filter((o) => ["Secret", "Certificate", "Issuer"].includes(o.kind))).toEqual([]);
  });
});

describe("certificates", () => {
  it("the default (certManager) renders byte for byte the same every time; generate does not", async () => {
    const [first, second] = [await helmRender(info), await helmRender(info)];
    expect(second).toBe(first);
    const generate = ["webhook.certificate=generate"];
    expect(await helmRender(info, { set: generate })).not.toBe(await helmRender(info, { set: generate }));
  });

  it("certManager: the chart's self-signed Issuer, or the issuerRef given; the pod webhook's failurePolicy", async () => {
    const own = await helmTemplate(info, { set: ["webhook.failurePolicy=Fail"] });
    expect(find(own, "Certificate").spec.issuerRef).toEqual({
      kind: "Issuer",
      name: "gaap-operator-selfsigned",
    });
    expect(find(own, "Issuer").spec).toEqual({ selfSigned: {} });
    expect(find(own, "MutatingWebhookConfiguration").webhooks[0].failurePolicy).toBe("Fail");
    const theirs = await helmTemplate(info, {
      set: ["webhook.certManager.issuerRef.kind=ClusterIssuer,webhook.certManager.issuerRef.name=corp-ca"],
    });
    expect(find(theirs, "Certificate").spec.issuerRef).toEqual({ kind: "ClusterIssuer", name: "corp-ca" });
    expect(find(theirs, "Issuer")).toBeUndefined();
  });

  it("generate: one certificate for the webhook and the metrics Service, signed by the caBundle's CA", async () => {
    const out = await helmTemplate(info, {
      release: "g",
      namespace: "ops",
      set: ["webhook.certificate=generate"],
    });
    const secret = find(out, "Secret", "g-gaap-operator-webhook-tls");
    const dir = mkdtempSync(join(tmpdir(), "chart-cert-"));
    writeFileSync(
      join(dir, "ca.crt"),
      Buffer.from(find(out, "ValidatingWebhookConfiguration").webhooks[0].clientConfig.caBundle, "base64"),
    );
    writeFileSync(join(dir, "tls.crt"), Buffer.from(secret.data["tls.crt"], "base64"));
    for (const host of ["g-gaap-operator-webhook.ops.svc", "g-gaap-operator-metrics.ops.svc"]) {
      const verified = await exec(await openssl(), [
        "verify",
        "-CAfile",
        join(dir, "ca.crt"),
        "-verify_hostname",
        host,
        join(dir, "tls.crt"),
      ]);
      expect(verified.stdout).toMatch(/OK/);
    }
    expect(
      await failure(
        exec(await openssl(), [
          "verify",
          "-CAfile",
          join(dir, "ca.crt"),
          "-verify_hostname",
          "other.ops.svc",
          join(dir, "tls.crt"),
        ]),
      ),
    ).not.toBe("succeeded");
  });

  describe("generate, installed and upgraded with helm on the real apiserver", () => {
    let ns: { name: string; remove: () => Promise<void> } | undefined;
    const release = "gen";
    const helm = (...args: string[]) =>
      exec(info.helm, [...args, "--kubeconfig", info.kubeconfigPath], { maxBuffer: 64 << 20 });
    const kubectlJson = async (...args: string[]) =>
      JSON.parse(
        (await exec(info.kubectl, ["--kubeconfig", info.kubeconfigPath, ...args, "-o", "json"])).stdout,
      );
    afterAll(async () => {
      if (ns) await helm("uninstall", release, "-n", ns.name).catch(() => {});
      await ns?.remove();
    });

    it("keeps the certificate made at install on upgrade, and the caBundle with it", async () => {
      ns = await tempNamespace(testCluster().core, "chart-gen");
      const set = ["--set", "webhook.certificate=generate,clusterName=gen"];
      await helm("install", release, CHART, "-n", ns.name, ...set);
      const tls = `${release}-gaap-operator-webhook-tls`;
      const before = await kubectlJson("-n", ns.name, "get", "secret", tls);
      const caBundle = async () =>
        (await kubectlJson("get", "validatingwebhookconfiguration", `${release}-gaap-operator`)).webhooks[0]
          .clientConfig.caBundle;
      expect(await caBundle()).toBe(before.data["ca.crt"]);
      await helm("upgrade", release, CHART, "-n", ns.name, ...set, "--set", "logLevel=debug");
      const after = await kubectlJson("-n", ns.name, "get", "secret", tls);
      expect(after.data).toEqual(before.data);
      expect(await caBundle()).toBe(before.data["ca.crt"]);
      // The upgrade did happen.
      const d = await kubectlJson("-n", ns.name, "get", "deployment", `${release}-gaap-operator`);
      expect(d.spec.template.spec.containers[0].args).toContain("--log-level=debug");
    });
  });
});

describe("metrics behind authentication", () => {
  it("metrics.secure: the flag, the review RBAC, a reader role bound to no one, an HTTPS ServiceMonitor", async () => {
    const out = await helmTemplate(info, {
      set: [
        "metrics.secure=true,serviceMonitor.enabled=true,serviceMonitor.authorization.credentials.name=scraper",
      ],
    });
    expect(container(out).args).toContain("--metrics-secure=true");
    expect(find(out, "ClusterRole", "gaap-operator").rules.slice(-2)).toEqual([
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
    ]);
    expect(find(out, "ClusterRole", "gaap-operator-metrics-reader").rules).toEqual([
      { nonResourceURLs: ["/metrics"], verbs: ["get"] },
    ]);
    expect(
      out.filter((o) => /Binding$/.test(o.kind) && o.roleRef.name === "gaap-operator-metrics-reader"),
    ).toEqual([]);
    const endpoint = find(out, "ServiceMonitor").spec.endpoints[0];
    expect(endpoint).toMatchObject({
      port: "metrics",
      scheme: "https",
      tlsConfig: {
        serverName: "gaap-operator-metrics.gaap-operator.svc",
        ca: { secret: { name: "gaap-operator-webhook-tls", key: "ca.crt" } },
      },
      authorization: { type: "Bearer", credentials: { name: "scraper", key: "token" } },
    });
    expect(
      find(out, "Service", "gaap-operator-metrics").spec.ports.map((p: { name: string }) => p.name),
    ).toContain(endpoint.port);
    expect(find(out, "Certificate").spec.dnsNames).toContain(endpoint.tlsConfig.serverName);
    // Off (the default): none of it.
    const plain = await helmTemplate(info, { set: ["serviceMonitor.enabled=true"] });
    expect(container(plain).args.some((a: string) => a.startsWith("--metrics-secure"))).toBe(false);
    expect(JSON.stringify(find(plain, "ClusterRole", "gaap-operator").rules)).not.toContain("tokenreviews");
    expect(find(plain, "ClusterRole", "gaap-operator-metrics-reader")).toBeUndefined();
    expect(find(plain, "ServiceMonitor").spec.endpoints[0]).not.toHaveProperty("scheme");
  });

  it("kustomize deploy/ with the Component deploy/metrics-auth/ renders what metrics.secure=true does", async () => {
    const kustomized = await kustomizeOverlay(info, {
      resources: ["deploy", "deploy/observability"],
      components: ["deploy/metrics-auth"],
    });
    const rendered = await helmTemplate(info, {
      set: [
        "metrics.secure=true,serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true",
        "serviceMonitor.authorization.credentials.name=gaap-operator-metrics-token",
      ],
    });
    const expected = sorted([...kustomized.filter((o) => o.kind !== "Namespace"), ...certManagerFile()]);
    expect(rendered).toEqual(expected);
    expect(find(expected, "ClusterRole", "gaap-operator-metrics-reader")).toBeDefined();
    // Without the Component, kustomize's objects are the chart's defaults (deploy.test.ts compares them all).
    const plain = await kustomizeOverlay(info, { resources: ["deploy"] });
    expect(container(plain).args).not.toContain("--metrics-secure=true");
  });
});
