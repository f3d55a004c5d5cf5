// The GaapListenerGrant API (gaap.operator.dev/v1alpha1, cluster-scoped): which namespaces may bind which GAAP
// proxies, listeners and rules. crds/gaap.operator.dev_gaaplistenergrants.yaml is its schema.
import type { V1LabelSelector, V1ObjectMeta } from "@kubernetes/client-node";

export const GRANT_PLURAL = "gaaplistenergrants";
export const GRANT_KIND = "GaapListenerGrant";

/** One of: every listener of a proxy, one listener with all its rules, or some rules of one listener. */
export interface GrantTarget {
  proxyId?: string;
  listenerId?: string;
  ruleIds?: string[];
}

export interface GaapListenerGrant {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: {
    namespaces?: string[];
    namespaceSelector?: V1LabelSelector;
    targets: GrantTarget[];
  };
}
