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

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * One connection pool per kubeconfig, cluster and user. client-node 2.0 gives every request a new undici Agent, so
 * every request opens its own TLS connection, and each stays open for its keep-alive time: a cold start with
 * thousands of status writes held hundreds of them (about 400 sockets, agents and pools in a heap snapshot at the
 * peak, most of the process's memory outside the JS heap) and paid a TLS handshake per call. The Agent a request
 * brings has opened nothing yet (it connects on its first dispatch), so it is simply not used. The key is the one
 * client-node's own agent cache (watches) uses.
 */
const sharedDispatchers = new WeakMap<KubeConfig, Map<string, Dispatcher>>();

function sharedDispatcher(kc: KubeConfig, ctx: RequestContext): void {
  const offered = ctx.getDispatcher();
  if (!offered) return;
  const key = JSON.stringify([kc.getCurrentCluster()?.name ?? "", kc.getCurrentUser()?.name ?? ""]);
  let byKey = sharedDispatchers.get(kc);
  if (!byKey) {
    byKey = new Map();
    sharedDispatchers.set(kc, byKey);
  }
  const shared = byKey.get(key);
  if (shared) ctx.setDispatcher(shared);
  else byKey.set(key, offered);
}

/** An API client whose every call is aborted after `timeoutMs`, over the kubeconfig's one connection pool. */
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
          sharedDispatcher(kc, ctx);
          return ctx;
        },
        post: async (rsp: ResponseContext) => rsp,
      },
    ],
  });
  return new Api(config);
}
