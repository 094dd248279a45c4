// A website inbox's settings: the editable form the settings screen binds to, built from the inbox
// payload and turned back into the PATCH body of …/inboxes/{id} (Chatwoot's shapes, see types.ts).

import type { Inbox, PreChatField, ReplyTime, WorkingHour } from './types'

export const REPLY_TIMES: { value: ReplyTime; label: string; text: string }[] = [
  { value: 'in_a_few_minutes', label: 'In a few minutes', text: 'Typically replies in a few minutes' },
  { value: 'in_a_few_hours', label: 'In a few hours', text: 'Typically replies in a few hours' },
  { value: 'in_a_day', label: 'In a day', text: 'Typically replies in a day' },
]

/** The line under the widget's title, as the widget words it. */
export function replyTimeText(value: string): string {
  return (REPLY_TIMES.find((r) => r.value === value) ?? REPLY_TIMES[0]).text
}

/** The widget features this screen switches (Channel::WebWidget feature flags). */
export const EDITABLE_FLAGS = [
  { key: 'attachments', label: 'Attachments' },
  { key: 'emoji_picker', label: 'Emoji picker' },
  { key: 'end_conversation', label: 'End conversation' },
] as const
export type EditableFlag = (typeof EDITABLE_FLAGS)[number]['key']

export const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

export type DayStatus = 'open' | 'closed' | 'all_day'

/** One day of the week editor: times as the "HH:MM" of an <input type="time">. */
export interface DayForm {
  day_of_week: number
  status: DayStatus
  open: string
  close: string
}

export interface WidgetForm {
  name: string
  website_url: string
  widget_color: string
  welcome_title: string
  welcome_tagline: string
  reply_time: ReplyTime
  features: Record<EditableFlag, boolean>
  // Flags this screen does not show (e.g. allow_mobile_webview): sent back as they are.
  other_flags: string[]
  pre_chat_form_enabled: boolean
  pre_chat_message: string
  pre_chat_fields: PreChatField[]
  // Keys of pre_chat_form_options other than the message and the fields: kept as they are.
  pre_chat_extra: Record<string, unknown>
  greeting_enabled: boolean
  greeting_message: string
  enable_email_collect: boolean
  csat_survey_enabled: boolean
  allow_messages_after_resolved: boolean
  continuity_via_email: boolean
  working_hours_enabled: boolean
  timezone: string
  out_of_office_message: string
  week: DayForm[]
  hmac_mandatory: boolean
  allowed_domains: string
}

// --- the pre-chat form -----------------------------------------------------------------------------

/** Channel::WebWidget's standard fields, in its order, with the defaults it writes. */
export const STANDARD_FIELDS: PreChatField[] = [
  { field_type: 'standard', label: 'Email Id', name: 'emailAddress', type: 'email', required: true, enabled: false },
  { field_type: 'standard', label: 'Full name', name: 'fullName', type: 'text', required: false, enabled: false },
  { field_type: 'standard', label: 'Phone number', name: 'phoneNumber', type: 'text', required: false, enabled: false },
]
export const STANDARD_TITLES: Record<string, string> = {
  emailAddress: 'Email address',
  fullName: 'Full name',
  phoneNumber: 'Phone number',
}

/** The stored fields with every standard one present (missing ones added, disabled), standard ones first,
 * custom attribute fields after them untouched. */
export function preChatFields(stored: PreChatField[] | undefined): PreChatField[] {
  const fields = Array.isArray(stored) ? stored : []
  const standard = STANDARD_FIELDS.map((std) => {
    const found = fields.find((f) => f.name === std.name && (f.field_type ?? 'standard') === 'standard')
    return { ...std, ...(found ?? {}) }
  })
  const others = fields.filter((f) => !standard.some((s) => s.name === f.name && (f.field_type ?? 'standard') === 'standard'))
  return [...standard, ...others.map((f) => ({ ...f }))]
}

// --- working hours ---------------------------------------------------------------------------------

const pad = (n: number) => String(n).padStart(2, '0')

export function formatTime(hour: number | null | undefined, minutes: number | null | undefined): string {
  return `${pad(hour ?? 0)}:${pad(minutes ?? 0)}`
}

/** "HH:MM" → [hour, minutes], or null when it is not a time of day. */
export function parseTime(text: string): [number, number] | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim())
  if (!match) return null
  const hour = Number(match[1])
  const minutes = Number(match[2])
  if (hour > 23 || minutes > 59) return null
  return [hour, minutes]
}

/** Chatwoot's week for a new inbox: Monday to Friday 9:00–17:00, the weekend closed. */
export function defaultWeek(): WorkingHour[] {
  return DAY_NAMES.map((_, day) =>
    day === 0 || day === 6
      ? { day_of_week: day, closed_all_day: true, open_hour: null, open_minutes: null, close_hour: null, close_minutes: null, open_all_day: false }
      : { day_of_week: day, closed_all_day: false, open_hour: 9, open_minutes: 0, close_hour: 17, close_minutes: 0, open_all_day: false },
  )
}

/** The seven days of the editor, Sunday first; a day missing from the payload gets its default. */
export function weekFromPayload(hours: WorkingHour[] | null | undefined): DayForm[] {
  const defaults = defaultWeek()
  return defaults.map((fallback) => {
    const stored = (hours ?? []).find((h) => h.day_of_week === fallback.day_of_week) ?? fallback
    const status: DayStatus = stored.open_all_day ? 'all_day' : stored.closed_all_day ? 'closed' : 'open'
    const hasTimes = stored.open_hour != null && stored.close_hour != null && status === 'open'
    return {
      day_of_week: stored.day_of_week,
      status,
      open: hasTimes ? formatTime(stored.open_hour, stored.open_minutes) : '09:00',
      close: hasTimes ? formatTime(stored.close_hour, stored.close_minutes) : '17:00',
    }
  })
}

/** The ``working_hours`` array of the inbox body. Closed days carry no times; a day open all day is
 * 00:00–23:59, as Chatwoot's dashboard sends it. */
export function weekToPayload(days: DayForm[]): WorkingHour[] {
  return days.map((d) => {
    if (d.status === 'closed') {
      return { day_of_week: d.day_of_week, closed_all_day: true, open_hour: null, open_minutes: null, close_hour: null, close_minutes: null, open_all_day: false }
    }
    if (d.status === 'all_day') {
      return { day_of_week: d.day_of_week, closed_all_day: false, open_hour: 0, open_minutes: 0, close_hour: 23, close_minutes: 59, open_all_day: true }
    }
    const [openHour, openMinutes] = parseTime(d.open) ?? [9, 0]
    const [closeHour, closeMinutes] = parseTime(d.close) ?? [17, 0]
    return {
      day_of_week: d.day_of_week,
      closed_all_day: false,
      open_hour: openHour,
      open_minutes: openMinutes,
      close_hour: closeHour,
      close_minutes: closeMinutes,
      open_all_day: false,
    }
  })
}

/** What is wrong with the week, one sentence per day (empty when it can be saved). */
export function weekProblems(days: DayForm[]): string[] {
  const problems: string[] = []
  for (const d of days) {
    if (d.status !== 'open') continue
    const name = DAY_NAMES[d.day_of_week] ?? `Day ${d.day_of_week}`
    const open = parseTime(d.open)
    const close = parseTime(d.close)
    if (!open || !close) problems.push(`${name}: enter an opening and a closing time`)
    else if (close[0] * 60 + close[1] <= open[0] * 60 + open[1]) problems.push(`${name}: the closing time must be after the opening time`)
  }
  return problems
}

/** Whether the inbox is open at ``when`` in ``timezone`` by this week (the widget's "online" test). */
export function isOpenAt(days: DayForm[], when: Date, timezone: string): boolean {
  let parts: Intl.DateTimeFormatPart[]
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone || 'UTC', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(when)
  } catch {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(when)
  }
  const value = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(value('weekday'))
  const minute = Number(value('hour')) * 60 + Number(value('minute'))
  const today = days.find((d) => d.day_of_week === day)
  if (!today || today.status === 'closed') return false
  if (today.status === 'all_day') return true
  const open = parseTime(today.open)
  const close = parseTime(today.close)
  if (!open || !close) return false
  return minute >= open[0] * 60 + open[1] && minute < close[0] * 60 + close[1]
}

// --- allowed domains and colours --------------------------------------------------------------------

/** Chatwoot stores the allowed domains comma separated; the field also takes spaces or new lines. */
export function normaliseDomains(text: string): string {
  return text
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean)
    .join(',')
}

/** "#rgb" or "#rrggbb" (what <input type="color"> and the widget understand). */
export function isHexColor(text: string): boolean {
  return /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(text.trim())
}

/** A readable text colour on ``background`` (WCAG relative luminance). */
export function textColorOn(background: string): string {
  if (!isHexColor(background)) return '#ffffff'
  let hex = background.trim().slice(1)
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('')
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
  return luminance > 0.45 ? '#1d2330' : '#ffffff'
}

// --- form ↔ payload --------------------------------------------------------------------------------

export function formFromInbox(inbox: Inbox): WidgetForm {
  const flags = inbox.selected_feature_flags ?? []
  const options = inbox.pre_chat_form_options ?? {}
  const { pre_chat_message, pre_chat_fields, ...extra } = options
  return {
    name: inbox.name,
    website_url: inbox.website_url ?? '',
    widget_color: inbox.widget_color || '#1f93ff',
    welcome_title: inbox.welcome_title ?? '',
    welcome_tagline: inbox.welcome_tagline ?? '',
    reply_time: (REPLY_TIMES.find((r) => r.value === inbox.reply_time)?.value ?? 'in_a_few_minutes') as ReplyTime,
    features: {
      attachments: flags.includes('attachments'),
      emoji_picker: flags.includes('emoji_picker'),
      end_conversation: flags.includes('end_conversation'),
    },
    other_flags: flags.filter((f) => !EDITABLE_FLAGS.some((e) => e.key === f)),
    pre_chat_form_enabled: Boolean(inbox.pre_chat_form_enabled),
    pre_chat_message: typeof pre_chat_message === 'string' ? pre_chat_message : '',
    pre_chat_fields: preChatFields(pre_chat_fields),
    pre_chat_extra: extra,
    greeting_enabled: Boolean(inbox.greeting_enabled),
    greeting_message: inbox.greeting_message ?? '',
    enable_email_collect: Boolean(inbox.enable_email_collect),
    csat_survey_enabled: Boolean(inbox.csat_survey_enabled),
    allow_messages_after_resolved: inbox.allow_messages_after_resolved ?? true,
    continuity_via_email: inbox.continuity_via_email ?? true,
    working_hours_enabled: Boolean(inbox.working_hours_enabled),
    timezone: inbox.timezone || 'UTC',
    out_of_office_message: inbox.out_of_office_message ?? '',
    week: weekFromPayload(inbox.working_hours),
    hmac_mandatory: Boolean(inbox.hmac_mandatory),
    allowed_domains: (inbox.allowed_domains ?? '').split(',').filter(Boolean).join(', '),
  }
}

/** The PATCH …/inboxes/{id} body: the inbox's own fields at the top, the widget's under ``channel``. */
export function payloadFromForm(form: WidgetForm): Record<string, unknown> {
  const flags = [...EDITABLE_FLAGS.filter((f) => form.features[f.key]).map((f) => f.key as string), ...form.other_flags]
  return {
    name: form.name.trim(),
    greeting_enabled: form.greeting_enabled,
    greeting_message: form.greeting_message,
    enable_email_collect: form.enable_email_collect,
    csat_survey_enabled: form.csat_survey_enabled,
    allow_messages_after_resolved: form.allow_messages_after_resolved,
    working_hours_enabled: form.working_hours_enabled,
    timezone: form.timezone,
    out_of_office_message: form.out_of_office_message,
    working_hours: weekToPayload(form.week),
    channel: {
      website_url: form.website_url.trim(),
      widget_color: form.widget_color.trim(),
      welcome_title: form.welcome_title,
      welcome_tagline: form.welcome_tagline,
      reply_time: form.reply_time,
      selected_feature_flags: flags,
      pre_chat_form_enabled: form.pre_chat_form_enabled,
      pre_chat_form_options: {
        ...form.pre_chat_extra,
        pre_chat_message: form.pre_chat_message,
        pre_chat_fields: form.pre_chat_fields.map((f) => {
          const field: PreChatField = { ...f, label: f.label.trim() || (STANDARD_TITLES[f.name] ?? f.name) }
          if (!field.placeholder?.trim()) delete field.placeholder
          return field
        }),
      },
      continuity_via_email: form.continuity_via_email,
      hmac_mandatory: form.hmac_mandatory,
      allowed_domains: normaliseDomains(form.allowed_domains),
    },
  }
}

/** What keeps the form from being saved (empty when it can be). */
export function formProblems(form: WidgetForm): string[] {
  const problems: string[] = []
  if (!form.name.trim()) problems.push('Enter a name for the inbox')
  if (!form.website_url.trim()) problems.push('Enter the website URL')
  if (!isHexColor(form.widget_color)) problems.push('The widget color must be a hex color such as #1f93ff')
  problems.push(...weekProblems(form.week))
  return problems
}
