// The operator's HTTP endpoints: /metrics on one address, /healthz and /readyz on another (as controller-runtime
// serves them). /metrics may be served over HTTPS, with a check of who is asking (kube-auth.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { CertificateFiles } from "./certificate.ts";
import type { Refusal } from "./kube-auth.ts";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** "host:port", ":port" (all interfaces) or "0" (off). */
export function parseBindAddress(value: string): { host: string; port: number } | undefined {
  if (value === "0") return undefined;
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) throw new Error(`bind address must be host:port, :port or 0, not "${value}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`bind address port out of range in "${value}"`);
  return { host: (m[1] ?? "").replace(/^\[|\]$/g, "") || "0.0.0.0", port };
}

export interface ServeOptions {
  /** Serve HTTPS with the certificate in this directory (followed as it rotates). */
  tls?: { certDir: string; pollMs: number; log: Logger; what: string };
  /** Asked before any route: a refusal is answered instead. */
  authorize?: (req: IncomingMessage) => Promise<Refusal>;
}

export async function serve(
  bind: { host: string; port: number },
  routes: Record<string, Handler>,
  opts: ServeOptions = {},
): Promise<Server & { url: string; stopCertificate?: () => void }> {
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const handler = req.method === "GET" ? routes[path] : undefined;
    if (!handler) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const answer = async () => {
      const refused = await opts.authorize?.(req);
      if (refused) return text(res, refused.status, `${refused.message}\n`);
      await handler(req, res);
    };
    answer().catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`${String(err)}\n`);
    });
  };
  const tls = opts.tls;
  const server: Server = tls ? createHttpsServer({}, handle) : createServer(handle);
  let certificate: CertificateFiles | undefined;
  if (tls) {
    const secure = server as ReturnType<typeof createHttpsServer>;
    certificate = new CertificateFiles({
      dir: tls.certDir,
      what: tls.what,
      pollMs: tls.pollMs,
      log: tls.log,
      use: (context) => secure.setSecureContext(context),
    });
    await certificate.start();
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return Object.assign(server, {
    url: `${tls ? "https" : "http"}://${host}:${addr.port}`,
    ...(certificate ? { stopCertificate: () => certificate.stop() } : {}),
  });
}

export function text(
  res: ServerResponse,
  status: number,
  body: string,
  type = "text/plain; charset=utf-8",
): void {
  res.writeHead(status, { "content-type": type }).end(body);
}
