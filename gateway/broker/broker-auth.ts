import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import type { CredentialStore, Principal } from '../registry/credentials.ts';
import { canPublish, canSubscribe } from './acl.ts';

export interface BrokerAuthStats {
  authRefused: number;
  publishDenied: number;
  subscribeDenied: number;
}

/**
 * aedes hooks: per-device credentials (username = device id, which must also be the client id so
 * a device cannot take another's session) and topic ACLs. Every refusal is logged and counted.
 */
export function installBrokerAuth(aedes: Aedes, creds: CredentialStore, log?: Logger, admitDevices: () => boolean = () => true): BrokerAuthStats {
  const stats: BrokerAuthStats = { authRefused: 0, publishDenied: 0, subscribeDenied: 0 };
  const principals = new WeakMap<Client, Principal>();

  aedes.authenticate = (client, username, password, done) => {
    creds.verify(username, password).then(
      (p) => {
        const clientIdOk = p?.kind !== 'device' || client.id === p.id;
        if (!p || !clientIdOk) {
          stats.authRefused++;
          log?.warn({ clientId: client.id, username, reason: p ? 'client id must equal the device id' : 'bad user name or password' }, 'broker refused a connection');
          return done(Object.assign(new Error('bad user name or password'), { returnCode: p ? 2 : 4 }) as never, false);
        }
        if (p.kind === 'device' && !admitDevices()) {
          // Starting up: intake is not listening yet. "Server unavailable"; the device retries.
          return done(Object.assign(new Error('gateway starting'), { returnCode: 3 }) as never, false);
        }
        principals.set(client, p);
        done(null, true);
      },
      (e: Error) => done(Object.assign(e, { returnCode: 3 }) as never, false),
    );
  };

  aedes.authorizePublish = (client, packet, done) => {
    const p = client && principals.get(client);
    if (!client || (p && canPublish(p, packet.topic))) return done(null);
    stats.publishDenied++;
    log?.warn({ clientId: client.id, topic: packet.topic }, 'broker refused a publish outside the client’s topics');
    done(new Error(`not allowed to publish to ${packet.topic}`));
  };

  aedes.authorizeSubscribe = (client, sub, done) => {
    const p = client && principals.get(client);
    if (!client || (p && canSubscribe(p, sub.topic))) return done(null, sub);
    stats.subscribeDenied++;
    log?.warn({ clientId: client.id, filter: sub.topic }, 'broker refused a subscription');
    done(null, null);
  };

  return stats;
}
