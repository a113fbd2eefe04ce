import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../reporting/encoding.js';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import {
  decodeUnitPublicKey,
  decodeUnitSecretKey,
  encodeUnitPublicKey,
  encodeUnitSecretKey,
} from '../../reporting/keys.js';
import { newReport, ReportError } from '../../reporting/schema.js';
import { OpenError, openReport, parseSealedReport, sealReport } from '../../reporting/seal.js';

const unit = await generateUnitKeyPair();
const report = newReport(
  { url: 'https://abuse-demo.test/a', category: 'csem', note: 'seen in a chat link' },
  { source: 'cli' },
);

describe('sealing reports (HPKE X25519/HKDF-SHA256/ChaCha20-Poly1305)', () => {
  it('round-trips, with the id in the clear and nothing else', async () => {
    const sealed = await sealReport(report, unit.publicKey);
    expect(sealed.id).toBe(report.id);
    expect(JSON.stringify(sealed)).not.toContain('abuse-demo');
    expect(JSON.stringify(sealed)).not.toContain('chat');
    expect(await openReport(sealed, unit.secretKey)).toEqual(report);
  });

  it('seals the same report differently each time', async () => {
    const a = await sealReport(report, unit.publicKey);
    const b = await sealReport(report, unit.publicKey);
    expect(a.ct).not.toBe(b.ct);
    expect(a.enc).not.toBe(b.enc);
  });

  it('does not open with another key', async () => {
    const other = await generateUnitKeyPair();
    const sealed = await sealReport(report, other.publicKey);
    await expect(openReport(sealed, unit.secretKey)).rejects.toBeInstanceOf(OpenError);
  });

  it('does not open when moved under another id', async () => {
    const sealed = await sealReport(report, unit.publicKey);
    const moved = { ...sealed, id: '3b241101-e2bb-4255-8caf-4136c566a962' };
    await expect(openReport(moved, unit.secretKey)).rejects.toBeInstanceOf(OpenError);
  });

  it('does not open when one ciphertext byte changes', async () => {
    const sealed = await sealReport(report, unit.publicKey);
    const bytes = fromBase64Url(sealed.ct) ?? new Uint8Array();
    bytes[5] = (bytes[5] ?? 0) ^ 1;
    await expect(openReport({ ...sealed, ct: toBase64Url(bytes) }, unit.secretKey)).rejects.toThrow(
      OpenError,
    );
  });

  it('refuses to seal an invalid report', async () => {
    await expect(
      sealReport({ ...report, url: 'file:///etc/passwd' }, unit.publicKey),
    ).rejects.toThrow(ReportError);
  });

  it('validates the envelope, naming the field', () => {
    expect(() => parseSealedReport({ v: 1, id: report.id, enc: 'a' })).toThrow('ct: is required');
    expect(() => parseSealedReport({ v: 2, id: report.id, enc: 'a', ct: 'b' })).toThrow(/^v:/);
    expect(() => parseSealedReport({ v: 1, id: report.id, enc: 'a+/', ct: 'b' })).toThrow(/^enc:/);
  });

  it('encodes unit keys as one labelled line and rejects the wrong kind', () => {
    const pub = encodeUnitPublicKey(unit.publicKey);
    expect(pub).toMatch(/^kalkan-x25519-public [A-Za-z0-9_-]{43}\n$/);
    expect(decodeUnitPublicKey(pub, 'unit.pub')).toEqual(unit.publicKey);
    expect(decodeUnitSecretKey(encodeUnitSecretKey(unit.secretKey), 'k')).toEqual(unit.secretKey);
    expect(() => decodeUnitSecretKey(pub, 'unit.pub')).toThrow('unit.pub: expected one line');
    expect(() => decodeUnitPublicKey('kalkan-x25519-public AAAA', 'x')).toThrow('32 bytes');
  });
});
