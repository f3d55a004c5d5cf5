// What a run must never do on a real account, even when the account changes under it or GAAP loses an answer:
// unbind or replace an origin it did not register, publish the account's inventory in its report, or leave an
// origin registered without saying so.
import { describe, expect, it } from "vitest";
import { Cleanup } from "../../src/conformance/cleanup.ts";
import { Probe } from "../../src/conformance/probe.ts";
import { FIRST_CHANNEL } from "../../src/conformance/read-checks.ts";
import { exitCode } from "../../src/conformance/report.ts";
import { CONFORMANCE_ORIGIN_NAME, CONFORMANCE_TAG } from "../../src/conformance/run.ts";
import { GaapTransport } from "../../src/gaap/transport.ts";
import { DEMO_CREDENTIAL } from "../../testenv/gaap.ts";
import {
  account,
  FOREIGN_IP,
  FOREIGN_LISTENER,
  FOREIGN_RULE,
  LISTENER,
  OTHER_CHANNEL,
  OTHER_PROXY,
  PROXY,
  READ_ONLY,
  SIBLING,
  useWorld,
} from "./world.ts";

describe("a conformance write run, on an account that changes under it", () => {
  const w = useWorld();
  const listenerBindings = () => w.emu.snapshot().bindings.filter((b) => b.listenerId === LISTENER);

  it("stops when someone binds an origin onto its listener, and leaves that origin bound", async () => {
    let foreignAt: number | undefined;
    const report = await w.run(
      { ruleId: undefined, siblingRuleId: undefined },
      {
        observer: {
          // Once the first bind's task is over, someone else adds their origin beside the run's.
          call: (action) => {
            if (foreignAt !== undefined || action !== "DescribeTCPListeners") return;
            const held = listenerBindings();
            if (held.length === 0) return;
            try {
              w.emu.world.handle("BindListenerRealServers", {
                ListenerId: LISTENER,
                RealServerBindSet: [
                  ...held.map((b) => ({
                    RealServerId: b.realServerId,
                    RealServerIP: w.emu.snapshot().realServers.find((r) => r.realServerId === b.realServerId)
                      ?.ip,
                    RealServerPort: b.port,
                    RealServerWeight: b.weight,
                  })),
                  {
                    RealServerId: "rs-other001",
                    RealServerIP: FOREIGN_IP,
                    RealServerPort: 80,
                    RealServerWeight: 1,
                  },
                ],
              });
              foreignAt = w.emu.calls.list().length;
            } catch {
              // The run's task is still on: try at its next read.
            }
          },
        },
      },
    );
    expect(foreignAt).toBeDefined();
    expect(report.aborted).toMatch(
      /listener listener-cf000001 now holds origins this run did not register \(198\.18\.0\.1:80\)/,
    );
    expect(listenerBindings().map((b) => b.realServerId)).toContain("rs-other001");
    // After the foreign bind, the run sent no bind to the listener at all.
    const later = w.emu.calls.list().slice(foreignAt);
    expect(later.filter((c) => c.action === "BindListenerRealServers")).toEqual([]);
    expect(report.cleanup.complete).toBe(false);
    expect(report.cleanup.left.join("\n")).toMatch(
      /198\.18\.0\.1:80\), so it was not unbound; the run's rs-\w+/,
    );
    expect(exitCode(report)).toBe(1);
  });

  it.each([
    // The read right before the sibling's bind shows their origin: no bind goes to the sibling.
    { visibility: "immediate" as const, siblingBinds: [] },
    // Their set shows only once their task is over: the run's bind meets their task, is refused, and the run waits
    // that task out before it goes on.
    { visibility: "onComplete" as const, siblingBinds: ["FailedOperation.ListenerHasTask"] },
  ])(
    "stops when someone binds onto its sibling rule while its rule's task runs (visibility $visibility), leaving that origin bound",
    async ({ visibility, siblingBinds }) => {
      // A task on one rule must not block the sibling here, so that someone else's bind can go in between.
      // Tasks long enough that theirs is still on when the run's bind of the sibling goes, on a busy machine too.
      await w.behave({ ruleTaskScope: "rule", bindVisibility: visibility, bindTaskMs: 500 });
      let foreignAt: number | undefined;
      const report = await w.run(
        {},
        {
          observer: {
            // Right after the run's first bind of its rule (sibling-rule scope), before it binds the sibling.
            call: (action, code) => {
              if (foreignAt !== undefined || action !== "BindRuleRealServers" || code !== "Success") return;
              w.emu.world.handle("BindRuleRealServers", {
                RuleId: SIBLING,
                RealServerBindSet: [
                  {
                    RealServerId: "rs-other001",
                    RealServerIP: FOREIGN_IP,
                    RealServerPort: 80,
                    RealServerWeight: 1,
                  },
                ],
              });
              foreignAt = w.emu.calls.list().length;
            },
          },
        },
      );
      expect(foreignAt).toBeDefined();
      expect(report.aborted).toMatch(
        /rule rule-cf000002 now holds origins this run did not register \(198\.18\.0\.1:80\)/,
      );
      const sibling = w.emu.snapshot().bindings.filter((b) => b.ruleId === SIBLING);
      expect(sibling.map((b) => b.realServerId)).toEqual(["rs-other001"]);
      const later = w.emu.calls.list().slice(foreignAt);
      expect(
        later.filter((c) => c.action === "BindRuleRealServers" && c.ruleId === SIBLING).map((c) => c.code),
      ).toEqual(siblingBinds);
    },
  );

  it("reports no channel, listener, rule or origin but its own", async () => {
    const report = JSON.stringify(await w.run());
    for (const other of [FOREIGN_LISTENER, FOREIGN_RULE, FOREIGN_IP, "rs-other001", ...OTHER_CHANNEL])
      expect(report).not.toContain(other);
    const read = JSON.stringify(await w.run(READ_ONLY));
    for (const other of [FOREIGN_LISTENER, FOREIGN_IP, LISTENER, ...OTHER_CHANNEL])
      expect(read).not.toContain(other);
    // The channel it pages unasked may be anyone's: named by what it is, never by its ID.
    expect(read).not.toContain(PROXY);
    expect(read).toContain(FIRST_CHANNEL);
    // Paging the other channel by name publishes that name (the user gave it), never what the pages hold.
    const paged = JSON.stringify(await w.run({ ...READ_ONLY, proxyId: OTHER_PROXY }));
    expect(paged).toContain(OTHER_PROXY);
    for (const other of OTHER_CHANNEL.filter((id) => id !== OTHER_PROXY)) expect(paged).not.toContain(other);
  });

  it("tags every origin it registers, duplicates included, with the run's ID", async () => {
    const report = await w.run();
    const tags = report.calls
      .filter((c) => c.action === "AddRealServers")
      .map((c) => (c.request as { TagSet: Array<{ TagValue: string }> }).TagSet[0]?.TagValue);
    expect(tags.length).toBeGreaterThan(1);
    expect(new Set(tags).size).toBe(1);
  });

  it("removes the origins an AddRealServers registered before its answer was lost", async () => {
    const before = w.emu.snapshot();
    await w.emu.faults.set([
      { action: "AddRealServers", errorCode: "InternalError", when: "after", count: 1 },
    ]);
    const report = await w.run();
    expect(report.aborted).toMatch(/registering the origins failed: InternalError/);
    const removed = report.calls
      .filter((c) => c.action === "RemoveRealServers" && c.outcome === "Success")
      .flatMap((c) => (c.request as { RealServerIds: string[] }).RealServerIds);
    expect(removed).toHaveLength(2);
    expect(report.cleanup).toEqual({ complete: true, left: [] });
    expect(w.emu.snapshot()).toEqual(before);
  });

  it("says it may have registered an IP when the lookup after a lost answer fails too", async () => {
    w.emu.faults.set([{ action: "AddRealServers", errorCode: "InternalError", when: "after", count: 1 }]);
    const report = await w.run(
      {},
      {
        observer: {
          call: (action) => {
            if (action === "AddRealServers")
              w.emu.faults.set([{ action: "DescribeRealServers", errorCode: "InternalError" }]);
          },
        },
      },
    );
    expect(report.cleanup.complete).toBe(false);
    expect(report.cleanup.left.join("\n")).toMatch(/may have registered 198\.51\.100\.1/);
    expect(exitCode(report)).toBe(1);
  });

  it("never adopts another run's origin of the same IP and name after a refused AddRealServers", async () => {
    const other = {
      realServerId: "rs-otherrun",
      ip: "198.51.100.9",
      projectId: 0,
      name: CONFORMANCE_ORIGIN_NAME,
    };
    // The account as the world made it (a snapshot hides the credentials), with another run's origin in it.
    const state = account();
    state.realServers.push({ ...other, tags: [{ key: CONFORMANCE_TAG, value: "another-run" }] });
    w.emu.reset(state);
    const before = w.emu.snapshot();
    const probe = new Probe(
      new GaapTransport({
        endpoint: w.emu.url,
        credential: DEMO_CREDENTIAL,
        timeoutSec: 5,
        rates: { write: 100, read: 100, describeRealServers: 100 },
      }),
    );
    const cleanup = new Cleanup();
    const added = await cleanup.addOrigins(probe, 0, [other.ip], "this-run");
    expect(added.ok ? "registered" : added.code).toBe("InvalidParameterValue.DuplicateRS");
    expect(await cleanup.run(probe, { taskTimeoutMs: 5000, pollMs: 5 })).toEqual({
      complete: true,
      left: [],
    });
    expect(w.emu.snapshot()).toEqual(before);
  });
});
