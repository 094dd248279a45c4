import { describe, expect, it } from 'vitest'
import { Cable, cableUrl, identifierFor, type CableEvent, type SocketLike } from './cable'

class FakeSocket implements SocketLike {
  readyState = 1
  sent: Record<string, unknown>[] = []
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: unknown) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  closed = false
  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }
  close(): void {
    this.closed = true
    this.readyState = 3
    this.onclose?.({})
  }
  frame(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) })
  }
}

function setup() {
  const sockets: FakeSocket[] = []
  const timers: { fn: () => void; ms: number; id: number }[] = []
  let nextId = 1
  const events: CableEvent[] = []
  const cable = new Cable({
    url: 'ws://x/cable',
    pubsubToken: 'tok',
    accountId: 1,
    userId: 2,
    handlers: { onEvent: (e) => events.push(e) },
    socketFactory: () => {
      const s = new FakeSocket()
      sockets.push(s)
      return s
    },
    setTimer: (fn, ms) => {
      const id = nextId++
      timers.push({ fn, ms, id })
      return id
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === id)
      if (i >= 0) timers.splice(i, 1)
    },
  })
  const runReconnect = () => {
    const t = timers.filter((x) => x.ms < 12000).pop()
    if (!t) throw new Error('no reconnect timer')
    timers.splice(timers.indexOf(t), 1)
    t.fn()
  }
  return { cable, sockets, events, timers, runReconnect }
}

const ident = identifierFor('tok', 1, 2)

describe('Cable', () => {
  it('subscribes after welcome and takes the first cursor from presence', () => {
    const { cable, sockets, events } = setup()
    cable.connect()
    sockets[0].frame({ type: 'welcome' })
    expect(sockets[0].sent[0]).toEqual({ command: 'subscribe', identifier: ident })
    sockets[0].frame({ identifier: ident, type: 'confirm_subscription' })
    expect(cable.status).toBe('connected')
    expect(sockets[0].sent).toHaveLength(1) // no resume without a cursor
    sockets[0].frame({ identifier: ident, message: { event: 'presence.update', data: {}, cursor: '5-0' } })
    expect(cable.cursor).toBe('5-0')
    sockets[0].frame({ identifier: ident, message: { event: 'message.created', data: { id: 1 }, cursor: '6-0' } })
    expect(cable.cursor).toBe('6-0')
    expect(events.map((e) => e.event)).toEqual(['presence.update', 'message.created'])
    sockets[0].frame({ type: 'ping', message: 1 })
    expect(events).toHaveLength(2)
  })

  it('reconnects and resumes from the last event cursor, not the presence cursor', () => {
    const { cable, sockets, runReconnect } = setup()
    cable.connect()
    sockets[0].frame({ type: 'welcome' })
    sockets[0].frame({ identifier: ident, type: 'confirm_subscription' })
    sockets[0].frame({ identifier: ident, message: { event: 'message.created', data: {}, cursor: '7-0' } })
    sockets[0].close()
    expect(cable.status).toBe('disconnected')
    runReconnect()
    expect(sockets).toHaveLength(2)
    sockets[1].frame({ type: 'welcome' })
    sockets[1].frame({ identifier: ident, type: 'confirm_subscription' })
    expect(sockets[1].sent[1]).toEqual({
      command: 'message',
      identifier: ident,
      data: JSON.stringify({ action: 'resume', cursor: '7-0' }),
    })
    sockets[1].frame({ identifier: ident, message: { event: 'presence.update', data: {}, cursor: '9-0' } })
    expect(cable.cursor).toBe('7-0')
    sockets[1].frame({ identifier: ident, message: { event: 'message.created', data: {}, cursor: '8-0' } })
    expect(cable.cursor).toBe('8-0')
  })

  it('passes reload on and takes its cursor', () => {
    const { cable, sockets, events } = setup()
    cable.connect()
    sockets[0].frame({ type: 'welcome' })
    sockets[0].frame({ identifier: ident, type: 'confirm_subscription' })
    sockets[0].frame({ identifier: ident, message: { event: 'reload', data: { reason: 'cursor_expired' }, cursor: '20-0' } })
    expect(events[0].event).toBe('reload')
    expect(cable.cursor).toBe('20-0')
  })

  it('backs off between attempts and stops when closed or rejected', () => {
    const { cable, sockets, timers, runReconnect } = setup()
    cable.connect()
    sockets[0].close()
    const first = timers.filter((t) => t.ms < 12000).map((t) => t.ms)
    runReconnect()
    sockets[1].close()
    const second = timers.filter((t) => t.ms < 12000).map((t) => t.ms)
    expect(second[0]).toBeGreaterThan(first[0])
    cable.close()
    expect(cable.status).toBe('disconnected')

    const other = setup()
    other.cable.connect()
    other.sockets[0].frame({ type: 'welcome' })
    other.sockets[0].frame({ identifier: ident, type: 'reject_subscription' })
    expect(other.sockets[0].closed).toBe(true)
    expect(other.timers.filter((t) => t.ms < 12000)).toHaveLength(0)
  })

  it('treats a silent connection as dead', () => {
    const { cable, sockets, timers } = setup()
    cable.connect()
    sockets[0].frame({ type: 'welcome' })
    const stale = timers.find((t) => t.ms === 12000)
    expect(stale).toBeDefined()
    stale?.fn()
    expect(sockets[0].closed).toBe(true)
    expect(cable.status).toBe('disconnected')
  })

  it('builds the socket URL from the page location', () => {
    expect(cableUrl({ protocol: 'https:', host: 'a.example' })).toBe('wss://a.example/cable')
    expect(cableUrl({ protocol: 'http:', host: '127.0.0.1:3000' })).toBe('ws://127.0.0.1:3000/cable')
  })
})
