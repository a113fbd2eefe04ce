/**
 * Bad input at a real intake over HTTP: each kind is answered with a clear 4xx and stores
 * nothing, and good reports sent around them are stored and open.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import { decodeUnitPublicKey } from '../../reporting/keys.js';
import { newReport } from '../../reporting/schema.js';
import { type SealedReport, sealReport } from '../../reporting/seal.js';
import { exportCsv, type IntakeFixture, intakeFixture, storedCount } from '../helpers/intake.js';
import { runKalkan } from '../helpers/kalkan-process.js';

let intake: IntakeFixture;
let unitPublicKey: Uint8Array;

beforeAll(async () => {
  intake = await intakeFixture();
  await intake.start(['--reports-per-minute', '40']);
  unitPublicKey = decodeUnitPublicKey(await readFile(intake.pubPath, 'utf8'), intake.pubPath);
});

afterAll(async () => {
  await intake?.server?.stop();
});

async function sealed(
  url = 'https://abuse-demo.test/x',
  key = unitPublicKey,
): Promise<SealedReport> {
  return sealReport(newReport({ url, category: 'csem' }, { source: 'cli' }), key);
}

interface Answer {
  status: number;
  error?: string;
}

async function post(
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Answer> {
  const response = await fetch(`${intake.url}/v1/reports`, { method: 'POST', headers, body });
  const json = (await response.json()) as { error?: string };
  return { status: response.status, ...(json.error ? { error: json.error } : {}) };
}

async function postSealed(report: SealedReport, idempotencyKey = report.id): Promise<Answer> {
  return post(JSON.stringify(report), {
    'content-type': 'application/json',
    'idempotency-key': idempotencyKey,
  });
}

/** A body streamed without Content-Length, to check the limit is enforced on the stream too. */
function postChunked(size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${intake.url}/v1/reports`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(4096, 0x20);
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

describe('bad input at the intake', () => {
  const good: SealedReport[] = [];

  it('stores a good report (201), then answers a retry of it with 200 and no second copy', async () => {
    good.push(await sealed());
    expect(await postSealed(good[0] as SealedReport)).toEqual({ status: 201 });
    expect(await postSealed(good[0] as SealedReport)).toEqual({ status: 200 });
    expect(await storedCount(intake)).toBe(1);
  });

  it.each([
    ['malformed JSON', () => post('{"v":1,'), 400, 'malformed JSON'],
    ['a JSON array', () => post('[]'), 400, 'report: '],
    ['wrong content type', () => post('{}', { 'content-type': 'text/plain' }), 415, 'content-type'],
    ['no content type', () => post('{}', {}), 415, 'content-type'],
    ['an oversized body', () => post(' '.repeat(17 * 1024)), 413, 'larger than'],
    [
      'a missing ct',
      async () => post(JSON.stringify({ ...(await sealed()), ct: undefined })),
      400,
      'ct: is required',
    ],
    [
      'a missing id',
      async () => post(JSON.stringify({ ...(await sealed()), id: undefined })),
      400,
      'id: is required',
    ],
    [
      'an extra field',
      async () => post(JSON.stringify({ ...(await sealed()), url: 'x' })),
      400,
      'url: is not',
    ],
    [
      'no Idempotency-Key',
      async () => post(JSON.stringify(await sealed())),
      400,
      'Idempotency-Key',
    ],
    [
      'an Idempotency-Key that is not the id',
      async () => postSealed(await sealed(), '3b241101-e2bb-4255-8caf-4136c566a962'),
      400,
      'Idempotency-Key',
    ],
    [
      'a report sealed to another key',
      async () => postSealed(await sealed(undefined, (await generateUnitKeyPair()).publicKey)),
      422,
      'sealed to another key',
    ],
    [
      'a sealed body moved under a new id',
      async () => {
        const moved = { ...(await sealed()), id: '3b241101-e2bb-4255-8caf-4136c566a962' };
        return postSealed(moved);
      },
      422,
      'cannot open',
    ],
    [
      'a replayed id with a different body',
      async () => postSealed({ ...(await sealed()), id: (good[0] as SealedReport).id }),
      409,
      'different report with this id',
    ],
  ])('refuses %s', async (_name, send, status, message) => {
    const before = await storedCount(intake);
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.error).toContain(message);
    expect(await storedCount(intake)).toBe(before);
  });

  it('a report sealed to the wrong unit key fails at the CLI, stays visible, and is not retried', async () => {
    const wrong = join(intake.dir, 'wrong');
    await runKalkan([
      'intake',
      'keygen',
      '--out',
      wrong,
      '--org',
      'W',
      '--contact',
      'w@unit.example',
      '--domain',
      'unit.example',
    ]);
    const client = [
      '--intake',
      intake.url,
      '--unit-key',
      join(wrong, 'unit.pub'),
      '--data',
      join(intake.dir, 'client'),
    ];
    const before = await storedCount(intake);
    const submitted = await runKalkan([
      'reports',
      'submit',
      'https://abuse-demo.test/z',
      '--category',
      'other',
      ...client,
    ]);
    expect(submitted.code).toBe(1);
    expect(submitted.stdout).toMatch(/ other failed \(HTTP 422: cannot open/);
    const listed = await runKalkan(['reports', 'outbox', '--flush', ...client]);
    expect(listed.stdout).toContain('0 queued, 0 delivered, 1 failed');
    expect(await storedCount(intake)).toBe(before);
    // Retried on request, it fails again the same way (the key is still wrong) and stays visible.
    const id = /^([0-9a-f-]{36}) /.exec(submitted.stdout)?.[1] ?? '';
    const retried = await runKalkan(['reports', 'outbox', '--retry', id, ...client]);
    expect(retried.stdout).toContain(`${id} other failed (HTTP 422`);
    expect(retried.stdout).toContain('0 queued, 0 delivered, 1 failed');
    expect(await storedCount(intake)).toBe(before);
  });

  it('refuses an oversized body sent without Content-Length', async () => {
    expect(await postChunked(64 * 1024)).toBe(413);
  });

  it('refuses GET on the reports endpoint', async () => {
    const response = await fetch(`${intake.url}/v1/reports`);
    expect(response.status).toBe(405);
  });

  it('good reports around the bad ones are stored and open', async () => {
    good.push(await sealed('https://csam-demo.example/y'));
    expect(await postSealed(good[1] as SealedReport)).toEqual({ status: 201 });
    expect(await storedCount(intake)).toBe(2);
    const csv = await exportCsv(intake);
    expect(csv.stderr).toBe('');
    const lines = csv.stdout.trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(csv.stdout).toContain('https://abuse-demo.test/x');
    expect(csv.stdout).toContain('https://csam-demo.example/y');
  });

  it('rate-limits one address with 429 and Retry-After, storing nothing beyond the limit', async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const response = await fetch(`${intake.url}/v1/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await response.body?.cancel();
      if (response.status === 429) limited = response;
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await storedCount(intake)).toBe(2);
  });
});
