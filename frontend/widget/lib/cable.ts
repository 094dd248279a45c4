// The widget's ActionCable client (same protocol and reconnect logic as the dashboard's, with the
// contact's identifier {channel, pubsub_token}). After a reconnect the store refetches what it missed.

export interface CableFrame {
  event: string
  data: Record<string, unknown>
}

export type CableStatus = 'connecting' | 'connected' | 'disconnected'

export interface SocketLike {
  readyState: number
  send(data: string): void
  close(): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: unknown) => void) | null
}

export interface WidgetCableOptions {
  url: string
  pubsubToken: string
  onEvent: (frame: CableFrame) => void
  // Called on every confirmed subscription; ``resumed`` is true after the first.
  onConnected?: (resumed: boolean) => void
  onStatus?: (status: CableStatus) => void
  socketFactory?: (url: string, protocols: string[]) => SocketLike
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
  staleAfter?: number
}

export const contactIdentifier = (pubsubToken: string): string =>
  JSON.stringify({ channel: 'RoomChannel', pubsub_token: pubsubToken })

export class WidgetCable {
  readonly identifier: string
  status: CableStatus = 'disconnected'
  private socket: SocketLike | null = null
  private attempts = 0
  private confirmedOnce = false
  private stopped = false
  private timers: { reconnect: unknown; stale: unknown; presence: unknown } = {
    reconnect: null,
    stale: null,
    presence: null,
  }

  constructor(private readonly options: WidgetCableOptions) {
    this.identifier = contactIdentifier(options.pubsubToken)
  }

  private timer(fn: () => void, ms: number): unknown {
    return (this.options.setTimer ?? ((f, t) => setTimeout(f, t)))(fn, ms)
  }

  private clear(name: keyof WidgetCable['timers']): void {
    const handle = this.timers[name]
    if (handle !== null) (this.options.clearTimer ?? ((h) => clearTimeout(h as number)))(handle)
    this.timers[name] = null
  }

  private setStatus(status: CableStatus): void {
    this.status = status
    this.options.onStatus?.(status)
  }

  connect(): void {
    this.stopped = false
    this.open()
  }

  private open(): void {
    this.setStatus('connecting')
    const factory =
      this.options.socketFactory ?? ((url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike)
    const socket = factory(this.options.url, ['actioncable-v1-json'])
    this.socket = socket
    socket.onopen = () => this.touch()
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return
      this.touch()
      this.receive(String(ev.data))
    }
    socket.onclose = () => {
      if (this.socket === socket) this.dropped()
    }
  }

  private touch(): void {
    this.clear('stale')
    this.timers.stale = this.timer(() => this.drop(), this.options.staleAfter ?? 12000)
  }

  /** Close the socket now and reconnect (tests; a network change). */
  drop(): void {
    const socket = this.socket
    if (!socket) return
    this.dropped()
    socket.close()
  }

  private dropped(): void {
    this.socket = null
    this.clear('stale')
    this.clear('presence')
    this.setStatus('disconnected')
    if (this.stopped) return
    const delay = Math.min(8000, 400 * 2 ** this.attempts)
    this.attempts += 1
    this.timers.reconnect = this.timer(() => {
      this.timers.reconnect = null
      if (!this.stopped) this.open()
    }, delay)
  }

  receive(raw: string): void {
    let frame: Record<string, unknown>
    try {
      frame = JSON.parse(raw)
    } catch {
      return
    }
    switch (frame.type) {
      case 'welcome':
        this.send({ command: 'subscribe', identifier: this.identifier })
        return
      case 'ping':
        return
      case 'disconnect':
        this.drop()
        return
      case 'reject_subscription':
        this.close()
        return
      case 'confirm_subscription': {
        this.attempts = 0
        this.setStatus('connected')
        const resumed = this.confirmedOnce
        this.confirmedOnce = true
        this.schedulePresence()
        this.options.onConnected?.(resumed)
        return
      }
    }
    const message = frame.message as CableFrame | undefined
    if (!message || typeof message !== 'object' || typeof message.event !== 'string') return
    this.options.onEvent({ event: message.event, data: (message.data ?? {}) as Record<string, unknown> })
  }

  private schedulePresence(): void {
    this.clear('presence')
    this.timers.presence = this.timer(() => {
      this.send({
        command: 'message',
        identifier: this.identifier,
        data: JSON.stringify({ action: 'update_presence' }),
      })
      this.schedulePresence()
    }, 60000)
  }

  send(frame: Record<string, unknown>): void {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(frame))
  }

  close(): void {
    this.stopped = true
    this.clear('reconnect')
    this.clear('stale')
    this.clear('presence')
    const socket = this.socket
    this.socket = null
    socket?.close()
    this.setStatus('disconnected')
  }
}

export function cableUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/cable`
}
