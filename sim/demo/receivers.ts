import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignature } from '../../gateway/index.ts';

export interface ReceiverOptions {
  name: string;
  secret: string;
  /** Gateway API base and this receiver's bearer token: it acknowledges and completes through it. */
  api: () => string;
  token: () => string;
  outcome: string;
  ackAfterMs?: number;
  doneAfterMs?: number;
  say?: (line: string) => void;
}

/**
 * A stand-in for the village app or the police dispatch: a real HTTP endpoint that checks the
 * signature of each notification, then — like a person with the app — acknowledges it and records
 * the outcome through the gateway's HTTP API.
 */
export class DemoReceiver {
  readonly received: Array<Record<string, unknown>> = [];
  private server: Server | undefined;

  constructor(private readonly o: ReceiverOptions) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/notify`;
  }

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      let raw = '';
      for await (const c of req) raw += c;
      if (!verifySignature(this.o.secret, raw, String(req.headers[SIGNATURE_HEADER] ?? ''), new Date())) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(202).end();
      const n = JSON.parse(raw) as {
        responseId: string;
        kind: string;
        caseId: string;
        vehicle?: { plate: string; owner: string; village: string; confidence: number };
      };
      this.received.push(n);
      const v = n.vehicle
        ? `: ${n.vehicle.plate}, owner ${n.vehicle.owner} of ${n.vehicle.village} (archive match ${n.vehicle.confidence})`
        : '';
      this.o.say?.(`      ${this.o.name} received the ${n.kind} notification (signature checked)${v}`);
      if (n.kind !== 'village' && n.kind !== 'police') return;
      await new Promise((r) => setTimeout(r, this.o.ackAfterMs ?? 300));
      await this.act(n.responseId, 'acknowledge', {});
      await new Promise((r) => setTimeout(r, this.o.doneAfterMs ?? 400));
      await this.act(n.responseId, 'complete', { outcome: this.o.outcome });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async act(responseId: string, verb: string, body: unknown): Promise<void> {
    const res = await fetch(`${this.o.api()}/responses/${responseId}/${verb}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.o.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) this.o.say?.(`      ${this.o.name}: ${verb} refused: HTTP ${res.status} ${await res.text()}`);
  }
}
