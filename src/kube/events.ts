// Events on bindings, and the odd one on a pod (events.k8s.io/v1), with a spam filter: the same reason and note for the same binding is
// recorded at most once per window, as client-go's event correlator would aggregate it.

import { EventsV1Api, type KubeConfig, type V1ObjectMeta } from "@kubernetes/client-node";
import { bindingKey, type GaapListenerBinding, GROUP, KIND, VERSION } from "../api/types.ts";
import type { BindingEvent } from "../model/binding-event.ts";
import { monotonicClock } from "../runtime/clock.ts";
import { OncePerWindow } from "../runtime/once-per-window.ts";
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
  private readonly recent: OncePerWindow;
  private seq = 0;

  constructor(kc: KubeConfig, opts: EventRecorderOptions) {
    this.api = apiClient(kc, EventsV1Api);
    this.opts = opts;
    this.recent = new OncePerWindow(opts.windowMs ?? 600_000, monotonicClock);
  }

  /** Notes remembered by the spam filter: at most two windows' worth (the soak reports it). */
  get remembered(): number {
    return this.recent.size;
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
    if (!this.recent.admit(`${b.metadata.uid}|${reason}|${note}`)) return;
    const now = Date.now();
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
}
