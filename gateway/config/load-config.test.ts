import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
