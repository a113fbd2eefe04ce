/**
 * The report form's words in English, Russian and Kyrgyz (the extension's languages), chosen by
 * the browser's Accept-Language: the staff of a café or school read the form, the operator the
 * rest of the status page. Category and "where found" words come from reporting/categories.ts,
 * as on every other form.
 */
import {
  categoryLabels,
  type ReportLanguage,
  whereFoundLabels,
} from '../../reporting/categories.js';
import type { Category, WhereFound } from '../../reporting/schema.js';
import { pickLanguage } from './accept-language.js';

export type FormLanguage = ReportLanguage;

export interface FormText {
  lang: FormLanguage;
  title: string;
  openByAddress: string;
  notSetUp: string;
  notSetUpThen: string;
  warning: string;
  sealed: string;
  url: string;
  category: string;
  where: string;
  note: string;
  send: string;
  sentHere: string;
  noAddresses: string;
  noReports: string;
  columns: [made: string, category: string, state: string, delivered: string];
  states: { queued: string; delivered: string };
  /** A failed report, and a queued one after failed attempts: how many, and why. */
  failedAfter: (attempts: number, why: string) => string;
  queuedAfter: (attempts: number, why: string) => string;
  sendAgain: string;
  queued: string;
  refusedOrigin: string;
  refusedToken: string;
  notSentAgain: string;
  notSent: string;
  tooLarge: string;
  tooMany: string;
  outboxFull: string;
  /** A report the schema refused: which field to fix, by its label on this form. */
  checkField: (label: string) => string;
  /** Why a queued report is waiting when no answer came back (no HTTP status). */
  unreachable: string;
  /** From reporting/categories.ts: the same words as every other form. */
  categories: Record<Category, string>;
  whereFound: Record<WhereFound, string>;
}

const en: FormText = {
  lang: 'en',
  categories: categoryLabels('en'),
  whereFound: whereFoundLabels('en'),
  title: 'Report a site',
  openByAddress:
    "To report a site, open this page by the resolver's address (http://ADDRESS:PORT/) or as localhost, not by a name.",
  notSetUp:
    'Reporting is not set up. To let staff report a site to the cybercrime unit from this page, add to the resolver\u2019s config:',
  notSetUpThen: 'then restart the resolver. See docs/operating-the-resolver.md.',
  warning:
    'Never download, screenshot, save or forward the material, not even as evidence: that is a crime in itself. Copy only the address (URL), close the page, and report it here.',
  sealed: "The report is sealed to the cybercrime unit's key; only the unit can read it.",
  url: 'Address (URL) of the page',
  category: 'What it shows',
  where: 'Where it was found',
  note: 'Note (optional; no names of children)',
  send: 'Send report',
  sentHere: 'Reports sent from here',
  noAddresses: 'Addresses are not kept here: each report is sealed when it is made.',
  noReports: 'No reports yet.',
  columns: ['Made (UTC)', 'Category', 'State', 'Delivered'],
  states: { queued: 'queued', delivered: 'delivered' },
  failedAfter: (n, why) => `failed after ${n} attempt(s): ${why}`,
  queuedAfter: (n, why) => `queued (${n} attempts; ${why})`,
  sendAgain: 'Send again',
  queued: 'Report queued; it is sent to the unit as soon as the intake can be reached.',
  refusedOrigin: 'Refused: not sent from this page.',
  refusedToken: 'Refused: the form is out of date; reload the page.',
  notSentAgain: 'Not sent again',
  notSent: 'Not sent',
  tooLarge: 'Not sent: the form is too large.',
  tooMany:
    'Not sent: too many reports from this computer in the last hour. Try again later, or from the staff computer.',
  outboxFull:
    'Not sent: too many reports are waiting to be delivered. Check the list below and the connection to the unit, then try again.',
  checkField: (label) => `check “${label}”`,
  unreachable: 'the intake could not be reached',
};

const ru: FormText = {
  lang: 'ru',
  categories: categoryLabels('ru'),
  whereFound: whereFoundLabels('ru'),
  title: 'Сообщить о сайте',
  openByAddress:
    'Чтобы сообщить о сайте, откройте эту страницу по адресу резолвера (http://АДРЕС:ПОРТ/) или как localhost, а не по имени.',
  notSetUp:
    'Жалобы не настроены. Чтобы сотрудники могли сообщать о сайтах в отдел по киберпреступлениям с этой страницы, добавьте в конфигурацию резолвера:',
  notSetUpThen: 'и перезапустите резолвер. См. docs/operating-the-resolver.md.',
  warning:
    'Никогда не скачивайте, не делайте снимков экрана, не сохраняйте и не пересылайте материал, даже как доказательство: это само по себе преступление. Скопируйте только адрес (URL), закройте страницу и сообщите о ней здесь.',
  sealed: 'Жалоба шифруется ключом отдела по киберпреступлениям; прочитать её может только отдел.',
  url: 'Адрес (URL) страницы',
  category: 'Что на ней',
  where: 'Где вы это нашли',
  note: 'Примечание (необязательно; без имён детей)',
  send: 'Отправить жалобу',
  sentHere: 'Жалобы, отправленные отсюда',
  noAddresses: 'Адреса здесь не хранятся: каждая жалоба шифруется при создании.',
  noReports: 'Жалоб пока нет.',
  columns: ['Создана (UTC)', 'Категория', 'Состояние', 'Доставлена'],
  states: { queued: 'ожидает отправки', delivered: 'доставлена' },
  failedAfter: (n, why) => `отклонена после попыток: ${n}; ${why}`,
  queuedAfter: (n, why) => `ожидает отправки (попыток: ${n}; ${why})`,
  sendAgain: 'Отправить снова',
  queued: 'Жалоба поставлена в очередь; она уйдёт в отдел, как только приём будет доступен.',
  refusedOrigin: 'Отказано: отправлено не с этой страницы.',
  refusedToken: 'Отказано: форма устарела; обновите страницу.',
  notSentAgain: 'Не отправлено снова',
  notSent: 'Не отправлено',
  tooLarge: 'Не отправлено: форма слишком большая.',
  tooMany:
    'Не отправлено: слишком много сообщений с этого компьютера за последний час. Попробуйте позже или с компьютера персонала.',
  outboxFull:
    'Не отправлено: слишком много сообщений ждут отправки. Проверьте список ниже и связь с подразделением, затем повторите.',
  checkField: (label) => `проверьте поле «${label}»`,
  unreachable: 'приём жалоб недоступен',
};

const ky: FormText = {
  lang: 'ky',
  categories: categoryLabels('ky'),
  whereFound: whereFoundLabels('ky'),
  title: 'Сайт тууралуу кабарлоо',
  openByAddress:
    'Сайт тууралуу кабарлоо үчүн бул баракты резолвердин дареги (http://ДАРЕК:ПОРТ/) же localhost аркылуу ачыңыз, аты аркылуу эмес.',
  notSetUp:
    'Кабарлоо жөндөлгөн эмес. Кызматкерлер бул барактан киберкылмыштуулук бөлүмүнө сайт тууралуу кабарлай алышы үчүн резолвердин конфигурациясына кошуңуз:',
  notSetUpThen: 'анан резолверди кайра иштетиңиз. docs/operating-the-resolver.md караңыз.',
  warning:
    'Материалды эч качан жүктөбөңүз, скриншот кылбаңыз, сактабаңыз жана эч кимге жөнөтпөңүз, далил катары да: мунун өзү кылмыш. Даректи (URL) гана көчүрүп, баракты жабыңыз жана бул жерден кабарлаңыз.',
  sealed: 'Кабар киберкылмыштуулук бөлүмүнүн ачкычы менен шифрленет; аны бөлүм гана окуй алат.',
  url: 'Барактын дареги (URL)',
  category: 'Анда эмне бар',
  where: 'Муну кайдан таптыңыз',
  note: 'Эскертүү (милдеттүү эмес; балдардын аттарын жазбаңыз)',
  send: 'Кабарды жөнөтүү',
  sentHere: 'Бул жерден жөнөтүлгөн кабарлар',
  noAddresses: 'Даректер бул жерде сакталбайт: ар бир кабар түзүлгөндө шифрленет.',
  noReports: 'Азырынча кабар жок.',
  columns: ['Түзүлгөн (UTC)', 'Категория', 'Абалы', 'Жеткирилген'],
  states: { queued: 'жөнөтүлүүнү күтүүдө', delivered: 'жеткирилди' },
  failedAfter: (n, why) => `кабыл алынган жок (аракеттер: ${n}; ${why})`,
  queuedAfter: (n, why) => `жөнөтүлүүнү күтүүдө (аракеттер: ${n}; ${why})`,
  sendAgain: 'Кайра жөнөтүү',
  queued: 'Кабар кезекке коюлду; кабыл алуу жеткиликтүү болоору менен бөлүмгө жөнөтүлөт.',
  refusedOrigin: 'Четке кагылды: бул барактан жөнөтүлгөн эмес.',
  refusedToken: 'Четке кагылды: форма эскирип калды; баракты жаңылаңыз.',
  notSentAgain: 'Кайра жөнөтүлгөн жок',
  notSent: 'Жөнөтүлгөн жок',
  tooLarge: 'Жөнөтүлгөн жок: форма өтө чоң.',
  tooMany:
    'Жөнөтүлгөн жок: акыркы саатта бул компьютерден өтө көп билдирүү келди. Кийинчерээк же кызматкердин компьютеринен кайталаңыз.',
  outboxFull:
    'Жөнөтүлгөн жок: жөнөтүлүүнү күткөн билдирүүлөр өтө көп. Төмөнкү тизмени жана бөлүм менен байланышты текшерип, кайталаңыз.',
  checkField: (label) => `«${label}» талаасын текшериңиз`,
  unreachable: 'кабыл алуу кызматы жеткиликсиз',
};

const TEXTS: Record<FormLanguage, FormText> = { en, ru, ky };

/** The first of the browser's languages the form has (by q-value), else English. */
export function formText(acceptLanguage: string | undefined): FormText {
  return TEXTS[pickLanguage(acceptLanguage, ['en', 'ru', 'ky'], 'en')];
}
