// Who holds a listener (src/binding/holder.ts): the oldest binding on it, but never one the grants refuse that owns
// nothing there, or one namespace could keep another's listener by naming it first; one that owns entries (its grant
// was revoked after it bound) still holds it, so a newer binding cannot unbind them.
import { describe, expect, it } from "vitest";
import type { Access } from "../../../src/access/grants.ts";
import type { GaapListenerBinding } from "../../../src/api/types.ts";
import { holderFor } from "../../../src/binding/holder.ts";

const binding = (ns: string, created: string, owned: string[] = []): GaapListenerBinding => ({
  // As the informer caches it: the wire form, a string.
  metadata: { namespace: ns, name: "web", creationTimestamp: created as unknown as Date },
  spec: { listenerId: "listener-1", serviceRef: { name: "web", port: 80 } },
  ...(owned.length ? { status: { ownedServers: owned } } : {}),
});

function holder(bindings: GaapListenerBinding[], denied: string[] | undefined) {
  const access = denied
    ? (b: GaapListenerBinding): Access =>
        denied.includes(b.metadata.namespace as string)
          ? { kind: "denied", message: "no" }
          : { kind: "granted", grant: "g" }
    : undefined;
  return holderFor(
    {
      cache: { bindingsOnListener: () => bindings, binding: () => undefined, view: () => ({}) as never },
      status: { lastWritten: () => undefined, write: async () => true, setFinalizers: async () => {} },
      ...(access ? { access } : {}),
    },
    bindings.at(-1) as GaapListenerBinding,
    undefined,
  );
}

describe("holderFor", () => {
  const squatter = binding("b", "2026-01-01T00:00:00Z");
  const granted = binding("a", "2026-02-01T00:00:00Z");

  it("the oldest binding holds the listener when every listener is open", () => {
    expect(holder([squatter, granted], undefined)).toBe("b/web");
  });

  it("an older binding the grants refuse, owning nothing, does not hold it", () => {
    expect(holder([squatter, granted], ["b"])).toBe("a/web");
  });

  it("an older binding whose grant was revoked after it bound still holds what it owns", () => {
    const revoked = binding("b", "2026-01-01T00:00:00Z", ["10.0.0.1:8080"]);
    expect(holder([revoked, granted], ["b"])).toBe("b/web");
  });
});
