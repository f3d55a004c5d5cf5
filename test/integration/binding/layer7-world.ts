// What the layer7*.test.ts files share: a selector-less Service whose one EndpointSlice a test writes, and the rule
// task time the sibling-rule tests run with.
import type { Scenario } from "../../support/scenario.ts";

/** A selector-less Service whose one EndpointSlice the test writes: endpoints exactly as a test wants them. */
export async function manualService(s: Scenario, name: string, ips: string[]): Promise<void> {
  await s.c.core.createNamespacedService({
    namespace: s.ns,
    body: { metadata: { name }, spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
  });
  await s.c.discovery.createNamespacedEndpointSlice({ namespace: s.ns, body: slice(name, ips) });
}
export function slice(name: string, ips: string[]) {
  return {
    metadata: { name: `${name}-1`, labels: { "kubernetes.io/service-name": name } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}
export async function setEndpoints(s: Scenario, name: string, ips: string[]): Promise<void> {
  await s.c.discovery.replaceNamespacedEndpointSlice({
    name: `${name}-1`,
    namespace: s.ns,
    body: slice(name, ips),
  });
}
export const origins = (ips: string[]) => ips.map((ip) => `${ip}:8080`).sort();

/** Longer than the operator's first task estimate (1 s): a sibling's pass outlives its wait and must read the task. */
export const RULE_TASK_MS = 1500;
