// A loopback TCP forwarder that can be paused: while paused it accepts connections and holds them without
// forwarding, and cuts the ones already open. Lets a test keep the operator from reaching the apiserver.
import { connect, createServer, type Server, type Socket } from "node:net";

export class TcpProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private readonly held: Socket[] = [];
  private paused = false;
  private readonly targetPort: number;
  port = 0;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(targetPort: number) {
    this.targetPort = targetPort;
    this.server = createServer((client) => {
      this.accepted++;
      this.open.add(client);
      client.on("close", () => this.open.delete(client));
      client.on("error", () => {});
      if (this.paused) this.held.push(client);
      else this.forward(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr ? addr.port : 0;
    return this.port;
  }

  pause(): void {
    this.paused = true;
    for (const s of this.open) s.destroy();
  }

  resume(): void {
    this.paused = false;
    for (const c of this.held.splice(0)) if (!c.destroyed) this.forward(c);
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private forward(client: Socket): void {
    const upstream = connect(this.targetPort, "127.0.0.1");
    this.open.add(upstream);
    upstream.on("close", () => {
      this.open.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  }
}
