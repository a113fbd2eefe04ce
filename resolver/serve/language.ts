/**
 * The language of the status page and the console: `?lang=` (the switch, remembered in a
 * cookie), else the cookie, else Accept-Language; English when none is ours. `text(lang)`
 * gives a function filling `{name}` placeholders from the catalogue.
 */
import type { IncomingMessage } from 'node:http';
import { pickLanguage } from './accept-language.js';
import { en, type MessageKey, type Messages } from './messages/en.js';
import { ky } from './messages/ky.js';
import { ru } from './messages/ru.js';

export const LANGUAGES = ['en', 'ru', 'ky'] as const;
export type Language = (typeof LANGUAGES)[number];
export const CATALOGUES: Record<Language, Messages> = { en, ru, ky };
export const LANGUAGE_COOKIE = 'kalkan_lang';

const isLanguage = (value: string | undefined): value is Language =>
  (LANGUAGES as readonly string[]).includes(value ?? '');

export function chooseLanguage(
  query: string | undefined,
  cookie: string | undefined,
  acceptLanguage: string | undefined,
): Language {
  if (isLanguage(query)) return query;
  if (isLanguage(cookie)) return cookie;
  return pickLanguage(acceptLanguage, LANGUAGES, 'en');
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function text(lang: Language): Translate {
  const catalogue = CATALOGUES[lang];
  return (key, values = {}) =>
    catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in values ? String(values[name]) : whole,
    );
}

/** Links to the same page in each language (the switch). */
export function languageSwitch(current: Language, escapeText: (s: string) => string): string {
  const links = LANGUAGES.map((lang) =>
    lang === current
      ? `<strong>${escapeText(CATALOGUES[lang]['lang.name'])}</strong>`
      : `<a href="?lang=${lang}" hreflang="${lang}" lang="${lang}">${escapeText(CATALOGUES[lang]['lang.name'])}</a>`,
  ).join(' · ');
  return `<nav id="language" aria-label="${escapeText(CATALOGUES[current]['lang.switch'])}">${links}</nav>`;
}

/** The cookie value of `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The language of a plain node:http request (the status page and its report form). */
export function languageOfRequest(req: IncomingMessage): Language {
  return chooseLanguage(
    new URLSearchParams((req.url ?? '').split('?')[1]).get('lang') ?? undefined,
    cookieValue(req.headers.cookie, LANGUAGE_COOKIE),
    req.headers['accept-language'],
  );
}
