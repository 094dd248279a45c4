import { describe, expect, it } from 'vitest'
import { chooseLocale, matchLocale } from './locale'
import { decodeWire, encodeWire, WIRE_PREFIX } from './wire'

describe('wire format', () => {
  it('is the prefix and the JSON of the event with its fields', () => {
    const data = encodeWire('set-user', { identifier: 'u1', user: { name: 'Ada' } })
    expect(data.startsWith('chatwoot-widget:')).toBe(true)
    expect(JSON.parse(data.slice(WIRE_PREFIX.length))).toEqual({
      identifier: 'u1',
      user: { name: 'Ada' },
      event: 'set-user',
    })
  })

  it('decodes what it encodes', () => {
    expect(decodeWire(encodeWire('toggle-open', { isOpen: true }))).toEqual({ event: 'toggle-open', isOpen: true })
  })

  it('a field named event cannot override the event', () => {
    expect(decodeWire(encodeWire('loaded', { event: 'other' }))?.event).toBe('loaded')
  })

  it('ignores anything that is not a prefixed string carrying an event', () => {
    for (const data of [
      { event: 'loaded' },
      'loaded',
      'webpackHotUpdate',
      'chatwoot-widget:',
      'chatwoot-widget:not json',
      'chatwoot-widget:[1,2]',
      'chatwoot-widget:"x"',
      'chatwoot-widget:{"event":""}',
      'chatwoot-widget:{"event":3}',
      null,
    ]) {
      expect(decodeWire(data)).toBeNull()
    }
  })
})

describe('locale choice', () => {
  it('matches a language whatever the region or separator', () => {
    expect(matchLocale('pt_BR')).toBe('pt')
    expect(matchLocale('de-AT')).toBe('de')
    expect(matchLocale('FR')).toBe('fr')
    expect(matchLocale('ja')).toBeNull()
    expect(matchLocale(undefined)).toBeNull()
  })

  it('takes the first candidate with a translation, else English', () => {
    expect(chooseLocale('ja', '', 'es_MX', 'fr')).toBe('es')
    expect(chooseLocale(null, 'zz')).toBe('en')
    expect(chooseLocale()).toBe('en')
  })
})
