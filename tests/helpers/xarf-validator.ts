/** A validator for Kalkan's XARF v4 content/csam and content/csem exports (schema in fixtures). */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';

const schema = JSON.parse(
  readFileSync(new URL('../fixtures/xarf-v4-content.schema.json', import.meta.url), 'utf8'),
) as object;

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

/** The validation errors as text; empty when the document is valid. */
export function xarfErrors(document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}
