import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import type { Logger } from 'pino';
import type { CredentialStore, Principal } from '../access/credential-store.ts';
import { LoginGuard } from '../access/login-throttle.ts';
import { canPublish, canSubscribe, viewerOf, type PlaceOf } from './acl.ts';
import { forwardFor } from './forward-filter.ts';

export interface BrokerAuthStats {
  authRefused: number;
  authThrottled: number;
  publishDenied: number;
  subscribeDenied: number;
  forwardWithheld: number;
}

/** aedes' connected clients by id: it keeps the map, but its types do not declare it. */
export const connectedClients = (aedes: Aedes) =>
  (aedes as unknown as { clients: Record<string, Client & { will: unknown }> }).clients;

/** A client id is its account's user name, or `name:suffix` for a second connection of the same account. */
export const clientIdFits = (clientId: string, username: string): boolean =>
  clientId === username || clientId.startsWith(`${username}:`);

const refusal = (message: string, returnCode: number) => Object.assign(new Error(message), { returnCode }) as never;

/**
 * aedes hooks, through the one access policy: per-account credentials whose user name is also the
 * client id (so no account can take another's session: not a box's, not the gateway's intake),
 * topic rights on publish and subscribe, and per-delivery filtering by role and scope. Failed
 * log-ins of people's accounts are throttled per name and per address; a box's password is a
 * random machine secret that cannot be guessed, and locking its name would let anyone switch a box
 * off. Every refusal is logged and counted.
 */
export class BrokerAuth {
  readonly stats: BrokerAuthStats = {
    authRefused: 0,
    authThrottled: 0,
    publishDenied: 0,
    subscribeDenied: 0,
    forwardWithheld: 0,
  };
  private readonly principals = new WeakMap<Client, Principal>();

  constructor(
    private readonly creds: CredentialStore,
    private readonly placeOf: PlaceOf,
    private readonly log?: Logger,
    private readonly admitDevices: () => boolean = () => true,
    private readonly guard = new LoginGuard(),
  ) {}

  install(aedes: Aedes): void {
    aedes.authenticate = (client, username, password, done) =>
      void this.authenticate(client, username, password).then((e) => done(e as never, !e));
    aedes.authorizePublish = (client, packet, done) => {
      const p = client && this.principals.get(client);
      if (!client || (p && canPublish(p, packet.topic, this.placeOf))) return done(null);
      this.stats.publishDenied++;
      this.log?.warn(
        { clientId: client.id, topic: packet.topic },
        'broker refused a publish outside the client’s rights',
      );
      done(new Error(`not allowed to publish to ${packet.topic}`));
    };
    aedes.authorizeSubscribe = (client, sub, done) => {
      const p = client && this.principals.get(client);
      if (!client || (p && canSubscribe(p, sub.topic))) return done(null, sub);
      this.stats.subscribeDenied++;
      this.log?.warn({ clientId: client.id, filter: sub.topic }, 'broker refused a subscription');
      done(null, null);
    };
    aedes.authorizeForward = (client, packet) => {
      const p = this.principals.get(client);
      if (!p || p.kind === 'device') return packet;
      const verdict = forwardFor(viewerOf(p), packet, this.placeOf);
      if (!verdict.forward) {
        this.stats.forwardWithheld++;
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
    const name = username ?? '';
    const address =
      client.conn && 'remoteAddress' in client.conn ? (client.conn.remoteAddress as string | undefined) : undefined;
    const isDevice = (await this.creds.get(name))?.kind === 'device';
    if (!isDevice && this.guard.lockedFor(name, address)) {
      this.stats.authThrottled++;
      this.log?.warn(
        { clientId: client.id, username: name, address },
        'broker refused a log-in: too many failures for this name or address',
      );
      return refusal('too many failed log-ins; try again later', 5);
    }
    let p: Principal | undefined;
    try {
      p = await this.creds.verify(username, password);
    } catch (e) {
      return refusal((e as Error).message, 3);
    }
    if (!p) {
      if (!isDevice) this.guard.failed(name, address);
      return this.refuse(client, name, 'bad user name or password', 4);
    }
    if (!clientIdFits(client.id, p.id))
      return this.refuse(client, name, `client id must be the user name ("${p.id}" or "${p.id}:…")`, 2);
    if (p.kind === 'device' && !this.admitDevices()) {
      // Starting up: intake is not listening yet. "Server unavailable"; the device retries.
      return refusal('gateway starting', 3);
    }
    if (!isDevice) this.guard.succeeded(name);
    this.principals.set(client, p);
    return null;
  }

  private refuse(client: Client, username: string, reason: string, returnCode: number): Error {
    this.stats.authRefused++;
    this.log?.warn({ clientId: client.id, username, reason }, 'broker refused a connection');
    return refusal(reason.startsWith('client id') ? reason : 'bad user name or password', returnCode);
  }
}
