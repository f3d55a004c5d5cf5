// The apiserver's version, for features that depend on it (the preStop sleep action: on by default from 1.30).
import { type KubeConfig, VersionApi } from "@kubernetes/client-node";
import { apiClient } from "./client.ts";

export async function serverVersion(
  kc: KubeConfig,
): Promise<{ major: number; minor: number; gitVersion: string }> {
  const v = await apiClient(kc, VersionApi, 10_000).getCode();
  // Managed clusters report minors like "30+".
  return {
    major: Number.parseInt(v.major, 10),
    minor: Number.parseInt(v.minor, 10),
    gitVersion: v.gitVersion,
  };
}
