// The Helm chart's values, names, guards and certificate modes, rendered with the real helm (and kustomize for the
// parity with deploy/), and the generate mode installed and upgraded on the real apiserver.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { openssl } from "../../../testenv/certs.ts";
import { tempNamespace, testCluster } from "../../support/cluster.ts";
import {
  HELM_ONLY_LABELS,
  helmRender,
  helmTemplate,
  kustomizeOverlay,
  type Manifest,
  manifestObjects,
} from "../../support/manifests.ts";

const exec = promisify(execFile);
const info = testCluster().info;
const CHART = "deploy/helm/gaap-operator";
const version = JSON.parse(readFileSync("package.json", "utf8")).version as string;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => "succeeded",
    (err: { stderr?: string; message: string }) => err.stderr ?? err.message,
  );
const find = (objects: Manifest[], kind: string, name?: string) =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const deployment = (objects: Manifest[]) => find(objects, "Deployment");
const container = (objects: Manifest[]) => deployment(objects).spec.template.spec.containers[0];
const certManagerFile = () => manifestObjects(readFileSync("deploy/cert-manager/certificate.yaml", "utf8"));
const sorted = (objects: Manifest[]) => manifestObjects(objects.map((o) => stringify(o)).join("\n---\n"));

describe("labels and names", () => {
  it("every object carries the standard labels; selectors only name and instance", async () => {
    const out = await helmTemplate(info, { release: "edge", namespace: "ops", helmLabels: true });
    const standard = {
      "helm.sh/chart": `gaap-operator-${version}`,
      "app.kubernetes.io/name": "gaap-operator",
      "app.kubernetes.io/instance": "edge",
      "app.kubernetes.io/version": version,
      "app.kubernetes.io/managed-by": "Helm",
    };
    for (const o of out) expect(o.metadata.labels, `${o.kind}/${o.metadata.name}`).toMatchObject(standard);
    const selector = { "app.kubernetes.io/name": "gaap-operator", "app.kubernetes.io/instance": "edge" };
    const d = deployment(out);
    expect(d.spec.selector.matchLabels).toEqual(selector);
    expect(d.spec.template.metadata.labels).toEqual(standard);
    expect(find(out, "PodDisruptionBudget").spec.selector.matchLabels).toEqual(selector);
    for (const svc of out.filter((o) => o.kind === "Service")) expect(svc.spec.selector).toEqual(selector);
    expect(d.spec.template.spec.topologySpreadConstraints[0].labelSelector).toEqual({
      matchLabels: selector,
    });
    expect(HELM_ONLY_LABELS.every((l) => l in d.metadata.labels)).toBe(true);
  });

  it("two releases in one namespace render disjoint names, cluster-scoped objects and the Lease included", async () => {
    const all = {
      set: ["serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true"],
    };
    const [a, b] = await Promise.all([
      helmTemplate(info, { release: "a", namespace: "ops", ...all }),
      helmTemplate(info, { release: "b", namespace: "ops", ...all }),
    ]);
    const names = (objects: Manifest[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names(a).filter((n) => names(b).includes(n))).toEqual([]);
    expect(names(a)).toEqual(
      expect.arrayContaining([
        "ClusterRole/a-gaap-operator",
        "ClusterRoleBinding/a-gaap-operator",
        "MutatingWebhookConfiguration/a-gaap-operator",
        "ValidatingWebhookConfiguration/a-gaap-operator",
        "Service/a-gaap-operator-webhook",
      ]),
    );
    const lease = (objects: Manifest[]) =>
      container(objects).args.find((x: string) => x.startsWith("--leader-election-id="));
    expect([lease(a), lease(b)]).toEqual([
      "--leader-election-id=a-gaap-operator",
      "--leader-election-id=b-gaap-operator",
    ]);
    // Each release's webhooks, RBAC and monitor point at its own Service, ServiceAccount and metrics Service.
    const vwc = find(b, "ValidatingWebhookConfiguration");
    expect(vwc.webhooks[0].clientConfig.service.name).toBe("b-gaap-operator-webhook");
    expect(find(b, "ClusterRoleBinding").subjects).toEqual([
      { kind: "ServiceAccount", name: "b-gaap-operator", namespace: "ops" },
    ]);
    expect(find(b, "ServiceMonitor").spec.selector.matchLabels["app.kubernetes.io/instance"]).toBe("b");
  });

  it("fullname: the release name when it holds the chart's name, fullnameOverride, nameOverride", async () => {
    const named = async (opts: { release: string; set?: string[] }) =>
      deployment(await helmTemplate(info, { namespace: "ops", ...opts })).metadata.name;
    expect(await named({ release: "prod-gaap-operator" })).toBe("prod-gaap-operator");
    expect(await named({ release: "x", set: ["fullnameOverride=gaap"] })).toBe("gaap");
    const out = await helmTemplate(info, { release: "x", namespace: "ops", set: ["nameOverride=glb"] });
    expect(deployment(out).metadata.name).toBe("x-glb");
    expect(deployment(out).metadata.labels["app.kubernetes.io/name"]).toBe("glb");
    // The pod webhook keeps leaving the operator's own pods alone under their new name.
    expect(find(out, "MutatingWebhookConfiguration").webhooks[0].objectSelector).toEqual({
      matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["glb"] }],
    });
    // Service names stay within 63 characters however long the fullname.
    const long = await helmTemplate(info, {
      release: "x",
      namespace: "ops",
      set: [`fullnameOverride=${"a".repeat(63)}`],
    });
    for (const svc of long.filter((o) => o.kind === "Service"))
      expect(svc.metadata.name.length).toBeLessThanOrEqual(63);
    expect(new Set(long.filter((o) => o.kind === "Service").map((o) => o.metadata.name)).size).toBe(2);
  });
});

describe("values", () => {
  it("pod scheduling, security, identity and extras go where they should", async () => {
    const values = {
      imagePullSecrets: [{ name: "regcred" }],
      podSecurityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000 },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false },
      nodeSelector: { "kubernetes.io/os": "linux" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "ops", effect: "NoSchedule" }],
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule" },
        {
          maxSkew: 2,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: { team: "ops" } },
        },
      ],
      priorityClassName: "system-cluster-critical",
      podAnnotations: { "example.com/scrape": "no" },
      podLabels: { team: "ops", "app.kubernetes.io/name": "not-this" },
      serviceAccount: { create: true, name: "gaap", annotations: { "example.com/role": "gaap-writer" } },
      extraEnv: [{ name: "HTTPS_PROXY", value: "http://proxy:3128" }],
      extraVolumes: [{ name: "ca", configMap: { name: "corp-ca" } }],
      extraVolumeMounts: [{ name: "ca", mountPath: "/etc/ssl/corp", readOnly: true }],
      clusterName: "prod-sh",
    };
    const out = await helmTemplate(info, { release: "x", namespace: "ops", values });
    const pod = deployment(out).spec.template;
    const c = pod.spec.containers[0];
    expect(pod.spec).toMatchObject({
      imagePullSecrets: [{ name: "regcred" }],
      securityContext: values.podSecurityContext,
      nodeSelector: values.nodeSelector,
      tolerations: values.tolerations,
      affinity: values.affinity,
      priorityClassName: "system-cluster-critical",
      serviceAccountName: "gaap",
    });
    expect(pod.spec.topologySpreadConstraints).toEqual([
      {
        ...values.topologySpreadConstraints[0],
        labelSelector: {
          matchLabels: { "app.kubernetes.io/name": "gaap-operator", "app.kubernetes.io/instance": "x" },
        },
      },
      values.topologySpreadConstraints[1],
    ]);
    expect(pod.metadata.annotations).toEqual(values.podAnnotations);
    // The standard labels win: the selector and the webhook's objectSelector rely on them.
    expect(pod.metadata.labels).toMatchObject({ team: "ops", "app.kubernetes.io/name": "gaap-operator" });
    // Helm merges a map with its default: dropping a default key takes null.
    expect(c.securityContext).toEqual({ ...values.securityContext, capabilities: { drop: ["ALL"] } });
    expect(c.env.at(-1)).toEqual(values.extraEnv[0]);
    expect(c.env.map((e: { name: string }) => e.name)).toEqual([
      "POD_NAME",
      "POD_NAMESPACE",
      "NODE_OPTIONS",
      "HTTPS_PROXY",
    ]);
    expect(pod.spec.volumes.map((v: { name: string }) => v.name)).toEqual([
      "credentials",
      "webhook-cert",
      "ca",
    ]);
    expect(c.volumeMounts.at(-1)).toEqual(values.extraVolumeMounts[0]);
    expect(c.args).toContain("--cluster-name=prod-sh");
    const sa = find(out, "ServiceAccount");
    expect(sa.metadata).toMatchObject({ name: "gaap", annotations: values.serviceAccount.annotations });
    expect(find(out, "ClusterRoleBinding").subjects[0].name).toBe("gaap");
    expect(find(out, "RoleBinding").subjects[0].name).toBe("gaap");
  });

  it("serviceAccount.create=false runs as the named ServiceAccount and creates none", async () => {
    const out = await helmTemplate(info, {
      set: ["serviceAccount.create=false,serviceAccount.name=existing"],
    });
    expect(find(out, "ServiceAccount")).toBeUndefined();
    expect(deployment(out).spec.template.spec.serviceAccountName).toBe("existing");
    expect(find(out, "ClusterRoleBinding").subjects[0].name).toBe("existing");
  });

  it("one replica without leader election: Recreate, so a rollout never runs two writers; no PDB", async () => {
    const out = await helmTemplate(info, { set: ["replicaCount=1,leaderElection.enabled=false"] });
    expect(deployment(out).spec.strategy).toEqual({ type: "Recreate" });
    expect(container(out).args).toContain("--leader-elect=false");
    expect(find(out, "Role")).toBeUndefined();
    expect(find(out, "PodDisruptionBudget")).toBeUndefined();
  });

  it.each([
    { set: "replicaCount=1", pdb: undefined },
    { set: "podDisruptionBudget.enabled=false", pdb: undefined },
    { set: "replicaCount=3,podDisruptionBudget.minAvailable=2", pdb: { minAvailable: 2 } },
    { set: "replicaCount=4,podDisruptionBudget.minAvailable=50%", pdb: { minAvailable: "50%" } },
    { set: "podDisruptionBudget.maxUnavailable=1", pdb: { maxUnavailable: 1 } },
    { set: "replicaCount=3,podDisruptionBudget.maxUnavailable=34%", pdb: { maxUnavailable: "34%" } },
  ])("PodDisruptionBudget with $set: $pdb", async ({ set, pdb }) => {
    const rendered = find(await helmTemplate(info, { set: [set] }), "PodDisruptionBudget");
    if (pdb === undefined) expect(rendered).toBeUndefined();
    else
      expect(rendered.spec).toEqual({
        ...pdb,
        selector: {
          matchLabels: {
            "app.kubernetes.io/name": "gaap-operator",
            "app.kubernetes.io/instance": "gaap-operator",
          },
        },
      });
  });

  it("namespace.create renders deploy/'s Namespace; the default leaves it to --create-namespace", async () => {
    expect(find(await helmTemplate(info), "Namespace")).toBeUndefined();
    const ns = find(await helmTemplate(info, { set: ["namespace.create=true"] }), "Namespace");
    expect(ns).toEqual(find(await kustomizeOverlay(info, { resources: ["deploy"] }), "Namespace"));
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("global (and a dependency condition's enabled) pass the schema, so the chart works as a subchart", async () => {
    const out = await helmTemplate(info, { set: ["global.imageRegistry=example.com,enabled=true"] });
    expect(deployment(out).metadata.name).toBe("gaap-operator");
    // A parent chart with a condition, as a dependency is used.
    const parent = mkdtempSync(join(tmpdir(), "parent-chart-"));
    writeFileSync(
      join(parent, "Chart.yaml"),
      stringify({
        apiVersion: "v2",
        name: "platform",
        version: "1.0.0",
        dependencies: [
          { name: "gaap-operator", version, repository: "file://unused", condition: "gaap-operator.enabled" },
        ],
      }),
    );
    writeFileSync(
      join(parent, "values.yaml"),
      stringify({
        global: { imageRegistry: "example.com" },
        "gaap-operator": { enabled: true, clusterName: "p" },
      }),
    );
    mkdirSync(join(parent, "charts"));
    cpSync(CHART, join(parent, "charts", "gaap-operator"), { recursive: true, dereference: true });
    const rendered = manifestObjects(
      (await exec(info.helm, ["template", "edge", parent, "-n", "ops"], { maxBuffer: 64 << 20 })).stdout,
    );
    expect(container(rendered).args).toContain("--cluster-name=p");
    expect(deployment(rendered).metadata.name).toBe("edge-gaap-operator");
    // Strict everywhere else.
    expect(await failure(helmTemplate(info, { set: ["webhook.certManager.issuerRef.nmae=x"] }))).toMatch(
      /additional properties 'nmae' not allowed/,
    );
  });

  it.each([
    {
      set: "leaderElection.enabled=false",
      error: /leaderElection.enabled=false with replicaCount=2: every replica would write to GAAP at once/,
    },
    {
      set: "podDisruptionBudget.minAvailable=2",
      error:
        /podDisruptionBudget.minAvailable=2 with replicaCount=2 lets no pod be evicted: every node drain would hang/,
    },
    {
      set: "replicaCount=2,podDisruptionBudget.minAvailable=51%",
      error: /podDisruptionBudget.minAvailable=51% with replicaCount=2 lets no pod be evicted/,
    },
    {
      set: "podDisruptionBudget.maxUnavailable=0",
      error: /podDisruptionBudget.maxUnavailable=0 lets no pod be evicted/,
    },
    {
      set: "podDisruptionBudget.maxUnavailable=0%",
      error: /podDisruptionBudget.maxUnavailable=0% lets no pod be evicted/,
    },
    {
      set: "podDisruptionBudget.minAvailable=null",
      error: /podDisruptionBudget.enabled=true needs minAvailable or maxUnavailable/,
    },
    {
      set: "serviceAccount.create=false",
      error: /serviceAccount.create=false needs serviceAccount.name: .*default ServiceAccount/,
    },
    {
      set: "metrics.secure=true,webhook.enabled=false",
      error: /metrics.secure=true needs webhook.enabled=true/,
    },
    {
      set: "metrics.secure=true,serviceMonitor.enabled=true",
      error:
        /metrics.secure=true with serviceMonitor.enabled=true needs serviceMonitor.authorization.credentials.name/,
    },
    {
      set: "serviceMonitor.enabled=true,metricsService.enabled=false",
      error: /serviceMonitor.enabled=true needs metricsService.enabled=true/,
    },
    { set: "listenerGrants.mode=closed", error: /listenerGrants\/mode.*must be one of 'required', 'open'/ },
    { set: "clusterName=a b", error: /clusterName.*does not match pattern/ },
  ])("refuses $set", async ({ set, error }) => {
    expect(await failure(helmTemplate(info, { set: [set] }))).toMatch(error);
  });
});

describe("NOTES.txt", () => {
  // helm template does not print the notes; an install dry run does.
  const notes = async (...set: string[]) =>
    (
      await exec(info.helm, [
        "install",
        "edge",
        CHART,
        "-n",
        "ops",
        "--dry-run=client",
        ...set.flatMap((v) => ["--set", v]),
      ])
    ).stdout.split("\nNOTES:\n")[1] ?? "";

  it("names what was installed and the next steps for the values given", async () => {
    const defaults = await notes();
    expect(defaults).toMatch(
      /release edge in namespace ops: Deployment\nedge-gaap-operator \(2 replicas, one leading\)/,
    );
    expect(defaults).toContain("kubectl -n ops create secret generic gaap-credentials");
    expect(defaults).toContain("cert-manager must be installed");
    expect(defaults).toContain("kind: GaapListenerGrant");
    expect(defaults).toContain("kubectl get glb -A");
    expect(defaults).toContain('clusterName is "default"');
    const other = await notes(
      "listenerGrants.mode=open,webhook.certificate=none,metrics.secure=true,clusterName=c1,credentials.source=oidc",
    );
    expect(other).not.toContain("kind: GaapListenerGrant");
    expect(other).not.toContain("create secret generic");
    expect(other).toContain("WARNING: webhook.caBundle is empty");
    expect(other).toContain("bind ClusterRole edge-gaap-operator-metrics-reader");
    expect(other).not.toContain("clusterName is");
  });
});

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
