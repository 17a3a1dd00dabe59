import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import type { Logger } from 'pino';
import type { CredentialStore, Principal } from '../access/credential-store.ts';
import { BrokerLogin, type BrokerLoginStats } from './broker-login.ts';
import { canPublish, canSubscribe, viewerOf, type PlaceOf } from './acl.ts';
import { forwardFor } from './forward-filter.ts';

export interface BrokerAuthStats extends BrokerLoginStats {
  publishDenied: number;
  subscribeDenied: number;
  forwardWithheld: number;
}

/** aedes' connected clients by id: it keeps the map, but its types do not declare it. */
export const connectedClients = (aedes: Aedes) =>
  (aedes as unknown as { clients: Record<string, Client & { will: unknown }> }).clients;

const refusal = (message: string, returnCode: number) => Object.assign(new Error(message), { returnCode }) as never;

/**
 * aedes hooks, through the one access policy: log-in by `BrokerLogin`, topic rights on publish and
 * subscribe, and per-delivery filtering by role and scope. Every refusal is logged and counted.
 */
export class BrokerAuth {
  private readonly denied = { publishDenied: 0, subscribeDenied: 0, forwardWithheld: 0 };
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly login: BrokerLogin;

  constructor(
    creds: CredentialStore,
    private readonly placeOf: PlaceOf,
    private readonly log?: Logger,
    admitDevices: () => boolean = () => true,
  ) {
    this.login = new BrokerLogin(creds, log, admitDevices);
  }

  get stats(): BrokerAuthStats {
    return { ...this.login.stats, ...this.denied };
  }

  install(aedes: Aedes): void {
    aedes.authenticate = (client, username, password, done) =>
      void this.authenticate(client, username, password).then((e) => done(e as never, !e));
    aedes.authorizePublish = (client, packet, done) => {
      const p = client && this.principals.get(client);
      if (!client || (p && canPublish(p, packet.topic, this.placeOf))) return done(null);
      this.denied.publishDenied++;
      this.log?.warn(
        { clientId: client.id, topic: packet.topic },
        'broker refused a publish outside the client’s rights',
      );
      done(new Error(`not allowed to publish to ${packet.topic}`));
    };
    aedes.authorizeSubscribe = (client, sub, done) => {
      const p = client && this.principals.get(client);
      if (!client || (p && canSubscribe(p, sub.topic))) return done(null, sub);
      this.denied.subscribeDenied++;
      this.log?.warn({ clientId: client.id, filter: sub.topic }, 'broker refused a subscription');
      done(null, null);
    };
    aedes.authorizeForward = (client, packet) => {
      const p = this.principals.get(client);
      if (!p || p.kind === 'device') return packet;
      const verdict = forwardFor(viewerOf(p), packet, this.placeOf);
      if (!verdict.forward) {
        this.denied.forwardWithheld++;
        return null;
      }
      return verdict.payload ? ({ ...packet, payload: verdict.payload } as AedesPublishPacket) : packet;
    };
  }

  /** The connected clients of an account (to end them when it changes). */
  clientsOf(aedes: Aedes, username: string): Client[] {
    return Object.values(connectedClients(aedes)).filter((c) => this.principals.get(c)?.id === username);
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Error | null> {
    const address =
      client.conn && 'remoteAddress' in client.conn ? (client.conn.remoteAddress as string | undefined) : undefined;
    const r = await this.login.login({ username, password, clientId: client.id, address });
    if (!r.ok) return refusal(r.reason, r.returnCode);
    this.principals.set(client, r.principal);
    return null;
  }
}
