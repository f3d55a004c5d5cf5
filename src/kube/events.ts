// Events on bindings, and the odd one on a pod (events.k8s.io/v1), with a spam filter: the same reason and note for the same binding is
// recorded at most once per window, as client-go's event correlator would aggregate it.

import { EventsV1Api, type KubeConfig, type V1ObjectMeta } from "@kubernetes/client-node";
import { bindingKey, type GaapListenerBinding, GROUP, KIND, VERSION } from "../api/types.ts";
import type { BindingEvent } from "../model/binding-event.ts";
import { apiClient } from "./client.ts";

export const REPORTING_CONTROLLER = "gaap.operator.dev/gaap-operator";

export interface EventRecorderOptions {
  instance: string;
  windowMs?: number;
  onError?: (err: unknown) => void;
}

export class EventRecorder {
  private readonly api: EventsV1Api;
  private readonly opts: EventRecorderOptions;
  private readonly recent = new Map<string, number>();
  private seq = 0;

  constructor(kc: KubeConfig, opts: EventRecorderOptions) {
    this.api = apiClient(kc, EventsV1Api);
    this.opts = opts;
  }

  /** Fire and forget: an event that cannot be written is reported through onError, never thrown. */
  record(b: GaapListenerBinding, event: BindingEvent): void {
    this.recordOn({ apiVersion: `${GROUP}/${VERSION}`, kind: KIND, metadata: b.metadata }, event);
  }

  /** An event regarding any namespaced object (a pod, for the webhook's notes). */
  recordOn(
    b: { apiVersion: string; kind: string; metadata: V1ObjectMeta },
    { type, reason, action, note }: BindingEvent,
  ): void {
    const now = Date.now();
    const dedupe = `${b.metadata.uid}|${reason}|${note}`;
    const last = this.recent.get(dedupe);
    if (last !== undefined && now - last < (this.opts.windowMs ?? 600_000)) return;
    this.recent.set(dedupe, now);
    if (this.recent.size > 10_000) this.prune(now);
    const ns = b.metadata.namespace as string;
    const micro = new Date(now).toISOString().replace("Z", "000Z");
    this.api
      .createNamespacedEvent({
        namespace: ns,
        body: {
          // As client-go names events: the object's name and a hex timestamp.
          metadata: {
            name: `${b.metadata.name}.${(now * 1000 + (this.seq++ % 1000)).toString(16)}`,
            namespace: ns,
          },
          eventTime: micro as unknown as Date,
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: this.opts.instance,
          action,
          reason,
          note: note.slice(0, 1024),
          type,
          regarding: {
            apiVersion: b.apiVersion,
            kind: b.kind,
            name: b.metadata.name,
            namespace: ns,
            uid: b.metadata.uid,
            resourceVersion: b.metadata.resourceVersion,
          },
        },
      })
      .catch((err) =>
        this.opts.onError?.(new Error(`event ${reason} on ${b.kind} ${bindingKey(b)}: ${String(err)}`)),
      );
  }

  private prune(now: number): void {
    for (const [k, t] of this.recent) if (now - t > (this.opts.windowMs ?? 600_000)) this.recent.delete(k);
  }
}
