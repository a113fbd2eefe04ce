/**
 * Loading Kalkan's own addons (resolver/native/, built by `npm run build:native`, Linux):
 * each is optional, so loading never throws; the caller gets the addon or why not and falls
 * back to plain Node.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The addon's path seen from each folder above this module: the package root is 2 levels up
 * from the source, 3 from build/ and from the bundle; the first that exists is the one.
 */
function candidates(file: string): string[] {
  const paths: string[] = [];
  for (let up = 1; up <= 5; up++)
    paths.push(`${'../'.repeat(up)}resolver/native/build/Release/${file}`);
  return paths;
}

/**
 * The addon `file` (e.g. `udp_batch.node`) if one of `paths` (relative to this module; by
 * default where the build puts it) loads and `fits`; else an Error saying why.
 */
export function loadAddon<Addon>(
  file: string,
  fits: (loaded: Partial<Addon>) => boolean,
  paths: readonly string[] = candidates(file),
): Addon | Error {
  if (process.platform !== 'linux') return new Error(`${file} is built for Linux only`);
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const candidate of paths) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (!existsSync(path)) continue;
    try {
      const addon = require(path) as Partial<Addon>;
      if (fits(addon)) return addon as Addon;
      errors.push(`${candidate}: not ${file}`);
    } catch (error) {
      errors.push((error as Error).message.split('\n')[0] as string);
    }
  }
  if (errors.length === 0) errors.push(`no ${file}: run npm run build:native`);
  return new Error(`addon not built or not loadable (${errors.join('; ')})`);
}
