import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import pino from 'pino';
import { until } from '../../sim/testing/until.ts';
import { GatewayClient } from './gateway-client.ts';

// Mosquitto (a broker nobody here wrote) keeps the persistent session and resends what was not acknowledged.
const URL = 'mqtt://127.0.0.1:1883';
const run = `${process.pid}-${Date.now()}`;

describe('the gateway client acknowledges only what its handlers finished', () => {
  let gw: GatewayClient | undefined;
  afterEach(async () => {
    await gw?.stop();
  });

  it('does not acknowledge a message its handler failed on: it comes again, and is handled once done', async () => {
    const topic = `rw-test/${run}/event`;
    const seen: string[] = [];
    const done: string[] = [];
    gw = new GatewayClient(pino({ level: 'silent' }));
    gw.subscribe([topic], async (_t, payload) => {
      const m = payload.toString();
      seen.push(m);
      if (m === 'first' && seen.filter((x) => x === 'first').length === 1) throw new Error('store unavailable');
      await new Promise((r) => setTimeout(r, 20));
      done.push(m);
    });
    await gw.connect({ url: URL, clientId: `rw-test-gw-${run}` });
    const box = await mqtt.connectAsync(URL, { clientId: `rw-test-box-${run}` });
    await box.publishAsync(topic, 'first', { qos: 1 });
    await box.publishAsync(topic, 'second', { qos: 1 });
    await until(() => done.includes('first') && done.includes('second'), 8000, 'both handled');
    await box.endAsync();
    expect(seen.filter((x) => x === 'first').length).toBeGreaterThanOrEqual(2);
    expect(done.filter((x) => x === 'first')).toHaveLength(1);
  });
});
