// What each conformance check is about: the emulator's default answer (docs/emulator.md; a unit test holds this
// table to the emulator's own defaults) and the answer the operator's code relies on, where it relies on one.
// The conformance command never imports the emulator: it ships with the operator, the emulator does not.

export type CheckKey =
  | "maxDescribeListenersLimit"
  | "unknownListenerError"
  | "unknownRuleError"
  | "unknownRuleInBatch"
  | "duplicateRS"
  | "duplicateScope"
  | "bindTaskMs"
  | "listenerHasTask"
  | "bindVisibility"
  | "replaceAll"
  | "emptyBindSet"
  | "omittedBindSet"
  | "weightZero"
  | "allowSameIpDifferentPorts"
  | "realServerAlreadyBound"
  | "maxRealServersPerListener"
  | "ruleTaskScope"
  | "ruleEmptyBindSet"
  | "ruleOverLimit";

export interface Expectation {
  title: string;
  /** The emulator's default answer. */
  emulatorDefault: string | number;
  /** The answer the operator's code relies on; another answer is a WARNING. */
  operatorAssumes?: string;
  /** Why the operator's assumption matters, for the WARNING line. */
  why?: string;
}

export const EXPECTATIONS: Readonly<Record<CheckKey, Expectation>> = {
  maxDescribeListenersLimit: {
    title: "largest Limit DescribeTCPListeners accepts (of 20, 50, 100, 200)",
    emulatorDefault: 50,
  },
  unknownListenerError: {
    title: "error code for an unknown ListenerId",
    emulatorDefault: "ResourceNotFound",
  },
  unknownRuleError: { title: "error code for an unknown RuleId", emulatorDefault: "ResourceNotFound" },
  unknownRuleInBatch: {
    title: "one unknown ID in DescribeRulesByRuleIds: the call fails (error) or leaves it out (omit)",
    emulatorDefault: "error",
  },
  duplicateRS: {
    title: "registering an IP twice in one project",
    emulatorDefault: "InvalidParameterValue.DuplicateRS",
    operatorAssumes: "InvalidParameterValue.DuplicateRS",
    why: "the origin registry looks an IP's ID up only after DuplicateRS",
  },
  duplicateScope: {
    title: "DuplicateRS checked per account or per project",
    emulatorDefault: "account",
  },
  bindTaskMs: { title: "bind task time (ListenerStatus 3 until 0)", emulatorDefault: 2000 },
  listenerHasTask: {
    title: "a second bind during a task",
    emulatorDefault: "FailedOperation.ListenerHasTask",
    operatorAssumes: "FailedOperation.ListenerHasTask",
    why: "the operator keeps one bind in flight per listener and waits on ListenerHasTask",
  },
  bindVisibility: {
    title: "when a bind's new set shows in DescribeTCPListeners",
    emulatorDefault: "onComplete",
  },
  replaceAll: {
    title: "a bind replaces the whole set",
    emulatorDefault: "replace",
    operatorAssumes: "replace",
    why: "every bind carries the full desired set; a merge would never unbind anything",
  },
  emptyBindSet: {
    title: "BindListenerRealServers with RealServerBindSet: []",
    emulatorDefault: "unbind",
    operatorAssumes: "unbind",
    why: "the operator sends [] for allowEmpty and for an Exclusive release",
  },
  omittedBindSet: {
    title: "BindListenerRealServers without RealServerBindSet",
    emulatorDefault: "unbind",
  },
  weightZero: {
    title: "weight 0 under wrr",
    emulatorDefault: "reject",
    operatorAssumes: "reject",
    why: "the operator assumes weights 1-100 and drains by a termination hold, not by weight",
  },
  allowSameIpDifferentPorts: {
    title: "one IP bound twice on a listener with different ports",
    emulatorDefault: "false",
  },
  realServerAlreadyBound: {
    title: "RemoveRealServers of a bound origin",
    emulatorDefault: "FailedOperation.RealServerAlreadyBound",
    operatorAssumes: "FailedOperation.RealServerAlreadyBound",
    why: "the origin sweep relies on GAAP refusing to remove an origin something binds",
  },
  maxRealServersPerListener: {
    title: "a listener bind of 101 origins",
    emulatorDefault: "FailedOperation.LimitRealServerNum",
  },
  ruleTaskScope: {
    title: "a task on one rule blocks its sibling rules (listener) or not (rule)",
    emulatorDefault: "listener",
  },
  ruleEmptyBindSet: {
    title: "BindRuleRealServers with RealServerBindSet: []",
    emulatorDefault: "unbind",
  },
  ruleOverLimit: { title: "a rule bind of 101 origins", emulatorDefault: "reject" },
};
