import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** When it arrived (Date.now()). */
  at: number;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

export interface HttpReceiver {
  url: string;
  got: ReceivedRequest[];
  server: Server;
  close(): Promise<void>;
}

/**
 * A real local HTTP server that records what it is sent: the stand-in for a village app, a
 * police dispatch or an SMS gateway. `answers` gives the status of each request in turn (200 after).
 */
export async function httpReceiver(
  o: { answers?: number[]; delayMs?: number; path?: string } = {},
): Promise<HttpReceiver> {
  const got: ReceivedRequest[] = [];
  let n = 0;
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // Recorded as raw; the test decides whether that is wrong.
    }
    got.push({ at: Date.now(), headers: req.headers, raw, body });
    if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
    res.writeHead(o.answers?.[n++] ?? 200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${o.path ?? '/'}`;
  return { url, got, server, close: () => new Promise((r) => server.close(() => r())) };
}
