// A free TCP port on loopback, for servers whose port must be known before they start (the webhook's URL).
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
