// Display helpers.

/** A short time for list rows: "now", "5m", "3h", "2d", or a date. */
export function shortTime(unixSeconds: number | null | undefined, now: number = Date.now()): string {
  if (!unixSeconds) return ''
  const diff = Math.max(0, Math.floor(now / 1000) - unixSeconds)
  if (diff < 60) return 'now'
  if (diff < 3600) return `${Math.floor(diff / 60)}m`
  if (diff < 86400) return `${Math.floor(diff / 3600)}h`
  if (diff < 86400 * 30) return `${Math.floor(diff / 86400)}d`
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10)
}

export function clockTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

export function initials(name: string | null | undefined): string {
  // Letters only: "Contact 14" is "C", "Ada Lovelace" is "AL".
  const parts = (name || '').trim().split(/\s+/).filter((part) => /^\p{L}/u.test(part))
  if (!parts.length) return '?'
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase()
}

export function preview(content: string | null | undefined, length = 80): string {
  const text = (content || '').replace(/\s+/g, ' ').trim()
  return text.length > length ? `${text.slice(0, length - 1)}…` : text
}

/** Enter sends; Shift+Enter (or composing an IME character) does not. */
export function isSendKey(event: { key: string; shiftKey: boolean; isComposing?: boolean }): boolean {
  return event.key === 'Enter' && !event.shiftKey && !event.isComposing
}
