import { describe, expect, it } from 'vitest'
import { initials, isSendKey, preview, shortTime } from './format'

describe('format', () => {
  it('Enter sends, Shift+Enter and IME composition do not', () => {
    expect(isSendKey({ key: 'Enter', shiftKey: false })).toBe(true)
    expect(isSendKey({ key: 'Enter', shiftKey: true })).toBe(false)
    expect(isSendKey({ key: 'Enter', shiftKey: false, isComposing: true })).toBe(false)
    expect(isSendKey({ key: 'a', shiftKey: false })).toBe(false)
  })
  it('short times', () => {
    const now = 1_000_000_000
    expect(shortTime(now / 1000 - 10, now)).toBe('now')
    expect(shortTime(now / 1000 - 120, now)).toBe('2m')
    expect(shortTime(now / 1000 - 7200, now)).toBe('2h')
    expect(shortTime(now / 1000 - 86400 * 3, now)).toBe('3d')
    expect(shortTime(0, now)).toBe('')
  })
  it('initials and previews', () => {
    expect(initials('Ada Lovelace')).toBe('AL')
    expect(initials('')).toBe('?')
    expect(initials('Contact 14')).toBe('C')
    expect(initials('42')).toBe('?')
    expect(preview('a\n  b', 80)).toBe('a b')
    expect(preview('x'.repeat(100), 10)).toHaveLength(10)
  })
})
