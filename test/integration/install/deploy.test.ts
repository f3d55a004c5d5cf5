// Installing as users do (kubectl apply -k deploy/), and the Helm chart rendering the same objects: the webhook,
// the certificate modes, the values, the hardened Deployment.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openssl } from "../../../testenv/certs.ts";
import { testCluster } from "../../support/cluster.ts";
import { helmTemplate, kustomize, manifestObjects, removeDeploy } from "../../support/manifests.ts";
import { type Scenario, scenario } from "../../support/scenario.ts";

const exec = promisify(execFile);
const SA = "system:serviceaccount:gaap-operator:gaap-operator";

afterAll(() => removeDeploy(testCluster().info), 150_000);

describe("install with kubectl and Helm", () => {
  let s: Scenario;
  const kubectl = async (...args: string[]) =>
    (await exec(s.c.info.kubectl, ["--kubeconfig", s.c.info.kubeconfigPath, ...args])).stdout;
  beforeAll(async () => {
    s = await scenario("deploy", { start: false });
  });
  afterAll(async () => s?.close());

  const helm = (...set: string[]) => helmTemplate(s.c.info, { set });

  it("the Helm chart's defaults render the same objects as deploy/ plus deploy/cert-manager/ (kustomize)", async () => {
    const kustomized = await kustomize(s.c.info, "deploy/");
    const certManager = manifestObjects(readFileSync("deploy/cert-manager/certificate.yaml", "utf8"));
    // The Namespace is --create-namespace's with Helm (namespace.create=true renders it: chart.test.ts).
    const expected = manifestObjects(
      [...kustomized.filter((o) => o.kind !== "Namespace"), ...certManager]
        .map((o) => JSON.stringify(o))
        .join("\n---\n"),
    );
    expect(expected.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "Certificate/gaap-operator-webhook",
      "ClusterRole/gaap-operator",
      "ClusterRole/gaap-operator-bindings-edit",
      "ClusterRole/gaap-operator-bindings-view",
      "ClusterRoleBinding/gaap-operator",
      "Deployment/gaap-operator",
      "Issuer/gaap-operator-selfsigned",
      "MutatingWebhookConfiguration/gaap-operator",
      "PodDisruptionBudget/gaap-operator",
      "Role/gaap-operator-leader-election",
      "RoleBinding/gaap-operator-leader-election",
      "Service/gaap-operator-metrics",
      "Service/gaap-operator-webhook",
      "ServiceAccount/gaap-operator",
      "ValidatingWebhookConfiguration/gaap-operator",
    ]);
    // Only Helm's own labels (helm.sh/chart, managed-by) are left out of the comparison (helmTemplate drops them).
    expect(await helm()).toEqual(expected);
    expect(kustomized.map((o) => o.metadata.labels)).toEqual(
      kustomized.map(() =>
        expect.objectContaining({
          "app.kubernetes.io/name": "gaap-operator",
          "app.kubernetes.io/instance": "gaap-operator",
          "app.kubernetes.io/version": JSON.parse(readFileSync("package.json", "utf8")).version,
        }),
      ),
    );
  });

  it("ships a webhook that pod creation never waits on, for opted-in namespaces only", async () => {
    const mwc = (await kustomize(s.c.info, "deploy/")).find((o) => o.kind === "MutatingWebhookConfiguration");
    const [hook] = mwc.webhooks;
    expect(hook).toMatchObject({
      failurePolicy: "Ignore",
      sideEffects: "None",
      admissionReviewVersions: ["v1"],
      clientConfig: {
        service: { name: "gaap-operator-webhook", namespace: "gaap-operator", path: "/mutate-v1-pod" },
      },
      namespaceSelector: { matchLabels: { "gaap.operator.dev/pod-readiness-gate-inject": "enabled" } },
      objectSelector: {
        matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["gaap-operator"] }],
      },
      rules: [{ operations: ["CREATE"], resources: ["pods"] }],
    });
    expect(hook.timeoutSeconds).toBeLessThanOrEqual(5);
  });

  it("with cert-manager: one Certificate for the webhook and metrics Services, its CA injected into both webhooks", async () => {
    const certManager = manifestObjects(readFileSync("deploy/cert-manager/certificate.yaml", "utf8"));
    const cert = certManager.find((o) => o.kind === "Certificate");
    expect(cert.spec).toMatchObject({
      secretName: "gaap-operator-webhook-tls",
      dnsNames: [
        "gaap-operator-webhook.gaap-operator.svc",
        "gaap-operator-webhook.gaap-operator.svc.cluster.local",
        "gaap-operator-metrics.gaap-operator.svc",
        "gaap-operator-metrics.gaap-operator.svc.cluster.local",
      ],
    });
    const kustomized = await kustomize(s.c.info, "deploy/");
    for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"])
      expect(kustomized.find((o) => o.kind === kind).metadata.annotations).toEqual({
        "cert-manager.io/inject-ca-from": `${cert.metadata.namespace}/${cert.metadata.name}`,
      });
    // The Deployment mounts what the Certificate makes.
    const d = kustomized.find((o) => o.kind === "Deployment");
    expect(d.spec.template.spec.volumes).toContainEqual({
      name: "webhook-cert",
      secret: { secretName: cert.spec.secretName, optional: true },
    });
  });

  it("the chart's values change what they should", async () => {
    const out = await helmTemplate(s.c.info, {
      release: "x",
      namespace: "ops",
      set: [
        "replicaCount=3,image.tag=9.9.9,watchNamespace=shop,logLevel=debug,rates.write=5,credentials.source=env,credentials.secretName=my-creds",
      ],
    });
    const d = out.find((o) => o.kind === "Deployment");
    const c = d.spec.template.spec.containers[0];
    expect(d.spec.replicas).toBe(3);
    expect(c.image).toBe("ghcr.io/gaap-operator/gaap-operator:9.9.9");
    expect(c.args).toEqual(
      expect.arrayContaining([
        "--watch-namespace=shop",
        "--log-level=debug",
        "--gaap-write-qps=5",
        "--credentials=env",
      ]),
    );
    expect(c.envFrom).toEqual([{ secretRef: { name: "my-creds" } }]);
    // No credentials volume with env credentials: only the webhook's certificate.
    expect(d.spec.template.spec.volumes.map((v: { name: string }) => v.name)).toEqual(["webhook-cert"]);
  });

  it("applies with kubectl apply -k deploy/, with a hardened Deployment", async () => {
    await kubectl("apply", "-k", "deploy/");
    const d = JSON.parse(
      await kubectl("get", "deployment", "gaap-operator", "-n", "gaap-operator", "-o", "json"),
    );
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(d.spec.replicas).toBe(2);
    expect(c.args).toContain("--leader-elect=true");
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    expect(c.resources.limits).toMatchObject({ cpu: "500m", memory: "512Mi" });
    const pdb = JSON.parse(await kubectl("get", "pdb", "gaap-operator", "-n", "gaap-operator", "-o", "json"));
    expect(pdb.spec.minAvailable).toBe(1);
  });

  it("without cert-manager: Helm makes a certificate at install whose CA is the caBundle, and the server accepts it all", async () => {
    const out = await helm("webhook.certificate=generate");
    const secret = out.find((o) => o.kind === "Secret" && o.metadata.name === "gaap-operator-webhook-tls");
    expect(secret.type).toBe("kubernetes.io/tls");
    const mwc = out.find((o) => o.kind === "MutatingWebhookConfiguration");
    const dir = s.c.info.dir;
    writeFileSync(join(dir, "helm-ca.crt"), Buffer.from(mwc.webhooks[0].clientConfig.caBundle, "base64"));
    writeFileSync(join(dir, "helm-tls.crt"), Buffer.from(secret.data["tls.crt"], "base64"));
    const verified = await exec(await openssl(), [
      "verify",
      "-CAfile",
      join(dir, "helm-ca.crt"),
      "-verify_hostname",
      "gaap-operator-webhook.gaap-operator.svc",
      join(dir, "helm-tls.crt"),
    ]);
    expect(verified.stdout).toMatch(/OK/);
    // Checked by the real apiserver without creating anything: a webhook left behind would be called by later tests.
    const file = join(dir, "helm-generate.yaml");
    writeFileSync(file, out.map((o) => JSON.stringify(o)).join("\n---\n"));
    await kubectl("apply", "--dry-run=server", "-f", file);
    // The default render too, but for cert-manager's kinds: this cluster has no cert-manager.
    const defaults = (await helm()).filter((o) => !o.apiVersion.startsWith("cert-manager.io/"));
    writeFileSync(file, defaults.map((o) => JSON.stringify(o)).join("\n---\n"));
    await kubectl("apply", "--dry-run=server", "-f", file);
    // values.schema.json refuses it first (release.test.ts has the rest of the schema's table).
    await expect(helm("webhook.certificate=bogus")).rejects.toThrow(
      /webhook\/certificate.*must be one of 'generate', 'certManager', 'none'/,
    );
  });

  it.each([
    // What it needs.
    {
      verb: "list",
      resource: "gaaplistenerbindings.gaap.operator.dev",
      ns: "--all-namespaces",
      allowed: true,
    },
    {
      verb: "patch",
      resource: "gaaplistenerbindings.gaap.operator.dev/status",
      ns: "-n=default",
      allowed: true,
    },
    { verb: "patch", resource: "gaaplistenerbindings.gaap.operator.dev", ns: "-n=default", allowed: true },
    { verb: "watch", resource: "endpointslices.discovery.k8s.io", ns: "--all-namespaces", allowed: true },
    { verb: "list", resource: "nodes", ns: "", allowed: true },
    { verb: "list", resource: "pods", ns: "--all-namespaces", allowed: true },
    { verb: "patch", resource: "pods", ns: "-n=default", sub: "status", allowed: true },
    { verb: "create", resource: "events.events.k8s.io", ns: "-n=default", allowed: true },
    { verb: "update", resource: "leases.coordination.k8s.io", ns: "-n=gaap-operator", allowed: true },
    { verb: "watch", resource: "gaaplistenergrants.gaap.operator.dev", ns: "", allowed: true },
    { verb: "list", resource: "namespaces", ns: "", allowed: true },
    // What it must not do.
    { verb: "get", resource: "secrets", ns: "-n=default", allowed: false },
    { verb: "list", resource: "secrets", ns: "-n=gaap-operator", allowed: false },
    { verb: "delete", resource: "pods", ns: "-n=default", allowed: false },
    { verb: "create", resource: "pods", ns: "-n=default", allowed: false },
    { verb: "patch", resource: "services", ns: "-n=default", allowed: false },
    { verb: "patch", resource: "pods", ns: "-n=default", allowed: false },
    { verb: "update", resource: "nodes", ns: "", allowed: false },
    { verb: "create", resource: "gaaplistenerbindings.gaap.operator.dev", ns: "-n=default", allowed: false },
    { verb: "delete", resource: "gaaplistenerbindings.gaap.operator.dev", ns: "-n=default", allowed: false },
    { verb: "update", resource: "leases.coordination.k8s.io", ns: "-n=kube-system", allowed: false },
    { verb: "create", resource: "clusterrolebindings.rbac.authorization.k8s.io", ns: "", allowed: false },
    { verb: "create", resource: "gaaplistenergrants.gaap.operator.dev", ns: "", allowed: false },
    { verb: "patch", resource: "namespaces", ns: "", allowed: false },
    // Only with metrics.secure (deploy/metrics-auth/).
    { verb: "create", resource: "tokenreviews.authentication.k8s.io", ns: "", allowed: false },
  ] as Array<{ verb: string; resource: string; ns: string; sub?: string; allowed: boolean }>)(
    "kubectl auth can-i $verb $resource $ns $sub -> $allowed",
    async ({ verb, resource, ns, sub, allowed }) => {
      const args = [
        "auth",
        "can-i",
        verb,
        resource,
        `--as=${SA}`,
        ...(ns ? [ns] : []),
        ...(sub ? [`--subresource=${sub}`] : []),
      ];
      const answer = await kubectl(...args).catch((err) => (err as { stdout: string }).stdout);
      expect(answer.trim()).toBe(allowed ? "yes" : "no");
    },
  );
});
