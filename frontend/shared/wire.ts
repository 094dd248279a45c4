// The SDK ↔ iframe wire format (Chatwoot's): every postMessage is a string,
// "chatwoot-widget:" followed by the JSON of {event, ...fields}. Anything else is not ours.

export const WIRE_PREFIX = 'chatwoot-widget:'

export interface WireMessage {
  event: string
  [field: string]: unknown
}

export function encodeWire(event: string, fields: Record<string, unknown> = {}): string {
  return WIRE_PREFIX + JSON.stringify({ ...fields, event })
}

/** The message carried by ``data``, or null when it is not a widget message. */
export function decodeWire(data: unknown): WireMessage | null {
  if (typeof data !== 'string' || !data.startsWith(WIRE_PREFIX)) return null
  try {
    const parsed: unknown = JSON.parse(data.slice(WIRE_PREFIX.length))
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null
    const message = parsed as WireMessage
    return typeof message.event === 'string' && message.event ? message : null
  } catch {
    return null
  }
}
