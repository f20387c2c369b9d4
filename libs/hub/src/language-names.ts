// ISO 639-1 codes as cards write them, with the names people search by (English and the language's own), so that
// "Swahili speech to text" or "modelo en español" finds a card that only lists `sw` or `es`.
export const LANGUAGE_NAMES: Readonly<Record<string, readonly string[]>> = {
  af: ['afrikaans'],
  am: ['amharic', 'አማርኛ'],
  ar: ['arabic', 'العربية'],
  bg: ['bulgarian', 'български'],
  bn: ['bengali', 'bangla', 'বাংলা'],
  ca: ['catalan', 'català'],
  cs: ['czech', 'čeština'],
  cy: ['welsh', 'cymraeg'],
  da: ['danish', 'dansk'],
  de: ['german', 'deutsch'],
  el: ['greek', 'ελληνικά'],
  en: ['english'],
  es: ['spanish', 'español', 'espanol', 'castellano'],
  et: ['estonian', 'eesti'],
  eu: ['basque', 'euskara'],
  fa: ['persian', 'farsi', 'فارسی'],
  fi: ['finnish', 'suomi'],
  fr: ['french', 'français', 'francais'],
  ga: ['irish', 'gaeilge'],
  gu: ['gujarati'],
  ha: ['hausa'],
  he: ['hebrew', 'עברית'],
  hi: ['hindi', 'हिन्दी'],
  hr: ['croatian', 'hrvatski'],
  hu: ['hungarian', 'magyar'],
  hy: ['armenian'],
  id: ['indonesian', 'bahasa indonesia'],
  ig: ['igbo'],
  is: ['icelandic', 'íslenska'],
  it: ['italian', 'italiano'],
  ja: ['japanese', '日本語'],
  ka: ['georgian'],
  ki: ['kikuyu', 'gikuyu', 'gĩkũyũ'],
  kk: ['kazakh'],
  km: ['khmer'],
  kn: ['kannada'],
  ko: ['korean', '한국어'],
  lg: ['luganda', 'ganda'],
  lt: ['lithuanian', 'lietuvių'],
  lv: ['latvian', 'latviešu'],
  ml: ['malayalam'],
  mr: ['marathi'],
  ms: ['malay', 'bahasa melayu'],
  my: ['burmese'],
  nb: ['norwegian', 'bokmål', 'norsk'],
  ne: ['nepali'],
  nl: ['dutch', 'nederlands'],
  nn: ['norwegian', 'nynorsk', 'norsk'],
  no: ['norwegian', 'norsk'],
  pa: ['punjabi'],
  pl: ['polish', 'polski'],
  pt: ['portuguese', 'português', 'portugues'],
  ro: ['romanian', 'română'],
  ru: ['russian', 'русский'],
  rw: ['kinyarwanda'],
  sk: ['slovak', 'slovenčina'],
  sl: ['slovenian', 'slovenščina'],
  so: ['somali'],
  sq: ['albanian'],
  sr: ['serbian', 'српски'],
  sv: ['swedish', 'svenska'],
  sw: ['swahili', 'kiswahili'],
  ta: ['tamil', 'தமிழ்'],
  te: ['telugu'],
  th: ['thai', 'ไทย'],
  tl: ['tagalog', 'filipino'],
  tr: ['turkish', 'türkçe'],
  uk: ['ukrainian', 'українська'],
  ur: ['urdu', 'اردو'],
  uz: ['uzbek'],
  vi: ['vietnamese', 'tiếng việt'],
  xh: ['xhosa'],
  yo: ['yoruba'],
  zh: ['chinese', 'mandarin', '中文'],
  zu: ['zulu'],
  multilingual: ['multilingual', 'many languages'],
  code: ['code', 'programming'],
  sql: ['sql'],
};

/** Word (lowercase) → the language codes it names. */
export const LANGUAGE_CODES_BY_NAME: ReadonlyMap<string, readonly string[]> = (() => {
  const byName = new Map<string, string[]>();
  for (const [code, names] of Object.entries(LANGUAGE_NAMES)) {
    if (code === 'code' || code === 'sql' || code === 'multilingual') continue;
    for (const name of names) {
      if (name.includes(' ')) continue;
      byName.set(name, [...(byName.get(name) ?? []), code]);
    }
  }
  return byName;
})();

export function languageNames(codes: readonly string[]): string[] {
  return codes.flatMap((code) => LANGUAGE_NAMES[code.toLowerCase()] ?? [code]);
}
