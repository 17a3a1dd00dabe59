import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP Digest authentication (RFC 7616, MD5, qop=auth) — what IP cameras' snapshot URLs and
 * GA/T 1400 platforms ask for. Pure functions: parse the challenge, build the Authorization header.
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  opaque?: string;
  algorithm?: string;
}

export function parseDigestChallenge(header: string): DigestChallenge | undefined {
  const m = /^\s*Digest\s+(.*)$/i.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const part of m[1].matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g))
    params[part[1].toLowerCase()] = part[2] ?? part[3];
  if (!params.realm || !params.nonce) return undefined;
  return {
    realm: params.realm,
    nonce: params.nonce,
    qop: params.qop,
    opaque: params.opaque,
    algorithm: params.algorithm,
  };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function digestAuthorization(
  c: DigestChallenge,
  req: { method: string; uri: string; username: string; password: string; nc?: number; cnonce?: string },
): string {
  const ha1 = md5(`${req.username}:${c.realm}:${req.password}`);
  const ha2 = md5(`${req.method}:${req.uri}`);
  const parts = [`username="${req.username}"`, `realm="${c.realm}"`, `nonce="${c.nonce}"`, `uri="${req.uri}"`];
  const qop = c.qop
    ?.split(',')
    .map((q) => q.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  if (qop) {
    const nc = (req.nc ?? 1).toString(16).padStart(8, '0');
    const cnonce = req.cnonce ?? randomBytes(8).toString('hex');
    parts.push(
      `qop=${qop}`,
      `nc=${nc}`,
      `cnonce="${cnonce}"`,
      `response="${md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)}"`,
    );
  } else {
    parts.push(`response="${md5(`${ha1}:${c.nonce}:${ha2}`)}"`);
  }
  if (c.opaque) parts.push(`opaque="${c.opaque}"`);
  parts.push('algorithm=MD5');
  return `Digest ${parts.join(', ')}`;
}

/** Server side: check an Authorization header against the password (for simulators and tests). */
export function verifyDigest(header: string, method: string, password: string, realm: string, nonce: string): boolean {
  const m = /^\s*Digest\s+(.*)$/i.exec(header);
  if (!m) return false;
  const p: Record<string, string> = {};
  for (const part of m[1].matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[part[1].toLowerCase()] = part[2] ?? part[3];
  if (p.realm !== realm || p.nonce !== nonce) return false;
  const ha1 = md5(`${p.username}:${realm}:${password}`);
  const ha2 = md5(`${method}:${p.uri}`);
  const want = p.qop ? md5(`${ha1}:${nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  return p.response === want;
}
