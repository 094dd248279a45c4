import { describe, expect, it } from 'vitest'
import { addOptimistic, applyMessage, dropEcho, emptyThread, markFailed, newEchoId, newestId, oldestId, prependOlder, sideOf } from './thread'
import type { Message } from './types'

function msg(id: number, extra: Partial<Message> = {}): Message {
  return { id, content: `m${id}`, conversation_id: 1, message_type: 0, private: false, created_at: 100 + id, ...extra }
}

describe('optimistic sends', () => {
  it('shows a pending message and replaces it with the server copy by echo id', () => {
    let t = prependOlder(emptyThread(1), [msg(1), msg(2)])
    const echo = newEchoId()
    t = addOptimistic(t, { content: 'hello', isPrivate: false, echoId: echo, now: 200_000 })
    expect(t.messages).toHaveLength(3)
    expect(t.messages[2].pending).toBe(true)
    t = applyMessage(t, msg(3, { content: 'hello', message_type: 1, echo_id: echo, created_at: 200 }))
    expect(t.messages.map((m) => m.id)).toEqual([1, 2, 3])
    expect(t.messages[2].pending).toBe(false)
  })

  it('does not duplicate when the event and the answer both arrive', () => {
    const echo = newEchoId()
    let t = addOptimistic(emptyThread(1), { content: 'x', isPrivate: true, echoId: echo, now: 1000 })
    const stored = msg(9, { message_type: 1, private: true, echo_id: echo, created_at: 1 })
    t = applyMessage(t, stored)
    t = applyMessage(t, { ...stored, echo_id: undefined })
    expect(t.messages.map((m) => m.id)).toEqual([9])
    expect(t.messages[0].private).toBe(true)
  })

  it('marks a failed send and can drop it', () => {
    const echo = newEchoId()
    let t = addOptimistic(emptyThread(1), { content: 'x', isPrivate: false, echoId: echo })
    t = markFailed(t, echo)
    expect(t.messages[0].failed).toBe(true)
    expect(t.messages[0].pending).toBe(false)
    expect(dropEcho(t, echo).messages).toHaveLength(0)
  })

  it('gives unique echo ids', () => {
    expect(newEchoId(1)).not.toBe(newEchoId(1))
  })
})

describe('merging and paging', () => {
  it('inserts live messages in order and updates edited ones', () => {
    let t = prependOlder(emptyThread(1), [msg(1), msg(3)])
    t = applyMessage(t, msg(2))
    expect(t.messages.map((m) => m.id)).toEqual([1, 2, 3])
    t = applyMessage(t, msg(2, { content: 'edited' }))
    expect(t.messages.find((m) => m.id === 2)?.content).toBe('edited')
    expect(t.messages).toHaveLength(3)
  })

  it('ignores messages of another conversation', () => {
    const t = emptyThread(1)
    expect(applyMessage(t, msg(1, { conversation_id: 2 }))).toBe(t)
  })

  it('prepends older pages without duplicates and stops at a short page', () => {
    const latest = Array.from({ length: 20 }, (_, i) => msg(21 + i))
    let t = prependOlder(emptyThread(1), latest)
    expect(t.hasOlder).toBe(true)
    expect(oldestId(t)).toBe(21)
    expect(newestId(t)).toBe(40)
    t = prependOlder(t, [msg(19), msg(20), msg(21)])
    expect(t.messages[0].id).toBe(19)
    expect(t.messages).toHaveLength(22)
    expect(t.hasOlder).toBe(false)
  })

  it('places messages by type', () => {
    expect(sideOf(msg(1))).toBe('left')
    expect(sideOf(msg(1, { message_type: 1 }))).toBe('right')
    expect(sideOf(msg(1, { message_type: 1, private: true }))).toBe('right')
    expect(sideOf(msg(1, { message_type: 2 }))).toBe('center')
  })
})
