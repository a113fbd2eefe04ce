/**
 * The extension's report wiring: drafts without a destination, sealing (pages), delivery and the
 * alarm (worker), over one storage area as in the browser.
 */
import { describe, expect, it } from 'vitest';
import { DRAFT_KEEP_MS, DRAFTS_KEY } from '../../extension/background/report-drafts.js';
import { destinationOf, REPORT_ALARM, ReportDelivery } from '../../extension/background/reports.js';
import { ReportSealing } from '../../extension/pages/report-sealing.js';
import {
  encodeUnitPublicKey,
  generateUnitKeyPair,
  type KeyValueArea,
  type ReportDraft,
  ReportError,
} from '../../reporting/index.js';

function memoryArea(): KeyValueArea & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    async get(keys) {
      const wanted = keys === null ? [...data.keys()] : [keys].flat();
      return Object.fromEntries(wanted.filter((k) => data.has(k)).map((k) => [k, data.get(k)]));
    },
    async set(items) {
      for (const [k, v] of Object.entries(items)) data.set(k, structuredClone(v));
    },
    async remove(keys) {
      for (const k of [keys].flat()) data.delete(k);
    },
  };
}

async function setup(statuses: number[], clock = { now: Date.now() }) {
  const area = memoryArea();
  const now = () => clock.now;
  const settings = { reportDestination: '', reportUnitKey: '' };
  const alarms = new Map<string, number>();
  const posted: { url: string; key: string | null }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    posted.push({ url, key: new Headers(init.headers).get('idempotency-key') });
    const status = statuses.shift();
    if (status === undefined) throw new TypeError('fetch failed');
    return new Response(status < 300 ? '{}' : '{"error":"no"}', { status });
  }) as typeof globalThis.fetch;
  const delivery = new ReportDelivery({
    area,
    settings: async () => settings,
    alarms: {
      create: (name, { when }) => alarms.set(name, when),
      clear: async (name) => alarms.delete(name),
    },
    fetch,
    now,
  });
  const sealing = new ReportSealing({ area, settings: async () => settings, now });
  // As the pages do: seal (or keep a draft), then the worker delivers; a page opened later seals drafts.
  const reports = {
    submit: (d: typeof draft | ReportDraft) => sealing.submit(d),
    pump: async () => {
      await sealing.sealDrafts();
      await delivery.pump();
    },
    overview: () => delivery.overview(),
    retry: (id: string) => delivery.retry(id),
  };
  const unitKey = encodeUnitPublicKey((await generateUnitKeyPair()).publicKey);
  const configure = () => {
    settings.reportDestination = 'http://intake.example/';
    settings.reportUnitKey = unitKey;
  };
  return { area, alarms, posted, reports, configure, unitKey, settings };
}

const draft = {
  url: 'http://abuse-demo.test/a?b=c',
  category: 'csem',
  whereFound: 'search',
} as const;

describe('report destination', () => {
  it('needs an http(s) URL and a unit key line', async () => {
    const key = encodeUnitPublicKey((await generateUnitKeyPair()).publicKey);
    expect(destinationOf({ reportDestination: '', reportUnitKey: '' })).toEqual({
      ok: false,
      problem: 'none',
    });
    expect(destinationOf({ reportDestination: 'ftp://x.example/', reportUnitKey: key })).toEqual({
      ok: false,
      problem: 'destination',
    });
    expect(
      destinationOf({
        reportDestination: 'https://x.example/',
        reportUnitKey: 'kalkan-x25519-public AA',
      }),
    ).toEqual({ ok: false, problem: 'unit-key' });
    expect(destinationOf({ reportDestination: 'https://x.example/', reportUnitKey: key }).ok).toBe(
      true,
    );
  });
});

describe('extension reports', () => {
  it('keeps a draft without a destination, then seals and delivers it once one is set', async () => {
    const { area, alarms, posted, reports, configure } = await setup([201]);
    expect(await reports.submit(draft)).toEqual({ sealed: false });
    await reports.pump();
    expect(area.data.get(DRAFTS_KEY)).toHaveLength(1);
    expect(posted).toHaveLength(0);
    expect(await reports.overview()).toMatchObject({ configured: false, waiting: 1, entries: [] });

    configure();
    await reports.pump();
    const overview = await reports.overview();
    expect(overview).toMatchObject({ configured: true, waiting: 0 });
    expect(overview.entries.map((e) => e.state)).toEqual(['delivered']);
    expect(posted).toEqual([
      { url: 'http://intake.example/v1/reports', key: overview.entries[0]?.id },
    ]);
    expect(area.data.get(DRAFTS_KEY)).toEqual([]);
    // Nothing queued: no alarm; the outbox holds no plaintext URL.
    expect(alarms.has(REPORT_ALARM)).toBe(false);
    expect(JSON.stringify([...area.data.values()])).not.toContain('abuse-demo');
  });

  it('discards a draft no page sealed a day after it was taken, by the alarm', async () => {
    const clock = { now: Date.parse('2026-11-30T10:00:00Z') };
    const { area, alarms, reports } = await setup([], clock);
    await reports.submit(draft);
    await reports.pump();
    // Still waiting just before the day is up, with the alarm set for its end.
    expect(alarms.get(REPORT_ALARM)).toBe(clock.now + DRAFT_KEEP_MS);
    clock.now += DRAFT_KEEP_MS - 1;
    await reports.pump();
    expect(area.data.get(DRAFTS_KEY)).toHaveLength(1);
    clock.now += 1;
    await reports.pump();
    expect(area.data.get(DRAFTS_KEY)).toEqual([]);
    expect(alarms.has(REPORT_ALARM)).toBe(false);
    expect(JSON.stringify([...area.data.values()])).not.toContain('abuse-demo');
    expect(await reports.overview()).toMatchObject({ waiting: 0, entries: [] });
  });

  it('refuses a bad field at once, with or without a destination', async () => {
    const { reports, configure } = await setup([]);
    const bad = { ...draft, note: 'x'.repeat(501) };
    await expect(reports.submit(bad)).rejects.toThrow(ReportError);
    configure();
    await expect(reports.submit({ ...draft, url: 'file:///etc/passwd' })).rejects.toMatchObject({
      field: 'url',
    });
  });

  it('re-arms the alarm while the intake is down, marks a refusal failed, retries on request', async () => {
    const clock = { now: Date.now() };
    const { alarms, posted, reports, configure } = await setup([], clock);
    configure();
    const before = clock.now;
    const submitted = await reports.submit(draft);
    await reports.pump();
    const [queued] = (await reports.overview()).entries;
    expect(queued).toMatchObject({ state: 'queued', attempts: 1 });
    expect(alarms.get(REPORT_ALARM)).toBeGreaterThanOrEqual(before + 1000);

    const down = await setup([400, 202]);
    down.configure();
    await down.reports.submit(draft);
    await down.reports.pump();
    const [failed] = (await down.reports.overview()).entries;
    expect(failed).toMatchObject({ state: 'failed', lastError: 'HTTP 400: no' });
    expect(await down.reports.retry(failed?.id ?? '')).toBe(true);
    expect((await down.reports.overview()).entries[0]?.state).toBe('delivered');
    expect(down.posted).toHaveLength(2);
    expect(submitted).toMatchObject({ sealed: true });
    expect(posted).toHaveLength(1);
  });

  it('delivers a report to the intake whose key sealed it, after the destination moved', async () => {
    const { posted, reports, configure, settings } = await setup([201]);
    configure();
    await reports.submit(draft);
    // The destination changes (a policy arrives, the parent edits it) before delivery.
    settings.reportDestination = 'http://other-intake.example/';
    settings.reportUnitKey = encodeUnitPublicKey((await generateUnitKeyPair()).publicKey);
    await reports.pump();
    expect(posted.map((p) => p.url)).toEqual(['http://intake.example/v1/reports']);
    expect((await reports.overview()).entries.map((e) => e.state)).toEqual(['delivered']);
  });

  it('cannot retry without a destination', async () => {
    const { reports } = await setup([]);
    expect(await reports.retry('no-such-report')).toBe(false);
  });
});
