// Channel (proxy) actions: DescribeProxies, DescribeProxiesStatus and DescribeProxyDetail. Channels come from
// the state file only; the emulator neither creates nor changes them.
import type { Account, Actions, Params, Result } from "../account/account.ts";
import type { ProxySpec } from "../account/model.ts";
import { GaapError, page } from "../params.ts";
import { proxyInfo } from "./render.ts";

export function proxyActions(a: Account): Actions {
  return {
    DescribeProxies: (p) => describeProxies(a, p),
    DescribeProxiesStatus: (p) => describeProxiesStatus(a, p),
    DescribeProxyDetail: (p) => ({ ProxyDetail: proxyInfo(a.proxy(p.ProxyId as string)) }),
  };
}

function describeProxies(a: Account, p: Params): Result {
  const ids = (p.ProxyIds ?? p.InstanceIds) as string[] | undefined;
  const filters = (p.Filters ?? []) as Array<{ Name: string; Values: string[] }>;
  if (ids && filters.length > 0)
    throw new GaapError("InvalidParameter", "ProxyIds cannot be combined with Filters.");
  if (ids && ids.length > 100) throw new GaapError("InvalidParameterValue", "At most 100 ProxyIds.");
  const { offset, limit } = page(p, 20, 100);
  const field = (proxy: ProxySpec, name: string): string | undefined =>
    ({
      ProjectId: String(proxy.projectId),
      AccessRegion: proxy.accessRegion,
      RealServerRegion: proxy.realServerRegion,
      GroupId: "",
      IPAddressVersion: "IPv4",
      PackageType: "Thunder",
    })[name];
  const matches = [...a.proxies.values()].filter(
    (proxy) =>
      (!ids || ids.includes(proxy.proxyId)) &&
      filters.every((f) => f.Values.includes(field(proxy, f.Name) ?? "")) &&
      p.Independent !== 0,
  );
  const set = matches.slice(offset, offset + limit).map(proxyInfo);
  return { TotalCount: matches.length, ProxySet: set, InstanceSet: set };
}

function describeProxiesStatus(a: Account, p: Params): Result {
  const ids = (p.ProxyIds ?? p.InstanceIds ?? []) as string[];
  return {
    InstanceStatusSet: ids.map((id) => {
      const proxy = a.proxy(id);
      return { InstanceId: proxy.proxyId, Status: proxy.status };
    }),
  };
}
