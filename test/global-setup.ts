// One control plane and one kubelet simulator for the whole integration run; tests reach it through
// `inject("cluster")` and isolate themselves in namespaces of their own.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { type ClusterInfo, ControlPlane } from "../testenv/cluster/control-plane.ts";
import { KubeletSimulator, TEST_MAX_GRACE_MS } from "../testenv/cluster/kubelet.ts";
import { DEFAULT_NODES } from "../testenv/cluster/sim-nodes.ts";

declare module "vitest" {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

export async function kubectl(info: ClusterInfo, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(info.kubectl, ["--kubeconfig", info.kubeconfigPath, ...args]);
  return stdout;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cp = await ControlPlane.start({ log: (l) => console.error(`[cluster] ${l}`) });
  const kubelet = new KubeletSimulator(cp.kubeConfig(), {
    nodes: DEFAULT_NODES,
    maxGraceMs: TEST_MAX_GRACE_MS,
  });
  try {
    await kubelet.start();
    // Installed the way users install it.
    await kubectl(cp.info, ["apply", "-f", "crds/"]);
    await kubectl(cp.info, [
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      "crd/gaaplistenerbindings.gaap.operator.dev",
    ]);
  } catch (err) {
    await cp.stop();
    throw err;
  }
  project.provide("cluster", cp.info);
  return async () => {
    kubelet.stop();
    await cp.stop();
  };
}
