/** An event about a binding, as the reconciler decides it and the event recorder writes it (events.k8s.io/v1). */
export interface BindingEvent {
  type: "Normal" | "Warning";
  /** CamelCase, e.g. Bound, MassUnbind. */
  reason: string;
  /** What the operator was doing: Bind, Hold, Unbind, Sync. */
  action: string;
  note: string;
}
