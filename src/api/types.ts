// The GaapListenerBinding API (gaap.operator.dev/v1alpha1) as the operator reads and writes it.
import type { V1LabelSelector, V1ObjectMeta } from "@kubernetes/client-node";

export const GROUP = "gaap.operator.dev";
export const VERSION = "v1alpha1";
export const PLURAL = "gaaplistenerbindings";
export const KIND = "GaapListenerBinding";
export const FINALIZER = "gaap.operator.dev/finalizer";
/** Pod or node annotation that overrides spec.weight for that origin. */
export const WEIGHT_ANNOTATION = "gaap.operator.dev/weight";

export type TargetType = "Pod" | "Node";
export type Ownership = "Exclusive" | "Shared";

export interface GaapListenerBindingSpec {
  listenerId: string;
  serviceRef: { name: string; port: number | string };
  targetType?: TargetType;
  nodeSelector?: V1LabelSelector;
  nodeAddressType?: "ExternalIP" | "InternalIP";
  podAddressAnnotation?: string;
  weight?: number;
  secondarySelector?: V1LabelSelector;
  projectId?: number;
  deletionPolicy?: "Unbind" | "Retain";
  allowEmpty?: boolean;
  maxUnbindPercent?: number;
  ownership?: Ownership;
}

export type ConditionType = "Ready" | "Synced" | "Progressing" | "Degraded";

export interface Condition {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface BoundServer {
  ip: string;
  port: number;
  weight?: number;
  role?: string;
  realServerId?: string;
}

export interface GaapListenerBindingStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  desiredCount?: number;
  boundCount?: number;
  boundServers?: BoundServer[];
  ownedServers?: string[];
  listener?: {
    protocol?: string;
    port?: number;
    scheduler?: string;
    status?: number;
    failoverSwitch?: number;
  };
  lastSyncTime?: string;
  lastError?: { code: string; message: string; time: string };
  nextRetryTime?: string;
}

export interface GaapListenerBinding {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: GaapListenerBindingSpec;
  status?: GaapListenerBindingStatus;
}

/** The spec with every default applied, as the operator acts on it. */
export type ResolvedSpec = Required<
  Omit<GaapListenerBindingSpec, "nodeSelector" | "secondarySelector" | "podAddressAnnotation">
> &
  Pick<GaapListenerBindingSpec, "nodeSelector" | "secondarySelector" | "podAddressAnnotation">;

export function resolveSpec(spec: GaapListenerBindingSpec): ResolvedSpec {
  return {
    targetType: "Pod",
    nodeAddressType: "ExternalIP",
    weight: 10,
    projectId: 0,
    deletionPolicy: "Unbind",
    allowEmpty: false,
    maxUnbindPercent: 50,
    ownership: "Exclusive",
    ...spec,
  };
}

export function bindingKey(b: { metadata?: V1ObjectMeta }): string {
  return `${b.metadata?.namespace}/${b.metadata?.name}`;
}
