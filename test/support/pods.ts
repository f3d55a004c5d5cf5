// Reading pods the way the rollout tests look at them: by label, with their conditions.
import type { CoreV1Api, V1Pod, V1PodCondition } from "@kubernetes/client-node";

export async function podsOf(core: CoreV1Api, namespace: string, app = "web"): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items;
}

export function podCondition(pod: V1Pod | undefined, type: string): V1PodCondition | undefined {
  return pod?.status?.conditions?.find((c) => c.type === type);
}

export const isReady = (pod: V1Pod) => podCondition(pod, "Ready")?.status === "True";
export const isTerminating = (pod: V1Pod) => !!pod.metadata?.deletionTimestamp;
