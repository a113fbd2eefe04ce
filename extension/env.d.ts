/** Publisher keys pinned at build time (vite `define`), one-line text form each. */
declare const __KALKAN_PINNED_KEYS__: string[];
/** The report destination built into the package (extension/build/generate.ts `defaultDestination`). */
declare const __KALKAN_DEFAULT_DESTINATION__: { reportDestination: string; reportUnitKey: string };

/** tldts's own minified build (extension/background/public-suffix.ts): the same API. */
declare module 'tldts/dist/index.esm.min.js' {
  export * from 'tldts';
}
