// Writing a binding's status: conditions in metav1.Condition form, and a merge patch to the status subresource
// only when something changed.

import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import {
  bindingKey,
  type Condition,
  type ConditionType,
  type GaapListenerBinding,
  type GaapListenerBindingStatus,
  GROUP,
  PLURAL,
  VERSION,
} from "../api/types.ts";
import { fromKubeError } from "../errors.ts";
import { apiClient } from "./client.ts";

export interface ConditionSpec {
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

/** Sets conditions, keeping lastTransitionTime where a condition's status did not change. */
export function withConditions(
  existing: readonly Condition[] | undefined,
  next: Partial<Record<ConditionType, ConditionSpec>>,
  generation: number | undefined,
  now: string,
): Condition[] {
  const order: ConditionType[] = ["Ready", "Synced", "Progressing", "Degraded"];
  const out: Condition[] = [];
  for (const type of order) {
    const old = existing?.find((c) => c.type === type);
    const want = next[type];
    if (!want) {
      if (old) out.push(old);
      continue;
    }
    out.push({
      type,
      status: want.status,
      reason: want.reason,
      message: want.message.slice(0, 32_000),
      lastTransitionTime: old && old.status === want.status ? old.lastTransitionTime : now,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    });
  }
  return out;
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class StatusWriter {
  private readonly api: CustomObjectsApi;
  /** What was last written per binding uid, so a cache that lags behind our own write is not rewritten. */
  private readonly written = new Map<string, { text: string; status: GaapListenerBindingStatus }>();

  constructor(kc: KubeConfig) {
    this.api = apiClient(kc, CustomObjectsApi);
  }

  /** Patches the status if it differs from both the cached object's and what we last wrote. */
  async write(b: GaapListenerBinding, status: GaapListenerBindingStatus): Promise<boolean> {
    const uid = b.metadata.uid ?? bindingKey(b);
    const text = stableJson(status);
    if (text === stableJson(b.status ?? {}) || text === this.written.get(uid)?.text) return false;
    // Keys present before and absent now are deleted explicitly (merge patch semantics).
    const patch: Record<string, unknown> = { ...status };
    for (const k of Object.keys(b.status ?? {})) if (!(k in status)) patch[k] = null;
    try {
      await this.api.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: b.metadata.namespace as string,
          name: b.metadata.name as string,
          // The cached resourceVersion makes this a compare-and-swap: a status built from a stale cache is refused.
          body: { metadata: { resourceVersion: b.metadata.resourceVersion }, status: patch },
        },
        mergePatch,
      );
    } catch (err) {
      throw fromKubeError(`update status of ${bindingKey(b)}`, err);
    }
    this.written.set(uid, { text, status });
    return true;
  }

  /** The status this process last wrote for the binding, newer than a cache that has not caught up. */
  lastWritten(b: GaapListenerBinding): GaapListenerBindingStatus | undefined {
    return this.written.get(b.metadata.uid ?? bindingKey(b))?.status;
  }

  forget(uid: string): void {
    this.written.delete(uid);
  }
}

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}
