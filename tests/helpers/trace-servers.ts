/**
 * What `kalkan intake serve` traces through in tests, all on loopback: a DNS server answering the
 * test names it is given (dns-packet over UDP; NXDOMAIN for any other), an MMDB of two test ranges
 * (192.0.2.0/24 NL AS64500, 198.51.100.0/24 KG AS64501), and an RDAP server for them named by a
 * bootstrap file, with a nested abuse entity. Every question and path asked is recorded.
 */
import { createSocket, type Socket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { writeMmdb } from './mmdb-writer.js';

/** The abuse contact the RDAP server gives for every test address. */
export const TEST_ABUSE = { name: 'Test Hosting Abuse Desk', email: 'abuse@hosting.example' };

export interface TraceServers {
  /** `--ip-db`, `--rdap-bootstrap` and `--dns-server` for `kalkan intake serve`. */
  intakeArgs: string[];
  /** "name TYPE" of every DNS question received. */
  dnsQuestions: string[];
  /** Every path the RDAP server was asked. */
  rdapPaths: string[];
  rdapPort: number;
  close: () => void;
}

function startDns(records: Record<string, dnsPacket.Answer[]>, questions: string[]) {
  const dns: Socket = createSocket('udp4');
  dns.on('message', (message, peer) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    questions.push(`${question.name} ${question.type}`);
    const known = Object.keys(records).some((k) => k.startsWith(`${question.name} `));
    const answers = records[`${question.name} ${question.type}`] ?? [];
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      // NOERROR with no data for a known name; NXDOMAIN (3) otherwise.
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: [question],
      answers: answers.map((a) => ({ ...a, ttl: 60 })),
    });
    dns.send(reply, peer.port, peer.address);
  });
  return new Promise<{ dns: Socket; port: number }>((resolve) =>
    dns.bind(0, '127.0.0.1', () => resolve({ dns, port: dns.address().port })),
  );
}

/** Answers /ip/ADDRESS with a network and its abuse entity, /bootstrap/* with a bootstrap file. */
function startRdap(paths: string[]) {
  const rdap: Server = createServer((request, response) => {
    paths.push(request.url ?? '');
    if (request.url?.startsWith('/bootstrap/')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          version: '1.0',
          services: [[['192.0.2.0/24'], ['https://rdap.example/']]],
        }),
      );
      return;
    }
    const ip = decodeURIComponent((request.url ?? '').replace(/^\/ip\//, ''));
    response.writeHead(200, { 'content-type': 'application/rdap+json' });
    response.end(
      JSON.stringify({
        objectClassName: 'ip network',
        handle: 'TEST-NET-1',
        name: `net of ${ip}`,
        entities: [
          {
            roles: ['registrant'],
            entities: [
              {
                roles: ['abuse'],
                vcardArray: [
                  'vcard',
                  [
                    ['version', {}, 'text', '4.0'],
                    ['fn', {}, 'text', TEST_ABUSE.name],
                    ['email', {}, 'text', TEST_ABUSE.email],
                  ],
                ],
              },
            ],
          },
        ],
      }),
    );
  });
  return new Promise<{ rdap: Server; port: number }>((resolve) =>
    rdap.listen(0, '127.0.0.1', () => {
      const address = rdap.address();
      resolve({ rdap, port: typeof address === 'object' && address ? address.port : 0 });
    }),
  );
}

/** Starts the servers and writes the MMDB and bootstrap file into `dir`. */
export async function startTraceServers(
  dir: string,
  records: Record<string, dnsPacket.Answer[]>,
): Promise<TraceServers> {
  const dnsQuestions: string[] = [];
  const rdapPaths: string[] = [];
  const [{ dns, port: dnsPort }, { rdap, port: rdapPort }] = await Promise.all([
    startDns(records, dnsQuestions),
    startRdap(rdapPaths),
  ]);
  const mmdb = join(dir, 'test-ranges.mmdb');
  await writeFile(
    mmdb,
    writeMmdb([
      {
        cidr: '192.0.2.0/24',
        data: {
          country_code: 'NL',
          autonomous_system_number: 64500,
          autonomous_system_organization: 'Test Hosting B.V.',
        },
      },
      {
        cidr: '198.51.100.0/24',
        data: {
          country_code: 'KG',
          autonomous_system_number: 64501,
          autonomous_system_organization: 'Test Net KG',
        },
      },
    ]),
  );
  const bootstrap = join(dir, 'ipv4.json');
  await writeFile(
    bootstrap,
    JSON.stringify({
      version: '1.0',
      services: [[['192.0.2.0/24', '198.51.100.0/24'], [`http://127.0.0.1:${rdapPort}/`]]],
    }),
  );
  return {
    intakeArgs: [
      '--ip-db',
      mmdb,
      '--rdap-bootstrap',
      bootstrap,
      '--dns-server',
      `127.0.0.1:${dnsPort}`,
    ],
    dnsQuestions,
    rdapPaths,
    rdapPort,
    close: () => {
      dns.close();
      rdap.close();
    },
  };
}
