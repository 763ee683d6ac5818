import type { Locale } from 'antd/es/locale';
import i18n from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import type { Language } from '../components/format.ts';

const KEY = 'siyu.lang';

// Each language is its own chunk, fetched when first used: the sign-in page carries one language, not both.
const LOADERS: Record<Language, () => Promise<{ default: Record<string, unknown> }>> = {
  'zh-CN': () => import('./zh-CN.json'),
  en: () => import('./en.json'),
};

// Ant Design's own strings (pickers, pagination, empty tables) for each language, likewise loaded when first used.
const ANTD_LOADERS: Record<Language, () => Promise<{ default: Locale }>> = {
  'zh-CN': () => import('antd/locale/zh_CN'),
  en: () => import('antd/locale/en_US'),
};
const antdLocales: Partial<Record<Language, Locale>> = {};

async function loadAntdLocale(language: Language): Promise<void> {
  antdLocales[language] ??= (await ANTD_LOADERS[language]()).default;
}

/** Ant Design's strings for a language already switched to (setLanguage loads them first). */
export const antdLocale = (language: Language): Locale | undefined => antdLocales[language];

/** The language the console starts in: the operator's last choice, else Chinese. */
export const initialLanguage = (): Language => (localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN');

/** Resolves once the starting language is loaded; the app renders after it. */
export const i18nReady: Promise<unknown> = (async () => {
  const lng = initialLanguage();
  const [{ default: translation }] = await Promise.all([LOADERS[lng](), loadAntdLocale(lng)]);
  await i18n.use(initReactI18next).init({
    resources: { [lng]: { translation } },
    lng,
    fallbackLng: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  document.documentElement.lang = lng;
})();

// Strings only the signed-in console shows (reach, loyalty), in their own chunk per language, loaded with the console's
// frame: the sign-in page's JavaScript budget (~300 KB gzipped) has no room for them.
const CONSOLE_LOADERS: Record<Language, () => Promise<{ default: Record<string, unknown> }>> = {
  'zh-CN': () => import('./console.zh-CN.json'),
  en: () => import('./console.en.json'),
};
let consoleStrings = false;

async function addConsoleStrings(language: Language): Promise<void> {
  if (!i18n.hasResourceBundle(language, 'translation') || i18n.exists('reach.title', { lng: language, fallbackLng: false })) return;
  i18n.addResourceBundle(language, 'translation', (await CONSOLE_LOADERS[language]()).default, true, false);
}

/** Loads the console's own strings (for the current language, and for any language switched to later). */
export async function loadConsoleStrings(): Promise<void> {
  await i18nReady;
  consoleStrings = true;
  await addConsoleStrings(i18n.language === 'en' ? 'en' : 'zh-CN');
}

/** Switches the language (loading it first if needed) and remembers the choice. */
export function setLanguage(language: Language): void {
  localStorage.setItem(KEY, language);
  void (async () => {
    if (!i18n.hasResourceBundle(language, 'translation')) i18n.addResourceBundle(language, 'translation', (await LOADERS[language]()).default);
    await loadAntdLocale(language);
    if (consoleStrings) await addConsoleStrings(language);
    document.documentElement.lang = language;
    await i18n.changeLanguage(language);
  })();
}

/** The current language, and a picker for the API's bilingual labels ({ zh, en }). */
export function useLanguage(): { language: Language; label: (text: { zh: string; en: string }) => string } {
  const { i18n: instance } = useTranslation();
  const language: Language = instance.language === 'en' ? 'en' : 'zh-CN';
  return { language, label: (text) => (language === 'en' ? text.en : text.zh) };
}

export default i18n;
