/** Publisher keys pinned at build time (vite `define`), one-line text form each. */
declare const __KALKAN_PINNED_KEYS__: string[];
