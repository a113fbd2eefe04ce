/**
 * Notices and referrals for a confirmed URL, drafted for an analyst to send (the intake never
 * sends anything): a takedown notice to the hosting network's abuse contact, or a referral to
 * the hosting country's hotline (data/hotlines.json) or to police. Each comes as plain text in
 * English or Russian and as XARF v4, and is recorded (to whom, when, by whom) once the analyst
 * says it was sent.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CATEGORY_DEFINITIONS } from '../../reporting/categories.js';
import type { Report } from '../../reporting/schema.js';
import {
  type CsamClassification,
  toXarf,
  type XarfParty,
  type XarfReport,
} from '../../reporting/xarf.js';
import { PACKAGE_ROOT } from '../serve/default-config.js';
import type { NoticeKind } from './case-store.js';

export const HOTLINES_FILE = join(PACKAGE_ROOT, 'resolver/intake/data/hotlines.json');
export const NOTICE_LANGUAGES = ['en', 'ru'] as const;
export type NoticeLanguage = (typeof NOTICE_LANGUAGES)[number];

const hotlineSchema = z.object({ name: z.string().min(1), url: z.url() });
const hotlinesSchema = z.object({
  fallback: hotlineSchema,
  hotlines: z.array(hotlineSchema.extend({ country: z.string().regex(/^[A-Z]{2}$/) })),
});
export type Hotlines = z.output<typeof hotlinesSchema>;
export type Hotline = z.output<typeof hotlineSchema>;

export async function readHotlines(file = HOTLINES_FILE): Promise<Hotlines> {
  const result = hotlinesSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

export function hotlineFor(hotlines: Hotlines, country: string | undefined): Hotline {
  return hotlines.hotlines.find((h) => h.country === country) ?? hotlines.fallback;
}

export interface NoticeInput {
  kind: NoticeKind;
  language: NoticeLanguage;
  recipient: string;
  report: Report;
  reports: number;
  firstReceived: string;
  classification?: CsamClassification;
  unit: XarfParty;
  network?: string;
  addresses: string[];
}

export interface NoticeDocument {
  text: string;
  xarf: XarfReport;
}

export function draftNotice(input: NoticeInput): NoticeDocument {
  const xarf = toXarf(input.report, {
    unit: input.unit,
    ...(input.classification ? { classification: input.classification } : {}),
  });
  return { text: (input.language === 'ru' ? russian : english)(input), xarf };
}

function english(n: NoticeInput): string {
  const what = CATEGORY_DEFINITIONS[n.report.category].meaning;
  const opening =
    n.kind === 'notice'
      ? 'We ask you to remove the content at the address below from your network without delay and to preserve the related records for a law-enforcement request.'
      : n.kind === 'referral'
        ? 'We refer to you the address below, hosted in your country, for assessment and action under your procedures.'
        : 'We refer to you the address below for investigation.';
  return `To: ${n.recipient}
From: ${n.unit.org} <${n.unit.contact}>
Subject: ${n.kind === 'notice' ? 'Takedown notice' : 'Referral'}: child sexual abuse material (${n.report.id})

${opening}

URL: ${n.report.url}
Assessed as: ${n.classification ? `CSAM, classification ${n.classification}` : what}
Reports received: ${n.reports}, the first at ${n.firstReceived}
${n.addresses.length ? `Hosted at: ${n.addresses.join(', ')}${n.network ? ` (${n.network})` : ''}\n` : ''}
Do not open or download the material except as your procedures require. No copy of it is attached
or kept by us. Please confirm removal to ${n.unit.contact}, quoting ${n.report.id}.

${n.unit.org}
`;
}

function russian(n: NoticeInput): string {
  const opening =
    n.kind === 'notice'
      ? 'Просим без промедления удалить материал по указанному ниже адресу из вашей сети и сохранить связанные записи для запроса правоохранительных органов.'
      : n.kind === 'referral'
        ? 'Направляем вам адрес ниже, размещённый в вашей стране, для оценки и принятия мер по вашим процедурам.'
        : 'Направляем вам адрес ниже для расследования.';
  return `Кому: ${n.recipient}
От: ${n.unit.org} <${n.unit.contact}>
Тема: ${n.kind === 'notice' ? 'Требование удалить' : 'Передача сообщения'}: материалы сексуального насилия над детьми (${n.report.id})

${opening}

URL: ${n.report.url}
Оценка: ${n.classification ? `CSAM, классификация ${n.classification}` : CATEGORY_DEFINITIONS[n.report.category].label.ru}
Получено сообщений: ${n.reports}, первое ${n.firstReceived}
${n.addresses.length ? `Размещено по адресам: ${n.addresses.join(', ')}${n.network ? ` (${n.network})` : ''}\n` : ''}
Не открывайте и не скачивайте материал, кроме как по вашим процедурам. Копия материала не
прилагается и нами не хранится. Просим подтвердить удаление по адресу ${n.unit.contact}, указав ${n.report.id}.

${n.unit.org}
`;
}
