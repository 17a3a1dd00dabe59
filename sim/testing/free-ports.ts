import { createServer } from 'node:net';

/** `n` TCP ports free on 127.0.0.1 now, for a process the test starts later on fixed ports (a restart keeps them). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (s) =>
        new Promise<number>((resolve) =>
          s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)),
        ),
    ),
  );
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}
