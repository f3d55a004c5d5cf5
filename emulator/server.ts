// The GAAP emulator's HTTP front: API 3.0 requests (POST / with X-TC-* headers and a TC3-HMAC-SHA256 signature)
// answered in Tencent's envelope, per-action rate limits, fault injection, a call log, and admin endpoints
// under /_emulator/ that no GAAP action can reach.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout } from "node:timers/promises";
import type { EmulatorState } from "./account/model.ts";
import { defaultState } from "./account/state.ts";
import { World } from "./actions/world.ts";
import { admin } from "./admin.ts";
import { CallLog, type CallRecord } from "./call-log.ts";
import { type FaultDecision, Faults } from "./faults.ts";
import { header, MAX_BODY, readBody, sendJson } from "./http-io.ts";
import { checkParams, GaapError, SCHEMAS } from "./params.ts";
import { RateLimit } from "./rate-limit.ts";
import { parseAuthorization, verifyTc3 } from "./signature.ts";

export const API_VERSION = "2018-05-29";

export interface EmulatorOptions {
  port?: number;
  host?: string;
  state?: EmulatorState;
  /** Milliseconds since the epoch; tests pass a fake clock (a skewed one, or a frozen one). */
  now?: () => number;
  faultSeed?: number;
}

export class GaapEmulator {
  readonly server: Server;
  readonly calls: CallLog;
  readonly faults: Faults;
  private readonly now: () => number;
  private initial: EmulatorState;
  /** The account; the admin endpoints reach it too. */
  world: World;
  private limits = new Map<string, RateLimit>();

  constructor(opts: EmulatorOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.initial = opts.state ?? defaultState();
    this.world = new World(structuredClone(this.initial), this.now);
    this.calls = new CallLog(this.initial.behavior.callLogSize);
    this.faults = new Faults(opts.faultSeed);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err) => {
        if (!res.headersSent) sendJson(res, 500, { error: String(err) });
        else res.destroy();
      });
    });
  }

  /** Listens and resolves with the base URL, e.g. http://127.0.0.1:41234. */
  async listen(port = 0, host = "127.0.0.1"): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.url;
  }

  get url(): string {
    const addr = this.server.address() as AddressInfo;
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    return `http://${host}:${addr.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Replaces the account with `state` (or the state it started with); clears faults and rate limits. */
  reset(state?: EmulatorState): void {
    if (state) this.initial = state;
    this.world = new World(structuredClone(this.initial), this.now);
    this.limits.clear();
    this.faults.set([]);
  }

  snapshot(): EmulatorState {
    return this.world.snapshot();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    if (url.pathname.startsWith("/_emulator/")) return admin(this, req, res, url);
    return this.api(req, res, url);
  }

  // ---- GAAP API ----

  private async api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = this.now();
    const requestId = randomUUID();
    const action = header(req, "x-tc-action") ?? "";
    const record = (code: string, extra: Partial<CallRecord> = {}) =>
      this.calls.add({
        time: new Date(started).toISOString(),
        endTime: new Date(this.now()).toISOString(),
        latencyMs: this.now() - started,
        action,
        code,
        requestId,
        client: header(req, "x-tc-requestclient") ?? "-",
        userAgent: header(req, "user-agent") ?? "-",
        ...extra,
      });
    const fail = (err: GaapError, extra: Partial<CallRecord> = {}) => {
      sendJson(res, 200, {
        Response: { Error: { Code: err.code, Message: err.message }, RequestId: requestId },
      });
      record(err.code, extra);
    };

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return fail(new GaapError("RequestSizeLimitExceeded", `The request body exceeds ${MAX_BODY} bytes.`));
    }
    let params: Record<string, unknown> = {};
    try {
      if (req.method !== "POST" || url.pathname !== "/") {
        throw new GaapError("UnsupportedOperation", "The emulator accepts POST / with a JSON body.");
      }
      this.checkHeaders(req, action);
      this.authenticate(req, url, body);
      if (!this.limit(action).admit()) {
        throw new GaapError(
          "RequestLimitExceeded",
          `Your current request times exceeds the limit for ${action}.`,
        );
      }
      try {
        params = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
      } catch {
        throw new GaapError("InvalidParameter", "The request body is not valid JSON.");
      }
      checkParams(params, SCHEMAS[action] ?? {});
    } catch (err) {
      if (err instanceof GaapError) return fail(err, this.subjectOf(params));
      throw err;
    }

    // Looked up before the action runs, so that a DeleteRule still names the rule's listener.
    const subject = this.subjectOf(params);
    const bindSet =
      action === "BindListenerRealServers" || action === "BindRuleRealServers"
        ? ((params.RealServerBindSet ?? []) as Array<Record<string, unknown>>).map(
            (e) => `${e.RealServerIP}:${e.RealServerPort}`,
          )
        : undefined;
    const fault = this.faults.decide(action, subject);
    const extra: Partial<CallRecord> = {
      ...subject,
      ...(bindSet ? { bindSet } : {}),
      ...(fault.outcome || fault.delayMs > 0 ? { injected: true as const } : {}),
    };
    if (fault.delayMs > 0) await setTimeout(fault.delayMs);

    let result: Record<string, unknown> | GaapError | undefined;
    if (!fault.outcome || fault.when === "after") {
      try {
        result = this.world.handle(action, params);
      } catch (err) {
        if (!(err instanceof GaapError)) throw err;
        result = err;
      }
    }
    if (fault.outcome) return this.injected(req, res, fault, requestId, record, extra);
    if (result instanceof GaapError) return fail(result, extra);
    sendJson(res, 200, { Response: { ...result, RequestId: requestId } });
    record("Success", extra);
  }

  private injected(
    req: IncomingMessage,
    res: ServerResponse,
    fault: FaultDecision,
    requestId: string,
    record: (code: string, extra?: Partial<CallRecord>) => CallRecord,
    extra: Partial<CallRecord>,
  ): void {
    const outcome = fault.outcome;
    if (!outcome) return;
    const after = fault.when === "after" ? " (after taking effect)" : "";
    if (outcome.kind === "hang") {
      // Hold the request until the client gives up and closes it.
      req.socket.once("close", () => record(`Hang${after}`, extra));
      return;
    }
    if (outcome.kind === "http") {
      res.writeHead(outcome.status, { "content-type": "text/plain" }).end("injected fault\n");
      record(`HTTP ${outcome.status}${after}`, extra);
      return;
    }
    sendJson(res, 200, {
      Response: { Error: { Code: outcome.code, Message: outcome.message }, RequestId: requestId },
    });
    record(`${outcome.code}${after}`, extra);
  }

  /**
   * What a call is about, for the call log and fault rules: its RuleId, and its ListenerId or, for a call naming
   * a rule, the rule's listener.
   */
  private subjectOf(params: Record<string, unknown>): Pick<CallRecord, "listenerId" | "ruleId"> {
    const ruleId = typeof params.RuleId === "string" ? params.RuleId : undefined;
    const named = typeof params.ListenerId === "string" ? params.ListenerId : undefined;
    const listenerId = (ruleId && this.world.ruleListener(ruleId)) || named;
    return { ...(listenerId ? { listenerId } : {}), ...(ruleId ? { ruleId } : {}) };
  }

  private checkHeaders(req: IncomingMessage, action: string): void {
    if (!action) throw new GaapError("MissingParameter", "The request is missing the X-TC-Action header.");
    if (!SCHEMAS[action]) throw new GaapError("InvalidAction", `The action ${action} is not supported.`);
    const version = header(req, "x-tc-version");
    if (!version) throw new GaapError("MissingParameter", "The request is missing the X-TC-Version header.");
    if (version !== API_VERSION) {
      throw new GaapError(
        "NoSuchVersion",
        `The API version ${version} does not exist; GAAP is ${API_VERSION}.`,
      );
    }
    const ts = header(req, "x-tc-timestamp");
    if (!ts) throw new GaapError("MissingParameter", "The request is missing the X-TC-Timestamp header.");
    if (!/^\d+$/.test(ts)) throw new GaapError("InvalidParameter", "X-TC-Timestamp must be integer seconds.");
  }

  private authenticate(req: IncomingMessage, url: URL, body: Buffer): void {
    if (!this.world.behavior.verifySignature) return;
    const auth = parseAuthorization(header(req, "authorization") ?? "");
    if (!auth) {
      throw new GaapError(
        "AuthFailure.InvalidAuthorization",
        "The Authorization header is not TC3-HMAC-SHA256.",
      );
    }
    const ts = Number(header(req, "x-tc-timestamp"));
    const maxSkew = this.world.behavior.signatureMaxSkewSec;
    if (Math.abs(this.now() / 1000 - ts) > maxSkew) {
      throw new GaapError(
        "AuthFailure.SignatureExpire",
        `The request has expired: X-TC-Timestamp is more than ${duration(maxSkew)} from the server time.`,
      );
    }
    const cred = this.world.credential(auth.secretId);
    if (!cred) throw new GaapError("AuthFailure.SecretIdNotFound", "The SecretId does not exist.");
    const headers: Record<string, string | undefined> = {};
    for (const name of auth.signedHeaders) headers[name] = header(req, name);
    const verdict = verifyTc3(
      { method: req.method ?? "POST", path: url.pathname, query: url.search.slice(1), headers, body },
      auth,
      ts,
      cred.secretKey,
    );
    if (!verdict.ok) throw new GaapError(verdict.code, verdict.message);
    if (cred.token !== undefined && header(req, "x-tc-token") !== cred.token) {
      throw new GaapError(
        "AuthFailure.TokenFailure",
        "The temporary credential token is invalid or expired.",
      );
    }
  }

  private limit(action: string): RateLimit {
    let l = this.limits.get(action);
    if (!l) {
      const limits = this.world.behavior.rateLimits;
      l = new RateLimit(limits[action] ?? limits.default ?? 20, this.now);
      this.limits.set(action, l);
    }
    return l;
  }

  limitsChanged(): void {
    this.limits.clear();
  }
}

/** The skew for the message: whole minutes as minutes, so the default 300 s still reads "5 minutes". */
function duration(sec: number): string {
  if (sec > 0 && sec % 60 === 0) return sec === 60 ? "1 minute" : `${sec / 60} minutes`;
  return sec === 1 ? "1 second" : `${sec} seconds`;
}

/** Starts an emulator; `port: 0` picks a free port. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<GaapEmulator> {
  const emu = new GaapEmulator(opts);
  await emu.listen(opts.port ?? 0, opts.host ?? "127.0.0.1");
  return emu;
}
