// The GaapListenerBinding API (gaap.operator.dev/v1alpha1) as the operator reads and writes it.
import type { V1LabelSelector, V1ObjectMeta } from "@kubernetes/client-node";

export const GROUP = "gaap.operator.dev";
export const VERSION = "v1alpha1";
export const PLURAL = "gaaplistenerbindings";
export const KIND = "GaapListenerBinding";
export const FINALIZER = "gaap.operator.dev/finalizer";
/** Pod or node annotation that overrides spec.weight for that origin. */
export const WEIGHT_ANNOTATION = "gaap.operator.dev/weight";

/** The readiness gate a pod lists to be Ready only once GAAP holds it: one per binding, by the binding's name. */
export const GATE_PREFIX = "listener-bound.gaap.operator.dev/";
export function gateType(bindingName: string): string {
  return `${GATE_PREFIX}${bindingName}`;
}
/** A condition type's name part is at most 63 characters: longer binding names cannot have a gate. */
export function canHaveGate(bindingName: string): boolean {
  return bindingName.length <= 63;
}

export type TargetType = "Pod" | "Node";
export type Ownership = "Exclusive" | "Shared";

/** One forwarding rule of an HTTP/HTTPS listener: by ID, or by the domain and path it serves. */
export interface RuleRef {
  ruleId?: string;
  domain?: string;
  path?: string;
}

export interface GaapListenerBindingSpec {
  listenerId: string;
  /** Required for HTTP/HTTPS listeners, refused for TCP/UDP ones. */
  rule?: RuleRef;
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
  /** Seconds a terminating gated pod keeps serving (preStop sleep) so GAAP can let it go first; 0: no hold. */
  terminationHoldSeconds?: number;
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
    /**
     * The longest bind task the operator saw on this listener in the last hour, in whole seconds; after an hour
     * without one, the last such figure.
     */
    longestTaskSeconds?: number;
  };
  /** The forwarding rule bound (HTTP/HTTPS listeners), as GAAP reports it. */
  rule?: {
    ruleId: string;
    domain: string;
    path: string;
    scheduler: string;
    status: number;
    healthCheck: boolean;
    /** The rule's aggregate health (BindStatus): Abnormal when any origin is. */
    health: "Normal" | "Abnormal";
  };
  /** This binding's origins GAAP's health check reports abnormal (0 with the health check off). */
  unhealthyCount?: number;
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
type Unresolved =
  | "nodeSelector"
  | "secondarySelector"
  | "podAddressAnnotation"
  | "terminationHoldSeconds"
  | "rule";
export type ResolvedSpec = Required<Omit<GaapListenerBindingSpec, Unresolved>> &
  Pick<GaapListenerBindingSpec, Unresolved>;

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
