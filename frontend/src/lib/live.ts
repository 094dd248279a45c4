// The one realtime connection of the page, and the views' listeners on it.

import { ref } from 'vue'
import { Cable, cableUrl, type CableEvent, type CableStatus } from './cable'
import type { Profile } from './types'

type Listener = (event: CableEvent) => void

const listeners = new Set<Listener>()
export const liveStatus = ref<CableStatus>('disconnected')
let cable: Cable | null = null

export function startLive(profile: Profile): void {
  if (cable || profile.account_id === null) return
  cable = new Cable({
    url: cableUrl(window.location),
    pubsubToken: profile.pubsub_token,
    accountId: profile.account_id,
    userId: profile.id,
    handlers: {
      onEvent: (event) => listeners.forEach((listener) => listener(event)),
      onStatus: (status) => {
        liveStatus.value = status
      },
    },
  })
  cable.connect()
  // For end-to-end tests and debugging: window.frontdeskCable.cut(ms) drops the socket.
  ;(window as unknown as { frontdeskCable: Cable }).frontdeskCable = cable
}

export function stopLive(): void {
  cable?.close()
  cable = null
}

export function onLive(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
