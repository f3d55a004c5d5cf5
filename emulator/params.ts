// Request parameter checking for the emulator's actions: required fields, types, unknown fields and paging,
// with the error codes the API 3.0 gateway uses.

export class GaapError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export type FieldSpec =
  | { type: "string" | "int" | "bool" | "string[]" | "int[]"; required?: boolean }
  | { type: "object" | "object[]"; required?: boolean; fields: Schema };
export type Schema = Record<string, FieldSpec>;

const s = (required = false): FieldSpec => ({ type: "string", required });
const i = (required = false): FieldSpec => ({ type: "int", required });
const ss = (required = false): FieldSpec => ({ type: "string[]", required });
const b = (required = false): FieldSpec => ({ type: "bool", required });
const obj = (fields: Schema, required = false): FieldSpec => ({ type: "object", required, fields });
const objs = (fields: Schema, required = false): FieldSpec => ({ type: "object[]", required, fields });

const TAGS = objs({ TagKey: s(true), TagValue: s(true) });
const FILTERS = objs({ Name: s(true), Values: ss(true) });
const LISTENER_QUERY: Schema = {
  ProxyId: s(),
  GroupId: s(),
  ListenerId: s(),
  ListenerName: s(),
  Port: i(),
  SearchValue: s(),
  Offset: i(),
  Limit: i(),
};
const CREATE_LISTENERS: Schema = {
  ListenerName: s(true),
  Ports: { type: "int[]", required: true },
  Scheduler: s(true),
  RealServerType: s(true),
  ProxyId: s(),
  GroupId: s(),
  DelayLoop: i(),
  ConnectTimeout: i(),
  RealServerPorts: { type: "int[]" },
  FailoverSwitch: i(),
  HealthyThreshold: i(),
  UnhealthyThreshold: i(),
};

/** RealServerBindSetReq, for BindListenerRealServers and BindRuleRealServers alike. */
const BIND_SET = objs({
  RealServerId: s(true),
  RealServerPort: i(true),
  RealServerIP: s(true),
  RealServerWeight: i(),
  RealServerFailoverRole: s(),
});
const RULE_CHECK_PARAMS = obj({
  DelayLoop: i(true),
  ConnectTimeout: i(true),
  Path: s(true),
  Method: s(true),
  StatusCode: { type: "int[]", required: true },
  Domain: s(),
  FailedCountInter: i(),
  FailedThreshold: i(),
  BlockInter: i(),
});

/** Every action the emulator serves, with its request schema (names and types from the SDK's typings). */
export const SCHEMAS: Record<string, Schema> = {
  BindListenerRealServers: { ListenerId: s(true), RealServerBindSet: BIND_SET },
  DescribeTCPListeners: LISTENER_QUERY,
  DescribeUDPListeners: LISTENER_QUERY,
  DescribeHTTPListeners: LISTENER_QUERY,
  DescribeHTTPSListeners: { ...LISTENER_QUERY, Http3Supported: i() },
  CreateDomain: {
    ListenerId: s(true),
    Domain: s(true),
    CertificateId: s(),
    ClientCertificateId: s(),
    PolyClientCertificateIds: ss(),
    Http3Supported: i(),
    IsDefaultServer: b(),
  },
  CreateRule: {
    ListenerId: s(true),
    Domain: s(true),
    Path: s(true),
    RealServerType: s(true),
    Scheduler: s(true),
    HealthCheck: i(true),
    CheckParams: RULE_CHECK_PARAMS,
    ForwardProtocol: s(),
    ForwardHost: s(),
    ServerNameIndicationSwitch: s(),
    ServerNameIndication: s(),
    ForcedRedirect: s(),
  },
  DeleteRule: { ListenerId: s(true), RuleId: s(true), Force: i(true) },
  BindRuleRealServers: { RuleId: s(true), RealServerBindSet: BIND_SET },
  DescribeRules: { ListenerId: s(true) },
  DescribeRulesByRuleIds: { RuleIds: ss(true) },
  DescribeRuleRealServers: { RuleId: s(true), Offset: i(), Limit: i() },
  DescribeListenerRealServers: { ListenerId: s(true) },
  AddRealServers: { ProjectId: i(true), RealServerIP: ss(true), RealServerName: s(true), TagSet: TAGS },
  DescribeRealServers: {
    ProjectId: i(true),
    SearchValue: s(),
    Offset: i(),
    Limit: i(),
    TagSet: TAGS,
    Filters: FILTERS,
  },
  RemoveRealServers: { RealServerIds: ss(true) },
  DescribeRealServersStatus: { RealServerIds: ss(true) },
  ModifyRealServerName: { RealServerName: s(true), RealServerId: s(true) },
  DescribeProxies: {
    ProxyIds: ss(),
    InstanceIds: ss(),
    Offset: i(),
    Limit: i(),
    Filters: FILTERS,
    TagSet: TAGS,
    Independent: i(),
    Order: s(),
    OrderField: s(),
  },
  DescribeProxiesStatus: { ProxyIds: ss(), InstanceIds: ss() },
  DescribeProxyDetail: { ProxyId: s(true) },
  CreateTCPListeners: { ...CREATE_LISTENERS, HealthCheck: i(true), ClientIPMethod: i() },
  CreateUDPListeners: {
    ...CREATE_LISTENERS,
    HealthCheck: i(),
    CheckType: s(),
    CheckPort: i(),
    ContextType: s(),
    SendContext: s(),
    RecvContext: s(),
  },
  DeleteListeners: { ListenerIds: ss(true), Force: i(true), ProxyId: s(), GroupId: s() },
};

/** Checks `params` against `schema`; throws the first problem as the gateway would report it. */
export function checkParams(params: unknown, schema: Schema, prefix = ""): void {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new GaapError("InvalidParameter", `${prefix || "The request body"} must be a JSON object.`);
  }
  const obj = params as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(key in schema))
      throw new GaapError("UnknownParameter", `The parameter \`${prefix}${key}\` is not recognized.`);
  }
  for (const [key, spec] of Object.entries(schema)) {
    const name = `${prefix}${key}`;
    const v = obj[key];
    if (v === undefined || v === null) {
      if (spec.required)
        throw new GaapError("MissingParameter", `The request is missing a required parameter \`${name}\`.`);
      continue;
    }
    const wrong = () =>
      new GaapError("InvalidParameter", `The parameter \`${name}\` should be of type ${spec.type}.`);
    switch (spec.type) {
      case "string":
        if (typeof v !== "string") throw wrong();
        break;
      case "int":
        if (!Number.isInteger(v)) throw wrong();
        break;
      case "bool":
        if (typeof v !== "boolean") throw wrong();
        break;
      case "string[]":
        if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw wrong();
        break;
      case "int[]":
        if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x))) throw wrong();
        break;
      case "object":
        if (typeof v !== "object" || Array.isArray(v)) throw wrong();
        checkParams(v, spec.fields, `${name}.`);
        break;
      case "object[]":
        if (!Array.isArray(v)) throw wrong();
        v.forEach((item, idx) => {
          checkParams(item, spec.fields, `${name}.${idx}.`);
        });
        break;
    }
  }
}

/** Offset and Limit of a paged Describe* call, checked against the action's largest Limit. */
export function page(
  p: Record<string, unknown>,
  defLimit: number,
  maxLimit: number,
): { offset: number; limit: number } {
  const offset = (p.Offset as number | undefined) ?? 0;
  const limit = (p.Limit as number | undefined) ?? defLimit;
  if (offset < 0) throw new GaapError("InvalidParameterValue", "Offset must not be negative.");
  if (limit < 1 || limit > maxLimit)
    throw new GaapError("InvalidParameterValue", `Limit must be in 1-${maxLimit}.`);
  return { offset, limit };
}
