/**
 * `npm run bench:reports`: sealing and opening reports, and a real intake (in this process, over
 * loopback HTTP) storing them durably. Prints medians; run it on a quiet machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postSealedReport } from '../../reporting/delivery.js';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import { newReport } from '../../reporting/schema.js';
import { openReport, type SealedReport, sealReport } from '../../reporting/seal.js';
import { createIntakeApp } from '../../resolver/intake/app.js';
import { readHotlines } from '../../resolver/intake/notice.js';
import { IntakeStore } from '../../resolver/intake/store.js';

const COUNT = Number(process.env.BENCH_REPORTS ?? 300);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

const unit = await generateUnitKeyPair();
const sealed: SealedReport[] = [];
const sealMs: number[] = [];
const openMs: number[] = [];
for (let i = 0; i < COUNT; i++) {
  const report = newReport(
    { url: `https://abuse-demo.test/page/${i}?q=${i}`, category: 'csem', note: 'bench' },
    { source: 'cli' },
  );
  const [s, ms] = await timed(() => sealReport(report, unit.publicKey));
  sealed.push(s);
  sealMs.push(ms);
  openMs.push((await timed(() => openReport(s, unit.secretKey)))[1]);
}

const dir = await mkdtemp(join(tmpdir(), 'kalkan-bench-intake-'));
const store = new IntakeStore(dir);
const unlimited = { perMinute: 1e9 };
const { app } = await createIntakeApp({
  store,
  secretKey: unit.secretKey,
  quotas: { perAddress: unlimited, perNet64: unlimited, global: unlimited },
  unit: { org: 'Bench Unit', contact: 'bench@unit.example', domain: 'unit.example' },
  hotlines: await readHotlines(),
});
await app.listen({ port: 0, host: '127.0.0.1' });
const { server } = app;
const address = server.address();
const intakeUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const postMs: number[] = [];
const start = performance.now();
for (const s of sealed) {
  const [result, ms] = await timed(() => postSealedReport(s, { intakeUrl }));
  if (result.outcome !== 'delivered') throw new Error(JSON.stringify(result));
  postMs.push(ms);
}
const total = performance.now() - start;
await app.close();
store.close();
await rm(dir, { recursive: true });

console.log(`reports: ${COUNT}`);
console.log(`seal (HPKE X25519/ChaCha20-Poly1305): median ${median(sealMs).toFixed(2)} ms`);
console.log(`open:                                 median ${median(openMs).toFixed(2)} ms`);
console.log(
  `POST /v1/reports (open + fsync'd insert): median ${median(postMs).toFixed(2)} ms, ${(COUNT / (total / 1000)).toFixed(0)} reports/s one at a time`,
);
