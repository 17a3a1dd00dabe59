import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';

export interface TestBroker {
  aedes: Aedes;
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface TestBrokerOptions {
  port?: number;
  /** Accept only these username → password pairs (all clients when absent). */
  users?: Record<string, string>;
  /** Serve MQTT over TLS (mqtts://) with this key and certificate (PEM). */
  tls?: { key: Buffer; cert: Buffer };
}

/** A real aedes broker on a TCP port of this machine, for tests that need MQTT. */
export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  if (opts.users) {
    const users = opts.users;
    aedes.authenticate = (_client, username, password, done) => {
      const ok = username !== undefined && users[username] !== undefined && password?.toString() === users[username];
      if (ok) return done(null, true);
      const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 });
      done(err as never, false);
    };
  }
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  };
  const server: Server = opts.tls ? createTlsServer(opts.tls, onSocket) : createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    aedes,
    port,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    close: async () => {
      // Stop accepting first: clients reconnect at once and would keep the server open forever.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
