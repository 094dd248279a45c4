import { describe, expect, it } from 'vitest'
import { cableUrl, contactIdentifier, WidgetCable, type SocketLike } from './cable'

class FakeSocket implements SocketLike {
  readyState = 1
  sent: Record<string, unknown>[] = []
  closed = false
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: unknown) => void) | null = null
  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }
  close(): void {
    this.closed = true
    this.onclose?.({})
  }
  frame(data: unknown): void {
    this.onmessage?.({ data: JSON.stringify(data) })
  }
}

function harness() {
  const sockets: FakeSocket[] = []
  const timers: { fn: () => void; ms: number }[] = []
  const events: string[] = []
  const connected: boolean[] = []
  const cable = new WidgetCable({
    url: 'ws://x/cable',
    pubsubToken: 'tok',
    onEvent: (frame) => events.push(frame.event),
    onConnected: (resumed) => connected.push(resumed),
    socketFactory: () => {
      const socket = new FakeSocket()
      sockets.push(socket)
      return socket
    },
    setTimer: (fn, ms) => {
      const timer = { fn, ms }
      timers.push(timer)
      return timer
    },
    clearTimer: (handle) => {
      const i = timers.indexOf(handle as { fn: () => void; ms: number })
      if (i >= 0) timers.splice(i, 1)
    },
  })
  // Run the pending timer of that delay (and forget it, as a real timer would be).
  const fire = (ms: number): void => {
    const i = timers.findIndex((t) => t.ms === ms)
    expect(i, `a ${ms} ms timer`).toBeGreaterThanOrEqual(0)
    const [timer] = timers.splice(i, 1)
    timer.fn()
  }
  return { cable, sockets, timers, events, connected, fire }
}

describe('the widget cable', () => {
  it('subscribes with the contact identifier (no user or account)', () => {
    expect(JSON.parse(contactIdentifier('tok'))).toEqual({ channel: 'RoomChannel', pubsub_token: 'tok' })
    const { cable, sockets } = harness()
    cable.connect()
    sockets[0].frame({ type: 'welcome' })
    expect(sockets[0].sent).toEqual([{ command: 'subscribe', identifier: contactIdentifier('tok') }])
  })

  it('hands on events, ignores pings and junk', () => {
    const { cable, sockets, events } = harness()
    cable.connect()
    sockets[0].frame({ type: 'welcome' })
    sockets[0].frame({ identifier: cable.identifier, type: 'confirm_subscription' })
    sockets[0].frame({ type: 'ping', message: 1 })
    sockets[0].onmessage?.({ data: 'not json' })
    sockets[0].frame({ identifier: cable.identifier, message: { event: 'message.created', data: { id: 1 } } })
    sockets[0].frame({ identifier: cable.identifier, message: { nope: true } })
    expect(events).toEqual(['message.created'])
    expect(cable.status).toBe('connected')
  })

  it('reconnects after a drop and says it resumed, so the store catches up', () => {
    const { cable, sockets, connected, fire } = harness()
    cable.connect()
    sockets[0].frame({ type: 'welcome' })
    sockets[0].frame({ identifier: cable.identifier, type: 'confirm_subscription' })
    sockets[0].close()
    expect(cable.status).toBe('disconnected')
    fire(400)
    expect(sockets).toHaveLength(2)
    sockets[1].frame({ type: 'welcome' })
    sockets[1].frame({ identifier: cable.identifier, type: 'confirm_subscription' })
    expect(connected).toEqual([false, true])
  })

  it('a silent connection is treated as dead; a rejection stops for good', () => {
    const { cable, sockets, timers, fire } = harness()
    cable.connect()
    sockets[0].onopen?.({})
    fire(12000)
    expect(sockets[0].closed).toBe(true)
    expect(cable.status).toBe('disconnected')
    fire(400)
    sockets[1].frame({ identifier: cable.identifier, type: 'reject_subscription' })
    expect(sockets[1].closed).toBe(true)
    expect(timers).toHaveLength(0)
    expect(cable.status).toBe('disconnected')
  })

  it('uses wss on https pages', () => {
    expect(cableUrl({ protocol: 'https:', host: 'chat.example.com' })).toBe('wss://chat.example.com/cable')
    expect(cableUrl({ protocol: 'http:', host: 'localhost:8000' })).toBe('ws://localhost:8000/cable')
  })
})
