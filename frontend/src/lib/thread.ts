// One conversation's thread: messages in order, optimistic sends matched back by echo_id,
// older pages prepended, realtime updates merged without duplicates.

import type { Message } from './types'

export interface Thread {
  conversationId: number
  messages: Message[]
  // Older messages may exist before the first one loaded.
  hasOlder: boolean
}

export function emptyThread(conversationId: number): Thread {
  return { conversationId, messages: [], hasOlder: true }
}

function byTime(a: Message, b: Message): number {
  // Optimistic messages (no server id yet) sort after every stored one of the same second.
  const ap = a.pending ? 1 : 0
  const bp = b.pending ? 1 : 0
  return a.created_at - b.created_at || ap - bp || a.id - b.id
}

let echoSequence = 0

/** A unique echo id for an optimistic send. */
export function newEchoId(now: number = Date.now()): string {
  echoSequence += 1
  return `echo-${now.toString(36)}-${echoSequence}`
}

/** Add an optimistic message (shown at once, marked pending) for a reply or private note. */
export function addOptimistic(
  thread: Thread,
  options: {
    content: string
    isPrivate: boolean
    echoId: string
    sender?: Message['sender']
    now?: number
    files?: { name: string; size: number }[]
  },
): Thread {
  const message: Message = {
    id: -Date.now() - echoSequence,
    content: options.content,
    conversation_id: thread.conversationId,
    message_type: 1,
    private: options.isPrivate,
    created_at: Math.floor((options.now ?? Date.now()) / 1000),
    sender: options.sender ?? null,
    echo_id: options.echoId,
    pending: true,
  }
  if (options.files?.length) message.localFiles = options.files.map((f) => ({ name: f.name, size: f.size }))
  return { ...thread, messages: [...thread.messages, message] }
}

/**
 * A message from the server (the POST answer, message.created or message.updated): it replaces the
 * optimistic copy with its echo id, or the stored copy with its id, or is inserted in order.
 */
export function applyMessage(thread: Thread, message: Message): Thread {
  if (message.conversation_id !== thread.conversationId) return thread
  // The stored copy's attachments replace the names an optimistic upload showed.
  const clean: Message = { ...message, pending: false, failed: false, localFiles: undefined }
  let replaced = false
  let messages = thread.messages.map((m) => {
    if (m.id === message.id || (message.echo_id && m.pending && m.echo_id === message.echo_id)) {
      if (replaced) return null
      replaced = true
      return { ...m, ...clean }
    }
    return m
  })
  // The echo copy and the stored copy can both be present (the answer and the event crossed).
  messages = messages.filter((m, i, all) => m !== null && all.findIndex((o) => o !== null && o.id === m.id) === i)
  const list = messages as Message[]
  if (!replaced) list.push(clean)
  return { ...thread, messages: list.sort(byTime) }
}

/** An optimistic send failed: keep it visible, marked failed, so it can be retried. */
export function markFailed(thread: Thread, echoId: string): Thread {
  return {
    ...thread,
    messages: thread.messages.map((m) => (m.echo_id === echoId && m.pending ? { ...m, pending: false, failed: true } : m)),
  }
}

/** Remove a failed optimistic message (before a retry). */
export function dropEcho(thread: Thread, echoId: string): Thread {
  return { ...thread, messages: thread.messages.filter((m) => !(m.echo_id === echoId && m.id < 0)) }
}

/** A page of older messages (GET messages?before=<first id>): prepended, duplicates dropped. */
export function prependOlder(thread: Thread, older: Message[], pageSize = 20): Thread {
  const known = new Set(thread.messages.map((m) => m.id))
  const fresh = older.filter((m) => !known.has(m.id))
  return {
    ...thread,
    messages: [...fresh, ...thread.messages].sort(byTime),
    hasOlder: older.length >= pageSize && fresh.length > 0,
  }
}

/** The id to ask older messages before: the oldest stored (not optimistic) message. */
export function oldestId(thread: Thread): number | null {
  const stored = thread.messages.filter((m) => m.id > 0)
  return stored.length ? Math.min(...stored.map((m) => m.id)) : null
}

/** The newest stored message id (to fetch what was missed with ``after``). */
export function newestId(thread: Thread): number | null {
  const stored = thread.messages.filter((m) => m.id > 0)
  return stored.length ? Math.max(...stored.map((m) => m.id)) : null
}

export type Side = 'left' | 'right' | 'center'

/** Incoming on the left, outgoing and notes on the right, activity in the middle. */
export function sideOf(message: Message): Side {
  if (message.message_type === 2) return 'center'
  if (message.message_type === 0) return 'left'
  return 'right'
}
