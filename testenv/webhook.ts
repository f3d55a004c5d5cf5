// The webhook configurations the tests and the rollout benchmark register for an operator serving its
// webhooks on 127.0.0.1 (clientConfig.url, as envtest does), trusting the CA they made.
import type {
  V1LabelSelector,
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { VALIDATE_BINDING_PATH } from "../src/access/validate.ts";
import { GROUP, PLURAL, VERSION } from "../src/api/types.ts";
import { INJECT_LABEL, MUTATE_POD_PATH } from "../src/readiness/mutate.ts";

export function loopbackWebhook(o: {
  name: string;
  port: number;
  caPem: string;
  /** Only these namespaces (with the opt-in label): the control plane may be shared. */
  namespaces?: string[];
}): V1MutatingWebhookConfiguration {
  const namespaceSelector: V1LabelSelector = {
    matchLabels: { [INJECT_LABEL.key]: INJECT_LABEL.value },
    ...(o.namespaces
      ? { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: o.namespaces }] }
      : {}),
  };
  return {
    metadata: { name: o.name },
    webhooks: [
      {
        name: "pods.gaap.operator.dev",
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Ignore",
        timeoutSeconds: 5,
        reinvocationPolicy: "IfNeeded",
        clientConfig: {
          url: `https://127.0.0.1:${o.port}${MUTATE_POD_PATH}`,
          caBundle: Buffer.from(o.caPem).toString("base64"),
        },
        rules: [
          {
            operations: ["CREATE"],
            apiGroups: [""],
            apiVersions: ["v1"],
            resources: ["pods"],
            scope: "Namespaced",
          },
        ],
        namespaceSelector,
        objectSelector: {
          matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["gaap-operator"] }],
        },
      },
    ],
  };
}

/** The operator's flags for serving that webhook on 127.0.0.1. */
export function loopbackWebhookArgs(port: number, certDir: string): string[] {
  return ["--webhook-host", "127.0.0.1", "--webhook-port", String(port), "--webhook-cert-dir", certDir];
}

/** The ValidatingWebhookConfiguration for the bindings' grant check, served by the operator on 127.0.0.1. */
export function loopbackGrantWebhook(o: {
  name: string;
  port: number;
  caPem: string;
  namespaces: string[];
}): V1ValidatingWebhookConfiguration {
  return {
    metadata: { name: o.name },
    webhooks: [
      {
        name: "gaaplistenerbindings.gaap.operator.dev",
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Fail",
        matchPolicy: "Equivalent",
        timeoutSeconds: 5,
        clientConfig: {
          url: `https://127.0.0.1:${o.port}${VALIDATE_BINDING_PATH}`,
          caBundle: Buffer.from(o.caPem).toString("base64"),
        },
        rules: [
          {
            operations: ["CREATE", "UPDATE"],
            apiGroups: [GROUP],
            apiVersions: [VERSION],
            resources: [PLURAL],
            scope: "Namespaced",
          },
        ],
        namespaceSelector: {
          matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: o.namespaces }],
        },
      },
    ],
  };
}
