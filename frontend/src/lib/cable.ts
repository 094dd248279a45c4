// An ActionCable client for Frontdesk's /cable RoomChannel: subscribes with the user's pubsub_token,
// keeps the last event cursor, reconnects with backoff, and on reconnect asks the server to
// ``resume`` from that cursor (the missed events are replayed, or a ``reload`` event says to refetch).

export interface CableEvent {
  event: string
  data: Record<string, unknown>
  cursor?: string
}

export interface CableHandlers {
  onEvent: (event: CableEvent) => void
  onStatus?: (status: CableStatus) => void
}

export type CableStatus = 'connecting' | 'connected' | 'disconnected'

export interface SocketLike {
  readyState: number
  send(data: string): void
  close(): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: unknown) => void) | null
  onerror: ((ev: unknown) => void) | null
}

export type SocketFactory = (url: string, protocols: string[]) => SocketLike

export interface CableOptions {
  url: string
  pubsubToken: string
  accountId: number
  userId: number
  handlers: CableHandlers
  socketFactory?: SocketFactory
  // Reconnect delays (ms): min doubles up to max.
  minDelay?: number
  maxDelay?: number
  // No frame (pings come every few seconds) for this long means a dead connection.
  staleAfter?: number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export const SUBPROTOCOL = 'actioncable-v1-json'

export function identifierFor(pubsubToken: string, accountId: number, userId: number): string {
  return JSON.stringify({ channel: 'RoomChannel', pubsub_token: pubsubToken, account_id: accountId, user_id: userId })
}

/** The cable state machine, independent of the browser's WebSocket (tests pass a fake). */
export class Cable {
  readonly identifier: string
  cursor: string | null = null
  status: CableStatus = 'disconnected'
  private socket: SocketLike | null = null
  private attempts = 0
  private stopped = false
  private reconnectTimer: unknown = null
  private staleTimer: unknown = null
  private resumePending = false
  private holdUntil = 0

  constructor(private readonly options: CableOptions) {
    this.identifier = identifierFor(options.pubsubToken, options.accountId, options.userId)
  }

  private get factory(): SocketFactory {
    return (
      this.options.socketFactory ??
      ((url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike)
    )
  }

  private setTimer(fn: () => void, ms: number): unknown {
    return (this.options.setTimer ?? ((f, t) => setTimeout(f, t)))(fn, ms)
  }

  private clearTimer(handle: unknown): void {
    if (handle !== null) (this.options.clearTimer ?? ((h) => clearTimeout(h as number)))(handle)
  }

  private setStatus(status: CableStatus): void {
    this.status = status
    this.options.handlers.onStatus?.(status)
  }

  connect(): void {
    this.stopped = false
    this.open()
  }

  private open(): void {
    this.setStatus('connecting')
    const socket = this.factory(this.options.url, [SUBPROTOCOL])
    this.socket = socket
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return
      this.touch()
      this.receive(String(ev.data))
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = null
      this.dropped()
    }
    socket.onerror = () => {
      /* onclose follows */
    }
    socket.onopen = () => this.touch()
  }

  private touch(): void {
    this.clearTimer(this.staleTimer)
    const staleAfter = this.options.staleAfter ?? 12000
    this.staleTimer = this.setTimer(() => {
      // Nothing (not even a ping) for too long: treat the connection as dead.
      this.socket?.close()
      const socket = this.socket
      this.socket = null
      if (socket) this.dropped()
    }, staleAfter)
  }

  private dropped(): void {
    this.clearTimer(this.staleTimer)
    this.resumePending = false
    this.setStatus('disconnected')
    if (this.stopped) return
    const min = this.options.minDelay ?? 300
    const max = this.options.maxDelay ?? 5000
    const backoff = Math.min(max, min * 2 ** this.attempts)
    this.attempts += 1
    const hold = Math.max(0, this.holdUntil - Date.now())
    this.reconnectTimer = this.setTimer(() => {
      this.reconnectTimer = null
      if (!this.stopped) this.open()
    }, Math.max(backoff, hold))
  }

  /** Handle one frame from the server. */
  receive(raw: string): void {
    let frame: Record<string, unknown>
    try {
      frame = JSON.parse(raw)
    } catch {
      return
    }
    const type = frame.type
    if (type === 'welcome') {
      this.send({ command: 'subscribe', identifier: this.identifier })
      return
    }
    if (type === 'ping') return
    if (type === 'disconnect') {
      this.socket?.close()
      return
    }
    if (type === 'confirm_subscription') {
      this.attempts = 0
      this.setStatus('connected')
      if (this.cursor !== null) {
        // Catch up on what was missed while away (before the presence frame moves the cursor).
        this.resumePending = true
        this.send({
          command: 'message',
          identifier: this.identifier,
          data: JSON.stringify({ action: 'resume', cursor: this.cursor }),
        })
      }
      return
    }
    if (type === 'reject_subscription') {
      this.stopped = true
      this.socket?.close()
      return
    }
    const message = frame.message as CableEvent | undefined
    if (!message || typeof message !== 'object' || typeof message.event !== 'string') return
    if (message.event === 'presence.update') {
      // Its cursor is the account's latest: where a first connection starts from.
      if (this.cursor === null && typeof message.cursor === 'string') this.cursor = message.cursor
      this.options.handlers.onEvent(message)
      return
    }
    if (typeof message.cursor === 'string') this.cursor = message.cursor
    if (message.event === 'reload') this.resumePending = false
    this.options.handlers.onEvent(message)
  }

  send(frame: Record<string, unknown>): void {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(frame))
  }

  /** Drop the connection now (tests, or the network changed); reconnects after ``holdMs`` at least. */
  cut(holdMs = 0): void {
    this.holdUntil = Date.now() + holdMs
    const socket = this.socket
    this.socket = null
    socket?.close()
    if (socket) this.dropped()
  }

  close(): void {
    this.stopped = true
    this.clearTimer(this.reconnectTimer)
    this.clearTimer(this.staleTimer)
    const socket = this.socket
    this.socket = null
    socket?.close()
    this.setStatus('disconnected')
  }
}

export function cableUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/cable`
}
