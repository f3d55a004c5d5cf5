// HTTP/HTTPS listeners and their domains: DescribeHTTPListeners, DescribeHTTPSListeners and CreateDomain, plus
// what every layer-7 write checks first (a layer-7 listener, its channel, its own task, tasks on its rules) and
// the admin side of domain status.
import type { Account, Actions, ListenerState, Params, Result, RuleState } from "../account/account.ts";
import { domainProblem, MAX_DOMAINS_PER_LISTENER } from "../account/layer7-spec.ts";
import { type Domain, isLayer7 } from "../account/model.ts";
import { GaapError } from "../params.ts";
import { queryListeners } from "./listeners.ts";
import { layer7ListenerInfo } from "./render.ts";

export function layer7ListenerActions(a: Account): Actions {
  return {
    DescribeHTTPListeners: (p) => describe(a, "HTTP", p),
    DescribeHTTPSListeners: (p) => describe(a, "HTTPS", p),
    CreateDomain: (p) => createDomain(a, p),
  };
}

/** An HTTP/HTTPS listener; a TCP/UDP one answers `code` (InvalidParameterValue unless the action says). */
export function layer7Listener(a: Account, id: string, code = "InvalidParameterValue"): ListenerState {
  const l = a.listener(id);
  if (!isLayer7(l.protocol)) {
    throw new GaapError(code, `${id} is a ${l.protocol} listener; domains and rules are for HTTP/HTTPS.`);
  }
  return l;
}

/** A layer-7 listener busy with a task of its own (ListenerStatus 3) takes no domain or rule writes. */
export function listenerIdle(a: Account, l: ListenerState): void {
  if (a.status(l) !== 0) {
    throw new GaapError(
      "FailedOperation.ListenerStatusError",
      `Listener ${l.listenerId} is not running (status ${a.status(l)}).`,
    );
  }
}

/**
 * Rule tasks in the way of a write, per ruleTaskScope: with "listener", a task on any rule of the listener;
 * with "rule", only one on the rule written to (`rule`; CreateRule and CreateDomain name none).
 */
export function noRuleTask(a: Account, l: ListenerState, rule?: RuleState): void {
  const busy =
    a.behavior.ruleTaskScope === "listener"
      ? a.rulesOf(l.listenerId).find((r) => a.status(r) !== 0)
      : rule && a.status(rule) !== 0
        ? rule
        : undefined;
  if (busy) {
    throw new GaapError(
      "FailedOperation.ListenerHasTask",
      `The listener is being operated (a task runs on rule ${busy.ruleId}), do not repeat.`,
    );
  }
}

/** Adds a domain to a listener: unique on it, at most 100 per listener. */
export function addDomain(a: Account, l: ListenerState, domain: string, extra: Partial<Domain> = {}): Domain {
  if (a.domain(l.listenerId, domain)) {
    throw new GaapError(
      "FailedOperation.DomainAlreadyExisted",
      `The domain ${domain} is already used on listener ${l.listenerId}.`,
    );
  }
  if (a.domainsOf(l.listenerId).length >= MAX_DOMAINS_PER_LISTENER) {
    throw new GaapError(
      "FailedOperation.LimitNumofDomains",
      `A listener takes at most ${MAX_DOMAINS_PER_LISTENER} domains.`,
    );
  }
  const d: Domain = { ...extra, listenerId: l.listenerId, domain, status: 0 };
  a.addDomain(d);
  return d;
}

/** Sets a domain's DomainStatus (0 running, 1 changing, 2 deleting), as GAAP's own work on it would. */
export function setDomainStatus(a: Account, listenerId: string, domain: string, status: number): void {
  if (![0, 1, 2].includes(status))
    throw new Error("status must be 0 (running), 1 (changing) or 2 (deleting)");
  const d = a.domain(listenerId, domain);
  if (!d) throw new GaapError("ResourceNotFound", `Listener ${listenerId} has no domain ${domain}.`);
  d.status = status;
}

function describe(a: Account, protocol: "HTTP" | "HTTPS", p: Params): Result {
  // Every emulated HTTPS listener has HTTP/3 off, so Http3Supported=1 matches none.
  const http3 = (p.Http3Supported as number | undefined) ?? 0;
  const { total, listeners } = queryListeners(a, protocol, p, () => http3 === 0);
  return { TotalCount: total, ListenerSet: listeners.map((l) => layer7ListenerInfo(a, l)) };
}

function createDomain(a: Account, p: Params): Result {
  const l = layer7Listener(a, p.ListenerId as string, "FailedOperation.InvalidListenerProtocol");
  const domain = p.Domain as string;
  const bad = domainProblem(domain);
  if (bad) throw new GaapError("InvalidParameterValue", `${bad}.`);
  const certs = ["CertificateId", "ClientCertificateId", "PolyClientCertificateIds"].filter(
    (k) => p[k] !== undefined,
  );
  if (l.protocol === "HTTP" && certs.length > 0)
    throw new GaapError(
      "InvalidParameterValue",
      `${certs.join(", ")}: an HTTP listener takes no certificates.`,
    );
  const http3 = (p.Http3Supported as number | undefined) ?? 0;
  if (http3 !== 0 && http3 !== 1) throw new GaapError("InvalidParameterValue", "Http3Supported is 0 or 1.");
  if (http3 === 1 && l.protocol !== "HTTPS")
    throw new GaapError("InvalidParameterValue", "HTTP/3 needs an HTTPS listener.");
  const proxy = a.runningProxy(l.proxyId);
  if ((proxy.version ?? "3.0") !== "3.0") {
    throw new GaapError(
      "FailedOperation.NonStandardProxy",
      `Proxy ${proxy.proxyId} is version ${proxy.version}; CreateDomain supports version 3.0 only.`,
    );
  }
  listenerIdle(a, l);
  noRuleTask(a, l);
  addDomain(a, l, domain, {
    ...(p.CertificateId !== undefined ? { certificateId: p.CertificateId as string } : {}),
    ...(p.ClientCertificateId !== undefined ? { clientCertificateId: p.ClientCertificateId as string } : {}),
    ...(http3 === 1 ? { http3Supported: 1 } : {}),
    ...(p.IsDefaultServer === true ? { isDefaultServer: true } : {}),
  });
  return {};
}
