// What the plan*.test.ts tables are written in: origins and bound entries by number (10.0.0.n and 2001:db8::n),
// registered IDs, and a one-line summary of a plan.
import { type GaapListenerBindingSpec, resolveSpec } from "../../../../../src/api/types.ts";
import type { Desired, Origin } from "../../../../../src/binding/logic/desired.ts";
import { type Plan, plan } from "../../../../../src/binding/logic/plan.ts";
import type { BoundOrigin, TargetState } from "../../../../../src/gaap/types.ts";

export const spec = (s: Partial<GaapListenerBindingSpec> = {}) =>
  resolveSpec({ listenerId: "listener-a", serviceRef: { name: "web", port: 80 }, ...s });

export const o = (n: number, extra: Partial<Origin> = {}): Origin => ({
  ip: `10.0.0.${n}`,
  port: 80,
  weight: 10,
  secondary: false,
  ready: true,
  ...extra,
});
export const b = (n: number, extra: Partial<BoundOrigin> = {}): BoundOrigin => ({
  realServerId: `rs-${n}`,
  ip: `10.0.0.${n}`,
  port: 80,
  weight: 10,
  ...extra,
});
export const desired = (...origins: Origin[]): Desired => ({ ok: true, origins, protocol: "TCP", notes: [] });
export const listener = (bound: BoundOrigin[], extra: Partial<TargetState> = {}): TargetState => ({
  listenerId: "listener-a",
  protocol: "TCP",
  port: 80,
  scheduler: "wrr",
  failoverSwitch: 0,
  healthCheck: false,
  realServerType: "IP",
  status: 0,
  bound,
  ...extra,
});
// IPv6 twins of o() and b(): 2001:db8::<n in hex>, registered as rs6-<n>.
export const v6 = (n: number) => `2001:db8::${n.toString(16)}`;
export const o6 = (n: number, extra: Partial<Origin> = {}): Origin => o(n, { ip: v6(n), ...extra });
export const b6 = (n: number, extra: Partial<BoundOrigin> = {}): BoundOrigin =>
  b(n, { realServerId: `rs6-${n}`, ip: v6(n), ...extra });
export const key6 = (n: number) => `[${v6(n)}]:80`;
/** Registered origin IDs for both families: 10.0.0.n as rs-n and 2001:db8::n as rs6-n. */
export const ids = (...ns: number[]) =>
  new Map(
    ns.flatMap(
      (n): Array<[string, string]> => [
        [`10.0.0.${n}`, `rs-${n}`],
        [v6(n), `rs6-${n}`],
      ],
    ),
  );
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function run(p: {
  spec?: Partial<GaapListenerBindingSpec>;
  desired: Desired;
  listener: TargetState;
  owned?: string[];
  known?: number[];
  max?: number;
  peak?: number;
}): Plan {
  return plan({
    spec: spec(p.spec),
    desired: p.desired,
    target: p.listener,
    owned: new Set(p.owned ?? []),
    originIds: ids(...(p.known ?? range(1, 200))),
    maxOrigins: p.max ?? 100,
    ...(p.peak === undefined ? {} : { peak: p.peak }),
  });
}

/** A short name for an origin IP: the last IPv4 octet ("10.0.0.7" -> "7") or ":" and the last IPv6 group
 * ("2001:db8::a" -> ":a"), so the two families stay apart in one summary. */
export const short = (ip: string) =>
  ip.includes(":") ? `:${ip.split(":").at(-1)}` : (ip.split(".").at(-1) ?? ip);

export const summary = (p: Plan) => {
  switch (p.kind) {
    case "bind":
      return `bind ${p.set.map((x) => `${short(x.ip)}${x.weight === undefined ? "" : `w${x.weight}`}${x.role ? `/${x.role}` : ""}`).join(",")}${p.held ? ` held=${p.held.removals}` : ""}`;
    case "hold":
      return `hold ${p.reason}`;
    case "register":
      return `register ${p.ips.join(",")}`;
    case "wait":
      return "wait";
    case "inSync":
      return "inSync";
    case "coalesce":
      return `defer until ${p.untilMs}`;
  }
};
