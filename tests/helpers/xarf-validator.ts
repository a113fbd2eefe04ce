/**
 * Validates Kalkan's XARF exports against the official XARF v4 schemas (vendored unchanged in
 * tests/fixtures/xarf-v4/ from xarf/xarf-spec): content-csam.json or content-csem.json by the
 * document's `type`, with the content base and core schemas they build on.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';

const schema = (path: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/xarf-v4/${path}`, import.meta.url), 'utf8')) as {
    $id: string;
  };

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
for (const path of ['xarf-core.json', 'types/content-base.json']) ajv.addSchema(schema(path));
const validators = {
  csam: ajv.compile(schema('types/content-csam.json')),
  csem: ajv.compile(schema('types/content-csem.json')),
};

/** The validation errors as text; empty when the document is valid. */
export function xarfErrors(document: unknown): string[] {
  const type = (document as { type?: unknown } | null)?.type;
  if (type !== 'csam' && type !== 'csem')
    return [`/type must be "csam" or "csem" (Kalkan exports nothing else), not ${String(type)}`];
  const validate = validators[type];
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}
