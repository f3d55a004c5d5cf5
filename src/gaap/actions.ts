/** The GAAP actions that change something: sent once, only by the leader, from the write budget. */
export const WRITE_ACTIONS: ReadonlySet<string> = new Set([
  "BindListenerRealServers",
  "BindRuleRealServers",
  "AddRealServers",
  "RemoveRealServers",
  "ModifyRealServerName",
]);
