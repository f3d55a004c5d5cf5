// Where GAAP credentials come from: the environment, files of a mounted Secret (re-read when they change, so a
// rotated Secret is picked up without a restart), TKE's OIDC web identity, or the SDK's provider chain.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  DefaultCredentialProvider,
  EnvironmentVariableCredential,
  OIDCRoleArnCredential,
} from "tencentcloud-sdk-nodejs/tencentcloud/common/credential.js";
import type { Credential, DynamicCredential } from "tencentcloud-sdk-nodejs/tencentcloud/common/interface.js";

export type CredentialSource = "auto" | "env" | "file" | "oidc" | "chain";

export class CredentialError extends Error {}

const ID = "TENCENTCLOUD_SECRET_ID";
const KEY = "TENCENTCLOUD_SECRET_KEY";
const TOKEN = "TENCENTCLOUD_SESSION_TOKEN";

/** Reads a Secret mounted as a directory (keys as file names); re-reads only when a file's mtime changes. */
export class FileCredential implements DynamicCredential {
  private readonly dir: string;
  private cached: { stamp: string; credential: Credential } | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  async getCredential(): Promise<Credential> {
    const stamp = [ID, KEY, TOKEN].map((f) => this.mtime(f)).join("|");
    if (this.cached?.stamp === stamp) return this.cached.credential;
    const read = (f: string) => {
      try {
        return readFileSync(join(this.dir, f), "utf8").trim();
      } catch {
        return undefined;
      }
    };
    const secretId = read(ID);
    const secretKey = read(KEY);
    if (!secretId || !secretKey) throw new CredentialError(`${this.dir} must hold files ${ID} and ${KEY}`);
    const token = read(TOKEN);
    const credential: Credential = { secretId, secretKey, ...(token ? { token } : {}) };
    this.cached = { stamp, credential };
    return credential;
  }

  private mtime(f: string): string {
    try {
      // Kubernetes swaps the ..data symlink on rotation: follow it.
      return String(statSync(join(this.dir, f)).mtimeMs);
    } catch {
      return "-";
    }
  }
}

function hasFiles(dir: string): boolean {
  try {
    statSync(join(dir, ID));
    statSync(join(dir, KEY));
    return true;
  } catch {
    return false;
  }
}

/** Picks the credential source and checks that it yields credentials, without logging or returning secrets. */
export async function resolveCredential(
  source: CredentialSource,
  dir: string,
  env = process.env,
): Promise<{ source: CredentialSource; credential: DynamicCredential }> {
  const fromEnv = Boolean(env[ID] && env[KEY]);
  const oidc = Boolean(env.TKE_WEB_IDENTITY_TOKEN_FILE && env.TKE_ROLE_ARN && env.TKE_PROVIDER_ID);
  let chosen: CredentialSource = source;
  if (source === "auto") chosen = fromEnv ? "env" : hasFiles(dir) ? "file" : oidc ? "oidc" : "chain";
  switch (chosen) {
    case "env":
      if (!fromEnv) throw new CredentialError(`no GAAP credentials: set ${ID} and ${KEY}`);
      // Read on every call, so a changed session token is picked up.
      return { source: chosen, credential: new EnvironmentVariableCredential() };
    case "file": {
      const c = new FileCredential(dir);
      await c.getCredential().catch((err) => {
        throw new CredentialError(`no GAAP credentials: ${(err as Error).message}`);
      });
      return { source: chosen, credential: c };
    }
    case "oidc":
      if (!oidc)
        throw new CredentialError(
          "no TKE web identity: TKE_WEB_IDENTITY_TOKEN_FILE, TKE_ROLE_ARN and TKE_PROVIDER_ID must be set",
        );
      return { source: chosen, credential: new OIDCRoleArnCredential() };
    default: {
      const chain = new DefaultCredentialProvider();
      const c = await chain.getCredential().catch(() => undefined);
      if (!c?.secretId || !c?.secretKey) {
        throw new CredentialError(
          `no GAAP credentials: set ${ID} and ${KEY}, mount them as files in ${dir}, or configure a profile, a CVM role or TKE OIDC`,
        );
      }
      return { source: "chain", credential: chain };
    }
  }
}
