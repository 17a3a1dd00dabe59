import type { Logger } from 'pino';
import type { CredentialStore, Principal } from '../access/credential-store.ts';
import { LoginGuard } from '../access/login-throttle.ts';

/** A client id is its account's user name, or `name:suffix` for a second connection of the same account. */
export const clientIdFits = (clientId: string, username: string): boolean =>
  clientId === username || clientId.startsWith(`${username}:`);

export interface BrokerLoginStats {
  authRefused: number;
  authThrottled: number;
}

export interface LoginAttempt {
  username: string | undefined;
  password: Buffer | string | undefined;
  /** MQTT client id; undefined for an AMQP connection, which only the gateway's own account may open. */
  clientId: string | undefined;
  address: string | undefined;
}

/** MQTT CONNACK return codes, which RabbitMQ's adapter also sends for a refused log-in. */
export type Refusal = { reason: string; returnCode: 2 | 3 | 4 | 5 };
export type LoginResult = { ok: true; principal: Principal } | ({ ok: false } & Refusal);

/**
 * Who may connect to the broker, embedded or RabbitMQ: per-account credentials whose user name is
 * also the client id (so no account can take another's session: not a box's, not the gateway's
 * intake). Failed log-ins of people's accounts are throttled per name and per address; a box's
 * password is a random machine secret that cannot be guessed, and locking its name would let anyone
 * switch a box off. Every refusal is logged and counted.
 */
export class BrokerLogin {
  readonly stats: BrokerLoginStats = { authRefused: 0, authThrottled: 0 };

  constructor(
    private readonly creds: CredentialStore,
    private readonly log?: Logger,
    private readonly admitDevices: () => boolean = () => true,
    private readonly guard = new LoginGuard(),
  ) {}

  async login(a: LoginAttempt): Promise<LoginResult> {
    const name = a.username ?? '';
    const isDevice = (await this.creds.get(name))?.kind === 'device';
    if (!isDevice && this.guard.lockedFor(name, a.address)) {
      this.stats.authThrottled++;
      this.log?.warn(
        { clientId: a.clientId, username: name, address: a.address },
        'broker refused a log-in: too many failures for this name or address',
      );
      return { ok: false, reason: 'too many failed log-ins; try again later', returnCode: 5 };
    }
    let p: Principal | undefined;
    try {
      p = await this.creds.verify(a.username, a.password);
    } catch (e) {
      return { ok: false, reason: (e as Error).message, returnCode: 3 };
    }
    if (!p) {
      if (!isDevice) this.guard.failed(name, a.address);
      return this.refuse(a, 'bad user name or password', 4);
    }
    if (a.clientId === undefined) {
      if (p.kind !== 'operator' || p.role !== 'gateway')
        return this.refuse(a, 'only the gateway connects without an MQTT client id', 4);
    } else if (!clientIdFits(a.clientId, p.id))
      return this.refuse(a, `client id must be the user name ("${p.id}" or "${p.id}:…")`, 2);
    if (p.kind === 'device' && !this.admitDevices()) {
      // Starting up: intake is not listening yet. "Server unavailable"; the device retries.
      return { ok: false, reason: 'gateway starting', returnCode: 3 };
    }
    if (!isDevice) this.guard.succeeded(name);
    return { ok: true, principal: p };
  }

  private refuse(a: LoginAttempt, reason: string, returnCode: Refusal['returnCode']): LoginResult {
    this.stats.authRefused++;
    this.log?.warn({ clientId: a.clientId, username: a.username, reason }, 'broker refused a connection');
    return { ok: false, reason: reason.startsWith('client id') ? reason : 'bad user name or password', returnCode };
  }
}
