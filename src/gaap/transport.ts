// The one place the operator calls the GAAP SDK: a process-wide token bucket per action, error classification
// into OperatorError, short bounded retries of reads, and the leader check before every write.
import { setTimeout as sleep } from "node:timers/promises";
import pRetry from "p-retry";
import type { Credential, DynamicCredential } from "tencentcloud-sdk-nodejs/tencentcloud/common/interface.js";
import { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";
import { isRetryable, OperatorError } from "../errors.ts";
import { TokenBucket } from "../runtime/token-bucket.ts";
import { WRITE_ACTIONS } from "./actions.ts";
import { fromGaapError } from "./errors.ts";

export interface GaapRates {
  /** Requests per second for each write action. */
  write: number;
  /** Requests per second for each describe action. */
  read: number;
  /** DescribeRealServers has a higher account limit (1000/s). */
  describeRealServers: number;
}

export interface GaapObserver {
  /** One SDK call finished: its action, "Success" or the error code, and how long it took. */
  call?(action: string, code: string, seconds: number): void;
  /** A call waited for its action's token bucket. */
  throttled?(action: string, seconds: number): void;
}

export interface GaapTransportOptions {
  /** e.g. https://gaap.tencentcloudapi.com or http://127.0.0.1:9000 */
  endpoint: string;
  credential: Credential | DynamicCredential;
  timeoutSec: number;
  rates: GaapRates;
  observer?: GaapObserver;
  /** Checked right before every write: false (no longer the leader) refuses the call. */
  canWrite?: () => boolean;
  /** Sent as User-Agent so GAAP-side logs can tell writers apart (the SDK owns X-TC-RequestClient). */
  userAgent?: string;
}

export class GaapTransport {
  private readonly sdk: Client;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly opts: GaapTransportOptions;

  constructor(opts: GaapTransportOptions) {
    this.opts = opts;
    const url = new URL(opts.endpoint);
    this.sdk = new Client({
      credential: opts.credential,
      profile: {
        httpProfile: {
          endpoint: url.host,
          protocol: `${url.protocol}//`,
          reqTimeout: opts.timeoutSec,
          ...(opts.userAgent ? { headers: { "User-Agent": opts.userAgent } } : {}),
        },
      },
    });
  }

  /** A describe call. `prepaid`: the caller already holds this action's token for the first attempt. */
  read<T>(action: string, req: object, prepaid = false): Promise<T> {
    // Reads are safe to repeat: retry transport and server errors and throttling a couple of times.
    return pRetry((attempt) => this.call<T>(action, req, prepaid && attempt === 1), {
      retries: 2,
      minTimeout: 200,
      maxTimeout: 2000,
      randomize: true,
      shouldRetry: ({ error }) => isRetryable(error),
    });
  }

  /** A call that changes something: sent once, and only while `canWrite` allows it. */
  write<T>(action: string, req: object): Promise<T> {
    // No retry: the reconciler re-reads GAAP before deciding to send anything again.
    return this.call<T>(action, req);
  }

  /** Waits for a token of this action's bucket; reservations queue, so waiters are spaced at the bucket's rate. */
  async takeToken(action: string): Promise<void> {
    const wait = this.bucket(action).reserve();
    if (wait > 0) {
      this.opts.observer?.throttled?.(action, wait / 1000);
      await sleep(wait);
    }
  }

  private async call<T>(action: string, req: object, prepaid = false): Promise<T> {
    if (!prepaid) await this.takeToken(action);
    // Checked after the token wait: a process that lost the lead meanwhile, even mid-reconcile, sends no write.
    if (WRITE_ACTIONS.has(action) && this.opts.canWrite && !this.opts.canWrite()) {
      throw new OperatorError(
        "transient",
        "NotLeader",
        `${action}: not sent, this process is not the leader`,
      );
    }
    const started = performance.now();
    try {
      const res = (await this.sdk.request(action, req)) as T;
      this.opts.observer?.call?.(action, "Success", (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      const e = fromGaapError(action, err);
      this.opts.observer?.call?.(action, e.code, (performance.now() - started) / 1000);
      throw e;
    }
  }

  private bucket(action: string): TokenBucket {
    let b = this.buckets.get(action);
    if (!b) {
      const r = this.opts.rates;
      const rate = WRITE_ACTIONS.has(action)
        ? r.write
        : action === "DescribeRealServers"
          ? r.describeRealServers
          : r.read;
      b = new TokenBucket(rate, Math.max(1, rate));
      this.buckets.set(action, b);
    }
    return b;
  }
}
