// Files on messages: what the composer checks before sending, the multipart form it sends, and
// what the thread and the side panel need to show an attachment (kind, name, size).

import { ApiError, errorText, upload, type UploadOptions } from './api'
import type { Attachment, ConversationAttachment, LocalFile, Message } from './types'

/** The server's defaults (Chatwoot's MAXIMUM_FILE_UPLOAD_SIZE and NUMBER_OF_PERMITTED_ATTACHMENTS). */
export interface Limits {
  maxFileBytes: number
  maxFiles: number
}

export const LIMITS: Limits = { maxFileBytes: 40 * 1024 * 1024, maxFiles: 15 }

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

/** A human size in binary units: "0 B", "812 B", "1.5 KB", "40 MB". */
export function humanSize(bytes: number | null | undefined): string {
  if (!bytes || bytes < 0 || !Number.isFinite(bytes)) return '0 B'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit += 1
  }
  if (unit === 0) return `${value} B`
  const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value)
  return `${shown} ${UNITS[unit]}`
}

/** The file name of a (signed) file URL: its path's last segment, decoded; the query is ignored. */
export function fileNameOf(url: string | null | undefined, fallback = 'file'): string {
  if (!url) return fallback
  let path = url
  try {
    path = new URL(url, 'http://localhost').pathname
  } catch {
    path = url.split(/[?#]/)[0]
  }
  const last = path.split('/').filter(Boolean).pop()
  if (!last) return fallback
  try {
    return decodeURIComponent(last)
  } catch {
    return last
  }
}

export type Kind = 'image' | 'audio' | 'video' | 'file'

/** How to show an attachment: by its file_type, else by its content type. */
export function kindOf(attachment: Pick<Attachment, 'file_type'> & { content_type?: string | null }): Kind {
  const type = attachment.file_type
  if (type === 'image' || type === 'audio' || type === 'video') return type
  const major = (attachment.content_type || '').split('/')[0]
  if (!type && (major === 'image' || major === 'audio' || major === 'video')) return major
  return 'file'
}

/** The picture an image shows in a list: its thumbnail, or the full file when it has none. */
export function thumbOf(attachment: Pick<Attachment, 'thumb_url' | 'data_url'>): string {
  return attachment.thumb_url || attachment.data_url
}

export function attachmentsOf(message: Pick<Message, 'attachments'> | null | undefined): Attachment[] {
  return Array.isArray(message?.attachments) ? message.attachments : []
}

/** A list-row preview for a message with files and no text: "Image", "3 files". */
export function attachmentSummary(message: Pick<Message, 'attachments'> | null | undefined): string {
  const files = attachmentsOf(message)
  if (!files.length) return ''
  if (files.length > 1) return `📎 ${files.length} files`
  const kind = kindOf(files[0])
  return `📎 ${kind === 'file' ? fileNameOf(files[0].data_url) : kind[0].toUpperCase() + kind.slice(1)}`
}

/** Whether an attachments-list row (or a message attachment) is shown as a picture. */
export function isImage(attachment: Pick<ConversationAttachment, 'file_type'>): boolean {
  return kindOf(attachment) === 'image'
}

export interface Checked<T> {
  files: T[]
  errors: string[]
}

/**
 * Add chosen files to the ones already in the composer, with the server's limits: a file that is too
 * large is left out, and so are the files past the count; each refusal is named.
 */
export function addWithinLimits<T extends { name: string; size: number }>(
  current: T[],
  incoming: T[],
  limits: Limits = LIMITS,
): Checked<T> {
  const files = [...current]
  const errors: string[] = []
  let over = 0
  for (const file of incoming) {
    if (file.size > limits.maxFileBytes) {
      errors.push(`${file.name} is ${humanSize(file.size)}: files can be at most ${humanSize(limits.maxFileBytes)}`)
      continue
    }
    if (files.length >= limits.maxFiles) {
      over += 1
      continue
    }
    files.push(file)
  }
  if (over) errors.push(`At most ${limits.maxFiles} files per message: ${over} ${over === 1 ? 'file was' : 'files were'} left out`)
  return { files, errors }
}

/** The same limits checked once more just before sending (the first problem, or null). */
export function limitProblem(files: { name: string; size: number }[], limits: Limits = LIMITS): string | null {
  if (files.length > limits.maxFiles) return `At most ${limits.maxFiles} files per message (${files.length} chosen)`
  const big = files.find((f) => f.size > limits.maxFileBytes)
  return big ? `${big.name} is ${humanSize(big.size)}: files can be at most ${humanSize(limits.maxFileBytes)}` : null
}

export interface OutgoingMessage {
  content: string
  isPrivate: boolean
  echoId: string
  files: File[]
}

/** Chatwoot's multipart message create: content, private, message_type, echo_id and attachments[]. */
export function buildMessageForm(message: OutgoingMessage): FormData {
  const form = new FormData()
  form.append('content', message.content)
  form.append('private', message.isPrivate ? 'true' : 'false')
  form.append('message_type', 'outgoing')
  form.append('echo_id', message.echoId)
  for (const file of message.files) form.append('attachments[]', file, file.name)
  return form
}

/** Send a message with files (multipart, with upload progress); the answer is the stored message. */
export function sendWithFiles(conversationId: number, message: OutgoingMessage, options: UploadOptions = {}): Promise<Message> {
  return upload<Message>(`/conversations/${conversationId}/messages`, buildMessageForm(message), options)
}

/** What to tell the agent when a send failed: the server's message, naming the field it refused. */
export function uploadErrorText(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error)
  if (error.status === 413) return 'The files are too large for the server to accept'
  const text = errorText(error.body) || error.message
  const fields = error.attributes.filter((field) => !text.toLowerCase().includes(field.toLowerCase()))
  return fields.length ? `${fields.map(fieldLabel).join(', ')}: ${text}` : text
}

function fieldLabel(field: string): string {
  const plain = field.replace(/\[\]$/, '').replace(/_/g, ' ')
  return plain.charAt(0).toUpperCase() + plain.slice(1)
}

let fileSequence = 0

/** Wrap chosen files for the composer (a key for the list, a preview for images). */
export async function toLocalFiles(files: File[], read: (file: File) => Promise<string | null> = readPreview): Promise<LocalFile[]> {
  return Promise.all(
    files.map(async (file) => {
      fileSequence += 1
      return { key: `f${fileSequence}`, file, preview: file.type.startsWith('image/') ? await read(file) : null }
    }),
  )
}

const PREVIEW_MAX_BYTES = 8 * 1024 * 1024

function readPreview(file: File): Promise<string | null> {
  if (file.size > PREVIEW_MAX_BYTES || typeof FileReader === 'undefined') return Promise.resolve(null)
  return new Promise((resolve) => {
    const reader = new FileReader()
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : null)
    reader.onerror = () => resolve(null)
    reader.readAsDataURL(file)
  })
}

function stamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`
}

/**
 * The files of a paste (a screenshot in the clipboard). Browsers name a pasted image "image.png";
 * it is renamed after the time so that several screenshots stay apart.
 */
export function pastedFiles(data: { files?: ArrayLike<File> | null } | null | undefined, now: Date = new Date()): File[] {
  const files = Array.from(data?.files ?? [])
  return files.map((file, i) => {
    if (!file.type.startsWith('image/') || (file.name && file.name !== 'image.png' && file.name !== 'image')) return file
    const extension = file.type.split('/')[1]?.replace('jpeg', 'jpg').replace(/\+.*/, '') || 'png'
    const suffix = files.length > 1 ? `-${i + 1}` : ''
    return new File([file], `screenshot-${stamp(now)}${suffix}.${extension}`, { type: file.type, lastModified: file.lastModified })
  })
}

/** Whether a drag carries files (not text or a link being dragged around the page). */
export function dragHasFiles(data: { types?: ArrayLike<string> | null } | null | undefined): boolean {
  return Array.from(data?.types ?? []).includes('Files')
}
