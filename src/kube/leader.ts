// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: expiry judged by when this
// process observed the record change (not by the clocks of others), updates guarded by resourceVersion (a 409 means
// another candidate won), leadership given up the moment renewal has failed for longer than the renew deadline,
// and the lease released on a graceful stop so a standby can take over at once.
import { setTimeout as sleep } from "node:timers/promises";
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { apiClient } from "./client.ts";
import { fromKubeError } from "./errors.ts";

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onNewLeader?: (identity: string) => void;
}

interface Observed {
  holder: string;
  renewTime: string;
  resourceVersion: string;
  /** Local monotonic time at which this record was first seen. */
  seenAt: number;
}

const micro = (ms: number) => new Date(ms).toISOString().replace("Z", "000Z");

export class LeaderElector {
  private readonly cfg: LeaderElectionConfig;
  private readonly api: CoordinationV1Api;
  private observed: Observed | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private reportedLeader = "";
  /** The acquire or renew in flight: a release must wait for it, or the renewal's write makes the release conflict. */
  private attempt: Promise<boolean> | undefined;

  constructor(kc: KubeConfig, cfg: LeaderElectionConfig) {
    if (!(cfg.leaseDurationMs > cfg.renewDeadlineMs && cfg.renewDeadlineMs > cfg.retryPeriodMs)) {
      throw new Error("leader election needs lease duration > renew deadline > retry period");
    }
    this.cfg = cfg;
    this.api = apiClient(kc, CoordinationV1Api, Math.max(1000, cfg.retryPeriodMs));
  }

  /** True only while this process holds a lease it renewed within the renew deadline: writes stop at once. */
  isLeader(): boolean {
    return this.leading && performance.now() - this.lastRenew < this.cfg.renewDeadlineMs;
  }

  /** Acquires, then renews until leadership is lost or stop() is called. */
  async run(): Promise<void> {
    while (!this.stopped && !this.leading) {
      if (await this.tryOnce()) break;
      await sleep(this.cfg.retryPeriodMs * (1 + Math.random() * 0.2));
    }
    if (this.stopped) return;
    this.leading = true;
    this.cfg.log.info(
      { lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity },
      "became leader",
    );
    this.cfg.onStartedLeading();
    while (!this.stopped) {
      await sleep(this.cfg.retryPeriodMs);
      if (this.stopped) break;
      const ok = await this.tryOnce();
      if (!ok && performance.now() - this.lastRenew >= this.cfg.renewDeadlineMs) {
        this.leading = false;
        this.cfg.log.error(
          { lease: this.cfg.name },
          "leadership lost: could not renew the lease within the renew deadline",
        );
        this.cfg.onStoppedLeading();
        return;
      }
    }
  }

  /** Stops renewing and, if leading, releases the lease so another candidate need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.attempt?.catch(() => false);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readNamespacedLease({
        name: this.cfg.name,
        namespace: this.cfg.namespace,
      });
      if (lease.spec?.holderIdentity !== this.cfg.identity) return;
      const now = Date.now();
      await this.api.replaceNamespacedLease({
        name: this.cfg.name,
        namespace: this.cfg.namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: "",
            leaseDurationSeconds: 1,
            renewTime: micro(now) as unknown as Date,
            acquireTime: micro(now) as unknown as Date,
          },
        },
      });
      this.cfg.log.info({ lease: this.cfg.name }, "lease released");
    } catch (err) {
      this.cfg.log.warn({ err: String(fromKubeError("release lease", err)) }, "could not release the lease");
    }
  }

  private tryOnce(): Promise<boolean> {
    this.attempt = this.tryAcquireOrRenew();
    return this.attempt;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.cfg;
    // As client-go: the lease is judged at the moment the attempt began, the time it writes, so a new holder's
    // acquireTime is never earlier than the old holder's last renewTime plus the duration, however slow the read.
    const now = Date.now();
    const startedAt = performance.now();
    const durationSec = Math.ceil(this.cfg.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      const e = fromKubeError("read lease", err);
      if (e.kind !== "notFound") {
        this.cfg.log.warn({ err: e.message }, "leader election: lease read failed");
        return false;
      }
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSec,
              acquireTime: micro(now) as unknown as Date,
              renewTime: micro(now) as unknown as Date,
              leaseTransitions: 0,
            },
          },
        });
        this.renewed();
        return true;
      } catch (createErr) {
        this.cfg.log.debug({ err: String(createErr) }, "leader election: lease create lost");
        return false;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const renewTime = String(spec.renewTime ?? "");
    const rv = lease.metadata?.resourceVersion ?? "";
    if (
      !this.observed ||
      this.observed.holder !== holder ||
      this.observed.renewTime !== renewTime ||
      this.observed.resourceVersion !== rv
    ) {
      this.observed = { holder, renewTime, resourceVersion: rv, seenAt: performance.now() };
    }
    if (holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      if (holder) this.cfg.onNewLeader?.(holder);
    }
    const theirDurationMs = (spec.leaseDurationSeconds ?? durationSec) * 1000;
    const expired = startedAt > this.observed.seenAt + theirDurationMs;
    if (holder && holder !== identity && !expired) return false;
    const mine = holder === identity;
    try {
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          metadata: { ...lease.metadata, resourceVersion: rv },
          spec: {
            ...spec,
            holderIdentity: identity,
            leaseDurationSeconds: durationSec,
            renewTime: micro(now) as unknown as Date,
            acquireTime: (mine ? spec.acquireTime : micro(now)) as Date,
            leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
          },
        },
      });
    } catch (err) {
      const e = fromKubeError("update lease", err);
      this.cfg.log.debug(
        { err: e.message },
        e.kind === "conflict" ? "leader election: lost the race" : "leader election: update failed",
      );
      return false;
    }
    this.renewed();
    return true;
  }

  private renewed(): void {
    this.lastRenew = performance.now();
    if (this.reportedLeader !== this.cfg.identity) {
      this.reportedLeader = this.cfg.identity;
      this.cfg.onNewLeader?.(this.cfg.identity);
    }
  }
}
