// The published TC3-HMAC-SHA256 vectors (gaap-api reference §3.4) reproduced by the emulator's verifier.
import { describe, expect, it } from "vitest";
import { parseAuthorization, tc3Sign, verifyTc3 } from "../../../emulator/signature.ts";

const CVM_BODY = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
const CT = "application/json; charset=utf-8";
const cvm = (secretKey: string, signAction: boolean) =>
  tc3Sign({
    method: "POST",
    uri: "/",
    query: "",
    headers: [
      ["content-type", CT],
      ["host", "cvm.tencentcloudapi.com"],
      ...(signAction ? ([["x-tc-action", "describeinstances"]] as const) : []),
    ],
    payload: CVM_BODY,
    timestamp: 1551113065,
    service: "cvm",
    secretKey,
  });

describe("TC3 signature vectors", () => {
  it.each([
    {
      name: "V1 (international doc)",
      key: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
      action: false,
      crHash: "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
      signature: "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
    },
    {
      name: "V2 (CN doc, masked key)",
      key: "Gu5t9xGARNpq86cd98joQYCN3*******",
      action: false,
      crHash: "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
      signature: "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
    },
    {
      name: "V3 (signs x-tc-action)",
      key: "Gu5t9xGARNpq86cd98joQYCN3*******",
      action: true,
      crHash: "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84",
      signature: "be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3",
    },
    {
      name: "V4 (newest doc)",
      key: "*".repeat(32),
      action: true,
      crHash: "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84",
      signature: "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f",
    },
  ])("$name", ({ key, action, crHash, signature }) => {
    const out = cvm(key, action);
    expect(out.canonicalRequestHash).toBe(crHash);
    expect(out.signature).toBe(signature);
    expect(out.date).toBe("2019-02-25");
  });

  const GAAP_BODY =
    '{"ListenerId":"listener-abcd1234","RealServerBindSet":[{"RealServerId":"rs-abcd1234","RealServerPort":8080,"RealServerIP":"203.0.113.10","RealServerWeight":10}]}';
  const GAAP_AUTH =
    "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/gaap/tc3_request, SignedHeaders=content-type;host, Signature=1f8a9e43694252d48f7450a04df35038828ca84f8f2f60b8e2017e5cc6a26eaf";

  it("GAAP-shaped vector computed with the SDK's signer", () => {
    const out = tc3Sign({
      method: "POST",
      uri: "/",
      query: "",
      headers: [
        ["content-type", "application/json"],
        ["host", "gaap.tencentcloudapi.com"],
      ],
      payload: GAAP_BODY,
      timestamp: 1700000000,
      service: "gaap",
      secretKey: "SECRETKEYEXAMPLE",
    });
    expect(out.canonicalRequestHash).toBe("a00f85683f47b1a37aab79a92c864977a35791c21529cf76d908817bdfa93ee7");
    expect(out.signature).toBe("1f8a9e43694252d48f7450a04df35038828ca84f8f2f60b8e2017e5cc6a26eaf");
  });

  const request = (host: string, body = GAAP_BODY) => ({
    method: "POST",
    path: "/",
    query: "",
    headers: { "content-type": "application/json", host },
    body: Buffer.from(body),
  });

  it.each([
    { host: "gaap.tencentcloudapi.com", ok: true },
    // The SDK signs the hostname without the port but sends the port in Host.
    { host: "gaap.tencentcloudapi.com:8443", ok: true },
    { host: "evil.example.com", ok: false },
  ])("verifies the GAAP vector with Host $host -> $ok", ({ host, ok }) => {
    const auth = parseAuthorization(GAAP_AUTH);
    expect(auth).toBeDefined();
    if (!auth) return;
    expect(verifyTc3(request(host), auth, 1700000000, "SECRETKEYEXAMPLE").ok).toBe(ok);
  });

  it.each([
    {
      what: "a wrong key",
      key: "WRONG",
      body: GAAP_BODY,
      ts: 1700000000,
      code: "AuthFailure.SignatureFailure",
    },
    {
      what: "a changed body",
      key: "SECRETKEYEXAMPLE",
      body: `${GAAP_BODY} `,
      ts: 1700000000,
      code: "AuthFailure.SignatureFailure",
    },
    {
      what: "another day's timestamp",
      key: "SECRETKEYEXAMPLE",
      body: GAAP_BODY,
      ts: 1700100000,
      code: "AuthFailure.SignatureFailure",
    },
  ])("refuses $what", ({ key, body, ts, code }) => {
    const auth = parseAuthorization(GAAP_AUTH);
    if (!auth) throw new Error("unparsed");
    const r = verifyTc3(request("gaap.tencentcloudapi.com", body), auth, ts, key);
    expect(r).toMatchObject({ ok: false, code });
  });

  it.each([
    "",
    "Basic abc",
    "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/gaap/tc3_request, SignedHeaders=host, Signature=zz",
  ])("does not parse a malformed Authorization %#", (h) => {
    expect(parseAuthorization(h)).toBeUndefined();
  });

  it("requires content-type and host to be signed", () => {
    const auth = parseAuthorization(GAAP_AUTH.replace("content-type;host", "host"));
    if (!auth) throw new Error("unparsed");
    expect(
      verifyTc3(request("gaap.tencentcloudapi.com"), auth, 1700000000, "SECRETKEYEXAMPLE"),
    ).toMatchObject({
      ok: false,
      code: "AuthFailure.InvalidAuthorization",
    });
  });
});
