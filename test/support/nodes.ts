// Test-only nodes for Node-mode bindings: tainted so that no pod lands on them, labelled with the scenario's
// namespace so that only its bindings select them, with addresses from the documentation ranges.
import type { CoreV1Api, V1Node } from "@kubernetes/client-node";
import { mergePatch } from "./scenario.ts";

export interface TestNode {
  name: string;
  /** 203.0.113.<idx> */
  external: string;
  /** 192.0.2.<idx> */
  internal: string;
}

export interface TestNodeOptions {
  ready?: boolean;
  labels?: Record<string, string>;
  taints?: string[];
  /** Give it an ExternalIP (default true). */
  external?: boolean;
}

/** Creates node `<ns>-<suffix>` with address index `idx` and the given readiness, labels and taints. */
export async function addTestNode(
  core: CoreV1Api,
  ns: string,
  suffix: string,
  idx: number,
  o: TestNodeOptions = {},
): Promise<TestNode> {
  const name = `${ns}-${suffix}`;
  const body: V1Node = {
    metadata: { name, labels: { pool: ns, ...o.labels } },
    spec: {
      taints: [
        { key: "test-only", effect: "NoSchedule" },
        ...(o.taints ?? []).map((key) => ({ key, effect: "NoSchedule" })),
      ],
    },
  };
  await core.createNode({ body });
  await setTestNodeStatus(core, name, idx, o.ready !== false, o.external !== false);
  return { name, external: `203.0.113.${idx}`, internal: `192.0.2.${idx}` };
}

export async function setTestNodeStatus(
  core: CoreV1Api,
  name: string,
  idx: number,
  ready: boolean,
  external = true,
): Promise<void> {
  await core.patchNodeStatus(
    {
      name,
      body: {
        status: {
          addresses: [
            { type: "InternalIP", address: `192.0.2.${idx}` },
            ...(external ? [{ type: "ExternalIP", address: `203.0.113.${idx}` }] : []),
          ],
          conditions: [
            {
              type: "Ready",
              status: ready ? "True" : "False",
              reason: "Test",
              message: "test",
              lastHeartbeatTime: new Date(),
              lastTransitionTime: new Date(),
            },
          ],
        },
      },
    },
    mergePatch,
  );
}
