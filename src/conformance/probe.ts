// Every GAAP call the conformance run makes goes through here: the operator's own transport (its token buckets,
// so the run stays inside the account's budget, and the official SDK), each call journalled, redacted, for the
// report. A call answers with its outcome instead of throwing: an error code is often the very answer sought.
import { type ErrorKind, OperatorError } from "../errors.ts";
import type { GaapTransport } from "../gaap/transport.ts";
import { redact, redactText } from "./redact.ts";

export interface CallRecord {
  action: string;
  request: unknown;
  /** "Success" or the error code. */
  outcome: string;
  message?: string;
  response?: unknown;
  requestId?: string;
  ms: number;
}

export type Outcome<T> = { ok: true; res: T } | { ok: false; code: string; kind: ErrorKind; message: string };
export type Failure = Extract<Outcome<unknown>, { ok: false }>;

/**
 * A failure that says nothing about how GAAP behaves: throttling, server or transport trouble, a channel not
 * running, or credentials and permissions. A check that meets one is "not tested", never answered by it.
 */
export function isNoise(o: Failure): boolean {
  return (
    o.kind === "throttled" ||
    o.kind === "transient" ||
    o.kind === "unavailable" ||
    /^(AuthFailure|UnauthorizedOperation)(\.|$)/.test(o.code)
  );
}

/** A refusal of the request's parameters: the codes a "reject" answer may rest on. */
export const isParamError = (code: string) => /^(InvalidParameter|InvalidParameterValue)(\.|$)/.test(code);

/** A task in the way (ListenerHasTask, ListenerStatusError). */
export const isBusy = (o: Failure) => o.kind === "busy";

/**
 * Why a failed call is no answer to a check that accepts only the codes `accepts` allows; undefined when its code
 * is the answer. Noise is never an answer, whatever `accepts` says.
 */
export const isFailedOperation = (o: Failure) => o.code.startsWith("FailedOperation");

export function noAnswer(o: Failure, accepts: (o: Failure) => boolean = () => true): string | undefined {
  if (!isNoise(o) && accepts(o)) return undefined;
  return `${o.code} is no answer to this check: ${o.message}`;
}

/** The run stopped on purpose (a signal) or because GAAP answered something it cannot go on from. */
export class ConformanceStop extends Error {}

export class Probe {
  readonly calls: CallRecord[];
  private readonly transport: GaapTransport;
  private readonly signal: AbortSignal | undefined;

  /** Values the journal shows under another name (alias). */
  private readonly aliases: Map<string, string>;

  constructor(
    transport: GaapTransport,
    signal?: AbortSignal,
    calls: CallRecord[] = [],
    aliases = new Map<string, string>(),
  ) {
    this.transport = transport;
    this.signal = signal;
    this.calls = calls;
    this.aliases = aliases;
  }

  /** The same transport and journal, deaf to the interruption: cleanup must run to its end. */
  uninterruptible(): Probe {
    return new Probe(this.transport, undefined, this.calls, this.aliases);
  }

  /**
   * From now on the journal shows `value` as `as`: an ID of the account's inventory the user did not name (the
   * channel the read checks page), which the report must not publish.
   */
  alias(value: string, as: string): void {
    this.aliases.set(value, as);
  }

  /** Redacted, with every aliased value under its alias: what the report may show of a request, answer or text. */
  scrub<T>(value: T): T {
    const named = (v: unknown): unknown => {
      if (typeof v === "string") {
        let out = v;
        for (const [value, as] of this.aliases) out = out.replaceAll(value, as);
        return out;
      }
      if (Array.isArray(v)) return v.map(named);
      if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, named(x)]));
      return v;
    };
    return named(redact(value)) as T;
  }

  read<T>(action: string, req: object): Promise<Outcome<T>> {
    return this.call<T>(action, req, false);
  }

  /**
   * A read of a page of the account's inventory (every channel, every listener of a channel): the journal keeps the
   * request, TotalCount and how many entries came back, never the entries, which are other people's resources.
   */
  readPage<T>(action: string, req: object, ...setFields: string[]): Promise<Outcome<T>> {
    return this.call<T>(action, req, false, (res) => {
      const r = (res ?? {}) as Record<string, unknown>;
      const counted = (set: unknown) => `${Array.isArray(set) ? set.length : 0} entries, not recorded`;
      return {
        TotalCount: r.TotalCount,
        ...Object.fromEntries(setFields.map((field) => [field, counted(r[field])])),
      };
    });
  }

  write<T>(action: string, req: object): Promise<Outcome<T>> {
    return this.call<T>(action, req, true);
  }

  /** A read that must succeed. */
  async mustRead<T>(action: string, req: object, pageOf?: string): Promise<T> {
    const o = await (pageOf ? this.readPage<T>(action, req, pageOf) : this.read<T>(action, req));
    if (!o.ok) throw new ConformanceStop(`${action} failed: ${o.code} ${o.message}`);
    return o.res;
  }

  /** Throws once the run has been interrupted; checked before every call. */
  checkInterrupted(): void {
    if (this.signal?.aborted)
      throw new ConformanceStop(`interrupted (${String(this.signal.reason ?? "signal")})`);
  }

  private async call<T>(
    action: string,
    req: object,
    write: boolean,
    summary?: (res: unknown) => unknown,
  ): Promise<Outcome<T>> {
    this.checkInterrupted();
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const res = write
        ? await this.transport.write<T>(action, req)
        : await this.transport.read<T>(action, req);
      const { RequestId, ...rest } = (res ?? {}) as { RequestId?: string };
      this.calls.push({
        action,
        request: this.scrub(req),
        outcome: "Success",
        response: this.scrub(summary ? summary(rest) : rest),
        ...(RequestId ? { requestId: RequestId } : {}),
        ms: ms(),
      });
      return { ok: true, res };
    } catch (err) {
      if (!(err instanceof OperatorError)) throw err;
      const cause = err.cause as { message?: string } | undefined;
      const message = this.scrub(redactText(cause?.message ?? err.message));
      this.calls.push({
        action,
        request: this.scrub(req),
        outcome: err.code,
        message,
        ...(err.requestId ? { requestId: err.requestId } : {}),
        ms: ms(),
      });
      return { ok: false, code: err.code, kind: err.kind, message };
    }
  }
}
