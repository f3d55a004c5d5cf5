// Keeps secrets, request signatures and account identifiers out of the report: by field name anywhere in a
// request or a response, and by shape inside free text (error messages).

const SECRET_KEYS =
  /^(appid|uin|owneruin|subaccountuin|creatoruin|secretid|secretkey|token|sessiontoken|signature|authorization|x-tc-token)$/i;
const SECRET_ID = /AKID[0-9A-Za-z]{6,}/g;
const ACCOUNT_ID_IN_TEXT = /\b(appid|owneruin|uin)(["'\s:=()]+)\d+/gi;

export const REDACTED = "(redacted)";

export function redactText(s: string): string {
  return s.replace(SECRET_ID, REDACTED).replace(ACCOUNT_ID_IN_TEXT, `$1$2${REDACTED}`);
}

/** A deep copy with every secret or account field replaced and free text scrubbed. */
export function redact<T>(value: T): T {
  if (typeof value === "string") return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? REDACTED : redact(v);
    return out as T;
  }
  return value;
}
