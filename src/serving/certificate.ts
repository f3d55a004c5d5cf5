// A serving certificate kept in a directory (tls.crt, tls.key), as a Secret volume mounts it: re-read when its files
// change, as cert-manager and the kubelet rotate them. A pair that does not load keeps the previous one. A missing
// pair is said once, with what to do, and then again only when it appears.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import type { Logger } from "pino";

export interface CertificateFilesOptions {
  dir: string;
  /** What serves with it, for the logs: "admission webhook", "metrics". */
  what: string;
  /** How often to look for a rotated pair. */
  pollMs?: number;
  log: Logger;
  /** The pair to serve from now on. */
  use(context: SecureContextOptions): void;
}

export class CertificateFiles {
  private readonly o: CertificateFilesOptions;
  private timer: NodeJS.Timeout | undefined;
  private loaded = "";
  private missingSaid = false;

  constructor(opts: CertificateFilesOptions) {
    this.o = opts;
  }

  get isLoaded(): boolean {
    return this.loaded !== "";
  }

  /** Loads what is there now, then keeps looking. */
  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.o.pollMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Loads the pair when its bytes changed; keeps the old one if the new one does not load. */
  async reload(): Promise<void> {
    const { dir, what, log } = this.o;
    let cert: Buffer;
    let key: Buffer;
    try {
      [cert, key] = await Promise.all([readFile(join(dir, "tls.crt")), readFile(join(dir, "tls.key"))]);
    } catch (err) {
      if (!this.loaded && !this.missingSaid) {
        this.missingSaid = true;
        log.warn(
          { dir, err: String(err) },
          `no ${what} certificate in ${dir} yet: TLS handshakes fail until tls.crt and tls.key appear there (mount the Secret the chart or cert-manager makes, or point the cert-dir flag at a directory holding them); it is loaded as soon as it appears`,
        );
      }
      return;
    }
    const digest = createHash("sha256").update(cert).update(key).digest("hex");
    if (digest === this.loaded) return;
    try {
      const context = { cert, key };
      createSecureContext(context); // throws on a bad or mismatched pair
      this.o.use(context);
      log.info({ dir, first: !this.loaded }, `${what} certificate loaded`);
      this.loaded = digest;
    } catch (err) {
      log.warn({ dir, err: String(err) }, `${what} certificate did not load; keeping the previous one`);
    }
  }
}
