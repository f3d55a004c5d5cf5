// The bindings' aggregated roles on the real apiserver (deploy/aggregate-roles.yaml): a user given the built-in view
// role in a namespace reads bindings there and changes nothing; edit and admin change them; nobody but the operator
// writes their status; none of it reaches another namespace, nor grants. And the metrics reader role does what it says.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { AuthorizationV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestCluster, tempNamespace, testCluster } from "../../support/cluster.ts";
import { eventually } from "../../support/eventually.ts";

const exec = promisify(execFile);
const GROUP = "gaap.operator.dev";

describe("aggregated roles for bindings, grants left out, and the metrics reader role", () => {
  let c: TestCluster;
  let ns: { name: string; remove: () => Promise<void> };
  let other: { name: string; remove: () => Promise<void> };
  let sar: AuthorizationV1Api;
  const kubectl = (...args: string[]) =>
    exec(c.info.kubectl, ["--kubeconfig", c.info.kubeconfigPath, ...args]);

  /** Whether the user may do this to bindings (or their status, or another resource) in the namespace. */
  async function may(
    user: string,
    verb: string,
    namespace: string,
    subresource = "",
    resource = "gaaplistenerbindings",
  ): Promise<boolean> {
    const review = await sar.createSubjectAccessReview({
      body: { spec: { user, resourceAttributes: { group: GROUP, resource, subresource, verb, namespace } } },
    });
    return review.status?.allowed === true;
  }
  /** Whether the user may get /metrics (what the operator asks with --metrics-secure). */
  async function mayScrape(user: string): Promise<boolean> {
    const review = await sar.createSubjectAccessReview({
      body: { spec: { user, nonResourceAttributes: { path: "/metrics", verb: "get" } } },
    });
    return review.status?.allowed === true;
  }

  beforeAll(async () => {
    c = testCluster();
    sar = c.kc.makeApiClient(AuthorizationV1Api);
    ns = await tempNamespace(c.core, "rbac");
    other = await tempNamespace(c.core, "rbac-other");
    await kubectl("apply", "-f", "deploy/aggregate-roles.yaml");
    const rbac = c.kc.makeApiClient(RbacAuthorizationV1Api);
    for (const [user, role] of [
      ["viewer", "view"],
      ["editor", "edit"],
      ["owner", "admin"],
    ]) {
      await rbac.createNamespacedRoleBinding({
        namespace: ns.name,
        body: {
          metadata: { name: `${user}-${role}` },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role as string },
          subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user as string }],
        },
      });
    }
  });

  afterAll(async () => {
    await ns?.remove();
    await other?.remove();
    await kubectl("delete", "-f", "deploy/aggregate-roles.yaml", "--ignore-not-found").catch(() => {});
    await kubectl("delete", "-f", "deploy/metrics-auth/metrics-reader.yaml", "--ignore-not-found").catch(
      () => {},
    );
    await kubectl("delete", "clusterrolebinding", "rbac-test-scraper", "--ignore-not-found").catch(() => {});
  });

  it("view reads; edit and admin change; nobody writes the status; nothing reaches another namespace", async () => {
    // The aggregation controller fills the built-in roles shortly after the ClusterRoles appear.
    await eventually(
      async () => {
        if (!(await may("viewer", "list", ns.name))) throw new Error("view does not list bindings yet");
        if (!(await may("editor", "create", ns.name))) throw new Error("edit does not create bindings yet");
        if (!(await may("owner", "delete", ns.name))) throw new Error("admin does not delete bindings yet");
      },
      { timeoutMs: 60_000, what: "the built-in roles aggregated" },
    );
    const table: Array<[string, string, string, boolean]> = [];
    for (const user of ["viewer", "editor", "owner"])
      for (const verb of ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"])
        table.push([user, verb, "", await may(user, verb, ns.name)]);
    for (const user of ["viewer", "editor", "owner"]) {
      table.push([user, "get", "status", await may(user, "get", ns.name, "status")]);
      table.push([user, "patch", "status", await may(user, "patch", ns.name, "status")]);
    }
    const reads = ["get", "list", "watch"];
    expect(table).toEqual(
      table.map(([user, verb, sub]) => [
        user,
        verb,
        sub,
        sub === "status" ? verb === "get" : reads.includes(verb) || user !== "viewer",
      ]),
    );
    for (const user of ["viewer", "editor", "owner"]) expect(await may(user, "list", other.name)).toBe(false);
  });

  it("grants stay with cluster administrators: view, edit and admin in a namespace reach none", async () => {
    // Meaningful only once admin does reach bindings through the aggregation.
    await eventually(
      async () => {
        if (!(await may("owner", "delete", ns.name))) throw new Error("admin does not delete bindings yet");
      },
      { timeoutMs: 60_000, what: "the built-in roles aggregated" },
    );
    const table: Array<[string, string, boolean]> = [];
    for (const user of ["viewer", "editor", "owner"])
      for (const verb of ["get", "list", "create", "update", "delete"])
        table.push([user, verb, await may(user, verb, "", "", "gaaplistenergrants")]);
    expect(table.filter(([, , allowed]) => allowed)).toEqual([]);
    expect(table).toHaveLength(15);
  });

  it("the metrics-reader ClusterRole (deploy/metrics-auth/) lets a ClusterRoleBinding's subject get /metrics only", async () => {
    await kubectl("apply", "-f", "deploy/metrics-auth/metrics-reader.yaml");
    await kubectl(
      "create",
      "clusterrolebinding",
      "rbac-test-scraper",
      "--clusterrole=gaap-operator-metrics-reader",
      "--user=scraper",
    );
    // A RoleBinding cannot grant a non-resource URL.
    await kubectl(
      "-n",
      ns.name,
      "create",
      "rolebinding",
      "scraper",
      "--clusterrole=gaap-operator-metrics-reader",
      "--user=ns-scraper",
    );
    expect(await mayScrape("scraper")).toBe(true);
    expect(await mayScrape("ns-scraper")).toBe(false);
    expect(await mayScrape("viewer")).toBe(false);
    const other = await sar.createSubjectAccessReview({
      body: { spec: { user: "scraper", nonResourceAttributes: { path: "/metrics", verb: "post" } } },
    });
    expect(other.status?.allowed).toBe(false);
  });
});
