import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A box's network link as a TCP relay between the box and the gateway: `cut()` drops every
 * connection and refuses new ones (a mobile link gone, a cable dug up), `restore()` lets the box
 * back in. The box and the gateway see a real loss of connection, not a flag.
 */
export class LinkRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private up = true;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly listenPort = 0,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((inbound) => {
      if (!this.up) return void inbound.destroy();
      const outbound = connect(this.target.port, this.target.host);
      for (const s of [inbound, outbound]) {
        s.setNoDelay(true);
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.once('close', () => outbound.destroy());
      outbound.once('close', () => inbound.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(this.listenPort, '127.0.0.1', r));
  }

  /** Where the box connects. */
  get url(): string {
    return `mqtt://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get isUp(): boolean {
    return this.up;
  }

  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
