/** The first of the browser's languages (Accept-Language, by q-value) that we have, else the fallback. */
export function pickLanguage<L extends string>(
  acceptLanguage: string | undefined,
  available: readonly L[],
  fallback: L,
): L {
  const wanted = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1);
      return { lang: tag.split('-')[0] ?? '', q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((w) => w.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { lang } of wanted)
    if ((available as readonly string[]).includes(lang)) return lang as L;
  return fallback;
}
