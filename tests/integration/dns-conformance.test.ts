/**
 * Conformance, side by side: the probes of ISC's EDNS compliance tester (as run for DNS Flag
 * Day: plain, EDNS0, EDNS version 1, unknown option, unknown flag, DO, EDNS over TCP, a small
 * buffer, an unknown type) and protocol checks (unknown opcode, NOTIFY, CHAOS, QDCOUNT 0 and 2,
 * a response sent as a query), sent to `kalkan serve` and to Unbound forwarding to the same
 * upstream. Kalkan's answer is asserted against the RFC that decides each probe; Unbound's is
 * recorded beside it. A blocked name keeps its EDE under every probe that can carry one.
 * The table this prints is the one in docs/operating-the-resolver.md.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Kalkan,
  startKalkan,
  startUnbound,
  tempDir,
  type Unbound,
} from '../helpers/resolver.js';

const BIG = Array.from({ length: 12 }, (_, i) => `big.test. 300 IN TXT "${i}${'x'.repeat(200)}"`);
const BLOCKED = 'abuse-demo.test';
const ALLOWED = 'allowed.test';
const NO_ANSWER_MS = 1500;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let upstream: Unbound;
let unbound: Unbound;
let kalkan: Kalkan;

beforeAll(async () => {
  tmp = await tempDir('kalkan-conformance-');
  upstream = await startUnbound(tmp.dir, ['allowed.test. 300 IN A 192.0.2.10', ...BIG], ['test.']);
  unbound = await startUnbound(tmp.dir, [], [], { forwardTo: upstream.port });
  kalkan = await startKalkan(tmp.dir, { upstreams: [`127.0.0.1:${upstream.port}`] });
});

afterAll(async () => {
  await kalkan?.stop();
  await unbound?.stop();
  await upstream?.stop();
  await tmp?.remove();
});

interface QueryShape {
  name?: string;
  type?: number;
  klass?: dnsPacket.RecordClass;
  /** EDNS: undefined for none. */
  edns?: {
    version?: number;
    size?: number;
    flags?: number;
    options?: { code: number; data: Buffer }[];
  };
  opcode?: number;
  qdcount?: number;
  response?: boolean;
}

let nextId = 1;

/** The query's bytes, with header fields dns-packet does not let a query set written in. */
function build(shape: QueryShape): Buffer {
  const name = shape.name ?? ALLOWED;
  const question = { name, type: 'A' as const, class: shape.klass ?? 'IN' };
  const e = shape.edns;
  const msg = dnsPacket.encode({
    type: 'query',
    id: nextId++,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: shape.qdcount === 0 ? [] : shape.qdcount === 2 ? [question, question] : [question],
    additionals: e
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: e.size ?? 1232,
            ednsVersion: e.version ?? 0,
            flags: e.flags ?? 0,
            options: e.options ?? [],
          } as unknown as dnsPacket.Answer,
        ]
      : [],
  });
  if (shape.type !== undefined && shape.qdcount !== 0)
    msg.writeUInt16BE(shape.type, 12 + name.length + 2);
  if (shape.opcode !== undefined) msg[2] = ((msg[2] as number) & 0x87) | (shape.opcode << 3);
  if (shape.response) msg[2] = (msg[2] as number) | 0x80;
  return msg;
}

function udp(port: number, msg: Buffer, waitMs = 3000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (answer?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => done(), waitMs);
    socket.on('message', (answer) => done(answer));
    socket.send(msg, port, '127.0.0.1');
  });
}

function tcp(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    socket.setTimeout(3000, () => socket.destroy(new Error('TCP answer timed out')));
    socket.on('error', reject);
    socket.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(msg.length);
      socket.write(Buffer.concat([head, msg]));
    });
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        socket.destroy();
        resolve(got.subarray(2, 2 + got.readUInt16BE(0)));
      }
    });
  });
}

interface Seen {
  /** The full RCODE: the header's 4 bits and the OPT's extended 8 (RFC 6891 §6.1.3). */
  rcode: string;
  opcode: string;
  tc: boolean;
  answers: number;
  opt: { version: number; flags: number; options: number[]; ede?: number } | undefined;
}

function seen(bytes: Buffer): Seen {
  const p = dnsPacket.decode(bytes) as dnsPacket.DecodedPacket & { opcode: string };
  const opt = p.additionals?.find((a) => a.type === 'OPT') as
    | (dnsPacket.Answer & {
        ednsVersion: number;
        extendedRcode: number;
        flags: number;
        options: { code: number; data: Buffer }[];
      })
    | undefined;
  const low = (p.flags ?? 0) & 0x0f;
  const full = low | ((opt?.extendedRcode ?? 0) << 4);
  const ede = opt?.options.find((o) => o.code === 15);
  return {
    rcode: rcodeName(full),
    opcode: p.opcode,
    tc: p.flag_tc === true,
    answers: p.answers?.length ?? 0,
    opt: opt && {
      version: opt.ednsVersion,
      flags: opt.flags,
      options: opt.options.map((o) => o.code),
      ...(ede && { ede: ede.data.readUInt16BE(0) }),
    },
  };
}

function rcodeName(rcode: number): string {
  if (rcode === 16) return 'BADVERS';
  return (
    ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][rcode] ?? `RCODE${rcode}`
  );
}

function text(s: Seen | undefined): string {
  if (!s) return 'no answer';
  const parts = [s.rcode];
  if (s.opcode !== 'QUERY') parts.push(`opcode ${s.opcode}`);
  if (s.tc) parts.push('TC');
  parts.push(`${s.answers} answer${s.answers === 1 ? '' : 's'}`);
  if (s.opt) {
    parts.push(`OPT v${s.opt.version}`);
    if (s.opt.flags & dnsPacket.DNSSEC_OK) parts.push('DO');
    if (s.opt.flags & ~dnsPacket.DNSSEC_OK) parts.push(`flags 0x${s.opt.flags.toString(16)}`);
    if (s.opt.ede !== undefined) parts.push(`EDE ${s.opt.ede}`);
    const other = s.opt.options.filter((c) => c !== 15);
    if (other.length) parts.push(`options ${other.join(',')}`);
  } else parts.push('no OPT');
  return parts.join(', ');
}

interface Probe {
  probe: string;
  shape: QueryShape;
  over?: 'udp' | 'tcp';
  rfc: string;
  /** Kalkan's answer, as the RFC wants it. */
  expect: (s: Seen | undefined) => void;
  /** The blocked name's answer under the same probe. */
  blocked?: (s: Seen | undefined) => void;
}

const UNKNOWN_OPTION = { code: 65001, data: Buffer.from('kalkan') };
const UNKNOWN_FLAG = 0x4000;

const keepsEde = (s: Seen | undefined) => {
  expect(s?.rcode).toBe('NXDOMAIN');
  expect(s?.opt?.ede).toBe(15);
};

const answersWithOpt = (s: Seen | undefined) =>
  expect(s && { rcode: s.rcode, answers: s.answers, v: s.opt?.version }).toEqual({
    rcode: 'NOERROR',
    answers: 1,
    v: 0,
  });

const PROBES: Probe[] = [
  {
    probe: 'plain DNS (no EDNS)',
    shape: {},
    rfc: 'RFC 1035; RFC 6891 §7: no OPT in the answer to a query without one',
    expect: (s) =>
      expect(s && { rcode: s.rcode, answers: s.answers, opt: s.opt }).toEqual({
        rcode: 'NOERROR',
        answers: 1,
        opt: undefined,
      }),
    blocked: (s) =>
      expect(s && { rcode: s.rcode, opt: s.opt }).toEqual({ rcode: 'NXDOMAIN', opt: undefined }),
  },
  {
    probe: 'EDNS0',
    shape: { edns: {} },
    rfc: 'RFC 6891 §6.1.1: OPT version 0 in the answer',
    expect: answersWithOpt,
    blocked: keepsEde,
  },
  {
    probe: 'EDNS version 1',
    shape: { edns: { version: 1 } },
    rfc: 'RFC 6891 §6.1.3: BADVERS, our highest version (0) in the OPT, no answer',
    expect: (s) =>
      expect(s && { rcode: s.rcode, answers: s.answers, v: s.opt?.version }).toEqual({
        rcode: 'BADVERS',
        answers: 0,
        v: 0,
      }),
    blocked: (s) => expect(s?.rcode).toBe('BADVERS'),
  },
  {
    probe: 'unknown EDNS option',
    shape: { edns: { options: [UNKNOWN_OPTION] } },
    rfc: 'RFC 6891 §6.1.2: unknown options are ignored, not echoed',
    expect: (s) => {
      expect(s?.rcode).toBe('NOERROR');
      expect(s?.answers).toBe(1);
      expect(s?.opt?.options).not.toContain(UNKNOWN_OPTION.code);
    },
    blocked: keepsEde,
  },
  {
    probe: 'unknown EDNS flag',
    shape: { edns: { flags: UNKNOWN_FLAG } },
    rfc: 'RFC 6891 §6.1.4: unknown flags are ignored and cleared in the answer',
    expect: (s) =>
      expect(s && { rcode: s.rcode, answers: s.answers, flags: s.opt?.flags }).toEqual({
        rcode: 'NOERROR',
        answers: 1,
        flags: 0,
      }),
    blocked: keepsEde,
  },
  {
    probe: 'DO bit',
    shape: { edns: { flags: dnsPacket.DNSSEC_OK } },
    rfc: 'RFC 3225 §3, RFC 6891 §6.1.4: DO copied into the answer',
    expect: (s) =>
      expect(s && { rcode: s.rcode, answers: s.answers, flags: s.opt?.flags }).toEqual({
        rcode: 'NOERROR',
        answers: 1,
        flags: dnsPacket.DNSSEC_OK,
      }),
    blocked: keepsEde,
  },
  {
    probe: 'EDNS0 over TCP',
    shape: { edns: {} },
    over: 'tcp',
    rfc: 'RFC 7766 §5, RFC 6891: the same answer over TCP, with OPT',
    expect: answersWithOpt,
    blocked: keepsEde,
  },
  {
    probe: 'small buffer (512), large answer',
    shape: { name: 'big.test', type: 16, edns: { size: 512 } },
    rfc: 'RFC 6891 §7, RFC 1035 §4.2.1: TC set when the answer exceeds the buffer',
    expect: (s) =>
      expect(s && { rcode: s.rcode, tc: s.tc }).toEqual({ rcode: 'NOERROR', tc: true }),
    blocked: keepsEde,
  },
  {
    probe: 'unknown type (TYPE666)',
    shape: { type: 666, edns: {} },
    rfc: 'RFC 3597 §3: an unknown type is answered like any other (here NODATA)',
    expect: (s) =>
      expect(s && { rcode: s.rcode, answers: s.answers }).toEqual({
        rcode: 'NOERROR',
        answers: 0,
      }),
    blocked: keepsEde,
  },
  {
    probe: 'unassigned opcode (15)',
    shape: { opcode: 15 },
    rfc: 'RFC 1035 §4.1.1: NOTIMP; RFC 8906 §3.1.4: opcode echoed',
    expect: (s) =>
      expect(s && { rcode: s.rcode, opcode: s.opcode }).toEqual({
        rcode: 'NOTIMP',
        opcode: 'OPCODE_15',
      }),
  },
  {
    probe: 'NOTIFY',
    shape: { opcode: 4 },
    rfc: "RFC 1996 §3: NOTIFY is for a zone's secondaries, none here: REFUSED; RFC 1035 §4.1.1: opcode echoed",
    expect: (s) =>
      expect(s && { rcode: s.rcode, opcode: s.opcode }).toEqual({
        rcode: 'REFUSED',
        opcode: 'NOTIFY',
      }),
  },
  {
    probe: 'CHAOS version.bind TXT',
    shape: { name: 'version.bind', type: 16, klass: 'CH' },
    rfc: 'RFC 1035 §4.1.1: REFUSED for policy; RFC 4892 §2: version.bind is a convention, not a duty',
    expect: (s) =>
      expect(s && { rcode: s.rcode, answers: s.answers }).toEqual({
        rcode: 'REFUSED',
        answers: 0,
      }),
  },
  {
    probe: 'QDCOUNT 0',
    shape: { qdcount: 0 },
    rfc: 'RFC 1035 §4.1.2: a query carries its question (QDCOUNT 0 only with a COOKIE, RFC 7873 §5.4): FORMERR',
    expect: (s) => expect(s?.rcode).toBe('FORMERR'),
  },
  {
    probe: 'QDCOUNT 2',
    shape: { qdcount: 2 },
    rfc: 'RFC 9619: QDCOUNT > 1 with opcode QUERY is FORMERR',
    expect: (s) => expect(s?.rcode).toBe('FORMERR'),
  },
  {
    probe: 'a response (QR=1) sent as a query',
    shape: { response: true },
    rfc: 'RFC 1035 §4.1.1: QR=1 is a response, not a question: dropped (no reply loops)',
    expect: (s) => expect(s).toBeUndefined(),
  },
];

async function ask(port: number, probe: Probe, name?: string): Promise<Seen | undefined> {
  const msg = build({ ...probe.shape, ...(name && { name }) });
  if (probe.over === 'tcp') return seen(await tcp(port, msg));
  const answer = await udp(port, msg, probe.shape.response ? NO_ANSWER_MS : 3000);
  return answer && seen(answer);
}

describe('DNS conformance, Kalkan beside Unbound', () => {
  const rows: string[] = [];

  afterAll(() => {
    console.info(
      ['| Probe | Unbound | Kalkan | RFC |', '| --- | --- | --- | --- |', ...rows].join('\n'),
    );
  });

  for (const probe of PROBES) {
    it(`${probe.probe}: ${probe.rfc}`, async () => {
      // A positive control first: both answer a plain question, so silence below means something.
      for (const port of [kalkan.port, unbound.port])
        expect((await ask(port, PROBES[0] as Probe))?.rcode).toBe('NOERROR');
      const ours = await ask(kalkan.port, probe);
      const theirs = await ask(unbound.port, probe);
      rows.push(`| ${probe.probe} | ${text(theirs)} | ${text(ours)} | ${probe.rfc} |`);
      probe.expect(ours);
      if (probe.blocked) probe.blocked(await ask(kalkan.port, probe, BLOCKED));
    });
  }
});
