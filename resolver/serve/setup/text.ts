/**
 * The /setup page's words in English, Russian and Kyrgyz, chosen by Accept-Language: parents
 * and school staff read it on the device they set up.
 */
import { pickLanguage } from '../accept-language.js';

export type SetupLanguage = 'en' | 'ru' | 'ky';

export interface SetupText {
  lang: SetupLanguage;
  title: string;
  intro: string;
  device: string;
  deviceHint: string;
  show: string;
  forDevice: (id: string) => string;
  noEncrypted: string;
  apple: string;
  appleSteps: string[];
  openOnPhone: string;
  appleDoh: string;
  appleDot: string;
  unsigned: string;
  android: string;
  androidSteps: string[];
  androidQr: string;
  admins: string;
  chromePolicy: string;
  windows: string;
  serverIp: string;
  check: string;
  checkHow: string;
  protectedBadge: string;
  notProtected: string;
  checkByHand: string;
  checkExplain: string;
}

const en: SetupText = {
  lang: 'en',
  title: 'Set up a device',
  intro:
    'Point a phone, tablet or computer at this filter, wherever it goes online: at home, at school or on mobile data.',
  device: 'Device name',
  deviceHint: 'one word: letters, digits and "-", e.g. amina-phone',
  show: 'Show setup for this device',
  forDevice: (id) => `Setup for the device “${id}”.`,
  noEncrypted:
    'Encrypted DNS is not configured on this resolver (setup.doh / setup.dot in its config), so phones cannot be set up from here yet. The check below still works on this network.',
  apple: 'iPhone, iPad and Mac',
  appleSteps: [
    'Open this page on the device itself, in Safari.',
    'Tap one of the profiles below, then Allow.',
    'Open Settings → Profile Downloaded → Install (on a Mac: System Settings → Privacy & Security → Profiles).',
    'Then Settings → General → VPN & Device Management → DNS shows the filter in use.',
  ],
  openOnPhone: 'To open this page on the phone, scan this code with its camera:',
  appleDoh: 'Profile: DNS over HTTPS (recommended)',
  appleDot: 'Profile: DNS over TLS',
  unsigned:
    'The profile is not signed, so the device says “Not Verified”. That is expected: install it only from this page.',
  android: 'Android (9 and later)',
  androidSteps: [
    'Open Settings → Network & internet → Private DNS (on some phones: Connections → More connection settings).',
    'Choose “Private DNS provider hostname” and type exactly:',
    'Save. If this name cannot be reached, the phone has no internet until it can: that is on purpose.',
  ],
  androidQr: 'Or scan this code with the phone’s camera and copy the name:',
  admins: 'Chrome, Edge and Windows (for administrators)',
  chromePolicy:
    'Chrome and Edge policy (Google Admin console, Group Policy, or /etc/opt/chrome/policies/managed/ on Linux):',
  windows: 'Windows 11, as administrator:',
  serverIp: 'SERVER-IP',
  check: 'Am I protected?',
  checkHow:
    'Open this page on the device you want to check. The box below turns green only when the device looks names up through this filter.',
  protectedBadge: 'Protected: this device uses Kalkan',
  notProtected:
    'Not protected: this device does not use Kalkan (or its browser uses its own secure DNS).',
  checkByHand: 'By hand, from a terminal:',
  checkExplain:
    'Only this filter answers that name; every other DNS server says it does not exist. The box is a picture loaded from that name, so it appears only when the name was looked up here. Nothing is fetched from the internet.',
};

const ru: SetupText = {
  lang: 'ru',
  title: 'Настройка устройства',
  intro:
    'Направьте телефон, планшет или компьютер через этот фильтр, где бы он ни был в сети: дома, в школе или в мобильном интернете.',
  device: 'Имя устройства',
  deviceHint: 'одно слово: буквы, цифры и «-», например amina-phone',
  show: 'Показать настройку для этого устройства',
  forDevice: (id) => `Настройка для устройства «${id}».`,
  noEncrypted:
    'Шифрованный DNS на этом резолвере не настроен (setup.doh / setup.dot в конфигурации), поэтому телефоны отсюда пока не настроить. Проверка ниже работает в этой сети.',
  apple: 'iPhone, iPad и Mac',
  appleSteps: [
    'Откройте эту страницу на самом устройстве, в Safari.',
    'Нажмите на один из профилей ниже, затем «Разрешить».',
    'Откройте Настройки → Профиль загружен → Установить (на Mac: Системные настройки → Конфиденциальность и безопасность → Профили).',
    'После этого в Настройки → Основные → VPN и управление устройством → DNS виден этот фильтр.',
  ],
  openOnPhone: 'Чтобы открыть эту страницу на телефоне, отсканируйте код его камерой:',
  appleDoh: 'Профиль: DNS через HTTPS (рекомендуется)',
  appleDot: 'Профиль: DNS через TLS',
  unsigned:
    'Профиль не подписан, поэтому устройство пишет «Не проверен». Так и должно быть: устанавливайте его только с этой страницы.',
  android: 'Android (9 и новее)',
  androidSteps: [
    'Откройте Настройки → Сеть и интернет → Частный DNS (на некоторых телефонах: Подключения → Другие настройки).',
    'Выберите «Имя хоста поставщика частного DNS» и введите точно:',
    'Сохраните. Если это имя недоступно, у телефона не будет интернета, пока оно не станет доступным: так задумано.',
  ],
  androidQr: 'Или отсканируйте код камерой телефона и скопируйте имя:',
  admins: 'Chrome, Edge и Windows (для администраторов)',
  chromePolicy:
    'Политика Chrome и Edge (консоль Google Admin, групповая политика или /etc/opt/chrome/policies/managed/ в Linux):',
  windows: 'Windows 11, от имени администратора:',
  serverIp: 'IP-СЕРВЕРА',
  check: 'Я защищён?',
  checkHow:
    'Откройте эту страницу на устройстве, которое хотите проверить. Поле ниже становится зелёным, только если устройство ищет имена через этот фильтр.',
  protectedBadge: 'Защищено: устройство использует Kalkan',
  notProtected:
    'Не защищено: устройство не использует Kalkan (или его браузер использует собственный защищённый DNS).',
  checkByHand: 'Вручную, из терминала:',
  checkExplain:
    'На это имя отвечает только этот фильтр; любой другой DNS-сервер скажет, что его нет. Поле — это картинка, загруженная с этого имени, поэтому она появляется, только если имя было найдено здесь. Из интернета ничего не загружается.',
};

const ky: SetupText = {
  lang: 'ky',
  title: 'Түзмөктү жөндөө',
  intro:
    'Телефонду, планшетти же компьютерди кайда болбосун — үйдө, мектепте же мобилдик интернетте — ушул чыпка аркылуу иштетиңиз.',
  device: 'Түзмөктүн аты',
  deviceHint: 'бир сөз: тамгалар, сандар жана «-», мисалы amina-phone',
  show: 'Ушул түзмөк үчүн жөндөөнү көрсөтүү',
  forDevice: (id) => `«${id}» түзмөгү үчүн жөндөө.`,
  noEncrypted:
    'Бул резолвердо шифрленген DNS жөндөлгөн эмес (конфигурациядагы setup.doh / setup.dot), ошондуктан телефондорду азырынча бул жерден жөндөөгө болбойт. Төмөнкү текшерүү бул тармакта иштейт.',
  apple: 'iPhone, iPad жана Mac',
  appleSteps: [
    'Бул баракты түзмөктүн өзүндө, Safari’де ачыңыз.',
    'Төмөнкү профилдердин бирин басып, «Уруксат берүү» дегенди тандаңыз.',
    'Жөндөөлөр → Профиль жүктөлдү → Орнотуу (Mac’те: Системалык жөндөөлөр → Купуялык жана коопсуздук → Профилдер).',
    'Андан кийин Жөндөөлөр → Негизгилер → VPN жана түзмөктү башкаруу → DNS ушул чыпканы көрсөтөт.',
  ],
  openOnPhone: 'Бул баракты телефондо ачуу үчүн бул кодду анын камерасы менен сканерлеңиз:',
  appleDoh: 'Профиль: HTTPS аркылуу DNS (сунушталат)',
  appleDot: 'Профиль: TLS аркылуу DNS',
  unsigned:
    'Профилге кол коюлган эмес, ошондуктан түзмөк «Текшерилген эмес» деп жазат. Бул кадимки көрүнүш: аны ушул барактан гана орнотуңуз.',
  android: 'Android (9 жана жаңыраак)',
  androidSteps: [
    'Жөндөөлөр → Тармак жана интернет → Жеке DNS ачыңыз (айрым телефондордо: Туташуулар → Башка жөндөөлөр).',
    '«Жеке DNS провайдеринин хост аты» дегенди тандап, так ушуну жазыңыз:',
    'Сактаңыз. Эгер бул атка жетүү мүмкүн болбосо, телефондо интернет болбойт: бул атайын ушундай.',
  ],
  androidQr: 'Же бул кодду телефондун камерасы менен сканерлеп, атын көчүрүңүз:',
  admins: 'Chrome, Edge жана Windows (администраторлор үчүн)',
  chromePolicy:
    'Chrome жана Edge саясаты (Google Admin консолу, топтук саясат же Linux’те /etc/opt/chrome/policies/managed/):',
  windows: 'Windows 11, администратор катары:',
  serverIp: 'СЕРВЕРДИН-IP',
  check: 'Мен корголгонмунбу?',
  checkHow:
    'Бул баракты текшергиңиз келген түзмөктө ачыңыз. Төмөнкү талаа түзмөк аттарды ушул чыпка аркылуу издегенде гана жашыл болот.',
  protectedBadge: 'Корголгон: бул түзмөк Kalkan колдонот',
  notProtected:
    'Корголгон эмес: бул түзмөк Kalkan колдонбойт (же анын браузери өзүнүн коопсуз DNS’ин колдонот).',
  checkByHand: 'Кол менен, терминалдан:',
  checkExplain:
    'Бул атка ушул чыпка гана жооп берет; башка бардык DNS серверлери мындай ат жок дейт. Талаа — ошол аттан жүктөлгөн сүрөт, ошондуктан ат ушул жерден изделгенде гана көрүнөт. Интернеттен эч нерсе жүктөлбөйт.',
};

const TEXTS: Record<SetupLanguage, SetupText> = { en, ru, ky };

export function setupText(acceptLanguage: string | undefined): SetupText {
  return TEXTS[pickLanguage(acceptLanguage, ['en', 'ru', 'ky'], 'en')];
}
