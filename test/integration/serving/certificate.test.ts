// A serving certificate kept in a directory (src/serving/certificate.ts), with real PEM files from openssl: a missing
// pair is said once, with what to do, and then nothing until it appears; a pair that appears is loaded and said
// once; a broken pair keeps the previous one; a rotated pair is loaded.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { CertificateFiles } from "../../../src/serving/certificate.ts";
import { servingCert } from "../../../testenv/certs.ts";

function logged() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: "info" }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { log, lines, msgs: () => lines.map((l) => l.msg) };
}

describe("CertificateFiles", () => {
  it("says a missing certificate once, with what to do, then loads it when it appears", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gaap-cert-"));
    const { log, lines, msgs } = logged();
    const used: unknown[] = [];
    const files = new CertificateFiles({ dir, what: "admission webhook", log, use: (c) => used.push(c) });
    for (let i = 0; i < 5; i++) await files.reload();
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(msgs()[0]).toBe(
      `no admission webhook certificate in ${dir} yet: TLS handshakes fail until tls.crt and tls.key appear there (mount the Secret the chart or cert-manager makes, or point the cert-dir flag at a directory holding them); it is loaded as soon as it appears`,
    );
    expect(files.isLoaded).toBe(false);
    await servingCert(dir);
    await files.reload();
    await files.reload();
    expect(used).toHaveLength(1);
    expect(files.isLoaded).toBe(true);
    expect(msgs().slice(1)).toEqual(["admission webhook certificate loaded"]);
  });

  it("keeps the loaded pair when a broken one replaces it, and loads a rotated one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gaap-cert-"));
    await servingCert(dir);
    const { log, msgs } = logged();
    const used: Array<{ cert?: unknown }> = [];
    const files = new CertificateFiles({ dir, what: "metrics", log, use: (c) => used.push(c) });
    await files.reload();
    writeFileSync(join(dir, "tls.key"), "not a key\n");
    await files.reload();
    expect(used).toHaveLength(1);
    expect(msgs()).toEqual([
      "metrics certificate loaded",
      "metrics certificate did not load; keeping the previous one",
    ]);
    await servingCert(dir);
    await files.reload();
    expect(used).toHaveLength(2);
    expect(String(used[1]?.cert)).not.toBe(String(used[0]?.cert));
    expect(msgs().at(-1)).toBe("metrics certificate loaded");
  });
});
