// Origin identity: how an origin (an address and a port) is named and compared, here, in the plan and in GAAP's
// answers alike. One key per origin, one canonical form per address.
import { isIP } from "node:net";

export function originKey(o: { ip: string; port: number }): string {
  return o.ip.includes(":") ? `[${o.ip}]:${o.port}` : `${o.ip}:${o.port}`;
}

/** The IP of an originKey. */
export function ipOfKey(key: string): string {
  return key.startsWith("[") ? key.slice(1, key.indexOf("]")) : key.slice(0, key.lastIndexOf(":"));
}

/**
 * An address as GAAP and the plan compare it: IPv4 as it is, IPv6 in its one canonical form (lowercase, zeros
 * compressed, RFC 5952, as the URL parser writes it), so one address written two ways is one origin. Anything else,
 * including a zone-scoped IPv6 address (fe80::1%eth0, useless to GAAP), is no address.
 */
export function canonicalIp(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  const family = isIP(v);
  if (family === 4) return v;
  if (family !== 6 || v.includes("%")) return undefined;
  return new URL(`http://[${v}]/`).hostname.slice(1, -1);
}
