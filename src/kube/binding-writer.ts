// The operator's writes to GaapListenerBindings: its status (only when it changed) and its finalizer, each a merge
// patch guarded by the cached resourceVersion.

import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import {
  bindingKey,
  type GaapListenerBinding,
  type GaapListenerBindingStatus,
  GROUP,
  PLURAL,
  VERSION,
} from "../api/types.ts";
import { OperatorError } from "../errors.ts";
import { apiClient } from "./client.ts";
import { fromKubeError } from "./errors.ts";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface WrittenStatus {
  uid: string;
  text: string;
  status: GaapListenerBindingStatus;
}

export class BindingWriter {
  private readonly api: CustomObjectsApi;
  /**
   * What was last written per binding key (for the object with this uid), so a cache that lags behind our own
   * write is not rewritten. The map is the controller's (KeyedMemory): an entry goes when its binding does.
   */
  private readonly written: Map<string, WrittenStatus>;

  constructor(kc: KubeConfig, written: Map<string, WrittenStatus> = new Map()) {
    this.api = apiClient(kc, CustomObjectsApi);
    this.written = written;
  }

  /** Patches the status if it differs from both the cached object's and what we last wrote. */
  async write(b: GaapListenerBinding, status: GaapListenerBindingStatus): Promise<boolean> {
    const text = stableJson(status);
    if (text === stableJson(b.status ?? {}) || text === this.last(b)?.text) return false;
    // Keys present before and absent now are deleted explicitly (merge patch semantics).
    const patch: Record<string, unknown> = { ...status };
    for (const k of Object.keys(b.status ?? {})) if (!(k in status)) patch[k] = null;
    await this.patch(b, { status: patch }, "status");
    this.written.set(bindingKey(b), { uid: b.metadata.uid ?? "", text, status });
    return true;
  }

  /** Sets the binding's finalizers; a binding that is already gone is not an error. */
  async setFinalizers(b: GaapListenerBinding, finalizers: string[]): Promise<void> {
    try {
      await this.patch(b, { metadata: { finalizers } }, "finalizers");
    } catch (err) {
      if (!(err instanceof OperatorError && err.kind === "notFound")) throw err;
    }
  }

  /** A merge patch carrying the cached resourceVersion: built from a stale cache, it is refused (409). */
  private async patch(
    b: GaapListenerBinding,
    body: { metadata?: object; status?: object },
    what: "status" | "finalizers",
  ) {
    const req = {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: b.metadata.namespace as string,
      name: b.metadata.name as string,
      body: { ...body, metadata: { ...body.metadata, resourceVersion: b.metadata.resourceVersion } },
    };
    try {
      if (what === "status") await this.api.patchNamespacedCustomObjectStatus(req, mergePatch);
      else await this.api.patchNamespacedCustomObject(req, mergePatch);
    } catch (err) {
      throw fromKubeError(`update ${what} of ${bindingKey(b)}`, err);
    }
  }

  /** The status this process last wrote for the binding, newer than a cache that has not caught up. */
  lastWritten(b: GaapListenerBinding): GaapListenerBindingStatus | undefined {
    return this.last(b)?.status;
  }

  /** A binding deleted and created again under the same name is a new object: what we wrote was for the old. */
  private last(b: GaapListenerBinding) {
    const w = this.written.get(bindingKey(b));
    return w && w.uid === (b.metadata.uid ?? "") ? w : undefined;
  }
}

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}
