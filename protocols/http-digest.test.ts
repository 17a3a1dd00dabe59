import { describe, expect, it } from 'vitest';
import { digestAuthorization, parseDigestChallenge, verifyDigest } from './http-digest.ts';

describe('HTTP Digest', () => {
  // RFC 2617 §3.5 example: Mufasa / "Circle Of Life".
  it('computes the RFC 2617 example response', () => {
    const c = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(c).toBeDefined();
    const h = digestAuthorization(c!, {
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      nc: 1,
      cnonce: '0a4f113b',
    });
    expect(h).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(h).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('verifies what it builds and refuses a wrong password', () => {
    const c = { realm: 'cam', nonce: 'abc', qop: 'auth' };
    const h = digestAuthorization(c, { method: 'GET', uri: '/snapshot.jpg', username: 'admin', password: 'pw' });
    expect(verifyDigest(h, 'GET', 'pw', 'cam', 'abc')).toBe(true);
    expect(verifyDigest(h, 'GET', 'nope', 'cam', 'abc')).toBe(false);
  });

  it('ignores a non-digest challenge', () => {
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
  });
});
