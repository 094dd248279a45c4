import { describe, expect, it } from 'vitest'
import {
  adjustCounts,
  applyMessageToList,
  inTab,
  lastMessage,
  listQuery,
  markRead,
  sortConversations,
  upsertConversation,
  type ListState,
} from './conversations'
import type { Conversation, Filters, Message } from './types'

const ME = 7

function conv(id: number, extra: Partial<Conversation> = {}): Conversation {
  return {
    id,
    inbox_id: 1,
    status: 'open',
    unread_count: 0,
    last_activity_at: 1000 + id,
    created_at: 500 + id,
    priority: null,
    labels: [],
    messages: [],
    meta: { sender: { id: 100 + id, name: `Contact ${id}` }, assignee: null, team: null },
    ...extra,
  }
}

function msg(id: number, conversationId: number, extra: Partial<Message> = {}): Message {
  return { id, content: `m${id}`, conversation_id: conversationId, message_type: 0, private: false, created_at: 2000 + id, ...extra }
}

const filters = (extra: Partial<Filters> = {}): Filters => ({
  tab: 'all',
  status: 'open',
  inboxId: null,
  teamId: null,
  label: null,
  sort: 'last_activity_at_desc',
  ...extra,
})

describe('ordering', () => {
  it('sorts by last activity, newest first, ties by id', () => {
    const list = [conv(1, { last_activity_at: 5 }), conv(2, { last_activity_at: 9 }), conv(3, { last_activity_at: 9 })]
    expect(sortConversations(list, 'last_activity_at_desc').map((c) => c.id)).toEqual([3, 2, 1])
  })
  it('sorts by priority, then last activity', () => {
    const list = [conv(1, { priority: 'low' }), conv(2, { priority: 'urgent' }), conv(3), conv(4, { priority: 'high' })]
    expect(sortConversations(list, 'priority_desc').map((c) => c.id)).toEqual([2, 4, 1, 3])
  })
  it('sorts by creation both ways and by waiting time with the never-waiting last', () => {
    const list = [conv(1), conv(2), conv(3)]
    expect(sortConversations(list, 'created_at_asc').map((c) => c.id)).toEqual([1, 2, 3])
    expect(sortConversations(list, 'created_at_desc').map((c) => c.id)).toEqual([3, 2, 1])
    const waiting = [conv(1, { waiting_since: 0 }), conv(2, { waiting_since: 50 }), conv(3, { waiting_since: 20 })]
    expect(sortConversations(waiting, 'waiting_since_asc').map((c) => c.id)).toEqual([3, 2, 1])
  })
})

describe('tabs and counts', () => {
  it('puts conversations in tabs by assignee', () => {
    const mine = conv(1, { meta: { sender: { id: 1, name: 'a' }, assignee: { id: ME, name: 'me' } } })
    expect(inTab(mine, 'mine', ME)).toBe(true)
    expect(inTab(mine, 'unassigned', ME)).toBe(false)
    expect(inTab(conv(2), 'unassigned', ME)).toBe(true)
    expect(inTab(conv(2), 'all', ME)).toBe(true)
  })

  it('moves a count from unassigned to mine on assignment', () => {
    const before = conv(1)
    const after = conv(1, { meta: { ...before.meta, assignee: { id: ME, name: 'me' } } })
    const counts = adjustCounts({ mine_count: 0, unassigned_count: 3, all_count: 3 }, before, after, filters(), ME)
    expect(counts).toEqual({ mine_count: 1, unassigned_count: 2, all_count: 3 })
  })

  it('drops every count when a conversation leaves the status filter', () => {
    const counts = adjustCounts({ mine_count: 0, unassigned_count: 1, all_count: 1 }, conv(1), conv(1, { status: 'resolved' }), filters(), ME)
    expect(counts).toEqual({ mine_count: 0, unassigned_count: 0, all_count: 0 })
  })

  it('counts a new conversation once', () => {
    const counts = adjustCounts({ mine_count: 0, unassigned_count: 0, all_count: 0 }, undefined, conv(9), filters(), ME)
    expect(counts).toEqual({ mine_count: 0, unassigned_count: 1, all_count: 1 })
  })
})

describe('upsertConversation', () => {
  const state = (): ListState => ({ conversations: [conv(2), conv(1)], counts: { mine_count: 0, unassigned_count: 2, all_count: 2 } })

  it('adds a created conversation in order and counts it', () => {
    const next = upsertConversation(state(), conv(3), filters(), ME, true)
    expect(next.conversations.map((c) => c.id)).toEqual([3, 2, 1])
    expect(next.counts.all_count).toBe(3)
  })

  it('removes a resolved conversation from the open view', () => {
    const next = upsertConversation(state(), conv(2, { status: 'resolved' }), filters(), ME)
    expect(next.conversations.map((c) => c.id)).toEqual([1])
    expect(next.counts).toEqual({ mine_count: 0, unassigned_count: 1, all_count: 1 })
  })

  it('leaves the unassigned tab when assigned, keeping its last message', () => {
    const s = state()
    s.conversations[0] = { ...s.conversations[0], messages: [msg(5, 2)] }
    const assigned = conv(2, { meta: { sender: { id: 1, name: 'x' }, assignee: { id: 99, name: 'other' } } })
    const next = upsertConversation(s, assigned, filters({ tab: 'unassigned' }), ME)
    expect(next.conversations.map((c) => c.id)).toEqual([1])
    const inAll = upsertConversation(s, assigned, filters(), ME)
    expect(inAll.conversations[0].messages[0].id).toBe(5)
  })

  it('does not count an update of a conversation it never had', () => {
    const next = upsertConversation(state(), conv(8), filters(), ME)
    expect(next.counts.all_count).toBe(2)
    expect(next.conversations.map((c) => c.id)).toEqual([8, 2, 1])
  })
})

describe('messages in the list', () => {
  it('moves a row to the top with the unread count of the event', () => {
    const s: ListState = { conversations: [conv(2), conv(1)], counts: { mine_count: 0, unassigned_count: 2, all_count: 2 } }
    const m = msg(10, 1, { conversation: { assignee_id: null, unread_count: 4, last_activity_at: 5000 } })
    const next = applyMessageToList(s, m, filters(), null)
    expect(next.conversations.map((c) => c.id)).toEqual([1, 2])
    expect(next.conversations[0].unread_count).toBe(4)
    expect(lastMessage(next.conversations[0])?.id).toBe(10)
  })

  it('keeps the open conversation read, and counts without a block', () => {
    const s: ListState = { conversations: [conv(1, { unread_count: 2 })], counts: { mine_count: 0, unassigned_count: 1, all_count: 1 } }
    expect(applyMessageToList(s, msg(11, 1), filters(), 1).conversations[0].unread_count).toBe(0)
    expect(applyMessageToList(s, msg(11, 1), filters(), null).conversations[0].unread_count).toBe(3)
    expect(applyMessageToList(s, msg(11, 1, { message_type: 1 }), filters(), null).conversations[0].unread_count).toBe(2)
    expect(markRead(s, 1).conversations[0].unread_count).toBe(0)
  })

  it('ignores messages of conversations not listed', () => {
    const s: ListState = { conversations: [conv(1)], counts: { mine_count: 0, unassigned_count: 1, all_count: 1 } }
    expect(applyMessageToList(s, msg(1, 42), filters(), null)).toBe(s)
  })

  it('previews the last non-activity message', () => {
    const c = conv(1, { messages: [msg(1, 1), msg(2, 1, { message_type: 2, content: 'resolved' })] })
    expect(lastMessage(c)?.id).toBe(1)
  })
})

describe('listQuery', () => {
  it('maps filters to the API parameters', () => {
    const q = listQuery(filters({ tab: 'mine', status: 'pending', inboxId: 3, teamId: 4, label: 'vip', sort: 'priority_desc' }), 2)
    expect(q.toString()).toBe('assignee_type=me&status=pending&sort_by=priority_desc&page=2&inbox_id=3&team_id=4&labels%5B%5D=vip')
  })
})
