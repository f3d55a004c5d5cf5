// TC3-HMAC-SHA256 verification (Tencent Cloud API 3.0 signature v3), as the GAAP emulator checks it.
// The operator never signs anything itself: the official SDK does.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

const sha256hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

export interface SignInput {
  method: string;
  /** Path, "/" for API 3.0. */
  uri: string;
  /** Canonical query string; empty for POST. */
  query: string;
  /** The signed headers, lower-case names with their canonical values, in any order. */
  headers: ReadonlyArray<readonly [string, string]>;
  payload: string | Buffer;
  timestamp: number;
  service: string;
  secretKey: string;
}

export interface SignOutput {
  canonicalRequest: string;
  canonicalRequestHash: string;
  signedHeaders: string;
  date: string;
  signature: string;
}

/** Computes a TC3-HMAC-SHA256 signature step by step, as the published algorithm describes. */
export function tc3Sign(input: SignInput): SignOutput {
  const headers = [...input.headers]
    .map(([k, v]) => [k.toLowerCase(), v.trim()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = headers.map(([k, v]) => `${k}:${v}\n`).join("");
  const signedHeaders = headers.map(([k]) => k).join(";");
  const canonicalRequest = [
    input.method.toUpperCase(),
    input.uri,
    input.query,
    canonicalHeaders,
    signedHeaders,
    sha256hex(input.payload),
  ].join("\n");
  const canonicalRequestHash = sha256hex(canonicalRequest);
  const date = new Date(input.timestamp * 1000).toISOString().slice(0, 10);
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${input.timestamp}\n${scope}\n${canonicalRequestHash}`;
  const kDate = hmac(`TC3${input.secretKey}`, date);
  const kService = hmac(kDate, input.service);
  const kSigning = hmac(kService, "tc3_request");
  const signature = createHmac("sha256", kSigning).update(stringToSign).digest("hex");
  return { canonicalRequest, canonicalRequestHash, signedHeaders, date, signature };
}

export interface ParsedAuthorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH_RE =
  /^TC3-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const m = AUTH_RE.exec(header.trim());
  if (!m) return undefined;
  const [, secretId, date, service, signed, signature] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { secretId, date, service, signedHeaders: signed.split(";"), signature };
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; code: "AuthFailure.SignatureFailure" | "AuthFailure.InvalidAuthorization"; message: string };

/**
 * Verifies a request's signature against `secretKey`. Honours whatever SignedHeaders lists, and the Node SDK's
 * quirks: it signs the host without its port, and derives the scope's service from the endpoint's first label
 * (so "127" for 127.0.0.1), which is accepted as sent.
 */
export function verifyTc3(
  req: {
    method: string;
    path: string;
    query: string;
    headers: Record<string, string | undefined>;
    body: Buffer;
  },
  auth: ParsedAuthorization,
  timestamp: number,
  secretKey: string,
): VerifyResult {
  for (const required of ["content-type", "host"]) {
    if (!auth.signedHeaders.includes(required)) {
      return {
        ok: false,
        code: "AuthFailure.InvalidAuthorization",
        message: `SignedHeaders must include ${required}`,
      };
    }
  }
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  if (auth.date !== date) {
    return {
      ok: false,
      code: "AuthFailure.SignatureFailure",
      message: `credential date ${auth.date} does not match the UTC date of X-TC-Timestamp (${date})`,
    };
  }
  const base: Array<[string, string]> = [];
  for (const name of auth.signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) {
      return { ok: false, code: "AuthFailure.SignatureFailure", message: `signed header ${name} is missing` };
    }
    // The published demo signs x-tc-action with its value in lower case.
    base.push([name, name === "x-tc-action" ? value.toLowerCase() : value]);
  }
  const host = req.headers.host ?? "";
  const hostVariants = [host.replace(/:\d+$/, ""), host];
  for (const h of new Set(hostVariants)) {
    const headers = base.map(([k, v]) => [k, k === "host" ? h : v] as const);
    const { signature } = tc3Sign({
      method: req.method,
      uri: req.path,
      query: req.query,
      headers,
      payload: req.body,
      timestamp,
      service: auth.service,
      secretKey,
    });
    if (timingSafeEqual(Buffer.from(signature), Buffer.from(auth.signature))) return { ok: true };
  }
  return {
    ok: false,
    code: "AuthFailure.SignatureFailure",
    message: "The provided credentials could not be validated.",
  };
}
