// The widget's state and everything that changes it: the page's globals, the host SDK's messages,
// the widget API and the realtime feed.

import { computed, nextTick, reactive } from 'vue'
import { chooseLocale, type Locale } from '../../shared/locale'
import { decodeWire, encodeWire } from '../../shared/wire'
import { ApiError, WidgetApi } from './api'
import { availability, backIn, type WorkingHour } from './availability'
import { cableUrl, WidgetCable, type CableFrame, type CableStatus } from './cable'
import { backInText, replyTimeKey, translate, type MessageKey } from './i18n'
import {
  isFromAgent,
  lastServerId,
  mergeMessage,
  seenIdAt,
  senderName,
  sortMessages,
  unreadCount,
  type WidgetMessage,
} from './messages'
import { conversationBody, type FieldValue, type PreChatField } from './prechat'
import { chime } from './sound'

export interface Channel {
  avatarUrl?: string
  websiteName?: string
  websiteToken: string
  welcomeTitle?: string
  welcomeTagline?: string
  widgetColor?: string
  locale?: string
  enabledFeatures?: string[]
  replyTime?: string
  preChatFormEnabled?: boolean
  preChatFormOptions?: { pre_chat_message?: string; pre_chat_fields?: unknown[] }
  workingHoursEnabled?: boolean
  csatSurveyEnabled?: boolean
  workingHours?: WorkingHour[]
  outOfOfficeMessage?: string | null
  utcOffset?: string
  timezone?: string
  allowMessagesAfterResolved?: boolean
  disableBranding?: boolean
}

export interface GlobalConfig {
  BRAND_NAME?: string
  WIDGET_BRAND_URL?: string
  LOGO_THUMBNAIL?: string
  MAXIMUM_FILE_UPLOAD_SIZE?: number
  INSTALLATION_NAME?: string
}

export interface Member {
  id: number
  name: string
  avatar_url?: string
  availability_status?: string
}

export interface Conversation {
  id: number
  status: string
  contact_last_seen_at?: number | null
}

export interface Contact {
  id?: number
  has_email?: boolean
  has_name?: boolean
  has_phone_number?: boolean
  identifier?: string | null
}

type View = 'home' | 'prechat' | 'chat'
type DarkMode = 'light' | 'auto' | 'dark'

const w = window as unknown as Record<string, unknown>
const channel = (w.chatwootWebChannel ?? { websiteToken: '' }) as Channel
const globalConfig = (w.globalConfig ?? {}) as GlobalConfig
const embedded = window.parent !== window
const query = new URLSearchParams(location.search)

export const state = reactive({
  channel,
  globalConfig,
  pubsubToken: String(w.chatwootPubsubToken ?? ''),
  authToken: String(w.authToken ?? ''),
  locale: chooseLocale(query.get('locale'), channel.locale) as Locale,
  darkMode: 'light' as DarkMode,
  // A popped-out window or a direct visit shows the chat straight away.
  isOpen: !embedded,
  isMobile: false,
  view: 'home' as View,
  ready: false,
  conversation: null as Conversation | null,
  messages: [] as WidgetMessage[],
  members: [] as Member[],
  onlineAgents: {} as Record<string, string>,
  contact: {} as Contact,
  // The last message the visitor has seen (for the unread count on the bubble).
  seenId: null as number | null,
  typing: null as { name: string; until: number } | null,
  connection: 'connecting' as CableStatus,
  error: '' as string,
  refererUrl: document.referrer,
  now: Date.now(),
  options: {
    showPopoutButton: false,
    welcomeTitle: '',
    welcomeDescription: '',
    availableMessage: '',
    unavailableMessage: '',
    enableFileUpload: undefined as boolean | undefined,
    enableEmojiPicker: true,
    enableEndConversation: true,
    enableNotificationSound: false,
  },
  pendingConversationAttributes: {} as Record<string, unknown>,
})

export const api = new WidgetApi(state.authToken, channel.websiteToken, state.locale)

export const t = (key: MessageKey, params?: Record<string, string | number>): string =>
  translate(state.locale, key, params)

const features = computed(() => new Set(channel.enabledFeatures ?? []))

export const view = {
  attachmentsEnabled: computed(() => state.options.enableFileUpload ?? features.value.has('attachments')),
  emojiEnabled: computed(() => state.options.enableEmojiPicker && features.value.has('emoji_picker')),
  endEnabled: computed(
    () =>
      state.options.enableEndConversation &&
      features.value.has('end_conversation') &&
      !!state.conversation &&
      state.conversation.status !== 'resolved',
  ),
  availability: computed(() =>
    availability(
      {
        workingHoursEnabled: !!channel.workingHoursEnabled,
        workingHours: channel.workingHours ?? [],
        utcOffset: channel.utcOffset,
      },
      state.members.some(
        (m) => m.availability_status === 'online' || state.onlineAgents[String(m.id)] === 'online',
      ),
      new Date(state.now),
    ),
  ),
  statusLine: computed(() => {
    const a = view.availability.value
    if (a.online) return state.options.availableMessage || t(replyTimeKey(channel.replyTime))
    if (a.outOfHours) {
      return (
        state.options.unavailableMessage ||
        backInText(state.locale, backIn(channel.workingHours ?? [], new Date(state.now), channel.utcOffset))
      )
    }
    return state.options.unavailableMessage || t('away')
  }),
  unread: computed(() => unreadCount(state.messages, state.seenId)),
  canReply: computed(
    () => !(state.conversation?.status === 'resolved' && channel.allowMessagesAfterResolved === false),
  ),
  brand: computed(() => globalConfig.BRAND_NAME || globalConfig.INSTALLATION_NAME || 'Frontdesk'),
  maxUploadMb: computed(() => Number(globalConfig.MAXIMUM_FILE_UPLOAD_SIZE) || 40),
}

// -- the host page ----------------------------------------------------------------------------------

export function toHost(event: string, fields: Record<string, unknown> = {}): void {
  if (embedded) window.parent.postMessage(encodeWire(event, fields), '*')
}

const emit = (eventIdentifier: string, data?: unknown): void => toHost('onEvent', { eventIdentifier, data })

function setLocale(value: unknown): void {
  state.locale = chooseLocale(value, query.get('locale'), channel.locale)
  api.locale = state.locale
  document.documentElement.lang = state.locale
  toHost('setBubbleLabel', { label: t('chatWithUs'), closeLabel: t('close') })
}

const hostHandlers: Record<string, (m: Record<string, unknown>) => void | Promise<void>> = {
  'config-set'(m) {
    const o = state.options
    o.showPopoutButton = m.showPopoutButton === true
    for (const key of ['welcomeTitle', 'welcomeDescription', 'availableMessage', 'unavailableMessage'] as const) {
      if (typeof m[key] === 'string') o[key] = m[key] as string
    }
    if (typeof m.enableFileUpload === 'boolean') o.enableFileUpload = m.enableFileUpload
    o.enableEmojiPicker = m.enableEmojiPicker !== false
    o.enableEndConversation = m.enableEndConversation !== false
    o.enableNotificationSound = m.enableNotificationSound === true
    state.darkMode = (['dark', 'auto'].includes(String(m.darkMode)) ? m.darkMode : 'light') as DarkMode
    if (m.locale) setLocale(m.locale)
    else toHost('setBubbleLabel', { label: t('chatWithUs'), closeLabel: t('close') })
    if (typeof m.isOpen === 'boolean') state.isOpen = m.isOpen
    reportUnread()
  },
  'toggle-open'(m) {
    state.isOpen = m.isOpen === true
    if (!state.isOpen) return
    void markSeen()
    // Keyboard users land where they can act: the reply box, else the first control of the screen.
    void nextTick(() =>
      document.querySelector<HTMLElement>('#reply-input, .prechat input, .prechat textarea, .start')?.focus(),
    )
  },
  'toggle-close-button'(m) {
    state.isMobile = m.isMobile === true
  },
  'change-url'(m) {
    if (typeof m.referrerURL === 'string') state.refererUrl = m.referrerURL
  },
  async 'push-event'(m) {
    if (typeof m.eventName !== 'string') return
    await quietly(
      api.request('POST', 'events', {
        json: {
          name: m.eventName,
          event_info: { initiated_at: { timestamp: new Date().toString() }, referer: state.refererUrl },
        },
      }),
    )
  },
  'set-locale'(m) {
    setLocale(m.locale)
  },
  'set-color-scheme'(m) {
    state.darkMode = (['dark', 'auto'].includes(String(m.darkMode)) ? m.darkMode : 'light') as DarkMode
  },
  'set-user': (m) => setUser(m),
  async 'set-custom-attributes'(m) {
    await quietly(api.request('PATCH', 'contact', { json: { custom_attributes: m.customAttributes } }))
  },
  async 'delete-custom-attribute'(m) {
    await quietly(
      api.request('POST', 'contact/destroy_custom_attributes', { json: { custom_attributes: [m.customAttribute] } }),
    )
  },
  async 'set-conversation-custom-attributes'(m) {
    const attributes = (m.customAttributes ?? {}) as Record<string, unknown>
    if (!state.conversation) {
      Object.assign(state.pendingConversationAttributes, attributes)
      return
    }
    await quietly(
      api.request('POST', 'conversations/set_custom_attributes', { json: { custom_attributes: attributes } }),
    )
  },
  async 'delete-conversation-custom-attribute'(m) {
    if (!state.conversation) {
      delete state.pendingConversationAttributes[String(m.customAttribute)]
      return
    }
    await quietly(
      api.request('POST', 'conversations/destroy_custom_attributes', {
        json: { custom_attribute: [m.customAttribute] },
      }),
    )
  },
  async 'set-label'(m) {
    if (state.conversation) await quietly(api.request('POST', 'labels', { json: { label: m.label } }))
  },
  async 'remove-label'(m) {
    if (state.conversation) await quietly(api.request('DELETE', `labels/${encodeURIComponent(String(m.label))}`))
  },
}

async function quietly(work: Promise<unknown>): Promise<void> {
  try {
    await work
  } catch (error) {
    console.warn('[widget]', error instanceof Error ? error.message : error)
  }
}

const ADDITIONAL = ['company_name', 'city', 'country_code', 'description', 'social_profiles']

async function setUser(m: Record<string, unknown>): Promise<void> {
  const user = (m.user ?? {}) as Record<string, unknown>
  const body: Record<string, unknown> = { identifier: m.identifier }
  const additional: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(user)) {
    if (ADDITIONAL.includes(key)) additional[key] = value
    else body[key] = value
  }
  if (Object.keys(additional).length) body.additional_attributes = additional
  try {
    const result = await api.request<Contact & { widget_auth_token?: string }>('PATCH', 'contact/set_user', {
      json: body,
    })
    if (result.widget_auth_token) {
      // Another person signed in on this browser: their own contact, token and feed.
      await switchToken(result.widget_auth_token)
    } else {
      state.contact = { ...state.contact, ...result }
    }
  } catch (error) {
    toHost('error', {
      errorType: 'SET_USER_ERROR',
      data: { message: error instanceof Error ? error.message : String(error) },
    })
  }
}

async function switchToken(token: string): Promise<void> {
  api.authToken = token
  state.authToken = token
  const config = await api.request<{ contact?: { pubsub_token?: string }; website_channel_config?: { auth_token?: string } }>(
    'POST',
    'config',
  )
  const minted = config.website_channel_config?.auth_token
  if (minted) {
    api.authToken = minted
    state.authToken = minted
  }
  toHost('setAuthCookie', { data: { widgetAuthToken: state.authToken } })
  if (config.contact?.pubsub_token) {
    state.pubsubToken = config.contact.pubsub_token
    connectCable()
  }
  state.conversation = null
  state.messages = []
  await loadConversation()
}

// -- loading and live updates -------------------------------------------------------------------------

async function loadConversation(): Promise<void> {
  const [conversation, messages, contact] = await Promise.all([
    api.request<Partial<Conversation>>('GET', 'conversations'),
    api.request<{ payload: WidgetMessage[]; meta?: { contact_last_seen_at?: number } }>('GET', 'messages'),
    api.request<Contact>('GET', 'contact').catch(() => ({}) as Contact),
  ])
  state.conversation = conversation && typeof conversation.id === 'number' ? (conversation as Conversation) : null
  state.messages = sortMessages((messages.payload ?? []).filter((m) => !m.private))
  if (state.conversation && messages.meta?.contact_last_seen_at !== undefined) {
    state.conversation.contact_last_seen_at = messages.meta.contact_last_seen_at
  }
  state.seenId = seenIdAt(state.messages, state.conversation?.contact_last_seen_at)
  state.contact = contact
  if (state.messages.length && state.view === 'home') state.view = 'chat'
}

/** After a dropped connection: what was missed, then the conversation's status. */
async function catchUp(): Promise<void> {
  const after = lastServerId(state.messages)
  const [missed, conversation] = await Promise.all([
    api.request<{ payload: WidgetMessage[] }>('GET', 'messages', {
      query: after === null ? {} : { after },
    }),
    api.request<Partial<Conversation>>('GET', 'conversations'),
  ])
  for (const message of missed.payload ?? []) state.messages = mergeMessage(state.messages, message)
  if (conversation && typeof conversation.id === 'number') {
    state.conversation = { ...(state.conversation ?? {}), ...(conversation as Conversation) }
  }
  reportUnread()
}

let cable: WidgetCable | null = null

function connectCable(): void {
  cable?.close()
  if (!state.pubsubToken) return
  cable = new WidgetCable({
    url: cableUrl(location),
    pubsubToken: state.pubsubToken,
    onEvent: onCableEvent,
    onStatus: (status) => (state.connection = status),
    onConnected: (resumed) => {
      if (resumed) void quietly(catchUp())
    },
  })
  cable.connect()
  ;(w as { __widgetCable?: WidgetCable }).__widgetCable = cable
}

let typingTimer: ReturnType<typeof setTimeout> | null = null

function onCableEvent(frame: CableFrame): void {
  const data = frame.data
  switch (frame.event) {
    case 'message.created':
    case 'message.updated': {
      const message = data as unknown as WidgetMessage
      if (message.private) return
      const conversationId = message.conversation_id
      if (state.conversation && conversationId !== undefined && conversationId !== state.conversation.id) {
        // A message of a newer conversation (the previous one was resolved): follow it.
        if (frame.event === 'message.created' && message.message_type === 0) {
          state.conversation = { id: conversationId, status: 'open', contact_last_seen_at: null }
          state.messages = []
        } else return
      }
      const isNew = !state.messages.some((m) => m.id === message.id)
      state.messages = mergeMessage(state.messages, message)
      if (frame.event === 'message.created' || submittedValuesChanged(data)) emit('chatwoot:on-message', data)
      if (isNew && isFromAgent(message)) {
        state.typing = null
        if (isSeenNow()) markSeen()
        else {
          reportUnread(message)
          if (state.options.enableNotificationSound) chime()
        }
      }
      return
    }
    case 'conversation.created': {
      const id = data.id as number | undefined
      if (typeof id === 'number' && (!state.conversation || state.conversation.id !== id)) {
        state.conversation = {
          id,
          status: String(data.status ?? 'open'),
          contact_last_seen_at: (data.contact_last_seen_at as number | null | undefined) ?? null,
        }
      }
      return
    }
    case 'conversation.status_changed':
    case 'conversation.updated': {
      if (state.conversation && data.id === state.conversation.id && typeof data.status === 'string') {
        state.conversation.status = data.status
      }
      return
    }
    case 'conversation.typing_on':
    case 'conversation.typing_off': {
      const conversation = data.conversation as { id?: number } | undefined
      if (data.is_private || (state.conversation && conversation?.id !== state.conversation.id)) return
      const user = (data.user ?? {}) as { name?: string; available_name?: string; type?: string }
      if (user.type === 'contact') return
      if (typingTimer) clearTimeout(typingTimer)
      if (frame.event === 'conversation.typing_on') {
        state.typing = { name: user.available_name || user.name || t('someone'), until: Date.now() + 30000 }
        typingTimer = setTimeout(() => (state.typing = null), 30000)
      } else state.typing = null
      return
    }
    case 'presence.update': {
      const users = data.users
      if (users && typeof users === 'object') state.onlineAgents = users as Record<string, string>
      return
    }
  }
}

function submittedValuesChanged(data: Record<string, unknown>): boolean {
  const changes = data.previous_changes as Record<string, unknown> | undefined
  const attributes = changes?.content_attributes as unknown[] | undefined
  return !!attributes && JSON.stringify(attributes).includes('submitted_values')
}

const isSeenNow = (): boolean => state.isOpen && state.view === 'chat' && document.visibilityState !== 'hidden'

let seenInFlight = false
export async function markSeen(): Promise<void> {
  state.seenId = lastServerId(state.messages)
  reportUnread()
  if (!state.conversation) return
  state.conversation.contact_last_seen_at = Math.floor(Date.now() / 1000)
  if (seenInFlight) return
  seenInFlight = true
  try {
    await quietly(api.request('POST', 'conversations/update_last_seen'))
  } finally {
    seenInFlight = false
  }
}

function reportUnread(latest?: WidgetMessage): void {
  const count = state.isOpen ? 0 : view.unread.value
  const fields: Record<string, unknown> = { unreadMessageCount: count }
  if (latest && count > 0) {
    fields.lastMessage = {
      content: latest.content || t('attachment'),
      sender: senderName(latest, channel.websiteName || t('someone')),
    }
  }
  toHost('handleNotificationDot', fields)
}

/** The server's own words for what the visitor can fix (a file too big, too many requests), else ours. */
function userFacing(error: unknown): string {
  if (error instanceof ApiError && [413, 422, 429].includes(error.status)) return error.message
  return t('errorGeneric')
}

// -- what the visitor does -------------------------------------------------------------------------

let echoCounter = 0
const newEchoId = (): string => `echo-${Date.now().toString(36)}-${(echoCounter += 1)}`

function adopt(conversationId: number | undefined, created: boolean): void {
  if (conversationId === undefined) return
  if (!state.conversation || state.conversation.id !== conversationId) {
    state.conversation = { id: conversationId, status: 'open', contact_last_seen_at: Math.floor(Date.now() / 1000) }
    if (created) emit('chatwoot:on-start-conversation', { hasConversation: true })
  }
}

export async function sendMessage(content: string, files: File[] = []): Promise<void> {
  const text = content.trim()
  if (!text && !files.length) return
  const local: WidgetMessage = {
    id: newEchoId(),
    echo_id: '',
    content: text,
    message_type: 0,
    content_type: 'text',
    created_at: Math.floor(Date.now() / 1000),
    pending: 'sending',
    files,
    attachments: files.map((file) => ({
      file_type: file.type.startsWith('image/') ? 'image' : 'file',
      data_url: URL.createObjectURL(file),
      fallback_title: file.name,
      extension: file.name.split('.').pop() ?? '',
    })),
  }
  local.echo_id = String(local.id)
  state.messages = sortMessages([...state.messages, local])
  await deliver(local)
}

export async function retry(message: WidgetMessage): Promise<void> {
  const index = state.messages.findIndex((m) => m.id === message.id)
  if (index < 0) return
  state.messages[index] = { ...state.messages[index], pending: 'sending' }
  await deliver(state.messages[index])
}

async function deliver(local: WidgetMessage): Promise<void> {
  const hadConversation = !!state.conversation
  const timestamp = new Date().toString()
  const attributes = state.pendingConversationAttributes
  try {
    let created: WidgetMessage
    if (local.files?.length) {
      const form = new FormData()
      form.append('message[content]', local.content ?? '')
      form.append('message[timestamp]', timestamp)
      form.append('message[referer_url]', state.refererUrl)
      form.append('message[echo_id]', String(local.echo_id))
      for (const file of local.files) form.append('message[attachments][]', file, file.name)
      for (const [key, value] of Object.entries(attributes)) form.append(`custom_attributes[${key}]`, String(value))
      created = await api.request<WidgetMessage>('POST', 'messages', { form })
    } else {
      created = await api.request<WidgetMessage>('POST', 'messages', {
        json: {
          message: { content: local.content, timestamp, referer_url: state.refererUrl, echo_id: local.echo_id },
          ...(Object.keys(attributes).length ? { custom_attributes: attributes } : {}),
        },
      })
    }
    state.pendingConversationAttributes = {}
    state.error = ''
    adopt(created.conversation_id, !hadConversation)
    const already = state.messages.some((m) => m.id === created.id)
    if (already) state.messages = state.messages.filter((m) => m.id !== local.id)
    else state.messages = mergeMessage(state.messages, { ...created, echo_id: String(local.echo_id) })
    stopTyping()
  } catch (error) {
    state.messages = state.messages.map((m) => (m.id === local.id ? { ...m, pending: 'failed' } : m))
    state.error = userFacing(error)
  }
}

export async function startWithPreChat(
  fields: PreChatField[],
  values: Record<string, FieldValue>,
  message: string,
): Promise<void> {
  const body = conversationBody(fields, values, message, {
    refererUrl: state.refererUrl,
    timestamp: new Date().toString(),
  })
  Object.assign(body.custom_attributes, state.pendingConversationAttributes)
  const created = await api.request<Conversation & { messages?: WidgetMessage[] }>('POST', 'conversations', {
    json: body,
  })
  state.pendingConversationAttributes = {}
  state.conversation = {
    id: created.id,
    status: created.status ?? 'open',
    contact_last_seen_at: created.contact_last_seen_at ?? null,
  }
  for (const m of created.messages ?? []) state.messages = mergeMessage(state.messages, m)
  state.contact = {
    ...state.contact,
    has_email: state.contact.has_email || !!body.contact.email,
    has_name: state.contact.has_name || !!body.contact.name,
    has_phone_number: state.contact.has_phone_number || !!body.contact.phone_number,
  }
  emit('chatwoot:on-start-conversation', { hasConversation: true })
  state.view = 'chat'
}

let typingOn = false
let typingIdle: ReturnType<typeof setTimeout> | null = null

/** The visitor is typing: "on" once, "off" after 3 s of quiet (or when the message goes). */
export function visitorTyping(): void {
  if (!state.conversation) return
  if (typingIdle) clearTimeout(typingIdle)
  typingIdle = setTimeout(stopTyping, 3000)
  if (typingOn) return
  typingOn = true
  void quietly(api.request('POST', 'conversations/toggle_typing', { json: { typing_status: 'on' } }))
}

export function stopTyping(): void {
  if (typingIdle) clearTimeout(typingIdle)
  typingIdle = null
  if (!typingOn || !state.conversation) return
  typingOn = false
  void quietly(api.request('POST', 'conversations/toggle_typing', { json: { typing_status: 'off' } }))
}

export async function endConversation(): Promise<void> {
  await api.request('GET', 'conversations/toggle_status')
  if (state.conversation) state.conversation.status = 'resolved'
}

export async function submitValues(message: WidgetMessage, body: Record<string, unknown>): Promise<void> {
  const result = await api.request<{ contact?: Contact }>('PATCH', `messages/${message.id}`, { json: body })
  const index = state.messages.findIndex((m) => m.id === message.id)
  if (index >= 0) {
    const attributes = { ...(state.messages[index].content_attributes ?? {}) }
    if (body.contact) {
      attributes.submitted_email = (body.contact as { email?: string }).email
      state.contact = { ...state.contact, has_email: true }
    }
    if (body.message) attributes.submitted_values = (body.message as { submitted_values?: unknown }).submitted_values
    state.messages[index] = { ...state.messages[index], content_attributes: attributes }
  }
  if (result?.contact) state.contact = { ...state.contact, ...result.contact }
}

export function startConversation(): void {
  const needsForm = channel.preChatFormEnabled && !state.conversation
  state.view = needsForm ? 'prechat' : 'chat'
  if (!needsForm) void markSeen()
}

/** After a resolved conversation that takes no more messages: a fresh one, through the form (which
 * asks only for the message when the inbox has no pre-chat form), as POST /conversations. */
export function startNewConversation(): void {
  state.conversation = null
  state.messages = []
  state.seenId = null
  state.view = 'prechat'
}

export function closeWidget(): void {
  toHost('closeWindow')
}

export function popout(): void {
  toHost('popoutChatWindow', { baseUrl: location.origin, websiteToken: channel.websiteToken, locale: state.locale })
}

// -- start -------------------------------------------------------------------------------------------

export async function boot(): Promise<void> {
  document.documentElement.lang = state.locale
  window.addEventListener('message', (event: MessageEvent) => {
    if (event.source !== window.parent) return
    const message = decodeWire(event.data)
    const handler = message && hostHandlers[message.event]
    if (handler) void handler(message)
  })
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented) toHost('closeWindow')
  })
  document.addEventListener('visibilitychange', () => {
    if (isSeenNow() && view.unread.value > 0) void markSeen()
  })
  setInterval(() => (state.now = Date.now()), 30000)
  toHost('loaded', {
    config: {
      authToken: state.authToken,
      channelConfig: { widgetColor: channel.widgetColor, websiteToken: channel.websiteToken, locale: state.locale },
    },
  })
  connectCable()
  try {
    const [members] = await Promise.all([
      api.request<{ payload: Member[] }>('GET', 'inbox_members').catch(() => ({ payload: [] as Member[] })),
      loadConversation(),
    ])
    state.members = members.payload ?? []
  } catch (error) {
    state.error = error instanceof Error ? error.message : t('errorGeneric')
  } finally {
    state.ready = true
    reportUnread()
  }
}
