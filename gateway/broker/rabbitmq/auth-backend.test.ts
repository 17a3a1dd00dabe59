import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeTestStores, TEST_STORES } from '../../../sim/testing/sql-stores.ts';
import { CredentialStore } from '../../access/credential-store.ts';
import type { PlaceOf } from '../acl.ts';
import { BrokerLogin } from '../broker-login.ts';
import { RabbitAuthBackend } from './auth-backend.ts';

const places: Record<string, { village: string; township: string }> = {
  'box-1': { village: '王屯', township: '斗虎屯镇' },
  'box-2': { village: '张庄', township: '梁水镇' },
};
const placeOf: PlaceOf = (id) => places[id];

/**
 * What the gateway answers RabbitMQ's HTTP auth backend, field for field as RabbitMQ 3.10 sends
 * them (recorded from a real node): an attacker's view of every path.
 */
describe('RabbitMQ auth backend', () => {
  let auth: RabbitAuthBackend;
  beforeEach(async () => {
    const creds = new CredentialStore(await TEST_STORES[0]!.open());
    await creds.addDevice('box-1', 'box-1-secret');
    await creds.addDevice('box-2', 'box-2-secret');
    await creds.addDevice('box.dot', 'box-3-secret');
    await creds.addOperator('roadwarden-gateway', 'gw-password', 'gateway');
    await creds.addOperator('li', 'li-password', 'village', { villages: ['王屯'] });
    await creds.addOperator('chief', 'chief-password', 'police');
    auth = new RabbitAuthBackend(new BrokerLogin(creds), creds, placeOf, '/');
  });
  afterEach(closeTestStores);

  const user = (username: string, password: string, client_id?: string) =>
    auth.decide('user', { username, password, vhost: '/', ...(client_id && { client_id }) });
  const resource = (username: string, resource: string, name: string, permission: string, client_id?: string) =>
    auth.decide('resource', { username, vhost: '/', resource, name, permission, ...(client_id && { client_id }) });
  const topic = (username: string, permission: 'read' | 'write', routing_key: string, client_id = username) =>
    auth.decide('topic', {
      username,
      vhost: '/',
      resource: 'topic',
      name: 'amq.topic',
      permission,
      routing_key,
      'variable_map.client_id': client_id,
    });

  it('logs a box in over MQTT with its own password and client id only', async () => {
    expect(await user('box-1', 'box-1-secret', 'box-1')).toBe(true);
    expect(await user('box-1', 'box-1-secret', 'box-1:second')).toBe(true);
    expect(await user('box-1', 'box-2-secret', 'box-1')).toBe(false);
    expect(await user('box-1', 'box-1-secret', 'box-2')).toBe(false);
    expect(await user('box-1', 'box-1-secret', 'box-10')).toBe(false);
    expect(await user('nobody', 'x', 'nobody')).toBe(false);
    expect(
      await auth.decide('user', { username: 'box-1', password: 'box-1-secret', vhost: '/other', client_id: 'box-1' }),
    ).toBe(false);
    expect(auth.stats.denied.user).toBe(5);
  });

  it('lets only the gateway’s account open AMQP connections (no client id)', async () => {
    expect(await auth.decide('user', { username: 'roadwarden-gateway', password: 'gw-password' })).toBe(true);
    expect(await auth.decide('user', { username: 'box-1', password: 'box-1-secret' })).toBe(false);
    expect(await auth.decide('user', { username: 'chief', password: 'chief-password' })).toBe(false);
  });

  it('refuses an id with a dot, which routing keys cannot tell from a topic level', async () => {
    expect(await user('box.dot', 'box-3-secret', 'box.dot')).toBe(false);
  });

  it('gives a box its own subscription queues and amq.topic, nothing else', async () => {
    for (const perm of ['configure', 'read', 'write'])
      expect(await resource('box-1', 'queue', 'mqtt-subscription-box-1qos1', perm, 'box-1')).toBe(true);
    expect(await resource('box-1', 'queue', 'mqtt-subscription-box-2qos1', 'read', 'box-1')).toBe(false);
    // Another account's client id in the request: RabbitMQ passes what the connection logged in with.
    expect(await resource('box-1', 'queue', 'mqtt-subscription-box-2qos1', 'read', 'box-2')).toBe(false);
    expect(await resource('box-1', 'queue', 'roadwarden.reports.0', 'read', 'box-1')).toBe(false);
    expect(await resource('box-1', 'exchange', 'amq.topic', 'write', 'box-1')).toBe(true);
    expect(await resource('box-1', 'exchange', 'amq.topic', 'configure', 'box-1')).toBe(false);
    expect(await resource('box-1', 'exchange', 'roadwarden.reports', 'write', 'box-1')).toBe(false);
    expect(await resource('roadwarden-gateway', 'queue', 'roadwarden.reports.3', 'configure')).toBe(true);
    expect(await resource('roadwarden-gateway', 'queue', 'mqtt-subscription-box-1qos1', 'read')).toBe(false);
  });

  it('lets a box publish its own reports and read its own commands only', async () => {
    expect(await topic('box-1', 'write', 'rw.v1.box-1.event.tricycle_passengers')).toBe(true);
    expect(await topic('box-1', 'write', 'rw.v1.box-2.event.tricycle_passengers')).toBe(false);
    expect(await topic('box-1', 'write', 'rw.v1.box-1.cmd.stop')).toBe(false);
    expect(await topic('box-1', 'write', 'rw-county.v1.case')).toBe(false);
    expect(await topic('box-1', 'read', 'rw.v1.box-1.cmd.*')).toBe(true);
    expect(await topic('box-1', 'read', 'rw.v1.box-2.cmd.*')).toBe(false);
    expect(await topic('box-1', 'read', 'rw.v1.*.cmd.*')).toBe(false);
    expect(await topic('box-1', 'read', '#')).toBe(false);
  });

  it('never lets a scoped person subscribe wider than their scope, as no broker filter would catch it', async () => {
    // On the embedded broker the cadre could subscribe to everything and get only 王屯's boxes.
    expect(await topic('li', 'read', 'rw.v1.#')).toBe(false);
    expect(await topic('li', 'read', 'rw.v1.*.event.*')).toBe(false);
    expect(await topic('li', 'read', 'rw-county.v1.#')).toBe(false);
    expect(await topic('li', 'read', 'rw.v1.box-2.event.*')).toBe(false);
    expect(await topic('li', 'read', 'rw.v1.box-1.event.*')).toBe(true);
    // Unscoped with personal data: as on the embedded broker.
    expect(await topic('chief', 'read', 'rw.v1.#')).toBe(true);
    expect(await topic('chief', 'write', 'rw.v1.box-1.cmd.stop')).toBe(false);
    expect(auth.stats.denied.topic).toBeGreaterThanOrEqual(5);
  });

  it('refuses another vhost and an account that does not exist, on every path', async () => {
    expect(await auth.decide('vhost', { username: 'box-1', vhost: '/other' })).toBe(false);
    expect(await auth.decide('vhost', { username: 'ghost', vhost: '/' })).toBe(false);
    expect(await auth.decide('vhost', { username: 'box-1', vhost: '/' })).toBe(true);
    expect(await topic('ghost', 'write', 'rw.v1.ghost.status')).toBe(false);
    expect(await resource('ghost', 'queue', 'mqtt-subscription-ghostqos1', 'read', 'ghost')).toBe(false);
  });
});
