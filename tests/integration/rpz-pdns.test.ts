/**
 * PowerDNS Recursor 4.8 as an RPZ consumer of `kalkan rpz serve` (rpzPrimary in its Lua
 * configuration, transfers signed with TSIG hmac-sha256): the first AXFR, a listed name and its subdomains refused with the policy's
 * EDE, an allowed name under a listed parent answered, and a new list version by IXFR. Recursor
 * 4.8 acknowledges the NOTIFY but transfers on its refresh timer (1 s here): NOTIFY-driven
 * transfers for RPZ arrived in Recursor 5.1.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliPublisher, cliPublisher } from '../helpers/cli-lists.js';
import { type LongRunning, startKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import { tempDir, waitFor } from '../helpers/resolver.js';
import { query, startPdnsRecursor } from '../helpers/rpz-consumers.js';
import { type Running, startUpstream, UPSTREAM_ADDRESS } from '../helpers/rpz-secondaries.js';

const ZONE = 'rpz.kalkan.test';
const EDE_TEXT = 'kalkan rpz';
const BLOCKED = 15;
const TSIG = { name: 'kalkan-xfr', secret: randomBytes(32).toString('base64') };

describe('RPZ primary with PowerDNS Recursor', () => {
  let dir: string;
  let publisher: CliPublisher;
  let upstream: Running;
  let primary: LongRunning;
  let recursor: Running;
  let list: string;

  beforeAll(async () => {
    ({ dir } = await tempDir('kalkan-rpz-pdns-'));
    publisher = await cliPublisher(dir);
    list = join(dir, 'list.klb');
    await publisher.build(
      list,
      1,
      ['listed.test', 'parent.test', 'leaves.test'],
      ['ok.parent.test'],
    );
    upstream = await startUpstream();
    const recursorPort = await freePort();
    const primaryPort = await freePort();
    primary = startKalkan([
      'rpz',
      'serve',
      '--listen',
      `127.0.0.1:${primaryPort}`,
      '--zone',
      ZONE,
      '--list',
      list,
      '--trust',
      publisher.publicKey,
      '--notify',
      `127.0.0.1:${recursorPort}`,
      '--tsig',
      `${TSIG.name}:hmac-sha256:${TSIG.secret}`,
    ]);
    await primary.waitFor(/serving on/);
    recursor = await startPdnsRecursor({
      dir,
      zone: ZONE,
      primaryPort,
      upstreamPort: upstream.port,
      port: recursorPort,
      refreshSeconds: 1,
      edeText: EDE_TEXT,
      tsig: TSIG,
    });
  });

  afterAll(async () => {
    await recursor?.stop();
    await primary?.stop();
    await upstream?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const refused = async (name: string) => {
    const answer = await query(recursor.port, name);
    return (
      answer.rcode === 'NXDOMAIN' && answer.ede?.code === BLOCKED && answer.ede.text === EDE_TEXT
    );
  };

  it('loads the zone by AXFR, refuses listed names and their subdomains, answers the rest', async () => {
    await waitFor(() => refused('listed.test'), 15_000);
    // The recursor can answer from the zone before the primary's log line reaches this process.
    await primary.waitFor(/AXFR serial 1 to 127\.0\.0\.1/);
    expect(primary.output()).not.toMatch(/TSIG|without TSIG/);
    for (const name of ['listed.test', 'www.listed.test', 'parent.test', 'deep.x.parent.test']) {
      const answer = await query(recursor.port, name);
      expect(answer.rcode, name).toBe('NXDOMAIN');
      expect(answer.ede, name).toEqual({ code: BLOCKED, text: EDE_TEXT });
      expect(answer.addresses, name).toEqual([]);
    }
    for (const name of ['ok.parent.test', 'www.ok.parent.test', 'open-site.test']) {
      const answer = await query(recursor.port, name);
      expect(answer.rcode, name).toBe('NOERROR');
      expect(answer.addresses, name).toEqual([UPSTREAM_ADDRESS]);
    }
  });

  it('takes a new list version by IXFR: a newly listed name refused, a removed one answered', async () => {
    await waitFor(() => refused('leaves.test'), 15_000);
    await publisher.build(
      list,
      2,
      ['listed.test', 'parent.test', 'newly.test'],
      ['ok.parent.test'],
    );
    await primary.waitFor(/notify 127\.0\.0\.1:\d+ serial 2: acknowledged/);
    await waitFor(() => refused('newly.test'), 15_000);
    await primary.waitFor(/IXFR serial 2 to 127\.0\.0\.1/);
    expect(await refused('sub.newly.test')).toBe(true);
    const removed = await query(recursor.port, 'leaves.test');
    expect(removed.rcode).toBe('NOERROR');
    expect(removed.addresses).toEqual([UPSTREAM_ADDRESS]);
    expect(await refused('listed.test')).toBe(true);
  });
});
