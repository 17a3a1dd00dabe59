import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../sim/testing/self-signed.ts';
import { Gateway } from '../main.ts';

function post(url: string, ca: Buffer, body: object): Promise<{ status: number; cookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie']?.[0] }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('dashboard and API over HTTPS (http.tls)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-https-'));
  let gw: Gateway;
  let ca: Buffer;
  beforeAll(async () => {
    const tls = selfSignedCert(dir);
    ca = readFileSync(tls.certFile);
    gw = new Gateway({
      dataDir: join(dir, 'gw'),
      mqttPort: 0,
      httpPort: 0,
      config: { http: { tls, dashboard: false } },
    });
    await gw.start();
    await gw.services.access.credentials.addOperator('duty-tls', 'tls-pass-1', 'admin');
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in over TLS, and the session cookie is marked Secure', async () => {
    const r = await post(`https://127.0.0.1:${gw.httpPort}/api/v1/session`, ca, {
      username: 'duty-tls',
      password: 'tls-pass-1',
    });
    expect(r.status).toBe(200);
    expect(r.cookie).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    // Plain HTTP on the same port is not spoken.
    await expect(fetch(`http://127.0.0.1:${gw.httpPort}/health`)).rejects.toThrow();
  });
});
