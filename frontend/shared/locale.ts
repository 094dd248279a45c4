// Which of the widget's translations to show.

export const SUPPORTED_LOCALES = ['en', 'es', 'pt', 'fr', 'de'] as const
export type Locale = (typeof SUPPORTED_LOCALES)[number]

/** "pt_BR", "pt-br", "PT" → "pt"; null when the language has no translation. */
export function matchLocale(value: unknown): Locale | null {
  if (typeof value !== 'string') return null
  const language = value.trim().toLowerCase().split(/[-_]/)[0]
  return (SUPPORTED_LOCALES as readonly string[]).includes(language) ? (language as Locale) : null
}

/** The first candidate that has a translation (most specific first), else English. */
export function chooseLocale(...candidates: unknown[]): Locale {
  for (const candidate of candidates) {
    const locale = matchLocale(candidate)
    if (locale) return locale
  }
  return 'en'
}
