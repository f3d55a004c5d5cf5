// The operator's one write to pods: readiness-gate conditions on pods/status, as a strategic merge patch that
// touches only the conditions it names (conditions merge by type), so the kubelet's own conditions are untouched.
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1PodCondition,
} from "@kubernetes/client-node";
import { apiClient } from "./client.ts";
import { fromKubeError } from "./errors.ts";

const strategic = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

export class PodGateWriter {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = apiClient(kc, CoreV1Api);
  }

  async write(pod: V1Pod, conditions: V1PodCondition[]): Promise<void> {
    const name = pod.metadata?.name as string;
    const namespace = pod.metadata?.namespace as string;
    try {
      await this.core.patchNamespacedPodStatus(
        // The uid precondition keeps a patch meant for one pod off a new pod of the same name.
        { name, namespace, body: { metadata: { uid: pod.metadata?.uid }, status: { conditions } } },
        strategic,
      );
    } catch (err) {
      throw fromKubeError(`set readiness gate of pod ${namespace}/${name}`, err);
    }
  }
}
