import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BundleBuilder } from '../../blocklists/bundle/build.js';
import { BundleError } from '../../blocklists/bundle/errors.js';
import { HeaderField } from '../../blocklists/bundle/layout.js';
import { loadBundle } from '../../blocklists/bundle/load.js';
import { generateKeyPair, keyId } from '../../blocklists/keys.js';
import { bundleBytes, meta, testKey } from '../helpers/bundles.js';

const expressions = {
  block: [
    'abuse-one.test/',
    'abuse-two.example/',
    'deep.sub.abuse-three.invalid/',
    'host.test/some/path.html',
  ],
  allow: ['fine.abuse-one.test/'],
};

async function refusal(
  bytes: Uint8Array,
  trust: Parameters<typeof loadBundle>[1],
): Promise<BundleError> {
  try {
    await loadBundle(bytes, trust);
  } catch (error) {
    if (error instanceof BundleError) return error;
    throw error;
  }
  throw new Error('bundle was accepted');
}

describe('bundle', () => {
  it('is deterministic: same input, same bytes', async () => {
    const a = await bundleBytes(expressions, { plaintext: true });
    const b = await bundleBytes(
      { block: [...expressions.block].reverse(), allow: expressions.allow },
      { plaintext: true },
    );
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('streams: repeats dropped, withdrawn entries gone whenever added, same bytes', async () => {
    const key = await testKey();
    for (const plaintext of [false, true]) {
      const builder = new BundleBuilder({ meta: meta(), secretKey: key.secretKey, plaintext });
      builder.withdraw('gone.test/', false);
      for (const e of [...expressions.block, 'gone.test/', ...expressions.block]) {
        builder.add(e, false);
      }
      builder.add('fine.abuse-one.test/', true);
      builder.add('gone.test/', true); // withdrawn as a block only
      const built = await builder.finish();
      const expected = await bundleBytes(
        { block: expressions.block, allow: [...expressions.allow, 'gone.test/'] },
        { plaintext },
      );
      expect(Buffer.from(built.bytes).equals(Buffer.from(expected))).toBe(true);
      expect([built.blockCount, built.allowCount]).toEqual([4, 2]);
    }
  });

  it('loads with its metadata and counts', async () => {
    const key = await testKey();
    const loaded = await loadBundle(await bundleBytes(expressions, { meta: { sequence: 7 } }), {
      trustedKeys: [key.publicKey],
    });
    expect(loaded.meta).toMatchObject({
      id: 'test-list',
      category: 'abuse',
      sequence: 7,
      publisher: keyId(key.publicKey),
    });
    expect(loaded.blockHashes.length).toBe(8);
    expect(loaded.allowHashes.length).toBe(2);
    expect(loaded.plaintext).toBeUndefined();
  });

  it('adopts the bytes (views, same hashes) and uses a given digest', async () => {
    const key = await testKey();
    const bytes = await bundleBytes(expressions);
    const copied = await loadBundle(bytes, { trustedKeys: [key.publicKey] });
    const digest = (c: Uint8Array) => createHash('sha256').update(c).digest();
    const adopted = await loadBundle(bytes, {
      trustedKeys: [key.publicKey],
      digest,
      adoptBytes: true,
    });
    expect(adopted.blockHashes.buffer).toBe(bytes.buffer);
    expect(copied.blockHashes.buffer).not.toBe(bytes.buffer);
    expect([...adopted.blockHashes]).toEqual([...copied.blockHashes]);
    expect([...adopted.allowHashes]).toEqual([...copied.allowHashes]);
    expect(adopted.prefilter.buffer).toBe(bytes.buffer);
    expect(copied.prefilter.buffer).not.toBe(bytes.buffer);
    expect([...adopted.prefilter]).toEqual([...copied.prefilter]);
    const wrong = await refusal(bytes, {
      trustedKeys: [key.publicKey],
      digest: (c) => digest(c).map((b) => b ^ 1),
    });
    expect(wrong.code).toBe('bad-signature');
  });

  it('flags exact-name entries in the header (bit 1) and nothing else changes without them', async () => {
    const flags = (bytes: Uint8Array) =>
      new DataView(bytes.buffer).getUint16(HeaderField.flags, true);
    expect(flags(await bundleBytes({ block: ['exact.test', 'sub.test/'], allow: [] }))).toBe(2);
    expect(flags(await bundleBytes({ block: ['sub.test/'], allow: [] }))).toBe(0);
    const key = await testKey();
    const loaded = await loadBundle(await bundleBytes({ block: [], allow: ['exact.test'] }), {
      trustedKeys: [key.publicKey],
    });
    expect(loaded.exactNames).toBe(true);
  });

  it('keeps no plaintext unless asked', async () => {
    const hashed = await bundleBytes(expressions);
    const text = Buffer.from(hashed).toString('latin1');
    for (const e of [...expressions.block, ...expressions.allow])
      expect(text).not.toContain(e.split('/')[0]);
    const plain = Buffer.from(await bundleBytes(expressions, { plaintext: true })).toString(
      'latin1',
    );
    expect(plain).toContain('abuse-two.example/');
  });

  it('refuses a bundle signed by an unknown key', async () => {
    const other = await generateKeyPair();
    const error = await refusal(await bundleBytes(expressions), { trustedKeys: [other.publicKey] });
    expect(error.code).toBe('unknown-key');
  });

  it('refuses a bad signature', async () => {
    const key = await testKey();
    const bytes = await bundleBytes(expressions);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    expect((await refusal(bytes, { trustedKeys: [key.publicKey] })).code).toBe('bad-signature');
  });

  it('refuses a sequence older than the one in force, accepts the same or newer', async () => {
    const key = await testKey();
    const bytes = await bundleBytes(expressions, { meta: { sequence: 4 } });
    expect((await refusal(bytes, { trustedKeys: [key.publicKey], currentSequence: 5 })).code).toBe(
      'sequence-rollback',
    );
    await expect(
      loadBundle(bytes, { trustedKeys: [key.publicKey], currentSequence: 4 }),
    ).resolves.toBeDefined();
  });

  it('refuses an expired bundle', async () => {
    const key = await testKey();
    const bytes = await bundleBytes(expressions, { meta: { expires: '2026-02-01T00:00:00.000Z' } });
    expect(
      (await refusal(bytes, { trustedKeys: [key.publicKey], now: new Date('2026-03-01') })).code,
    ).toBe('expired');
  });

  it('refuses truncated files, wrong magic, other versions and trailing bytes', async () => {
    const key = await testKey();
    const trust = { trustedKeys: [key.publicKey] };
    const bytes = await bundleBytes(expressions);
    expect((await refusal(bytes.slice(0, 20), trust)).code).toBe('truncated');
    expect((await refusal(bytes.slice(0, bytes.length - 1), trust)).code).toBe('truncated');
    const magic = bytes.slice();
    magic[0] = 0x50;
    expect((await refusal(magic, trust)).code).toBe('bad-magic');
    const version = bytes.slice();
    version[HeaderField.version] = 9;
    expect((await refusal(version, trust)).code).toBe('unsupported-version');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect((await refusal(longer, trust)).code).toBe('corrupt');
  });

  it('refuses every single-byte change', async () => {
    const key = await testKey();
    const trust = { trustedKeys: [key.publicKey] };
    const bytes = await bundleBytes(expressions, { plaintext: true });
    for (let position = 0; position < bytes.length; position++) {
      const delta = fc.sample(fc.integer({ min: 1, max: 255 }), {
        numRuns: 1,
        seed: position,
      })[0] as number;
      const changed = bytes.slice();
      changed[position] = (changed[position] as number) ^ delta;
      await expect(
        loadBundle(changed, trust),
        `byte ${position} ^ ${delta}`,
      ).rejects.toBeInstanceOf(BundleError);
    }
  });
});
