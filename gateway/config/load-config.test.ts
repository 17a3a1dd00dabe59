import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../sim/testing/self-signed.ts';
import { loadGatewayConfig } from './load-config.ts';

describe('gateway.yaml TLS files, checked before the gateway starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cfg-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = (yaml: string) => {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, yaml);
    return () => loadGatewayConfig(file);
  };

  it('names a missing certificate, a file that is no certificate, and a key of another certificate', () => {
    selfSignedCert(dir, 'a');
    selfSignedCert(dir, 'b');
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
    expect(config('http:\n  tls: { certFile: missing.pem, keyFile: a.key }\n')).toThrow(
      /http\.tls\.certFile: .*missing\.pem: no such file/,
    );
    expect(config('http:\n  tls: { certFile: junk.pem, keyFile: a.key }\n')).toThrow(
      /junk\.pem is not a PEM certificate/,
    );
    expect(config('broker:\n  tls: { port: 8883, certFile: a.pem, keyFile: b.key }\n')).toThrow(
      /broker\.tls\.keyFile: .*b\.key is not the key of .*a\.pem/,
    );
  });

  it('accepts a matching pair, found next to the file however the gateway is started', () => {
    selfSignedCert(dir, 'c');
    const c = config('http:\n  tls: { certFile: c.pem, keyFile: c.key }\n')();
    expect(c.http?.tls).toEqual({ certFile: join(dir, 'c.pem'), keyFile: join(dir, 'c.key') });
  });
});

describe('gateway.yaml broker type', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cfg-broker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, yaml);
    return () => loadGatewayConfig(file);
  };

  it('says what each broker type needs, naming the key', () => {
    expect(load('broker:\n  type: rabbitmq\n')).toThrow(/broker\.rabbitmq: required when broker\.type is rabbitmq/);
    expect(load('broker:\n  type: external\n')).toThrow(/broker\.url: required when broker\.type is external/);
    expect(load('broker:\n  type: rabbitmq\n  url: mqtt://x:1883\n  rabbitmq: { nodes: [a:5672] }\n')).toThrow(
      /broker\.url: only for broker\.type external \(this is rabbitmq\)/,
    );
    expect(load('broker:\n  rabbitmq: { nodes: [a:5672] }\n')).toThrow(
      /broker\.rabbitmq: only for broker\.type rabbitmq/,
    );
    expect(load('broker:\n  type: rabbitmq\n  rabbitmq: { nodes: ["amqp://a:5672"] }\n')).toThrow(
      /broker\.rabbitmq\.nodes\.0: .*amqp:\/\/a:5672/,
    );
    expect(load('broker:\n  url: mqtt://x:1883\n')().broker?.url).toBe('mqtt://x:1883');
  });

  it('accepts the prefecture example', () => {
    const example = fileURLToPath(new URL('../../examples/prefecture/gateway.yaml', import.meta.url));
    process.env.RW_PG_PASSWORD = 'test-only';
    try {
      const c = loadGatewayConfig(example);
      expect(c.broker?.type).toBe('rabbitmq');
      expect(c.broker?.rabbitmq?.nodes).toHaveLength(3);
      expect(c.storage?.url).toMatch(/^postgres:/);
    } finally {
      delete process.env.RW_PG_PASSWORD;
    }
  });
});
