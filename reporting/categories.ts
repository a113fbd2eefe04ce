/**
 * What each report category and each "where found" value means, defined once. Every form (the
 * extension's popup, report and block pages, the café's status page, the CLI's help, the triage
 * page, the exports) shows these words, so the same click reaches the unit as the same category
 * whatever the reporter's language; tests compare each form with this table.
 */
import type { Category, ReportKind, WhereFound } from './schema.js';

export const REPORT_LANGUAGES = ['en', 'ru', 'ky'] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

export type Wording = Record<ReportLanguage, string>;

export interface CategoryDefinition {
  /** What a reporter picks, in each language. */
  label: Wording;
  /** What the category covers, for analysts, CLI help and exports (English, the unit's case language). */
  meaning: string;
}

export const CATEGORY_DEFINITIONS: Record<Category, CategoryDefinition> = {
  csam_suspected: {
    label: {
      en: 'Sexual abuse of a child: images or videos',
      ru: 'Сексуальное насилие над ребёнком: изображения или видео',
      ky: 'Балага карата сексуалдык зомбулук: сүрөттөр же видеолор',
    },
    meaning:
      'suspected child sexual abuse material: images or videos that appear to show the sexual abuse of a child',
  },
  csem: {
    label: {
      en: 'Sexualised images or sexual exploitation of children',
      ru: 'Сексуализированные изображения или сексуальная эксплуатация детей',
      ky: 'Балдардын сексуалдаштырылган сүрөттөрү же сексуалдык эксплуатациясы',
    },
    meaning:
      'child sexual exploitation material: sexualised images of children, or a page that offers, sells or links to such material',
  },
  grooming: {
    label: {
      en: 'An adult seeking sexual contact with a child',
      ru: 'Взрослый ищет сексуального контакта с ребёнком',
      ky: 'Чоң киши бала менен сексуалдык байланыш издеп жатат',
    },
    meaning: 'grooming: an adult approaching a child for sexual purposes',
  },
  trafficking: {
    label: {
      en: 'Trafficking of children',
      ru: 'Торговля детьми',
      ky: 'Балдарды сатуу',
    },
    meaning: 'trafficking: offering or recruiting children for sexual exploitation',
  },
  other: {
    label: {
      en: 'Something else that harms children',
      ru: 'Другое, что вредит детям',
      ky: 'Балдарга зыян келтирген башка нерсе',
    },
    meaning: 'other harm to children the reporter could not place in a category above',
  },
};

/**
 * What the unit sorts a report under: its category, or, for a café's request to look again at a
 * block (kind `review_request`, sent with category `other`), a review request of its own: it
 * reports no harm, and must not be counted or triaged as "something else that harms children".
 * Reporters never choose it: the forms show CATEGORY_DEFINITIONS only.
 */
export type TriageCategory = Category | 'review_request';

export const TRIAGE_CATEGORY_DEFINITIONS: Record<TriageCategory, CategoryDefinition> = {
  ...CATEGORY_DEFINITIONS,
  review_request: {
    label: {
      en: 'Review request: a café asks the unit to look again at a block',
      ru: 'Просьба пересмотреть блокировку: кафе просит отдел ещё раз проверить',
      ky: 'Бөгөттү кайра карап чыгуу өтүнүчү: кафе бөлүмдөн кайра текшерүүнү суранат',
    },
    meaning:
      'review request: a café running Kalkan asks the unit to look again at one of its list entries; not a report of harm',
  },
};

export function triageCategoryOf(report: {
  category: Category;
  kind?: ReportKind;
}): TriageCategory {
  return report.kind === 'review_request' ? 'review_request' : report.category;
}

export const WHERE_FOUND_DEFINITIONS: Record<WhereFound, { label: Wording }> = {
  web_page: { label: { en: 'On a web page', ru: 'На веб-странице', ky: 'Веб-баракчадан' } },
  search: {
    label: { en: 'In search results', ru: 'В результатах поиска', ky: 'Издөө жыйынтыктарынан' },
  },
  chat: {
    label: {
      en: 'In a chat or messenger',
      ru: 'В чате или мессенджере',
      ky: 'Чаттан же мессенджерден',
    },
  },
  social: {
    label: { en: 'On a social network', ru: 'В социальной сети', ky: 'Социалдык тармактан' },
  },
  email: { label: { en: 'In an email', ru: 'В электронном письме', ky: 'Электрондук каттан' } },
  other: { label: { en: 'Somewhere else', ru: 'В другом месте', ky: 'Башка жерден' } },
};

export function categoryLabel(category: Category, language: ReportLanguage): string {
  return CATEGORY_DEFINITIONS[category].label[language];
}

export function whereFoundLabel(where: WhereFound, language: ReportLanguage): string {
  return WHERE_FOUND_DEFINITIONS[where].label[language];
}

/** `value → label` for one language, in the schema's order (for a form's options). */
export function categoryLabels(language: ReportLanguage): Record<Category, string> {
  return mapLabels(CATEGORY_DEFINITIONS, language);
}

export function whereFoundLabels(language: ReportLanguage): Record<WhereFound, string> {
  return mapLabels(WHERE_FOUND_DEFINITIONS, language);
}

function mapLabels<K extends string>(
  table: Record<K, { label: Wording }>,
  language: ReportLanguage,
): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const key of Object.keys(table) as K[]) out[key] = table[key].label[language];
  return out;
}
