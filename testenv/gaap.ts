// The official Tencent Cloud SDK pointed at a GAAP emulator: the only way tests talk to it as GAAP.
import { CommonClient } from "tencentcloud-sdk-nodejs/tencentcloud/common/common_client.js";
import { Client } from "tencentcloud-sdk-nodejs/tencentcloud/services/gaap/v20180529/gaap_client.js";

export const DEMO_CREDENTIAL = { secretId: "AKIDexample", secretKey: "example-key" };

export interface SdkOptions {
  credential?: { secretId: string; secretKey: string; token?: string };
  /** SDK request timeout in seconds. */
  timeoutSec?: number;
}

function clientConfig(url: string, opts: SdkOptions) {
  const u = new URL(url);
  return {
    credential: opts.credential ?? DEMO_CREDENTIAL,
    profile: {
      httpProfile: { endpoint: u.host, protocol: `${u.protocol}//`, reqTimeout: opts.timeoutSec ?? 10 },
    },
  };
}

export function gaapClient(url: string, opts: SdkOptions = {}): Client {
  return new Client(clientConfig(url, opts));
}

/** The SDK's generic client, for requests the typed client cannot make (another API version, unknown actions). */
export function commonClient(url: string, version: string, opts: SdkOptions = {}): CommonClient {
  return new CommonClient("gaap.tencentcloudapi.com", version, clientConfig(url, opts));
}

/** Runs an SDK call that must fail and returns the SDK's exception. */
export async function sdkError(
  call: Promise<unknown>,
): Promise<{ code?: string; message: string; httpCode?: number; requestId?: string }> {
  try {
    await call;
  } catch (err) {
    return err as { code?: string; message: string; httpCode?: number };
  }
  throw new Error("expected the call to fail");
}

/** Admin endpoint helper (plain HTTP: the admin API is not GAAP). */
export async function admin<T = unknown>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${url}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error}`);
  return json;
}
