// Two forwarding rules of one listener, under each answer GAAP may give for what a rule's task holds and what a
// rule past the origin limit gets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condition } from "../../../testenv/bindings.ts";
import { SETTLED_MS } from "../../../testenv/deadlines.ts";
import { deployment, service } from "../../../testenv/workload.ts";
import { eventually } from "../../support/eventually.ts";
import {
  calls,
  createWeb,
  gaapSet,
  L7,
  RULE,
  type Scenario,
  scale,
  scenario,
  scenarioState,
  untilBound,
} from "../../support/scenario.ts";

import { RULE_TASK_MS } from "./layer7-world.ts";

describe.each([
  { ruleTaskScope: "listener", ruleOverLimit: "reject" },
  { ruleTaskScope: "rule", ruleOverLimit: "accept" },
] as const)(
  "two rules of one listener (GAAP: a task holds the $ruleTaskScope; past the limit it would $ruleOverLimit)",
  (behavior) => {
    let s: Scenario;
    beforeAll(async () => {
      s = await scenario(`l7-${behavior.ruleTaskScope}`, {
        state: scenarioState({
          behavior: { ...behavior, maxRealServersPerRule: 3, bindTaskMs: RULE_TASK_MS },
        }),
        args: ["--listener-grants", "open", "--max-origins-per-listener", "3"],
      });
      await createWeb(s, 2);
      await s.c.core.createNamespacedService({ namespace: s.ns, body: service("api") });
      await s.c.apps.createNamespacedDeployment({ namespace: s.ns, body: deployment("api", 2) });
    });
    afterAll(async () => s?.close());

    it("binds a rule named by ID and one named by domain and path, each its own Service's pods", async () => {
      await s.bindings.create("root", { listenerId: L7.http, rule: { ruleId: RULE.root } });
      await s.bindings.create("api", {
        listenerId: L7.http,
        rule: { domain: L7.domain, path: "/api" },
        serviceRef: { name: "api", port: 80 },
      });
      await untilBound(s, RULE.root, 8080, { count: 2 });
      await untilBound(s, RULE.api, 8080, { count: 2, service: "api" });
      // wrr on the root rule: weights sent; rr on the api rule: none (GAAP shows 1).
      for (const o of await gaapSet(s, RULE.root, true)) expect(o).toMatch(/\/w10$/);
      for (const o of await gaapSet(s, RULE.api, true)) expect(o).toMatch(/\/w1$/);
      const api = await eventually(async () => {
        const b = await s.bindings.get("api");
        expect(condition(b, "Ready")?.status).toBe("True");
        return b;
      });
      expect(api?.status?.rule).toEqual({
        ruleId: RULE.api,
        domain: L7.domain,
        path: "/api",
        scheduler: "rr",
        status: 0,
        healthCheck: true,
        health: "Normal",
      });
      expect(api?.status?.listener).toMatchObject({ protocol: "HTTP", port: 8000 });
      expect(api?.status?.unhealthyCount).toBe(0);
      // Nothing went to the listener itself.
      expect(calls(s, { action: "BindListenerRealServers" })).toEqual([]);
    });

    it("changes both at once: no ListenerHasTask, binds one at a time per listener, coalesced per rule", async () => {
      const before = s.emu.calls.lastSeq;
      const started = Date.now();
      await Promise.all([scale(s, 3), scale(s, 3, "api")]);
      await untilBound(s, RULE.root, 8080, { count: 3, timeoutMs: 4 * SETTLED_MS });
      await untilBound(s, RULE.api, 8080, { count: 3, service: "api", timeoutMs: 4 * SETTLED_MS });
      const seconds = (Date.now() - started) / 1000;
      const binds = calls(s, { since: before, action: "BindRuleRealServers" });
      expect(binds.filter((c) => c.code !== "Success")).toEqual([]);
      // Single flight per listener: each bind arrived after the one before had finished its task.
      for (let i = 1; i < binds.length; i++) {
        const gap = Date.parse(binds[i]?.time as string) - Date.parse(binds[i - 1]?.time as string);
        expect(gap).toBeGreaterThanOrEqual(RULE_TASK_MS);
      }
      // Changes to one rule that arrive during the other's task go in one bind: per rule, at most one per task.
      for (const rule of [RULE.root, RULE.api]) {
        const mine = binds.filter((c) => c.ruleId === rule);
        expect(mine.length).toBeGreaterThan(0);
        expect(mine.length).toBeLessThanOrEqual(Math.ceil(seconds / (RULE_TASK_MS / 1000)) + 2);
        for (const c of mine) expect(c.listenerId).toBe(L7.http);
      }
    });

    it("keeps a rule within its origin limit whatever GAAP would answer past it", async () => {
      const before = s.emu.calls.lastSeq;
      await scale(s, 4);
      const b = await eventually(
        async () => {
          const b = await s.bindings.get("root");
          expect(condition(b, "Degraded")?.reason).toBe("TooManyOrigins");
          return b;
        },
        { what: "TooManyOrigins", timeoutMs: 60_000 },
      );
      expect(condition(b, "Degraded")?.message).toMatch(/exceed the rule's limit of 3/);
      expect(await gaapSet(s, RULE.root)).toHaveLength(3);
      for (const c of calls(s, { since: before, action: "BindRuleRealServers" }))
        expect((c.bindSet ?? []).length).toBeLessThanOrEqual(3);
      await scale(s, 3);
      await untilBound(s, RULE.root, 8080, { count: 3 });
    });
  },
);
