// Whether the team is available now, and when it will be back, from the inbox's working hours
// (day_of_week 0 = Sunday) read in the inbox's fixed UTC offset ("+05:30").

export interface WorkingHour {
  day_of_week: number
  closed_all_day: boolean
  open_all_day?: boolean
  open_hour: number | null
  open_minutes: number | null
  close_hour: number | null
  close_minutes: number | null
}

export type BackIn =
  | { kind: 'minutes'; count: number }
  | { kind: 'hours'; count: number }
  | { kind: 'time'; hour: number; minute: number }
  | { kind: 'tomorrow' }
  | { kind: 'day'; dayOfWeek: number }
  | { kind: 'some_time' }

/** "+05:30" → 330, "-03:00" → -180; anything unreadable → 0 (UTC). */
export function parseUtcOffset(offset: unknown): number {
  if (typeof offset !== 'string') return 0
  const match = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(offset.trim())
  if (!match) return 0
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0)
  return match[1] === '-' ? -minutes : minutes
}

interface LocalTime {
  day: number
  minutes: number
}

function localTime(now: Date, offsetMinutes: number): LocalTime {
  const shifted = new Date(now.getTime() + offsetMinutes * 60000)
  return { day: shifted.getUTCDay(), minutes: shifted.getUTCHours() * 60 + shifted.getUTCMinutes() }
}

const opensAt = (slot: WorkingHour): number => (slot.open_hour ?? 0) * 60 + (slot.open_minutes ?? 0)
const closesAt = (slot: WorkingHour): number => {
  const close = (slot.close_hour ?? 0) * 60 + (slot.close_minutes ?? 0)
  // "Until 00:00" means until the end of the day.
  return close === 0 ? 24 * 60 : close
}

function slotFor(week: WorkingHour[], day: number): WorkingHour | undefined {
  return week.find((slot) => slot.day_of_week === day)
}

export function isOpenAt(week: WorkingHour[], now: Date, utcOffset: unknown): boolean {
  const { day, minutes } = localTime(now, parseUtcOffset(utcOffset))
  const slot = slotFor(week, day)
  if (!slot || slot.closed_all_day) return false
  if (slot.open_all_day) return true
  return minutes >= opensAt(slot) && minutes < closesAt(slot)
}

/** Minutes from now until the next opening, with that opening's local day and time; null if never. */
export function nextOpening(
  week: WorkingHour[],
  now: Date,
  utcOffset: unknown,
): { inMinutes: number; daysAhead: number; day: number; hour: number; minute: number } | null {
  const { day, minutes } = localTime(now, parseUtcOffset(utcOffset))
  for (let ahead = 0; ahead <= 7; ahead++) {
    const weekday = (day + ahead) % 7
    const slot = slotFor(week, weekday)
    if (!slot || slot.closed_all_day) continue
    const start = slot.open_all_day ? 0 : opensAt(slot)
    if (ahead === 0 && start <= minutes) continue
    const inMinutes = ahead * 24 * 60 + start - minutes
    return { inMinutes, daysAhead: ahead, day: weekday, hour: Math.floor(start / 60), minute: start % 60 }
  }
  return null
}

/** How to phrase "we will be back …": minutes under an hour, hours under three, a time later today,
 * "tomorrow", or the weekday. */
export function backIn(week: WorkingHour[], now: Date, utcOffset: unknown): BackIn {
  const next = nextOpening(week, now, utcOffset)
  if (!next) return { kind: 'some_time' }
  if (next.inMinutes < 60) return { kind: 'minutes', count: Math.max(1, Math.ceil(next.inMinutes / 5) * 5) }
  if (next.inMinutes < 180) return { kind: 'hours', count: Math.round(next.inMinutes / 60) }
  if (next.daysAhead === 0) return { kind: 'time', hour: next.hour, minute: next.minute }
  if (next.daysAhead === 1) return { kind: 'tomorrow' }
  return { kind: 'day', dayOfWeek: next.day }
}

export interface Availability {
  online: boolean
  // Closed by the working hours (rather than nobody being online).
  outOfHours: boolean
}

/** With working hours on, the hours decide; otherwise whether any agent of the inbox is online. */
export function availability(
  options: { workingHoursEnabled: boolean; workingHours: WorkingHour[]; utcOffset: unknown },
  agentsOnline: boolean,
  now: Date,
): Availability {
  if (options.workingHoursEnabled) {
    const open = isOpenAt(options.workingHours, now, options.utcOffset)
    return { online: open, outOfHours: !open }
  }
  return { online: agentsOnline, outOfHours: false }
}
