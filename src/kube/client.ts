// Kubernetes clients with a request timeout (client-node sets none) and the operator's kubeconfig rules.
import { existsSync } from "node:fs";
import {
  type Configuration,
  createConfiguration,
  KubeConfig,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
} from "@kubernetes/client-node";

/** --kubeconfig if given; else in-cluster when running in a pod; else $KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (
    process.env.KUBERNETES_SERVICE_HOST &&
    existsSync("/var/run/secrets/kubernetes.io/serviceaccount/token")
  ) {
    kc.loadFromCluster();
  } else kc.loadFromDefault();
  if (!kc.getCurrentCluster())
    throw new Error("no Kubernetes cluster configured (kubeconfig has no current cluster)");
  return kc;
}

/** An API client whose every call is aborted after `timeoutMs`. */
export function apiClient<T>(kc: KubeConfig, Api: new (config: Configuration) => T, timeoutMs = 15_000): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("no current cluster in kubeconfig");
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          return ctx;
        },
        post: async (rsp: ResponseContext) => rsp,
      },
    ],
  });
  return new Api(config);
}
