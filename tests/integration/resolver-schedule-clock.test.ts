/**
 * Children's hours switch at the configured times in the café's time zone, with the resolver's
 * clock moved (libfaketime: the test writes the offset, kalkan serve's Date follows), not
 * waited for: a device with the children's policy gets adult blocking and safe search from
 * Monday 15:00 to 21:00 Bishkek time, and only then.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BLOCKED_BY_KALKAN,
  dig,
  type Kalkan,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  UPSTREAM_WILDCARD,
  waitFor,
} from '../helpers/resolver.js';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const KIDS_PC = '127.0.0.3';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
let k: Kalkan;
let clockFile: string;

/** Moves kalkan's clock so that it reads `bishkekTime` (local, UTC+6) now. */
async function setClock(bishkekTime: string): Promise<void> {
  const offsetSeconds = Math.round((Date.parse(`${bishkekTime}+06:00`) - Date.now()) / 1000);
  await writeFile(clockFile, `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}\n`);
}

const fromKids = (name: string) => dig(k.port, name, 'A', ['-b', KIDS_PC]);
const kidsBlocked = async () => BLOCKED_BY_KALKAN.test(await fromKids('adult-demo.test'));
const kidsSafeSearch = async () => (await fromKids('www.google.com')).includes('forcesafesearch');

beforeAll(async () => {
  tmp = await tempDir('kalkan-schedule-');
  clockFile = join(tmp.dir, 'faketime');
  unbound = await startUnbound(
    tmp.dir,
    ['forcesafesearch.google.com. 300 IN A 216.239.38.120'],
    ['test.', 'google.com.'],
  );
  // 2026-11-30 is a Monday.
  await setClock('2026-11-30T14:59:00');
  k = await startKalkan(
    tmp.dir,
    {
      upstreams: [`127.0.0.1:${unbound.port}`],
      timeZone: 'Asia/Bishkek',
      policies: [
        {
          name: 'children',
          categories: ['abuse'],
          safeSearch: false,
          schedule: [
            {
              days: ['mon', 'tue', 'wed', 'thu', 'fri'],
              from: '15:00',
              to: '21:00',
              categories: ['abuse', 'adult'],
              safeSearch: true,
            },
          ],
        },
      ],
      devices: [{ name: 'Kids corner PC', address: KIDS_PC, policy: 'children' }],
    },
    undefined,
    {
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_CACHE_DURATION: '1',
      // Timers keep real time; only the wall clock (Date) moves.
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    },
  );
}, 60_000);

afterAll(async () => {
  await k?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

describe("children's hours", () => {
  it('block adult and turn safe search on from 15:00 to 21:00 on weekdays only', async () => {
    // Positive control: the default policy blocks adult-demo.test; the kids' PC before 15:00 does not.
    expect(await dig(k.port, 'adult-demo.test')).toMatch(BLOCKED_BY_KALKAN);
    const before = await fromKids('adult-demo.test');
    expect(statusOf(before)).toBe('NOERROR');
    expect(before).toContain(UPSTREAM_WILDCARD.A);
    expect(await kidsSafeSearch()).toBe(false);
    expect(await fromKids('abuse-demo.test')).toMatch(BLOCKED_BY_KALKAN);

    await setClock('2026-11-30T15:00:05');
    await waitFor(kidsBlocked, 15_000, 'adult blocked at 15:00');
    expect(await kidsSafeSearch()).toBe(true);
    // Other clients are not moved by the kids' schedule.
    expect(await dig(k.port, 'www.google.com')).toContain('forcesafesearch');

    await setClock('2026-11-30T21:00:05');
    await waitFor(async () => !(await kidsBlocked()), 15_000, 'adult open again at 21:00');
    expect(await kidsSafeSearch()).toBe(false);

    await setClock('2026-12-04T16:00:00'); // Friday 16:00: on again
    await waitFor(kidsBlocked, 15_000, 'adult blocked on Friday afternoon');
    await setClock('2026-12-05T16:00:00'); // Saturday: not a listed day
    await waitFor(async () => !(await kidsBlocked()), 15_000, 'adult open on Saturday');
    expect(await fromKids('abuse-demo.test')).toMatch(BLOCKED_BY_KALKAN);
  }, 90_000);
});
