// The GAAP emulator driven through the official tencentcloud-sdk-nodejs client, action by action: signatures and
// gateway errors.
import { describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/server.ts";
import { admin, commonClient, gaapClient, sdkError } from "../../testenv/gaap.ts";
import { account, CRED, emu, gaap, useWorld } from "./api-world.ts";

describe("GAAP emulator through the official SDK: signatures and gateway errors", () => {
  useWorld();

  describe("signatures", () => {
    it("accepts the SDK's TC3 signature (host without port, scope service '127')", async () => {
      const res = await gaap.DescribeProxies({});
      expect(res.TotalCount).toBe(2);
      expect(res.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("refuses a wrong key with AuthFailure.SignatureFailure", async () => {
      const bad = gaapClient(emu.url, { credential: { ...CRED, secretKey: "not-the-key" } });
      const err = await sdkError(bad.DescribeProxies({}));
      expect(err.code).toBe("AuthFailure.SignatureFailure");
      expect(err.requestId).toBeTruthy();
    });

    it("refuses an unknown SecretId with AuthFailure.SecretIdNotFound", async () => {
      const bad = gaapClient(emu.url, { credential: { secretId: "AKIDnobody", secretKey: "x" } });
      expect((await sdkError(bad.DescribeProxies({}))).code).toBe("AuthFailure.SecretIdNotFound");
    });

    it.each([
      { skewMin: 6, code: "AuthFailure.SignatureExpire" },
      { skewMin: -6, code: "AuthFailure.SignatureExpire" },
      { skewMin: 4, code: undefined },
    ])("a clock $skewMin minutes off -> $code", async ({ skewMin, code }) => {
      const skewed = await startEmulator({ state: account(), now: () => Date.now() + skewMin * 60_000 });
      try {
        const call = gaapClient(skewed.url, { credential: CRED }).DescribeProxies({});
        if (code) expect((await sdkError(call)).code).toBe(code);
        else expect((await call).TotalCount).toBe(2);
      } finally {
        await skewed.close();
      }
    });

    it.each([
      { maxSkewSec: 300, skewSec: 360, says: "5 minutes" },
      { maxSkewSec: 30, skewSec: 60, says: "30 seconds" },
    ])(
      "says the configured skew ($says) when a timestamp is too far off",
      async ({ maxSkewSec, skewSec, says }) => {
        const state = account({ behavior: { bindTaskMs: 300, signatureMaxSkewSec: maxSkewSec } });
        const skewed = await startEmulator({ state, now: () => Date.now() + skewSec * 1000 });
        try {
          const err = await sdkError(gaapClient(skewed.url, { credential: CRED }).DescribeProxies({}));
          expect(err.code).toBe("AuthFailure.SignatureExpire");
          expect(err.message).toContain(`more than ${says} from the server time`);
        } finally {
          await skewed.close();
        }
      },
    );

    it("checks temporary credentials' token", async () => {
      await admin(emu.url, "POST", "reset", {
        ...account(),
        credentials: [{ secretId: "AKIDtmp", secretKey: "tmp-key", token: "session-1" }],
      });
      const ok = gaapClient(emu.url, {
        credential: { secretId: "AKIDtmp", secretKey: "tmp-key", token: "session-1" },
      });
      expect((await ok.DescribeProxies({})).TotalCount).toBe(2);
      const stale = gaapClient(emu.url, {
        credential: { secretId: "AKIDtmp", secretKey: "tmp-key", token: "session-0" },
      });
      expect((await sdkError(stale.DescribeProxies({}))).code).toBe("AuthFailure.TokenFailure");
    });
  });

  describe("gateway errors", () => {
    it("InvalidAction for an action GAAP does not have", async () => {
      const c = commonClient(emu.url, "2018-05-29", { credential: CRED });
      expect((await sdkError(c.request("DescribeNothing", {}))).code).toBe("InvalidAction");
    });

    it("NoSuchVersion for another API version", async () => {
      const c = commonClient(emu.url, "2017-03-12", { credential: CRED });
      expect((await sdkError(c.request("DescribeProxies", {}))).code).toBe("NoSuchVersion");
    });

    it.each([
      { params: { RealServerBindSet: [] }, code: "MissingParameter", message: /ListenerId/ },
      { params: { ListenerId: 7 }, code: "InvalidParameter", message: /ListenerId.*string/ },
      { params: { ListenerId: "listener-wrr00001", Weight: 1 }, code: "UnknownParameter", message: /Weight/ },
      {
        params: {
          ListenerId: "listener-wrr00001",
          RealServerBindSet: [{ RealServerId: "rs-1", RealServerIP: "1.1.1.1", RealServerPort: "80" }],
        },
        code: "InvalidParameter",
        message: /RealServerBindSet\.0\.RealServerPort/,
      },
    ])("$code for $params", async ({ params, code, message }) => {
      const c = commonClient(emu.url, "2018-05-29", { credential: CRED });
      const err = await sdkError(c.request("BindListenerRealServers", params));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    });

    it("RequestLimitExceeded for the 21st bind in one second", async () => {
      const frozen = Date.now();
      const limited = await startEmulator({ state: account(), now: () => frozen });
      try {
        const c = gaapClient(limited.url, { credential: CRED });
        const rs = (
          await c.AddRealServers({ ProjectId: 0, RealServerIP: ["198.18.1.1"], RealServerName: "x" })
        ).RealServerSet?.[0];
        const set = [
          { RealServerId: rs?.RealServerId as string, RealServerIP: "198.18.1.1", RealServerPort: 80 },
        ];
        const codes: Array<string | undefined> = [];
        for (let i = 0; i < 21; i++) {
          codes.push(
            await c.BindListenerRealServers({ ListenerId: "listener-rr000001", RealServerBindSet: set }).then(
              () => "Success",
              (e) => e.code,
            ),
          );
        }
        // The first bind starts a task; the next 19 find the listener busy; the 21st is over the limit.
        expect(codes[0]).toBe("Success");
        expect(codes.slice(1, 20)).toEqual(Array(19).fill("FailedOperation.ListenerHasTask"));
        expect(codes[20]).toBe("RequestLimitExceeded");
        // Other actions have buckets of their own.
        expect((await c.DescribeProxies({})).TotalCount).toBe(2);
      } finally {
        await limited.close();
      }
    });
  });
});
