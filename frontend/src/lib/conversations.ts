// The conversation list as state: which conversations a filter shows, in which order, and how
// realtime events change rows and the tab counts. Pure functions; the views hold the state.

import type { Conversation, Counts, Filters, Message, SortKey, Tab } from './types'

export const PRIORITY_RANK: Record<string, number> = { urgent: 4, high: 3, medium: 2, low: 1 }

function rank(priority: string | null | undefined): number {
  return priority ? PRIORITY_RANK[priority] ?? 0 : 0
}

/** The server's order for each sort key (see the API's sort_by), ties broken by id. */
export function compareConversations(sort: SortKey): (a: Conversation, b: Conversation) => number {
  switch (sort) {
    case 'created_at_desc':
      return (a, b) => b.created_at - a.created_at || b.id - a.id
    case 'created_at_asc':
      return (a, b) => a.created_at - b.created_at || a.id - b.id
    case 'priority_desc':
      return (a, b) => rank(b.priority) - rank(a.priority) || b.last_activity_at - a.last_activity_at || b.id - a.id
    case 'waiting_since_asc':
      return (a, b) => {
        const aw = a.waiting_since || null
        const bw = b.waiting_since || null
        if (aw === null && bw !== null) return 1
        if (bw === null && aw !== null) return -1
        return (aw ?? 0) - (bw ?? 0) || a.created_at - b.created_at || a.id - b.id
      }
    default:
      return (a, b) => b.last_activity_at - a.last_activity_at || b.id - a.id
  }
}

export function sortConversations(list: Conversation[], sort: SortKey): Conversation[] {
  return [...list].sort(compareConversations(sort))
}

/** Whether a conversation belongs to a tab, for the signed-in user. */
export function inTab(conversation: Conversation, tab: Tab, userId: number): boolean {
  const assigneeId = conversation.meta.assignee?.id ?? null
  if (tab === 'mine') return assigneeId === userId
  if (tab === 'unassigned') return assigneeId === null
  return true
}

/** The filters other than the tab: status, inbox, team, label. */
export function matchesFilters(conversation: Conversation, filters: Filters): boolean {
  if (filters.status !== 'all' && conversation.status !== filters.status) return false
  if (filters.inboxId !== null && conversation.inbox_id !== filters.inboxId) return false
  if (filters.teamId !== null && (conversation.meta.team?.id ?? null) !== filters.teamId) return false
  if (filters.label !== null && !conversation.labels.includes(filters.label)) return false
  return true
}

export function isVisible(conversation: Conversation, filters: Filters, userId: number): boolean {
  return matchesFilters(conversation, filters) && inTab(conversation, filters.tab, userId)
}

const TABS: Tab[] = ['mine', 'unassigned', 'all']
const COUNT_KEY: Record<Tab, keyof Counts> = {
  mine: 'mine_count',
  unassigned: 'unassigned_count',
  all: 'all_count',
}

/** Tab counts after a conversation changed from ``before`` (absent when new) to ``after``. */
export function adjustCounts(
  counts: Counts,
  before: Conversation | undefined,
  after: Conversation,
  filters: Filters,
  userId: number,
): Counts {
  const next = { ...counts }
  for (const tab of TABS) {
    const was = before !== undefined && matchesFilters(before, filters) && inTab(before, tab, userId)
    const is = matchesFilters(after, filters) && inTab(after, tab, userId)
    if (was !== is) next[COUNT_KEY[tab]] = Math.max(0, next[COUNT_KEY[tab]] + (is ? 1 : -1))
  }
  return next
}

export interface ListState {
  conversations: Conversation[]
  counts: Counts
}

/**
 * A conversation's new version (from conversation.* events or an API answer): replace or add it,
 * drop it when it no longer matches the view, keep the order, adjust the counts.
 */
export function upsertConversation(
  state: ListState,
  incoming: Conversation,
  filters: Filters,
  userId: number,
  isNew = false,
): ListState {
  const before = state.conversations.find((c) => c.id === incoming.id)
  const merged: Conversation = before
    ? { ...before, ...incoming, messages: incoming.messages?.length ? incoming.messages : before.messages }
    : incoming
  // Without the previous version of a conversation outside the loaded page the counts cannot be
  // adjusted; only a brand-new one (conversation.created) is known to add to them.
  let counts = state.counts
  if (before !== undefined) counts = adjustCounts(counts, before, merged, filters, userId)
  else if (isNew) counts = adjustCounts(counts, undefined, merged, filters, userId)
  const rest = state.conversations.filter((c) => c.id !== incoming.id)
  const conversations = isVisible(merged, filters, userId) ? sortConversations([...rest, merged], filters.sort) : rest
  return { conversations, counts }
}

/** The preview line of a row: the last message that is not an activity. */
export function lastMessage(conversation: Conversation): Message | null {
  const fromList = [...(conversation.messages || [])].reverse().find((m) => m.message_type !== 2)
  return fromList ?? conversation.last_non_activity_message ?? conversation.messages?.[conversation.messages.length - 1] ?? null
}

/**
 * A new message (message.created): it becomes the row's last message; the unread count and last
 * activity come from the message's conversation block; the row moves by the sort.
 * The open conversation stays read (its unread count is 0 for the viewer).
 */
export function applyMessageToList(
  state: ListState,
  message: Message,
  filters: Filters,
  openId: number | null,
): ListState {
  const index = state.conversations.findIndex((c) => c.id === message.conversation_id)
  if (index < 0) return state
  const current = state.conversations[index]
  const others = (current.messages || []).filter((m) => m.id !== message.id)
  const block = message.conversation
  const isOpen = openId === current.id
  const updated: Conversation = {
    ...current,
    messages: [...others, message].slice(-1),
    last_non_activity_message: message.message_type === 2 ? current.last_non_activity_message : message,
    last_activity_at: Math.max(current.last_activity_at, block?.last_activity_at ?? message.created_at),
    unread_count: isOpen ? 0 : block ? block.unread_count : current.unread_count + (message.message_type === 0 ? 1 : 0),
  }
  const list = [...state.conversations]
  list[index] = updated
  return { ...state, conversations: sortConversations(list, filters.sort) }
}

/** The viewer opened a conversation: its unread badge goes. */
export function markRead(state: ListState, id: number): ListState {
  return {
    ...state,
    conversations: state.conversations.map((c) => (c.id === id && c.unread_count ? { ...c, unread_count: 0 } : c)),
  }
}

/** Query parameters of GET /conversations for the filters. */
export function listQuery(filters: Filters, page = 1): URLSearchParams {
  const params = new URLSearchParams()
  params.set('assignee_type', filters.tab === 'mine' ? 'me' : filters.tab)
  params.set('status', filters.status)
  params.set('sort_by', filters.sort)
  params.set('page', String(page))
  if (filters.inboxId !== null) params.set('inbox_id', String(filters.inboxId))
  if (filters.teamId !== null) params.set('team_id', String(filters.teamId))
  if (filters.label !== null) params.append('labels[]', filters.label)
  return params
}
