import { describe, expect, it } from 'vitest';
import { bundleNameOf, generateUpdateKeys, signManifest, verifyManifest } from './update-bundle.ts';

describe('a signed update manifest', () => {
  const keys = generateUpdateKeys();
  const m = {
    kind: 'models' as const,
    name: 'roadwarden-models-2026.12',
    version: '2026.12',
    sha256: 'a'.repeat(64),
    size: 10,
  };

  it('reads kind and version from a bundle’s name, with or without .tar.gz, and nothing else', () => {
    expect(bundleNameOf('roadwarden-models-2026.12.tar.gz')).toEqual({
      kind: 'models',
      name: 'roadwarden-models-2026.12',
      version: '2026.12',
    });
    expect(bundleNameOf('roadwarden-edge-0.3.0-rc.1')).toMatchObject({ kind: 'agent', version: '0.3.0-rc.1' });
    expect(bundleNameOf('roadwarden-config-1-county.tar.gz')).toMatchObject({ kind: 'config', version: '1-county' });
    for (const bad of [
      'roadwarden-gateway-1.0.tar.gz',
      'roadwarden-models-',
      'roadwarden-models-a/b',
      'x-roadwarden-edge-1',
    ])
      expect(bundleNameOf(bad)).toBeUndefined();
  });

  it('is refused when its name says another kind or version than it signs, though the signature is good', () => {
    expect(verifyManifest(signManifest(m, keys.privateKeyPem), keys.publicKeyPem)).toBe(true);
    // Models signed as if they were an agent (or the other way round) would unpack where they do not belong.
    for (const wrong of [
      { ...m, kind: 'agent' as const },
      { ...m, kind: 'config' as const },
      { ...m, version: '2026.13' },
    ])
      expect(verifyManifest(signManifest(wrong, keys.privateKeyPem), keys.publicKeyPem)).toBe(false);
  });
});
