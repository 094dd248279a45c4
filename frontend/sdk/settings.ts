// window.chatwootSettings → the SDK's state (Chatwoot's option names and defaults).

export type DarkMode = 'light' | 'auto' | 'dark'

export interface SdkSettings {
  position: 'left' | 'right'
  type: 'standard' | 'expanded_bubble'
  widgetStyle: 'standard' | 'flat'
  locale: string
  useBrowserLanguage: boolean
  baseDomain: string | undefined
  launcherTitle: string
  darkMode: DarkMode
  hideMessageBubble: boolean
  showPopoutButton: boolean
  showUnreadMessagesDialog: boolean
  welcomeTitle: string
  welcomeDescription: string
  availableMessage: string
  unavailableMessage: string
  enableFileUpload: boolean | undefined
  enableEmojiPicker: boolean
  enableEndConversation: boolean
  // Frontdesk's own: a short generated chime on new replies while the chat is closed (off by default).
  enableNotificationSound: boolean
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '')

export function darkModeOf(value: unknown): DarkMode {
  return value === 'dark' || value === 'auto' ? value : 'light'
}

/** ``pageLanguage`` (the host page's <html lang>) is used when no locale is configured. */
export function readSettings(
  raw: unknown,
  environment: { browserLanguage?: string; pageLanguage?: string } = {},
): SdkSettings {
  const s = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  let locale = text(s.locale)
  if (s.useBrowserLanguage === true && environment.browserLanguage) {
    locale = environment.browserLanguage.replace('-', '_')
  }
  if (!locale && environment.pageLanguage) locale = environment.pageLanguage.replace('-', '_')
  return {
    position: s.position === 'left' ? 'left' : 'right',
    type: s.type === 'expanded_bubble' ? 'expanded_bubble' : 'standard',
    widgetStyle: s.widgetStyle === 'flat' ? 'flat' : 'standard',
    locale,
    useBrowserLanguage: s.useBrowserLanguage === true,
    baseDomain: text(s.baseDomain) || undefined,
    launcherTitle: text(s.launcherTitle),
    darkMode: darkModeOf(s.darkMode),
    hideMessageBubble: s.hideMessageBubble === true,
    showPopoutButton: s.showPopoutButton === true,
    showUnreadMessagesDialog: s.showUnreadMessagesDialog !== false,
    welcomeTitle: text(s.welcomeTitle),
    welcomeDescription: text(s.welcomeDescription),
    availableMessage: text(s.availableMessage),
    unavailableMessage: text(s.unavailableMessage),
    enableFileUpload: typeof s.enableFileUpload === 'boolean' ? s.enableFileUpload : undefined,
    enableEmojiPicker: s.enableEmojiPicker !== false,
    enableEndConversation: s.enableEndConversation !== false,
    enableNotificationSound: s.enableNotificationSound === true,
  }
}

/** The iframe's address: a returning visitor's token goes along so the server finds their contact. */
export function widgetUrl(baseUrl: string, websiteToken: string, conversationToken: string | null, locale = ''): string {
  let url = `${baseUrl.replace(/\/+$/, '')}/widget?website_token=${encodeURIComponent(websiteToken)}`
  if (conversationToken) url += `&cw_conversation=${encodeURIComponent(conversationToken)}`
  if (locale) url += `&locale=${encodeURIComponent(locale)}`
  return url
}

/** Whether a string looks like a colour the bubble may be painted with. */
export function safeColor(value: unknown, fallback = '#1f93ff'): string {
  return typeof value === 'string' && /^#[0-9a-f]{3,8}$/i.test(value) ? value : fallback
}

/** Dark text on light accent colours, white otherwise (WCAG relative luminance). */
export function contrastText(hex: string): string {
  let h = hex.replace('#', '')
  if (h.length === 3 || h.length === 4) h = [...h.slice(0, 3)].map((c) => c + c).join('')
  const channel = (i: number): number => {
    const v = parseInt(h.slice(i, i + 2), 16) / 255
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  }
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
  // White reaches 4.5:1 only below ~0.18; prefer it down to 0.3 for the brand look, as most widgets do.
  return luminance > 0.3 ? '#1b1f24' : '#ffffff'
}
