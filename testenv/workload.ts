// The workload every test, benchmark and the demo runs: a Deployment of fake web pods behind a Service whose
// port "http" (80) targets the pods' named port (8080 unless told).
import type { V1Deployment, V1DeploymentStrategy, V1Service } from "@kubernetes/client-node";

export interface DeploymentOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  port?: number;
  terminationGracePeriodSeconds?: number;
  strategy?: V1DeploymentStrategy;
  /** Readiness gates listed in the pod template (as the webhook would add them). */
  readinessGates?: string[];
}

export function deployment(name: string, replicas: number, extra: DeploymentOptions = {}): V1Deployment {
  const labels = { app: name, ...extra.labels };
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: extra.strategy ?? {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      },
      template: {
        metadata: { labels, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
        spec: {
          terminationGracePeriodSeconds: extra.terminationGracePeriodSeconds ?? 1,
          ...(extra.readinessGates
            ? { readinessGates: extra.readinessGates.map((conditionType) => ({ conditionType })) }
            : {}),
          containers: [
            {
              name: "web",
              image: "example.invalid/web:1",
              ports: [{ name: "http", containerPort: extra.port ?? 8080 }],
            },
          ],
        },
      },
    },
  };
}

/** A Service selecting `app: name`, port "http" 80 to the pods' port "http". */
export function service(name: string, extra: { type?: string } = {}): V1Service {
  return {
    metadata: { name },
    spec: {
      selector: { app: name },
      ...(extra.type ? { type: extra.type } : {}),
      ports: [{ name: "http", port: 80, targetPort: "http" }],
    },
  };
}
