// Widget messages: the shape the API and the cable send, merging live events into the list,
// and what counts as unread.

export interface Attachment {
  id?: number
  file_type?: string
  data_url?: string
  thumb_url?: string
  extension?: string | null
  file_size?: number
  content_type?: string
  fallback_title?: string
}

export interface Sender {
  id?: number
  name?: string
  available_name?: string
  avatar_url?: string
  thumbnail?: string
  type?: string
}

export interface WidgetMessage {
  id: number | string
  content: string | null
  message_type: number
  content_type?: string
  content_attributes?: Record<string, unknown>
  created_at: number
  conversation_id?: number
  private?: boolean
  status?: string
  echo_id?: string
  sender?: Sender | null
  attachments?: Attachment[]
  // Local only: a message being sent or that failed.
  pending?: 'sending' | 'failed'
  files?: File[]
}

export const INCOMING = 0
export const OUTGOING = 1
export const ACTIVITY = 2
export const TEMPLATE = 3

export const isFromAgent = (m: WidgetMessage): boolean => m.message_type === OUTGOING || m.message_type === TEMPLATE
export const isVisible = (m: WidgetMessage): boolean => !m.private

/** Put ``incoming`` into ``list`` (by id, else by echo_id of a local copy), keeping time order. */
export function mergeMessage(list: WidgetMessage[], incoming: WidgetMessage): WidgetMessage[] {
  if (!isVisible(incoming)) return list
  const next = list.slice()
  let index = next.findIndex((m) => m.id === incoming.id)
  if (index < 0 && incoming.echo_id) index = next.findIndex((m) => m.pending && m.echo_id === incoming.echo_id)
  if (index >= 0) next[index] = { ...next[index], ...incoming, pending: undefined, files: undefined }
  else next.push(incoming)
  return sortMessages(next)
}

export function sortMessages(list: WidgetMessage[]): WidgetMessage[] {
  return list.slice().sort((a, b) => {
    if (a.pending && !b.pending) return 1
    if (b.pending && !a.pending) return -1
    if (a.created_at !== b.created_at) return a.created_at - b.created_at
    return Number(a.id) - Number(b.id)
  })
}

export function lastServerId(list: WidgetMessage[]): number | null {
  let last: number | null = null
  for (const m of list) if (typeof m.id === 'number' && (last === null || m.id > last)) last = m.id
  return last
}

/** Agent messages after the last one the visitor saw (ids grow; seconds are too coarse for this). */
export function unreadCount(list: WidgetMessage[], seenId: number | null): number {
  return list.filter((m) => isFromAgent(m) && !m.private && typeof m.id === 'number' && m.id > (seenId ?? 0)).length
}

/** The last message id the visitor had seen when they last looked (contact_last_seen_at, unix seconds). */
export function seenIdAt(list: WidgetMessage[], lastSeenAt: number | null | undefined): number | null {
  if (lastSeenAt === null || lastSeenAt === undefined) return null
  return lastServerId(list.filter((m) => m.created_at <= lastSeenAt))
}

/** Who speaks for the team: the sender, unless it is the contact (template messages written through
 * the API carry the contact as sender, as Chatwoot's MessageBuilder does): then the website itself. */
function teamSender(m: WidgetMessage): Sender | null {
  const sender = m.sender ?? null
  return sender && isFromAgent(m) && sender.type === 'contact' ? null : sender
}

export function senderName(m: WidgetMessage, fallback: string): string {
  const sender = teamSender(m)
  return sender?.available_name || sender?.name || fallback
}

export function senderAvatar(m: WidgetMessage): string {
  const sender = teamSender(m)
  return sender?.avatar_url || sender?.thumbnail || ''
}

/** Escape then turn bare http(s) links and line breaks into HTML (the only markup a message gets). */
export function messageHtml(text: string): string {
  const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  return escaped
    .replace(
      /\bhttps?:\/\/[^\s<]+[^\s<.,:!?)\]]/g,
      (url) => `<a href="${url}" target="_blank" rel="noopener noreferrer nofollow">${url}</a>`,
    )
    .replace(/\n/g, '<br>')
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase() || '?'
}
