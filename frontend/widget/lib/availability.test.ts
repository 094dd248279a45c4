import { describe, expect, it } from 'vitest'
import { availability, backIn, isOpenAt, nextOpening, parseUtcOffset, type WorkingHour } from './availability'
import { backInText, replyTimeKey, translate } from './i18n'

// Chatwoot's default week: Monday–Friday 9:00–17:00, the weekend closed.
const WEEK: WorkingHour[] = [0, 1, 2, 3, 4, 5, 6].map((day) => ({
  day_of_week: day,
  closed_all_day: day === 0 || day === 6,
  open_all_day: false,
  open_hour: day === 0 || day === 6 ? null : 9,
  open_minutes: day === 0 || day === 6 ? null : 0,
  close_hour: day === 0 || day === 6 ? null : 17,
  close_minutes: day === 0 || day === 6 ? null : 0,
}))

// 2026-12-07 is a Monday.
const at = (day: number, hour: number, minute = 0): Date => new Date(Date.UTC(2026, 11, day, hour, minute))

describe('utc offsets', () => {
  it('reads "+05:30", "-03:00", "+0100" and falls back to UTC', () => {
    expect(parseUtcOffset('+05:30')).toBe(330)
    expect(parseUtcOffset('-03:00')).toBe(-180)
    expect(parseUtcOffset('+0100')).toBe(60)
    expect(parseUtcOffset('UTC')).toBe(0)
    expect(parseUtcOffset(undefined)).toBe(0)
  })
})

describe('working hours', () => {
  it('is open inside the day, closed at the boundary and on the weekend', () => {
    expect(isOpenAt(WEEK, at(7, 9, 0), '+00:00')).toBe(true)
    expect(isOpenAt(WEEK, at(7, 16, 59), '+00:00')).toBe(true)
    expect(isOpenAt(WEEK, at(7, 17, 0), '+00:00')).toBe(false)
    expect(isOpenAt(WEEK, at(7, 8, 59), '+00:00')).toBe(false)
    expect(isOpenAt(WEEK, at(12, 12), '+00:00')).toBe(false)
  })

  it('reads the clock in the inbox offset, across midnight too', () => {
    // 12:00 UTC is 17:30 in India: closed; 04:00 UTC is 09:30 there: open.
    expect(isOpenAt(WEEK, at(7, 12), '+05:30')).toBe(false)
    expect(isOpenAt(WEEK, at(7, 4), '+05:30')).toBe(true)
    // Saturday 02:00 UTC is still Friday 23:00 in São Paulo... closed by the hour, not the day.
    expect(isOpenAt(WEEK, at(12, 2), '-03:00')).toBe(false)
    // Monday 00:30 UTC is Sunday 21:30 in São Paulo: the Sunday rule.
    const sundayOpen = WEEK.map((d) => (d.day_of_week === 0 ? { ...d, closed_all_day: false, open_all_day: true } : d))
    expect(isOpenAt(sundayOpen, at(7, 0, 30), '-03:00')).toBe(true)
  })

  it('"open until 00:00" lasts to the end of the day', () => {
    const late = WEEK.map((d) => (d.day_of_week === 1 ? { ...d, close_hour: 0, close_minutes: 0 } : d))
    expect(isOpenAt(late, at(7, 23, 30), '+00:00')).toBe(true)
  })

  it('finds the next opening', () => {
    expect(nextOpening(WEEK, at(7, 8, 30), '+00:00')).toMatchObject({ inMinutes: 30, daysAhead: 0, hour: 9 })
    expect(nextOpening(WEEK, at(11, 18), '+00:00')).toMatchObject({ daysAhead: 3, day: 1, hour: 9, minute: 0 })
    expect(nextOpening(WEEK.map((d) => ({ ...d, closed_all_day: true })), at(7, 8), '+00:00')).toBeNull()
  })

  it('phrases the way back: minutes, hours, a time today, tomorrow, a weekday', () => {
    expect(backIn(WEEK, at(7, 8, 33), '+00:00')).toEqual({ kind: 'minutes', count: 30 })
    expect(backIn(WEEK, at(7, 7, 0), '+00:00')).toEqual({ kind: 'hours', count: 2 })
    expect(backIn(WEEK, at(7, 3, 0), '+00:00')).toEqual({ kind: 'time', hour: 9, minute: 0 })
    expect(backIn(WEEK, at(7, 18, 0), '+00:00')).toEqual({ kind: 'tomorrow' })
    expect(backIn(WEEK, at(11, 18, 0), '+00:00')).toEqual({ kind: 'day', dayOfWeek: 1 })
    expect(backIn([], at(7, 18), '+00:00')).toEqual({ kind: 'some_time' })
  })

  it('decides availability by the hours when they are on, by agents otherwise', () => {
    const options = { workingHoursEnabled: true, workingHours: WEEK, utcOffset: '+00:00' }
    expect(availability(options, false, at(7, 10))).toEqual({ online: true, outOfHours: false })
    expect(availability(options, true, at(7, 20))).toEqual({ online: false, outOfHours: true })
    expect(availability({ ...options, workingHoursEnabled: false }, true, at(7, 20))).toEqual({
      online: true,
      outOfHours: false,
    })
    expect(availability({ ...options, workingHoursEnabled: false }, false, at(7, 10)).online).toBe(false)
  })
})

describe('translations', () => {
  it('say "we will be back" in each language', () => {
    expect(backInText('en', { kind: 'minutes', count: 15 })).toBe('We will be back online in 15 minutes')
    expect(backInText('en', { kind: 'hours', count: 1 })).toBe('We will be back online in an hour')
    expect(backInText('en', { kind: 'day', dayOfWeek: 1 })).toBe('We will be back online on Monday')
    expect(backInText('de', { kind: 'day', dayOfWeek: 1 })).toBe('Wir sind am Montag wieder da')
    expect(backInText('es', { kind: 'tomorrow' })).toBe('Volveremos mañana')
    // The clock format is the runtime's (ICU): only its shape is checked.
    expect(backInText('en', { kind: 'time', hour: 9, minute: 0 })).toMatch(/^We will be back online at 9:00\s?AM$/)
    expect(backInText('fr', { kind: 'time', hour: 14, minute: 30 })).toBe('De retour en ligne à 14:30')
  })

  it('render reply times and parameters', () => {
    expect(translate('en', replyTimeKey('in_a_few_hours'))).toBe('Typically replies in a few hours')
    expect(translate('pt', replyTimeKey('in_a_day'))).toBe('Costuma responder em um dia')
    expect(translate('fr', replyTimeKey(undefined))).toBe('Répond généralement en quelques minutes')
    expect(translate('en', 'typing', { name: 'Grace' })).toBe('Grace is typing')
    expect(translate('en', 'typing')).toBe('{name} is typing')
  })
})
