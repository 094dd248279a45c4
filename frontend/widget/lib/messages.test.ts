import { describe, expect, it } from 'vitest'
import {
  initials,
  lastServerId,
  mergeMessage,
  messageHtml,
  seenIdAt,
  senderAvatar,
  senderName,
  unreadCount,
  type WidgetMessage,
} from './messages'

const msg = (id: number | string, fields: Partial<WidgetMessage> = {}): WidgetMessage => ({
  id,
  content: `m${id}`,
  message_type: 0,
  created_at: 100 + Number(String(id).replace(/\D/g, '') || 0),
  ...fields,
})

describe('merging live messages', () => {
  it('adds new ones in time order and replaces known ones', () => {
    let list = [msg(1), msg(3)]
    list = mergeMessage(list, msg(2))
    expect(list.map((m) => m.id)).toEqual([1, 2, 3])
    list = mergeMessage(list, msg(2, { content: 'edited' }))
    expect(list.map((m) => m.content)).toEqual(['m1', 'edited', 'm3'])
  })

  it('a server copy takes the place of the local one with the same echo_id', () => {
    const local = msg('echo-1', { echo_id: 'echo-1', pending: 'sending', created_at: 200 })
    let list = mergeMessage([msg(1)], local)
    list = mergeMessage(list, msg(7, { echo_id: 'echo-1', created_at: 200 }))
    expect(list.map((m) => [m.id, m.pending])).toEqual([
      [1, undefined],
      [7, undefined],
    ])
  })

  it('local messages stay at the end until sent, private notes never show', () => {
    const list = mergeMessage([msg('echo-9', { pending: 'sending', created_at: 50 })], msg(1))
    expect(list.map((m) => m.id)).toEqual([1, 'echo-9'])
    expect(mergeMessage(list, msg(5, { private: true }))).toBe(list)
  })

  it('knows the last server id (for the catch-up after a drop)', () => {
    expect(lastServerId([msg(4), msg('echo-1'), msg(9), msg(2)])).toBe(9)
    expect(lastServerId([msg('echo-1')])).toBeNull()
  })

  it('counts agent messages after the last one seen', () => {
    const list = [msg(1, { message_type: 1, created_at: 10 }), msg(2, { message_type: 3, created_at: 20 }), msg(3)]
    expect(unreadCount(list, 1)).toBe(1)
    expect(unreadCount(list, null)).toBe(2)
    expect(unreadCount(list, 3)).toBe(0)
    expect(unreadCount([...list, msg('echo-1', { message_type: 1 })], 3)).toBe(0)
  })

  it('turns the last-seen time into the last message seen', () => {
    const list = [msg(1, { created_at: 10 }), msg(2, { created_at: 20 }), msg(5, { created_at: 20 }), msg(7, { created_at: 30 })]
    expect(seenIdAt(list, 20)).toBe(5)
    expect(seenIdAt(list, 5)).toBeNull()
    expect(seenIdAt(list, null)).toBeNull()
  })
})

describe('message text', () => {
  it('is escaped, links open safely, lines break', () => {
    expect(messageHtml('<b>hi</b> & "you"\nsee https://example.com/a?b=1&c=2.')).toBe(
      '&#60;b&#62;hi&#60;/b&#62; &#38; &#34;you&#34;<br>see <a href="https://example.com/a?b=1&#38;c=2" target="_blank" rel="noopener noreferrer nofollow">https://example.com/a?b=1&#38;c=2</a>.',
    )
    expect(messageHtml('javascript:alert(1)')).toBe('javascript:alert(1)')
  })

  it('names the team member, or the website for templates written as the contact', () => {
    const agent = msg(1, { message_type: 1, sender: { name: 'Grace', available_name: 'Grace H.', type: 'user' } })
    expect(senderName(agent, 'Acme')).toBe('Grace H.')
    const template = msg(2, { message_type: 3, sender: { name: 'restless-pond', type: 'contact' } })
    expect(senderName(template, 'Acme')).toBe('Acme')
    expect(senderAvatar(template)).toBe('')
    expect(senderName(msg(3, { message_type: 3 }), 'Acme')).toBe('Acme')
  })

  it('gives initials for avatars without a picture', () => {
    expect(initials('Grace Brewster Hopper')).toBe('GH')
    expect(initials('ada')).toBe('A')
    expect(initials('  ')).toBe('?')
  })
})
