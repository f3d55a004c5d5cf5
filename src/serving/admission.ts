// The admission webhook's HTTPS server: AdmissionReview v1 in, AdmissionReview out, one handler per path (the pod
// mutation of readiness/, the binding validation of access/). Its certificate comes from a directory and follows
// its rotations (certificate.ts). A request it cannot read, or a handler that throws, is allowed unchanged: pod
// creation must never depend on the operator, and a binding is checked again by the reconciler.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { CertificateFiles } from "./certificate.ts";

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  /** The request's namespace: always right, where object.metadata.namespace may be blank on create. */
  namespace?: string;
  object?: unknown;
  oldObject?: unknown;
}

/** What a handler answers: allowed (perhaps with a JSON patch), or refused with a message for the user. */
export interface AdmissionAnswer {
  allowed: boolean;
  message?: string;
  patch?: readonly object[];
  warnings?: readonly string[];
}

export type AdmissionHandler = (request: AdmissionRequest) => AdmissionAnswer;

export interface AdmissionServerOptions {
  host: string;
  port: number;
  certDir: string;
  /** How often to look for a rotated certificate. */
  reloadIntervalMs?: number;
  log: Logger;
  handlers: Readonly<Record<string, AdmissionHandler>>;
}

export class AdmissionServer {
  private readonly o: AdmissionServerOptions;
  private server: Server | undefined;
  private certificate: CertificateFiles | undefined;
  url = "";

  constructor(opts: AdmissionServerOptions) {
    this.o = opts;
  }

  /** Serves once a certificate has loaded, or without one (handshakes fail) while the directory is still empty. */
  async start(): Promise<void> {
    const server = createServer({}, (req, res) => {
      const path = new URL(req.url ?? "/", "https://x").pathname;
      const handler = req.method === "POST" ? this.o.handlers[path] : undefined;
      if (!handler) {
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
        const body = this.review(
          handler,
          size > MAX_BODY_BYTES ? "" : Buffer.concat(chunks).toString("utf8"),
        );
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      });
    });
    this.server = server;
    this.certificate = new CertificateFiles({
      dir: this.o.certDir,
      what: "admission webhook",
      pollMs: this.o.reloadIntervalMs ?? 10_000,
      log: this.o.log,
      use: (context) => server.setSecureContext(context),
    });
    await this.certificate.start();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.o.port, this.o.host || undefined, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    this.url = `https://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  stop(): void {
    this.certificate?.stop();
    this.server?.close();
  }

  private review(handler: AdmissionHandler, text: string): object {
    let request: AdmissionRequest | undefined;
    try {
      request = (JSON.parse(text) as { request?: AdmissionRequest }).request;
    } catch {}
    const out = (response: object) => ({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: request?.uid ?? "", allowed: true, ...response },
    });
    if (!request?.uid) return out({});
    let a: AdmissionAnswer;
    try {
      a = handler(request);
    } catch (err) {
      this.o.log.error(
        { err: String(err), kind: request.kind?.kind, namespace: request.namespace },
        "admission review failed; allowing the object unchanged",
      );
      return out({});
    }
    const warnings = a.warnings?.length ? { warnings: a.warnings } : {};
    if (!a.allowed)
      return out({
        allowed: false,
        status: { code: 403, reason: "Forbidden", message: a.message ?? "" },
        ...warnings,
      });
    if (!a.patch?.length) return out(warnings);
    return out({
      patchType: "JSONPatch",
      patch: Buffer.from(JSON.stringify(a.patch)).toString("base64"),
      ...warnings,
    });
  }
}
