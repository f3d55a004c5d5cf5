// What makes the conformance run safe to point at a real account: it refuses targets that hold origins before
// writing anything, writes only to its dedicated listener and rules and to the origins it registered, and leaves
// the account as it found it: after a full run, after a failure midway, and after an interruption. Another channel
// of the account is left alone by write and read runs alike.
import { describe, expect, it, vi } from "vitest";
import { exitCode } from "../../src/conformance/report.ts";
import { WRITE_ACTIONS } from "../../src/gaap/actions.ts";
import {
  channelOf,
  FOREIGN_IP,
  FOREIGN_LISTENER,
  FOREIGN_RULE,
  HTTP_LISTENER,
  LISTENER,
  OTHER_CHANNEL,
  OTHER_IP,
  OTHER_ORIGIN,
  OTHER_PROXY,
  OTHER_TCP,
  OTHER_UDP,
  READ_ONLY,
  RULE,
  SIBLING,
  useWorld,
} from "./world.ts";

describe("a conformance write run", () => {
  const w = useWorld();
  const writes = () => w.emu.calls.list().filter((c) => WRITE_ACTIONS.has(c.action));

  it("leaves the account exactly as it found it", async () => {
    const before = w.emu.snapshot();
    const report = await w.run();
    expect(report.aborted).toBeUndefined();
    expect(report.cleanup).toEqual({ complete: true, left: [] });
    expect(exitCode(report)).toBe(0);
    expect(w.emu.snapshot()).toEqual(before);
  });

  it("writes only to the dedicated listener and rules, and removes only the origins it registered", async () => {
    const report = await w.run();
    const binds = writes().filter((c) => c.action.startsWith("Bind"));
    expect(binds.length).toBeGreaterThan(0);
    for (const c of binds) {
      expect([LISTENER, HTTP_LISTENER]).toContain(c.listenerId);
      if (c.ruleId) expect([RULE, SIBLING]).toContain(c.ruleId);
      for (const entry of c.bindSet ?? []) expect(entry).not.toContain(FOREIGN_IP);
    }
    // Every origin removed is one an AddRealServers of this run answered with.
    const made = new Set(
      report.calls
        .filter((c) => c.action === "AddRealServers" && c.outcome === "Success")
        .flatMap((c) =>
          (c.response as { RealServerSet: Array<{ RealServerId: string }> }).RealServerSet.map(
            (r) => r.RealServerId,
          ),
        ),
    );
    const removed = report.calls
      .filter((c) => c.action === "RemoveRealServers")
      .flatMap((c) => (c.request as { RealServerIds: string[] }).RealServerIds);
    expect(removed.length).toBeGreaterThan(0);
    for (const id of removed) expect(made).toContain(id);
    for (const c of report.calls.filter((x) => x.action === "AddRealServers"))
      expect((c.request as { TagSet: Array<{ TagKey: string }> }).TagSet[0]?.TagKey).toBe(
        "gaap.operator.dev/conformance",
      );
  });

  it.each([
    {
      what: "a listener holding an origin",
      opts: { listenerId: FOREIGN_LISTENER },
      message: /refused: listener listener-other001 holds 1 origin/,
    },
    {
      what: "a rule holding an origin",
      opts: { ruleId: FOREIGN_RULE, siblingRuleId: undefined },
      message: /refused: rule rule-other001 holds 1 origin/,
    },
    {
      what: "a sibling rule holding an origin",
      opts: { siblingRuleId: FOREIGN_RULE },
      message: /refused: rule rule-other001 holds/,
    },
    {
      what: "an IP the account holds already",
      opts: { originIps: ["198.51.100.1", FOREIGN_IP] },
      message: /refused: 198\.18\.0\.1 is registered already/,
    },
    {
      what: "a listener that does not exist",
      opts: { listenerId: "listener-nothere1" },
      message: /refused: listener listener-nothere1 not found/,
    },
  ])("refuses $what, writing nothing", async ({ opts, message }) => {
    const before = w.emu.snapshot();
    const report = await w.run(opts);
    expect(report.aborted).toMatch(message);
    expect(exitCode(report)).toBe(1);
    expect(writes()).toEqual([]);
    expect(w.emu.snapshot()).toEqual(before);
  });

  it("cleans up when GAAP fails it midway", async () => {
    // Tasks long enough that the last timed bind's second bind meets one, on a busy machine too.
    await w.behave({ bindTaskMs: 300 });
    const before = w.emu.snapshot();
    const report = await w.run(
      {},
      {
        // After the timed binds (the last one's second bind meets its task), the next listener bind fails once: the
        // run stops with origins registered and bound.
        observer: {
          call: (action, code) => {
            if (action === "BindListenerRealServers" && code === "FailedOperation.ListenerHasTask")
              w.emu.faults.set([{ action: "BindListenerRealServers", errorCode: "InternalError", count: 1 }]);
          },
        },
      },
    );
    expect(report.aborted).toMatch(/binding listener listener-cf000001 failed: InternalError/);
    expect(report.cleanup).toEqual({ complete: true, left: [] });
    expect(exitCode(report)).toBe(1);
    expect(w.emu.snapshot()).toEqual(before);
  });

  it("cleans up when interrupted during a task", async () => {
    const before = w.emu.snapshot();
    const stop = new AbortController();
    const report = await w.run(
      {},
      {
        signal: stop.signal,
        observer: {
          call: (action, code) => {
            if (action === "BindListenerRealServers" && code === "Success") stop.abort("SIGINT");
          },
        },
      },
    );
    expect(report.aborted).toMatch(/interrupted \(SIGINT\)/);
    expect(report.cleanup).toEqual({ complete: true, left: [] });
    expect(w.emu.snapshot()).toEqual(before);
  });

  it("names what it could not clean up", async () => {
    let removals = 0;
    // Cleanup retries InternalError until the task timeout: a short one keeps the test short.
    const report = await w.run(
      { ruleId: undefined, siblingRuleId: undefined, taskTimeoutMs: 1000 },
      {
        observer: {
          // Once the checks' own RemoveRealServers has been answered, every later removal fails.
          call: (action) => {
            if (action === "RemoveRealServers" && ++removals === 1)
              w.emu.faults.set([{ action: "RemoveRealServers", errorCode: "InternalError" }]);
          },
        },
      },
    );
    expect(report.cleanup.complete).toBe(false);
    expect(report.cleanup.left.join("\n")).toMatch(/origin rs-\w+ \(198\.51\.100\.1\): InternalError/);
    expect(exitCode(report)).toBe(1);
  });

  it("retries what a retry may fix in cleanup: throttling and server trouble pass", async () => {
    const before = w.emu.snapshot();
    let removals = 0;
    const report = await w.run(
      { ruleId: undefined, siblingRuleId: undefined },
      {
        observer: {
          // After the checks' own removal, cleanup's first removals meet throttling, then server trouble.
          call: (action) => {
            if (action === "RemoveRealServers" && ++removals === 1)
              w.emu.faults.set([
                { action: "RemoveRealServers", errorCode: "RequestLimitExceeded", count: 1 },
                { action: "RemoveRealServers", errorCode: "InternalError", count: 1 },
              ]);
          },
        },
      },
    );
    expect(report.cleanup).toEqual({ complete: true, left: [] });
    expect(w.emu.snapshot()).toEqual(before);
  });
});

describe("a conformance run, beside someone else's channel", () => {
  const w = useWorld();
  // Anything but a read is a write here, whatever the operator's own list of writes says.
  const isRead = (action: string) => /^(Describe|Inquiry)/.test(action);
  const other = () => channelOf(w.emu.snapshot(), OTHER_PROXY);

  it.each([
    { what: "a write run on the listener, the rule and its sibling", opts: {}, writes: true },
    { what: "a read run", opts: READ_ONLY, writes: false },
    { what: "a read run paging that channel", opts: { ...READ_ONLY, proxyId: OTHER_PROXY }, writes: false },
  ])("$what names it in no write and leaves it holding what it held", async ({ opts, writes }) => {
    const before = other();
    expect(before.bindings.map((b) => b.listenerId)).toEqual([OTHER_TCP, OTHER_UDP]);
    // Every request that reaches the emulator's actions, with its parameters: what GAAP saw, not the run's journal.
    const handle = vi.spyOn(w.emu.world, "handle");
    const report = await w.run(opts);
    expect(report.aborted).toBeUndefined();
    const written = handle.mock.calls.filter(([action]) => !isRead(action));
    if (writes) expect(written.length).toBeGreaterThan(0);
    else expect(written).toEqual([]);
    for (const [action, params] of written)
      for (const id of OTHER_CHANNEL) expect(JSON.stringify(params), action).not.toContain(id);
    // And as the run journalled them: a request the emulator refuses before its actions shows only here.
    for (const c of report.calls.filter((x) => !isRead(x.action)))
      for (const id of OTHER_CHANNEL) expect(JSON.stringify(c.request), c.action).not.toContain(id);
    for (const c of w.emu.calls.list().filter((x) => !isRead(x.action))) {
      expect([OTHER_TCP, OTHER_UDP]).not.toContain(c.listenerId);
      for (const entry of c.bindSet ?? []) expect(entry).not.toContain(OTHER_IP);
    }
    if ("proxyId" in opts)
      expect(handle.mock.calls).toContainEqual([
        "DescribeTCPListeners",
        expect.objectContaining({ ProxyId: OTHER_PROXY }),
      ]);
    expect(other()).toEqual(before);
    expect(w.emu.snapshot().realServers).toContainEqual(
      expect.objectContaining({ realServerId: OTHER_ORIGIN, ip: OTHER_IP }),
    );
  });
});
