// The operator's HTTP endpoints: /metrics on one address, /healthz and /readyz on another (as controller-runtime
// serves them).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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

export async function serve(
  bind: { host: string; port: number },
  routes: Record<string, Handler>,
): Promise<Server & { url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const handler = req.method === "GET" ? routes[path] : undefined;
    if (!handler) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    Promise.resolve(handler(req, res)).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`${String(err)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return Object.assign(server, {
    url: `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`,
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
