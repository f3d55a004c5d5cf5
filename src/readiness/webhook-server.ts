// The admission webhook's HTTPS server: AdmissionReview v1 in, AdmissionReview out, on /mutate-v1-pod. Its
// certificate comes from a directory (tls.crt, tls.key) and is re-read when the files change, as cert-manager and
// the kubelet's Secret volume rotate them; a pair that does not load keeps the previous one. A request it cannot
// understand, or a failure inside, is allowed unchanged: pod creation must never depend on the operator.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import type { V1Pod } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Mutation } from "./mutate.ts";

export const MUTATE_POD_PATH = "/mutate-v1-pod";
const MAX_BODY_BYTES = 3 * 1024 * 1024;

interface AdmissionRequest {
  uid: string;
  kind?: { kind?: string };
  operation?: string;
  namespace?: string;
  object?: V1Pod;
}

export interface WebhookOptions {
  host: string;
  port: number;
  certDir: string;
  /** How often to look for a rotated certificate. */
  reloadIntervalMs?: number;
  log: Logger;
  /** The mutation for a pod being created in a namespace (it has no side effects, dry run or not); undefined: leave it. */
  mutate(pod: V1Pod, namespace: string): Mutation | undefined;
}

export class WebhookServer {
  private readonly o: WebhookOptions;
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loaded = "";
  url = "";

  constructor(opts: WebhookOptions) {
    this.o = opts;
  }

  /** Serves once a certificate has loaded, or without one (handshakes fail) while the directory is still empty. */
  async start(): Promise<void> {
    this.server = createServer({}, (req, res) => {
      const path = new URL(req.url ?? "/", "https://x").pathname;
      if (req.method !== "POST" || path !== MUTATE_POD_PATH) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY_BYTES) chunks.push(c);
      });
      req.on("end", () => {
        const body = this.review(size > MAX_BODY_BYTES ? "" : Buffer.concat(chunks).toString("utf8"));
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      });
    });
    await this.reload();
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(this.o.port, this.o.host || undefined, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.url = `https://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
    this.timer = setInterval(() => void this.reload(), this.o.reloadIntervalMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.server?.close();
  }

  /** Loads the pair when its bytes changed; keeps the old one if the new one does not load. */
  private async reload(): Promise<void> {
    let cert: Buffer;
    let key: Buffer;
    try {
      [cert, key] = await Promise.all([
        readFile(join(this.o.certDir, "tls.crt")),
        readFile(join(this.o.certDir, "tls.key")),
      ]);
    } catch (err) {
      if (!this.loaded)
        this.o.log.warn({ dir: this.o.certDir, err: String(err) }, "webhook certificate not found yet");
      return;
    }
    const digest = createHash("sha256").update(cert).update(key).digest("hex");
    if (digest === this.loaded) return;
    try {
      const context = { cert, key };
      createSecureContext(context); // throws on a bad or mismatched pair
      this.server?.setSecureContext(context);
      this.o.log.info({ dir: this.o.certDir, first: !this.loaded }, "webhook certificate loaded");
      this.loaded = digest;
    } catch (err) {
      this.o.log.warn(
        { dir: this.o.certDir, err: String(err) },
        "webhook certificate did not load; keeping the previous one",
      );
    }
  }

  private review(text: string): object {
    let request: AdmissionRequest | undefined;
    try {
      request = (JSON.parse(text) as { request?: AdmissionRequest }).request;
    } catch {}
    const out = (response: object) => ({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: request?.uid ?? "", allowed: true, ...response },
    });
    if (!request?.uid || request.operation !== "CREATE" || request.kind?.kind !== "Pod" || !request.object)
      return out({});
    try {
      const m = this.o.mutate(request.object, request.namespace ?? "");
      if (!m || m.patch.length === 0) return out(m?.warnings.length ? { warnings: m.warnings } : {});
      return out({
        patchType: "JSONPatch",
        patch: Buffer.from(JSON.stringify(m.patch)).toString("base64"),
        ...(m.warnings.length ? { warnings: m.warnings } : {}),
      });
    } catch (err) {
      this.o.log.error(
        { err: String(err), namespace: request.namespace },
        "pod mutation failed; allowing the pod unchanged",
      );
      return out({});
    }
  }
}
