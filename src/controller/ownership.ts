// Who may write a listener that several bindings name. Pure: the oldest binding holds it (ties by key), unless
// every binding on it is Shared, in which case each writes only its own entries.
import {
  bindingKey,
  type GaapListenerBinding,
  type GaapListenerBindingStatus,
  resolveSpec,
} from "../api/types.ts";

/** The key of the binding that holds the listener, or undefined when it is shared by all (or named by none). */
export function holderOf(onListener: readonly GaapListenerBinding[]): string | undefined {
  if (onListener.every((b) => resolveSpec(b.spec).ownership === "Shared")) return undefined;
  const oldest = [...onListener].sort(
    (a, b) => created(a).localeCompare(created(b)) || bindingKey(a).localeCompare(bindingKey(b)),
  )[0];
  return oldest && bindingKey(oldest);
}

/** Why a binding that does not hold its listener does nothing, for its status. */
export function conflictMessage(
  b: GaapListenerBinding,
  holder: GaapListenerBinding | undefined,
  holderKey: string,
) {
  const mode = resolveSpec(b.spec).ownership;
  const otherMode = holder ? resolveSpec(holder.spec).ownership : "Exclusive";
  return `listener ${b.spec.listenerId} is held by ${holderKey} (${otherMode}); this ${mode} binding does nothing until that one is gone, or until every binding on the listener is Shared`;
}

function created(b: GaapListenerBinding): string {
  return String(b.metadata.creationTimestamp ?? "");
}

/** The ip:port entries a binding owns: what this process last wrote for it, else what its cached status says. */
export function ownedServers(
  b: GaapListenerBinding,
  lastWritten: GaapListenerBindingStatus | undefined,
): Set<string> {
  return new Set(lastWritten?.ownedServers ?? b.status?.ownedServers ?? []);
}
