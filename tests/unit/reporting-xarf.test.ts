import { describe, expect, it } from 'vitest';
import { CATEGORIES, newReport } from '../../reporting/schema.js';
import { CSAM_CLASSIFICATIONS, toXarf } from '../../reporting/xarf.js';
import { xarfErrors } from '../helpers/xarf-validator.js';

const unit = { org: 'Test Unit', contact: 'reports@unit.example', domain: 'unit.example' };
const report = newReport(
  {
    url: 'https://abuse-demo.test/gallery?id=7',
    category: 'csam_suspected',
    note: 'link in a chat',
  },
  { source: 'extension' },
);

describe('XARF v4 export', () => {
  it.each(CATEGORIES)('a %s report is a valid content/csem', (category) => {
    const xarf = toXarf({ ...report, category }, { unit });
    expect(xarf.type).toBe('csem');
    expect(xarfErrors(xarf)).toEqual([]);
  });

  it.each(CSAM_CLASSIFICATIONS)(
    'with classification %s it is a valid content/csam',
    (classification) => {
      const xarf = toXarf(report, { unit, classification });
      expect(xarf).toMatchObject({ type: 'csam', classification, detection_method: 'user_report' });
      expect(xarfErrors(xarf)).toEqual([]);
    },
  );

  it('carries the id, time, URL and host, and no contact or source details', () => {
    const xarf = toXarf({ ...report, contact: 'parent@mail.example' }, { unit });
    expect(xarf).toMatchObject({
      report_id: report.id,
      timestamp: report.seenAt,
      url: report.url,
      source_identifier: 'abuse-demo.test',
      category: 'content',
      description: 'link in a chat',
    });
    expect(JSON.stringify(xarf)).not.toContain('parent@');
  });

  it.each([
    ['classification', 'csam'],
    ['detection_method', 'csam'],
    ['exploitation_type', 'csem'],
    ['report_id', 'csem'],
    ['url', 'csem'],
    ['sender', 'csem'],
  ])('the validator rejects a %s-less %s report', (field, type) => {
    const xarf: Record<string, unknown> = {
      ...toXarf(report, { unit, ...(type === 'csam' ? { classification: 'A1' as const } : {}) }),
    };
    delete xarf[field];
    expect(xarfErrors(xarf).join('\n')).toContain(field);
  });
});
