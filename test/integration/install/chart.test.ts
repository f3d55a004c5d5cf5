// The Helm chart's names, labels, values, guards and NOTES.txt, rendered with the real helm.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { CHART, container, deployment, failure, find, info, version } from "../../support/chart.ts";
import {
  HELM_ONLY_LABELS,
  helmTemplate,
  kustomizeOverlay,
  type Manifest,
  manifestObjects,
} from "../../support/manifests.ts";

const exec = promisify(execFile);

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
      "MALLOC_ARENA_MAX",
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
    { set: [], arenas: "2" },
    { set: ["mallocArenaMax=4"], arenas: "4" },
    { set: ["mallocArenaMax=0"], arenas: undefined },
  ])("mallocArenaMax $set: MALLOC_ARENA_MAX $arenas (0 leaves glibc's default)", async ({ set, arenas }) => {
    const env: { name: string; value?: string }[] = container(await helmTemplate(info, { set })).env;
    expect(env.find((e) => e.name === "MALLOC_ARENA_MAX")?.value).toBe(arenas);
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
    { set: "mallocArenaMax=-1", error: /mallocArenaMax.*minimum/ },
    {
      set: "extraEnv[0].name=MALLOC_ARENA_MAX,extraEnv[0].value=1",
      error: /extraEnv sets MALLOC_ARENA_MAX, which the chart sets from a value: set mallocArenaMax instead/,
    },
    {
      set: "extraEnv[0].name=NODE_OPTIONS,extraEnv[0].value=--max-old-space-size=512",
      error: /extraEnv sets NODE_OPTIONS, which the chart sets from a value: set nodeOptions instead/,
    },
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
