import { describe, expect, it } from 'vitest'
import type { Inbox, WorkingHour } from './types'
import {
  defaultWeek,
  formFromInbox,
  formProblems,
  isOpenAt,
  normaliseDomains,
  payloadFromForm,
  preChatFields,
  replyTimeText,
  textColorOn,
  weekFromPayload,
  weekProblems,
  weekToPayload,
} from './widget'

const closed = (day: number): WorkingHour => ({
  day_of_week: day,
  closed_all_day: true,
  open_hour: null,
  open_minutes: null,
  close_hour: null,
  close_minutes: null,
  open_all_day: false,
})

function websiteInbox(overrides: Partial<Inbox> = {}): Inbox {
  return {
    id: 7,
    name: 'Shop',
    channel_type: 'Channel::WebWidget',
    website_url: 'https://shop.example.com',
    widget_color: '#ff0000',
    welcome_title: 'Hello',
    welcome_tagline: 'We reply fast',
    reply_time: 'in_a_day',
    selected_feature_flags: ['attachments', 'allow_mobile_webview'],
    pre_chat_form_enabled: false,
    pre_chat_form_options: {
      pre_chat_message: 'Who are you?',
      require_email: false,
      pre_chat_fields: [
        { field_type: 'standard', label: 'Email Id', name: 'emailAddress', type: 'email', required: true, enabled: true },
        { field_type: 'conversation_attribute', label: 'Order', name: 'order_id', type: 'text', required: false, enabled: true },
      ],
    },
    greeting_enabled: true,
    greeting_message: 'Hi!',
    enable_email_collect: true,
    csat_survey_enabled: false,
    allow_messages_after_resolved: true,
    continuity_via_email: true,
    working_hours_enabled: true,
    out_of_office_message: 'Away',
    timezone: 'Europe/Berlin',
    working_hours: defaultWeek(),
    hmac_mandatory: false,
    allowed_domains: 'a.example.com,b.example.com',
    ...overrides,
  }
}

describe('working hours: form ↔ payload', () => {
  it('reads the stored week into Sunday-first days with HH:MM times', () => {
    const week = weekFromPayload([
      closed(0),
      { day_of_week: 1, closed_all_day: false, open_hour: 8, open_minutes: 30, close_hour: 18, close_minutes: 5, open_all_day: false },
      { day_of_week: 2, closed_all_day: false, open_hour: 0, open_minutes: 0, close_hour: 23, close_minutes: 59, open_all_day: true },
    ])
    expect(week).toHaveLength(7)
    expect(week[0]).toEqual({ day_of_week: 0, status: 'closed', open: '09:00', close: '17:00' })
    expect(week[1]).toEqual({ day_of_week: 1, status: 'open', open: '08:30', close: '18:05' })
    expect(week[2].status).toBe('all_day')
    // Days missing from the payload take Chatwoot's default (weekdays 9–17, weekend closed).
    expect(week[3]).toEqual({ day_of_week: 3, status: 'open', open: '09:00', close: '17:00' })
    expect(week[6].status).toBe('closed')
  })

  it('writes closed days without times and all-day days as 00:00–23:59', () => {
    const payload = weekToPayload([
      { day_of_week: 0, status: 'closed', open: '10:00', close: '12:00' },
      { day_of_week: 1, status: 'open', open: '07:15', close: '19:45' },
      { day_of_week: 2, status: 'all_day', open: '09:00', close: '17:00' },
    ])
    expect(payload).toEqual([
      closed(0),
      { day_of_week: 1, closed_all_day: false, open_hour: 7, open_minutes: 15, close_hour: 19, close_minutes: 45, open_all_day: false },
      { day_of_week: 2, closed_all_day: false, open_hour: 0, open_minutes: 0, close_hour: 23, close_minutes: 59, open_all_day: true },
    ])
  })

  it('round-trips the default week unchanged', () => {
    expect(weekToPayload(weekFromPayload(defaultWeek()))).toEqual(defaultWeek())
  })

  it('names the days whose hours cannot be saved', () => {
    const week = weekFromPayload(defaultWeek())
    week[1].close = '08:00'
    week[2].open = ''
    week[0].open = 'garbage' // closed days are not checked
    expect(weekProblems(week)).toEqual([
      'Monday: the closing time must be after the opening time',
      'Tuesday: enter an opening and a closing time',
    ])
  })

  it('tells whether the inbox is open at a moment in its timezone', () => {
    const week = weekFromPayload(defaultWeek())
    // Monday 2026-12-07 10:00 UTC is 11:00 in Berlin, 05:00 in New York.
    const monday = new Date('2026-12-07T10:00:00Z')
    expect(isOpenAt(week, monday, 'Europe/Berlin')).toBe(true)
    expect(isOpenAt(week, monday, 'America/New_York')).toBe(false)
    expect(isOpenAt(week, new Date('2026-12-06T12:00:00Z'), 'UTC')).toBe(false) // a Sunday
    week[0].status = 'all_day'
    expect(isOpenAt(week, new Date('2026-12-06T12:00:00Z'), 'UTC')).toBe(true)
    expect(isOpenAt(week, monday, 'Not/AZone')).toBe(true) // falls back to UTC
  })
})

describe('pre-chat fields', () => {
  it('adds the missing standard fields, keeps stored values and custom fields', () => {
    const fields = preChatFields([
      { field_type: 'standard', label: 'Mail', name: 'emailAddress', type: 'email', required: false, enabled: true, placeholder: 'you@' },
      { field_type: 'contact_attribute', label: 'Plan', name: 'plan', type: 'text', required: true, enabled: true },
    ])
    expect(fields.map((f) => f.name)).toEqual(['emailAddress', 'fullName', 'phoneNumber', 'plan'])
    expect(fields[0]).toMatchObject({ label: 'Mail', required: false, enabled: true, placeholder: 'you@' })
    expect(fields[1]).toMatchObject({ label: 'Full name', enabled: false, required: false })
    expect(preChatFields(undefined).map((f) => f.name)).toEqual(['emailAddress', 'fullName', 'phoneNumber'])
  })
})

describe('form ↔ inbox payload', () => {
  it('builds Chatwoot’s update body: inbox fields on top, the widget under channel', () => {
    const form = formFromInbox(websiteInbox())
    form.widget_color = '#00aa55'
    form.welcome_title = 'Welcome!'
    form.features.attachments = false
    form.features.emoji_picker = true
    form.pre_chat_fields[1].enabled = true
    form.pre_chat_fields[1].placeholder = 'Your name'
    form.pre_chat_fields[2].placeholder = '   '
    form.allowed_domains = ' a.example.com,\n c.example.com  d.example.com'
    const body = payloadFromForm(form) as Record<string, any>
    expect(body.greeting_enabled).toBe(true)
    expect(body.timezone).toBe('Europe/Berlin')
    expect(body.working_hours).toEqual(defaultWeek())
    expect(body.channel.widget_color).toBe('#00aa55')
    expect(body.channel.welcome_title).toBe('Welcome!')
    expect(body.channel.reply_time).toBe('in_a_day')
    // Flags the screen does not show are sent back untouched.
    expect(body.channel.selected_feature_flags).toEqual(['emoji_picker', 'allow_mobile_webview'])
    expect(body.channel.allowed_domains).toBe('a.example.com,c.example.com,d.example.com')
    const options = body.channel.pre_chat_form_options
    expect(options.require_email).toBe(false)
    expect(options.pre_chat_message).toBe('Who are you?')
    expect(options.pre_chat_fields.map((f: { name: string }) => f.name)).toEqual(['emailAddress', 'fullName', 'phoneNumber', 'order_id'])
    expect(options.pre_chat_fields[1]).toMatchObject({ enabled: true, placeholder: 'Your name', label: 'Full name' })
    expect('placeholder' in options.pre_chat_fields[2]).toBe(false)
  })

  it('an unchanged form gives the body of the stored inbox again', () => {
    const inbox = websiteInbox()
    const body = payloadFromForm(formFromInbox(inbox)) as Record<string, any>
    expect(body.channel.allowed_domains).toBe(inbox.allowed_domains)
    expect(body.channel.selected_feature_flags).toEqual(inbox.selected_feature_flags)
    expect(JSON.stringify(payloadFromForm(formFromInbox(inbox)))).toBe(JSON.stringify(body))
  })

  it('fills the gaps of a sparse payload with the widget’s defaults', () => {
    const form = formFromInbox({ id: 1, name: 'Bare', channel_type: 'Channel::WebWidget' })
    expect(form.widget_color).toBe('#1f93ff')
    expect(form.reply_time).toBe('in_a_few_minutes')
    expect(form.timezone).toBe('UTC')
    expect(form.features).toEqual({ attachments: false, emoji_picker: false, end_conversation: false })
    expect(form.pre_chat_fields.map((f) => f.name)).toEqual(['emailAddress', 'fullName', 'phoneNumber'])
    expect(weekToPayload(form.week)).toEqual(defaultWeek())
    expect(form.allow_messages_after_resolved).toBe(true)
    expect(formProblems(form)).toEqual(['Enter the website URL'])
  })

  it('lists what blocks saving', () => {
    const form = formFromInbox(websiteInbox())
    expect(formProblems(form)).toEqual([])
    form.name = ' '
    form.widget_color = 'red'
    form.week[3].close = '01:00'
    expect(formProblems(form)).toEqual([
      'Enter a name for the inbox',
      'The widget color must be a hex color such as #1f93ff',
      'Wednesday: the closing time must be after the opening time',
    ])
  })
})

describe('small helpers', () => {
  it('reply time texts', () => {
    expect(replyTimeText('in_a_few_hours')).toBe('Typically replies in a few hours')
    expect(replyTimeText('nonsense')).toBe('Typically replies in a few minutes')
  })
  it('domains', () => {
    expect(normaliseDomains('')).toBe('')
    expect(normaliseDomains('x.com, , y.com')).toBe('x.com,y.com')
  })
  it('text colour on the widget colour', () => {
    expect(textColorOn('#1f93ff')).toBe('#ffffff')
    expect(textColorOn('#ffee00')).toBe('#1d2330')
    expect(textColorOn('#fff')).toBe('#1d2330')
    expect(textColorOn('bogus')).toBe('#ffffff')
  })
})
