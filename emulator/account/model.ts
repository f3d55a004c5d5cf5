// The shapes of the GAAP emulator's world: credentials, channels (proxies), listeners (TCP/UDP, and HTTP/HTTPS with
// their domains and forwarding rules), registered origins, bindings, and the behaviour knobs for what the reference
// leaves UNCONFIRMED. Types only (and one predicate), so that the state file's checks and layer 7's can share them.

export interface Credential {
  secretId: string;
  secretKey: string;
  /** Temporary credentials carry a token (X-TC-Token) that must match. */
  token?: string;
}

export interface ProxySpec {
  proxyId: string;
  projectId: number;
  status: string;
  name?: string;
  accessRegion?: string;
  realServerRegion?: string;
  version?: string;
}

export type Protocol = "TCP" | "UDP" | "HTTP" | "HTTPS";

/** HTTP and HTTPS listeners hold no origins themselves: their origins sit on forwarding rules. */
export function isLayer7(protocol: Protocol): boolean {
  return protocol === "HTTP" || protocol === "HTTPS";
}

export interface Listener {
  listenerId: string;
  proxyId: string;
  protocol: Protocol;
  port: number;
  name?: string;
  /** TCP/UDP settings (layer-7 listeners carry them unused; their rules have their own). */
  scheduler: string;
  realServerType: "IP" | "DOMAIN";
  failoverSwitch: number;
  healthCheck: number;
  delayLoop?: number;
  connectTimeout?: number;
  createTime?: number;
  /** HTTPS only: the server certificate, and the protocol towards the origins (default HTTP). */
  certificateId?: string;
  forwardProtocol?: "HTTP" | "HTTPS";
}

/** A domain of an HTTP/HTTPS listener, addressed by (listenerId, domain): GAAP gives it no ID. */
export interface Domain {
  listenerId: string;
  domain: string;
  /** DomainStatus: 0 running, 1 changing, 2 deleting. */
  status: number;
  certificateId?: string;
  clientCertificateId?: string;
  http3Supported?: number;
  isDefaultServer?: boolean;
}

/** RuleCheckParams, as the state file holds them. */
export interface RuleCheck {
  delayLoop: number;
  connectTimeout: number;
  path: string;
  method: "GET" | "HEAD";
  statusCode: number[];
  domain: string;
  failedCountInter?: number;
  failedThreshold?: number;
  blockInter?: number;
}

/** A forwarding rule: a (domain, path) of a layer-7 listener, with origins of its own. */
export interface Rule {
  ruleId: string;
  listenerId: string;
  domain: string;
  path: string;
  scheduler: "rr" | "wrr" | "lc";
  healthCheck: number;
  realServerType: "IP" | "DOMAIN";
  /** The Host sent to the origins; "default" passes the client's through. */
  forwardHost: string;
  checkParams: RuleCheck;
  /** Absent: the listener's (HTTP for an HTTP listener, the HTTPS listener's forwardProtocol). */
  forwardProtocol?: "HTTP" | "HTTPS";
  serverNameIndicationSwitch: "ON" | "OFF";
  serverNameIndication: string;
  forcedRedirect: string;
}

export interface RealServer {
  realServerId: string;
  ip: string;
  projectId: number;
  name: string;
  tags: Array<{ key: string; value: string }>;
}

/** One origin in a listener's or a rule's set. */
export interface BoundOrigin {
  realServerId: string;
  port: number;
  weight: number;
  role?: "master" | "slave";
}

/** A bound origin with its owner: exactly one of a TCP/UDP listener or a forwarding rule. */
export interface Binding extends BoundOrigin {
  listenerId?: string;
  ruleId?: string;
}

export interface Behavior {
  /** How long a bind keeps the listener in ListenerStatus 3. */
  bindTaskMs: number;
  /** Requests per second per action; `default` for every action not named. */
  rateLimits: Record<string, number>;
  maxRealServersPerListener: number;
  verifySignature: boolean;
  /** Allowed clock skew for X-TC-Timestamp. */
  signatureMaxSkewSec: number;
  /**
   * UNCONFIRMED items, each with the stricter answer by default:
   * - when a bind's new set shows in Describe* ("onComplete": only once the task is done; or "immediate");
   * - what an empty RealServerBindSet does ("unbind": the dangerous answer, so mistakes show; or "reject");
   * - whether one IP may be bound twice on a listener with different ports;
   * - which code an unknown ListenerId gives (ResourceNotFound or InvalidParameter "ListenerId(x) Not Exist.");
   * - whether DuplicateRS is checked per account or per project;
   * - how many IPs one AddRealServers call may carry, and the largest Describe*Listeners Limit;
   * - whether weight 0 is accepted under wrr ("reject": 1-100 only, as the operator assumes; or "accept").
   */
  bindVisibility: "onComplete" | "immediate";
  emptyBindSet: "unbind" | "reject";
  allowSameIpDifferentPorts: boolean;
  unknownListenerError: "ResourceNotFound" | "InvalidParameter";
  duplicateScope: "account" | "project";
  maxAddRealServersBatch: number;
  maxDescribeListenersLimit: number;
  weightZero: "reject" | "accept";
  /**
   * Layer 7, UNCONFIRMED as well:
   * - what a task on a rule locks: the whole listener ("listener": every rule write on it answers ListenerHasTask)
   *   or only the rule ("rule": writes to other rules, CreateRule and CreateDomain go ahead);
   * - what a bind of more than maxRealServersPerRule origins does ("reject" InvalidParameterValue, or "accept");
   * - which code an unknown RuleId gives (ResourceNotFound, or InvalidParameter "ruleId(x) Not Exist.");
   * - whether DescribeRulesByRuleIds fails on an unknown ID ("error") or leaves it out of RuleSet ("omit");
   * - whether CreateRule on a domain the listener lacks fails ("reject", ResourceNotFound) or creates it.
   */
  ruleTaskScope: "listener" | "rule";
  maxRealServersPerRule: number;
  ruleOverLimit: "reject" | "accept";
  unknownRuleError: "ResourceNotFound" | "InvalidParameter";
  unknownRuleInBatch: "error" | "omit";
  createRuleMissingDomain: "reject" | "create";
  /** Entries kept in the call log (a ring buffer). */
  callLogSize: number;
}

export interface EmulatorState {
  credentials: Credential[];
  projects: number[];
  proxies: ProxySpec[];
  listeners: Listener[];
  domains: Domain[];
  rules: Rule[];
  realServers: RealServer[];
  bindings: Binding[];
  behavior: Behavior;
}
