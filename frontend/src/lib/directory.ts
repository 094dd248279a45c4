// The account's inboxes, agents, teams and labels, loaded once and shared by the views.

import { reactive } from 'vue'
import { get } from './api'
import type { Agent, Inbox, Label, Team } from './types'

export const directory = reactive<{ inboxes: Inbox[]; agents: Agent[]; teams: Team[]; labels: Label[]; loaded: boolean }>({
  inboxes: [],
  agents: [],
  teams: [],
  labels: [],
  loaded: false,
})

export async function loadDirectory(force = false): Promise<void> {
  if (directory.loaded && !force) return
  const [inboxes, agents, teams, labels] = await Promise.all([
    get<{ payload: Inbox[] }>('/inboxes'),
    get<Agent[]>('/agents'),
    get<Team[]>('/teams'),
    get<{ payload: Label[] }>('/labels'),
  ])
  directory.inboxes = inboxes.payload
  directory.agents = agents
  directory.teams = teams
  directory.labels = labels.payload
  directory.loaded = true
}

export function inboxName(id: number): string {
  return directory.inboxes.find((i) => i.id === id)?.name ?? `Inbox ${id}`
}
