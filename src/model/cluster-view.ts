// What the desired-state function may read of the caches, as a plain type: the sources build it, desired.ts reads
// it, and neither imports the other.
import type { V1EndpointSlice, V1Node, V1Pod, V1Service } from "@kubernetes/client-node";

/** One binding's namespace view of the caches. */
export interface ClusterView {
  service: V1Service | undefined;
  /** The Service's EndpointSlices (label kubernetes.io/service-name). */
  slices: readonly V1EndpointSlice[];
  /** All nodes; read in Node mode only. */
  nodes: readonly V1Node[];
  pod(name: string): V1Pod | undefined;
  /** The pods the Service selects (read only when a removal might wait for additions). */
  selectedPods(): readonly V1Pod[];
}
