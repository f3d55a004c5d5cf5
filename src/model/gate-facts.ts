// What one pass of a binding learnt that the readiness gates of its pods depend on: the binding controller writes
// it, the readiness-gate controller reads it.
import type { TargetState } from "../gaap/types.ts";

/** What one pass of a binding learnt that the gates of its pods depend on. */
export interface GateFacts {
  bindingName: string;
  /** The listener as this pass read it; undefined when the pass failed before it could read it. */
  target?: TargetState;
  /** The origin (ip:port) each desired pod stands for. */
  podOrigins: ReadonlyMap<string, string>;
  /** Origins in the bind this pass sent: GAAP is applying it. */
  sent?: ReadonlySet<string>;
  /** Desired origins left out for the listener's limit. */
  overLimit?: ReadonlySet<string>;
  maxOrigins?: number;
  /** Why this pass bound nothing new, for pods the listener does not hold yet. */
  blocked?: { reason: "Held" | "BindingDegraded" | "ListenerBusy"; message: string };
}
