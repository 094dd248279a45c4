import { describe, expect, it } from 'vitest'
import { CONVERSATION_COOKIE, cookieAssignment, readCookie, userCookieName } from './cookies'
import { stableHash, userFingerprint } from './hash'
import { contrastText, readSettings, safeColor, widgetUrl } from './settings'

describe('cookies', () => {
  it('reads one cookie among others, decoded', () => {
    const jar = 'a=1; cw_conversation=eyJ%2Ex.y; cw_user_abc=ff00'
    expect(readCookie(jar, CONVERSATION_COOKIE)).toBe('eyJ.x.y')
    expect(readCookie(jar, userCookieName('abc'))).toBe('ff00')
    expect(readCookie(jar, 'cw_user_other')).toBeNull()
    expect(readCookie('', 'a')).toBeNull()
    expect(readCookie('bad=%E0%A4%A', 'bad')).toBeNull()
  })

  it('stores for 365 days by default, SameSite=Lax, on the configured domain', () => {
    const now = Date.UTC(2026, 0, 1)
    const cookie = cookieAssignment('cw_conversation', 'a b', { domain: '.example.com', secure: true }, now)
    expect(cookie).toBe(
      'cw_conversation=a%20b; expires=Fri, 01 Jan 2027 00:00:00 GMT; path=/; SameSite=Lax; domain=.example.com; Secure',
    )
  })

  it('removes with an expiry in the past', () => {
    const now = Date.UTC(2026, 0, 2)
    expect(cookieAssignment('cw_user_x', '', { days: -1 }, now)).toBe(
      'cw_user_x=; expires=Thu, 01 Jan 2026 00:00:00 GMT; path=/; SameSite=Lax',
    )
  })
})

describe('setUser fingerprint', () => {
  it('is stable and order independent', () => {
    const a = userFingerprint('42', { name: 'Ada', email: 'ada@example.com' })
    const b = userFingerprint(42, { email: 'ada@example.com', name: 'Ada' })
    expect(a).toBe(b)
    expect(a).toMatch(/^[0-9a-f]{16}$/)
  })

  it('changes when any field or the identifier changes', () => {
    const base = userFingerprint('42', { name: 'Ada', identifier_hash: 'aa' })
    expect(userFingerprint('42', { name: 'Ada', identifier_hash: 'ab' })).not.toBe(base)
    expect(userFingerprint('43', { name: 'Ada', identifier_hash: 'aa' })).not.toBe(base)
    expect(userFingerprint('42', { name: 'Ada', identifier_hash: 'aa', avatar_url: 'x' })).not.toBe(base)
  })

  it('spreads near-identical strings', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) seen.add(stableHash(`user-${i}`))
    expect(seen.size).toBe(2000)
  })
})

describe('settings', () => {
  it('has Chatwoot defaults', () => {
    const s = readSettings(undefined)
    expect(s).toMatchObject({
      position: 'right',
      type: 'standard',
      darkMode: 'light',
      hideMessageBubble: false,
      showPopoutButton: false,
      showUnreadMessagesDialog: true,
      enableEmojiPicker: true,
      enableEndConversation: true,
      enableFileUpload: undefined,
      enableNotificationSound: false,
      locale: '',
    })
  })

  it('reads the options a site sets, ignoring garbage', () => {
    const s = readSettings({
      position: 'left',
      type: 'expanded_bubble',
      darkMode: 'auto',
      launcherTitle: 'Talk to us',
      hideMessageBubble: true,
      showUnreadMessagesDialog: false,
      baseDomain: '.example.com',
      enableFileUpload: false,
      locale: 'fr',
    })
    expect(s).toMatchObject({
      position: 'left',
      type: 'expanded_bubble',
      darkMode: 'auto',
      launcherTitle: 'Talk to us',
      hideMessageBubble: true,
      showUnreadMessagesDialog: false,
      baseDomain: '.example.com',
      enableFileUpload: false,
      locale: 'fr',
    })
    expect(readSettings({ position: 'top', darkMode: 'purple', type: 3 })).toMatchObject({
      position: 'right',
      darkMode: 'light',
      type: 'standard',
    })
  })

  it('chooses the locale: browser language when asked, else the setting, else the page', () => {
    const env = { browserLanguage: 'pt-BR', pageLanguage: 'de' }
    expect(readSettings({ locale: 'fr', useBrowserLanguage: true }, env).locale).toBe('pt_BR')
    expect(readSettings({ locale: 'fr' }, env).locale).toBe('fr')
    expect(readSettings({}, env).locale).toBe('de')
    expect(readSettings({}, {}).locale).toBe('')
  })

  it('builds the iframe address, with the returning visitor token when there is one', () => {
    expect(widgetUrl('https://chat.example.com/', 'tok en', null)).toBe(
      'https://chat.example.com/widget?website_token=tok%20en',
    )
    expect(widgetUrl('https://chat.example.com', 'tok', 'a.b.c', 'pt_BR')).toBe(
      'https://chat.example.com/widget?website_token=tok&cw_conversation=a.b.c&locale=pt_BR',
    )
  })

  it('paints the bubble only with real colours, and picks readable text on it', () => {
    expect(safeColor('#ff0000')).toBe('#ff0000')
    expect(safeColor('red;background:url(x)')).toBe('#1f93ff')
    expect(contrastText('#1f93ff')).toBe('#ffffff')
    expect(contrastText('#000')).toBe('#ffffff')
    expect(contrastText('#ffeb3b')).toBe('#1b1f24')
    expect(contrastText('#fff')).toBe('#1b1f24')
  })
})
