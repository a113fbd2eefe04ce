/**
 * Every visible string comes from `_locales/<lang>/messages.json`. The browser's language is
 * used unless the parent chose one in the options; then that locale's file is read directly.
 */
import browser from 'webextension-polyfill';

type Messages = Record<string, { message: string }>;
let chosen: Messages | undefined;

export function t(key: string, substitutions: string[] = []): string {
  const own = chosen?.[key]?.message;
  if (own !== undefined)
    return own.replace(/\$(\d)/g, (_, n: string) => substitutions[Number(n) - 1] ?? '');
  return browser.i18n.getMessage(key, substitutions) || key;
}

/** Loads the chosen language, then fills every `data-i18n` element (and `data-i18n-placeholder`). */
export async function localize(language: string): Promise<void> {
  if (language !== 'auto') {
    const url = browser.runtime.getURL(`_locales/${language}/messages.json`);
    chosen = (await (await fetch(url)).json()) as Messages;
  }
  // The language the strings are in (not the browser's: a German browser gets English text).
  document.documentElement.lang = t('langCode');
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
    el.textContent = t(el.dataset.i18n ?? '');
  for (const el of document.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]'))
    el.placeholder = t(el.dataset.i18nPlaceholder ?? '');
}

/** A worker error code (`wrong`, `no-pin`, `too-short`, …) in words. */
export function errorText(code: string): string {
  return t(`error_${code.replace(/-/g, '_')}`);
}
