import type { Logger } from 'pino';
import type { CredentialStore, Principal } from '../../access/credential-store.ts';
import { canPublish, canSubscribeUnfiltered, type PlaceOf } from '../acl.ts';
import { type BrokerLogin, clientIdFits } from '../broker-login.ts';
import { MQTT_EXCHANGE, mqttQueuesOf, OWN_PREFIX, routingKeyToMqtt } from './names.ts';

/** What RabbitMQ's HTTP auth backend sends (form fields) to each of its four paths. */
export type AuthRequest = Record<string, string | undefined>;
export type AuthPath = 'user' | 'vhost' | 'resource' | 'topic';

export interface RabbitAuthStats {
  allowed: Record<AuthPath, number>;
  denied: Record<AuthPath, number>;
}

const isGateway = (p: Principal | undefined): boolean => p?.kind === 'operator' && p.role === 'gateway';

/**
 * The gateway's answers to RabbitMQ's HTTP auth backend, through the same log-in rule and topic
 * ACL as the embedded broker: boxes and people connect over MQTT with their own accounts (client
 * id = user name), may use only their own subscription queues, publish and subscribe only within
 * their rights; the gateway's account alone opens AMQP connections and declares `roadwarden.*`.
 * RabbitMQ asks about rights separately from the log-in (no password then), so rights are looked up
 * by user name; its auth cache in front keeps a reconnect storm from costing one hash per attempt.
 */
export class RabbitAuthBackend {
  readonly stats: RabbitAuthStats = {
    allowed: { user: 0, vhost: 0, resource: 0, topic: 0 },
    denied: { user: 0, vhost: 0, resource: 0, topic: 0 },
  };

  constructor(
    private readonly login: BrokerLogin,
    private readonly creds: CredentialStore,
    private readonly placeOf: PlaceOf,
    private readonly vhost: string,
    private readonly log?: Logger,
  ) {}

  async decide(path: AuthPath, q: AuthRequest): Promise<boolean> {
    const ok = await this.decision(path, q);
    this.stats[ok ? 'allowed' : 'denied'][path]++;
    if (!ok && path !== 'user')
      this.log?.warn(
        {
          path,
          username: q.username,
          resource: q.resource,
          name: q.name,
          permission: q.permission,
          key: q.routing_key,
        },
        'RabbitMQ: refused outside the account’s rights',
      );
    return ok;
  }

  private async decision(path: AuthPath, q: AuthRequest): Promise<boolean> {
    // An AMQP log-in names no vhost yet (it is chosen after); every later check names it.
    if (path === 'user') return (q.vhost === undefined || q.vhost === this.vhost) && this.user(q);
    if (q.vhost !== this.vhost) return false;
    const username = q.username ?? '';
    const p = await this.creds.principalOf(username);
    if (!p) return false;
    if (path === 'vhost') return true;
    if (path === 'resource') return this.resource(p, q);
    return this.topic(p, q);
  }

  private async user(q: AuthRequest): Promise<boolean> {
    if (q.client_id?.includes('.') || q.username?.includes('.')) {
      this.log?.warn(
        { username: q.username, clientId: q.client_id },
        'RabbitMQ: a name with a dot cannot be told apart in routing keys; give the box an id without dots',
      );
      return false;
    }
    const r = await this.login.login({
      username: q.username,
      password: q.password,
      clientId: q.client_id,
      address: undefined,
    });
    return r.ok;
  }

  private resource(p: Principal, q: AuthRequest): boolean {
    const { resource, name = '', permission } = q;
    if (isGateway(p)) return name.startsWith(OWN_PREFIX) || name === MQTT_EXCHANGE || name.startsWith('amq.gen-');
    if (resource === 'exchange') return name === MQTT_EXCHANGE && (permission === 'read' || permission === 'write');
    if (resource !== 'queue' || !q.client_id || !clientIdFits(q.client_id, p.id)) return false;
    return mqttQueuesOf(q.client_id).includes(name);
  }

  private topic(p: Principal, q: AuthRequest): boolean {
    if (q.name !== MQTT_EXCHANGE || !q.routing_key) return false;
    if (isGateway(p)) return true;
    const topic = routingKeyToMqtt(q.routing_key);
    if (q.permission === 'write') return canPublish(p, topic, this.placeOf);
    if (q.permission === 'read') return canSubscribeUnfiltered(p, topic, this.placeOf);
    return false;
  }
}
