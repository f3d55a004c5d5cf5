// The emulator's admin endpoints under /_emulator/ (no GAAP action can reach them): health, state, reset, faults,
// the call log, origin health, tasks, domain status, rule deletion and behaviour settings, as docs/emulator.md lists them.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorState } from "./account/model.ts";
import { mergeBehavior, normalizeState } from "./account/state.ts";
import type { Subject, World } from "./actions/world.ts";
import type { CallLog } from "./call-log.ts";
import { type Faults, parseFaultRules } from "./faults.ts";
import { readBody, sendJson } from "./http-io.ts";

/** What the admin endpoints reach of a running emulator. */
export interface AdminTarget {
  readonly world: World;
  readonly faults: Faults;
  readonly calls: CallLog;
  reset(state?: EmulatorState): void;
  snapshot(): EmulatorState;
  /** The rate limits may have changed: start every action's limiter afresh. */
  limitsChanged(): void;
}

export async function admin(
  emu: AdminTarget,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const route = `${req.method} ${url.pathname.slice("/_emulator/".length)}`;
  let input: unknown;
  try {
    const raw = await readBody(req);
    input = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : undefined;
    switch (route) {
      case "GET healthz":
        return sendJson(res, 200, { ok: true });
      case "GET state":
        return sendJson(res, 200, emu.snapshot());
      case "POST reset":
        emu.reset(input === undefined ? undefined : normalizeState(input));
        return sendJson(res, 200, { ok: true });
      case "GET faults":
        return sendJson(res, 200, { faults: emu.faults.list() });
      case "POST faults": {
        const rules = parseFaultRules(input ?? { faults: [] });
        const seed = (input as { seed?: unknown })?.seed;
        emu.faults.set(rules, typeof seed === "number" ? seed : undefined);
        return sendJson(res, 200, { faults: emu.faults.list() });
      }
      case "DELETE faults":
        emu.faults.set([]);
        return sendJson(res, 200, { faults: [] });
      case "GET calls": {
        const since = Number(url.searchParams.get("since") ?? 0);
        const calls = emu.calls.list({
          since,
          action: url.searchParams.get("action") ?? undefined,
          listenerId: url.searchParams.get("listenerId") ?? undefined,
          ruleId: url.searchParams.get("ruleId") ?? undefined,
        });
        return sendJson(res, 200, { calls, lastSeq: emu.calls.lastSeq });
      }
      case "POST health": {
        const h = (input ?? {}) as {
          realServerId?: string;
          ip?: string;
          listenerId?: string;
          ruleId?: string;
          status?: number;
        };
        if (h.status !== 0 && h.status !== 1) throw new Error("status must be 0 (normal) or 1 (abnormal)");
        const id = h.realServerId ?? (h.ip ? emu.world.findRealServerByIp(h.ip)?.realServerId : undefined);
        if (!id) throw new Error("name an origin by realServerId or ip");
        emu.world.setHealth(h.status, id, subject(h));
        return sendJson(res, 200, { ok: true });
      }
      case "POST task": {
        const t = (input ?? {}) as { listenerId?: string; ruleId?: string; durationMs?: number };
        if (!(t.listenerId || t.ruleId) || !(Number(t.durationMs) > 0))
          throw new Error("need listenerId or ruleId, and durationMs > 0");
        emu.world.startTask(subject(t), Number(t.durationMs));
        return sendJson(res, 200, { ok: true });
      }
      case "POST domain": {
        const d = (input ?? {}) as { listenerId?: unknown; domain?: unknown; status?: unknown };
        if (typeof d.listenerId !== "string" || typeof d.domain !== "string" || typeof d.status !== "number")
          throw new Error("need listenerId, domain and status (0 running, 1 changing, 2 deleting)");
        emu.world.setDomainStatus(d.listenerId, d.domain, d.status);
        return sendJson(res, 200, { ok: true });
      }
      case "POST delete-rule": {
        const r = (input ?? {}) as { ruleId?: unknown };
        if (typeof r.ruleId !== "string") throw new Error("need ruleId");
        emu.world.deleteRule(r.ruleId);
        return sendJson(res, 200, { ok: true });
      }
      case "POST behavior": {
        Object.assign(emu.world.behavior, mergeBehavior(emu.world.behavior, input));
        emu.limitsChanged();
        return sendJson(res, 200, emu.world.behavior);
      }
      default:
        return sendJson(res, 404, { error: `no admin endpoint ${route}` });
    }
  } catch (err) {
    return sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
  }
}

/** The listenerId and ruleId an admin request names (strings only). */
function subject(body: { listenerId?: unknown; ruleId?: unknown }): Subject {
  return {
    ...(typeof body.listenerId === "string" ? { listenerId: body.listenerId } : {}),
    ...(typeof body.ruleId === "string" ? { ruleId: body.ruleId } : {}),
  };
}
