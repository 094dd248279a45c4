// The widget's own translations (en, es, pt, fr, de), chosen by shared/locale.ts.

import { chooseLocale, type Locale } from '../../shared/locale'
import type { BackIn } from './availability'
import de from './locales/de'
import en from './locales/en'
import es from './locales/es'
import fr from './locales/fr'
import pt from './locales/pt'

export type MessageKey = keyof typeof en
export type Messages = Record<MessageKey, string>

const CATALOGUES: Record<Locale, Messages> = { en, es, pt, fr, de }

export function translate(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = CATALOGUES[locale][key] ?? en[key]
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
}

export function replyTimeKey(replyTime: unknown): MessageKey {
  if (replyTime === 'in_a_few_hours') return 'replyInHours'
  if (replyTime === 'in_a_day') return 'replyInDay'
  return 'replyInMinutes'
}

export function backInText(locale: Locale, back: BackIn): string {
  switch (back.kind) {
    case 'minutes':
      return translate(locale, 'backInMinutes', { count: back.count })
    case 'hours':
      return back.count === 1 ? translate(locale, 'backInHour') : translate(locale, 'backInHours', { count: back.count })
    case 'time': {
      const at = new Date(Date.UTC(2024, 0, 1, back.hour, back.minute))
      const time = new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' }).format(at)
      return translate(locale, 'backAtTime', { time })
    }
    case 'tomorrow':
      return translate(locale, 'backTomorrow')
    case 'day': {
      // 2024-01-07 was a Sunday (day_of_week 0).
      const day = new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'UTC' }).format(
        new Date(Date.UTC(2024, 0, 7 + back.dayOfWeek)),
      )
      return translate(locale, 'backOnDay', { day })
    }
    default:
      return translate(locale, 'backSomeTime')
  }
}

export { chooseLocale }
export type { Locale }
