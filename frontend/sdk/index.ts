// The host-page SDK: `window.chatwootSDK.run({websiteToken, baseUrl})` puts a chat bubble on the page
// and, lazily (first open, or once the page is idle), the widget iframe. Loaded async by the embed
// snippet; no dependencies. Public API on `window.$chatwoot`, events on `window` (chatwoot:*).

import { decodeWire, encodeWire, type WireMessage } from '../shared/wire'
import { CONVERSATION_COOKIE, cookieAssignment, readCookie, userCookieName } from './cookies'
import { userFingerprint, type UserFields } from './hash'
import { contrastText, darkModeOf, readSettings, safeColor, widgetUrl, type SdkSettings } from './settings'
import { SDK_CSS } from './styles'

interface RunOptions {
  websiteToken: string
  baseUrl: string
}

type Listener = (message: WireMessage) => void

const CHAT_ICON =
  '<svg class="woot--chat-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.4 1.1 4.6 3 6.2L4.3 21.4a.6.6 0 0 0 .8.7l4-1.7c.9.2 1.9.4 2.9.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3Z"/></svg>'
const CLOSE_ICON =
  '<svg class="woot--close-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M6.7 5.3 12 10.6l5.3-5.3a1 1 0 1 1 1.4 1.4L13.4 12l5.3 5.3a1 1 0 0 1-1.4 1.4L12 13.4l-5.3 5.3a1 1 0 0 1-1.4-1.4l5.3-5.3-5.3-5.3a1 1 0 0 1 1.4-1.4Z"/></svg>'

function dispatch(name: string, detail?: unknown): void {
  window.dispatchEvent(new CustomEvent(name, { detail }))
}

function run(options: RunOptions): void {
  const w = window as unknown as Record<string, unknown>
  if (w.$chatwoot) return
  if (!options || typeof options.websiteToken !== 'string' || !options.websiteToken) {
    throw new Error('chatwootSDK.run needs a websiteToken')
  }
  const websiteToken = options.websiteToken
  const baseUrl = String(options.baseUrl ?? '').replace(/\/+$/, '')
  const settings: SdkSettings = readSettings(w.chatwootSettings, {
    browserLanguage: navigator.language,
    pageLanguage: document.documentElement.lang,
  })
  const mobile = window.matchMedia('(max-width: 667px)')

  let iframe: HTMLIFrameElement | null = null
  let holder: HTMLDivElement | null = null
  let loaded = false
  let resetTriggered = false
  let pending: string[] = []
  let user: { identifier: string | number; user: UserFields } | null = null
  let widgetColor = safeColor(safeStorage('get', `cw_color_${websiteToken}`))
  let bubbleLabel = settings.launcherTitle
  // Translated by the widget (setBubbleLabel) once it has loaded.
  let closeLabel = 'Close chat'
  let unread = 0

  const setCookie = (name: string, value: string, days = 365): void => {
    document.cookie = cookieAssignment(name, value, {
      days,
      domain: settings.baseDomain,
      secure: location.protocol === 'https:',
    })
  }
  const getCookie = (name: string): string | null => readCookie(document.cookie, name)

  const style = document.createElement('style')
  style.textContent = SDK_CSS
  document.head.appendChild(style)

  // The bubble (a real button, so keyboard and screen readers get it for free).
  const bubbleHolder = document.createElement('div')
  bubbleHolder.className = `woot--bubble-holder woot-elements--${settings.position}`
  bubbleHolder.hidden = settings.hideMessageBubble
  const bubble = document.createElement('button')
  bubble.type = 'button'
  bubble.className = `woot-widget-bubble woot--${settings.type === 'expanded_bubble' ? 'expanded' : 'standard'}`
  bubble.setAttribute('aria-haspopup', 'dialog')
  bubble.setAttribute('aria-expanded', 'false')
  bubble.innerHTML = CHAT_ICON + CLOSE_ICON
  const label = document.createElement('span')
  label.className = 'woot--label'
  if (settings.type === 'expanded_bubble') bubble.appendChild(label)
  const badge = document.createElement('span')
  badge.className = 'woot--notification'
  badge.hidden = true
  badge.setAttribute('aria-hidden', 'true')
  bubble.appendChild(badge)
  const preview = document.createElement('button')
  preview.type = 'button'
  preview.className = 'woot--preview'
  preview.hidden = true
  bubbleHolder.append(preview, bubble)

  const paintBubble = (): void => {
    bubble.style.background = widgetColor
    bubble.style.color = contrastText(widgetColor)
    label.textContent = bubbleLabel || 'Chat with us'
    const name = state.isOpen ? closeLabel : bubbleLabel || 'Open chat'
    bubble.setAttribute('aria-label', unread > 0 && !state.isOpen ? `${name} (${unread} unread)` : name)
  }

  function safeStorage(op: 'get' | 'set', key: string, value = ''): string | null {
    try {
      if (op === 'get') return localStorage.getItem(key)
      localStorage.setItem(key, value)
    } catch {
      /* storage blocked (private mode, sandbox): the default colour it is */
    }
    return null
  }

  const post = (event: string, fields: Record<string, unknown> = {}): void => {
    const data = encodeWire(event, fields)
    if (loaded && iframe?.contentWindow) iframe.contentWindow.postMessage(data, '*')
    else {
      pending.push(data)
      ensureIframe()
    }
  }

  function ensureIframe(): void {
    if (iframe) return
    holder = document.createElement('div')
    holder.id = 'cw-widget-holder'
    holder.className = `woot-widget-holder woot--hide woot-elements--${settings.position}`
    holder.setAttribute('data-turbo-permanent', '')
    holder.setAttribute('role', 'dialog')
    holder.setAttribute('aria-label', 'Chat')
    iframe = document.createElement('iframe')
    iframe.id = 'chatwoot_live_chat_widget'
    iframe.title = 'Chat'
    iframe.setAttribute('allow', 'camera;microphone;fullscreen;display-capture;picture-in-picture;clipboard-write;')
    iframe.src = widgetUrl(baseUrl, websiteToken, getCookie(CONVERSATION_COOKIE), settings.locale)
    holder.appendChild(iframe)
    document.body.appendChild(holder)
  }

  const setUnread = (count: number, message?: { content?: string; sender?: string }): void => {
    unread = settings.hideMessageBubble ? 0 : Math.max(0, count)
    badge.hidden = unread === 0 || state.isOpen
    badge.textContent = unread > 9 ? '9+' : String(unread)
    bubble.classList.toggle('unread-notification', unread > 0)
    if (message?.content && settings.showUnreadMessagesDialog && !state.isOpen && unread > 0) {
      preview.innerHTML = ''
      const who = document.createElement('strong')
      who.textContent = message.sender || bubbleLabel || 'New message'
      const what = document.createElement('span')
      what.textContent = message.content
      preview.append(who, what)
      preview.hidden = settings.hideMessageBubble
    } else if (unread === 0) preview.hidden = true
    paintBubble()
  }

  const state = {
    baseUrl,
    websiteToken,
    hasLoaded: false,
    isOpen: false,
    resetTriggered: false,
    ...settings,
  }

  const toggle = (wanted?: unknown): void => {
    const open = wanted === 'open' ? true : wanted === 'close' ? false : !state.isOpen
    if (open === state.isOpen) return
    ensureIframe()
    state.isOpen = open
    holder?.classList.toggle('woot--hide', !open)
    document.documentElement.classList.toggle('woot--open-mobile', open && mobile.matches)
    bubble.classList.toggle('woot--open', open)
    bubble.setAttribute('aria-expanded', String(open))
    if (open) setUnread(0)
    else paintBubble()
    preview.hidden = true
    post('toggle-open', { isOpen: open })
    if (open) {
      post('push-event', { eventName: 'webwidget.triggered' })
      iframe?.focus()
    } else if (holder?.contains(document.activeElement) || document.activeElement === iframe) {
      bubble.focus()
    }
    dispatch(open ? 'chatwoot:opened' : 'chatwoot:closed')
  }

  const storeToken = (token: unknown): void => {
    if (typeof token === 'string' && token) setCookie(CONVERSATION_COOKIE, token)
  }

  const handlers: Record<string, Listener> = {
    loaded(message) {
      const config = (message.config ?? {}) as { authToken?: string; channelConfig?: { widgetColor?: string } }
      storeToken(config.authToken)
      widgetColor = safeColor(config.channelConfig?.widgetColor, widgetColor)
      safeStorage('set', `cw_color_${websiteToken}`, widgetColor)
      paintBubble()
      loaded = true
      state.hasLoaded = true
      iframe!.contentWindow!.postMessage(
        encodeWire('config-set', {
          locale: state.locale,
          position: state.position,
          hideMessageBubble: state.hideMessageBubble,
          showPopoutButton: state.showPopoutButton,
          widgetStyle: state.widgetStyle,
          darkMode: state.darkMode,
          showUnreadMessagesDialog: state.showUnreadMessagesDialog,
          welcomeTitle: state.welcomeTitle,
          welcomeDescription: state.welcomeDescription,
          availableMessage: state.availableMessage,
          unavailableMessage: state.unavailableMessage,
          enableFileUpload: state.enableFileUpload,
          enableEmojiPicker: state.enableEmojiPicker,
          enableEndConversation: state.enableEndConversation,
          enableNotificationSound: state.enableNotificationSound,
          isOpen: state.isOpen,
        }),
        '*',
      )
      post('toggle-close-button', { isMobile: mobile.matches })
      post('change-url', { referrerURL: location.href, referrerHost: location.host })
      const queued = pending
      pending = []
      for (const data of queued) iframe!.contentWindow!.postMessage(data, '*')
      if (user) post('set-user', user)
      if (!resetTriggered) dispatch('chatwoot:ready')
      resetTriggered = false
      state.resetTriggered = false
    },
    setAuthCookie(message) {
      storeToken((message.data as { widgetAuthToken?: string } | undefined)?.widgetAuthToken)
    },
    error(message) {
      if (message.errorType === 'SET_USER_ERROR') setCookie(userCookieName(websiteToken), '', -1)
      dispatch('chatwoot:error', message.data)
    },
    onEvent(message) {
      if (typeof message.eventIdentifier === 'string') dispatch(message.eventIdentifier, message.data)
    },
    postback(message) {
      dispatch('chatwoot:postback', message)
    },
    setBubbleLabel(message) {
      bubbleLabel = settings.launcherTitle || String(message.label ?? '')
      if (typeof message.closeLabel === 'string' && message.closeLabel) closeLabel = message.closeLabel
      paintBubble()
    },
    toggleBubble(message) {
      toggle(message.state === 'open' || message.state === 'close' ? message.state : undefined)
    },
    closeWindow: () => toggle('close'),
    closeChat: () => toggle('close'),
    popoutChatWindow: () => popout(),
    setUnreadMode: () => undefined,
    resetUnreadMode: () => setUnread(0),
    handleNotificationDot(message) {
      const count = Number(message.unreadMessageCount) || 0
      setUnread(count, message.lastMessage as { content?: string; sender?: string } | undefined)
    },
    updateIframeHeight(message) {
      if (iframe) iframe.style.height = message.isFixedHeight ? `${Number(message.extraHeight) || 0}px` : '100%'
    },
  }

  window.addEventListener('message', (event: MessageEvent) => {
    if (!iframe || event.source !== iframe.contentWindow) return
    const message = decodeWire(event.data)
    if (message && Object.prototype.hasOwnProperty.call(handlers, message.event)) handlers[message.event](message)
  })

  mobile.addEventListener?.('change', () => {
    document.documentElement.classList.toggle('woot--open-mobile', state.isOpen && mobile.matches)
    if (loaded) post('toggle-close-button', { isMobile: mobile.matches })
  })

  // Single-page sites: the widget learns the page the visitor is on (sent as the messages' referer).
  const pageChanged = (): void => {
    if (loaded) post('change-url', { referrerURL: location.href, referrerHost: location.host })
  }
  window.addEventListener('popstate', pageChanged)
  window.addEventListener('hashchange', pageChanged)

  bubble.addEventListener('click', () => toggle())
  preview.addEventListener('click', () => toggle('open'))
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.isOpen) toggle('close')
  })

  function popout(): void {
    toggle('close')
    const url = widgetUrl(baseUrl, websiteToken, getCookie(CONVERSATION_COOKIE), state.locale)
    window.open(url, `webwidget_session_${websiteToken}`, 'resizable=off,width=400,height=600')
  }

  const requireObject = (value: unknown, what: string): Record<string, unknown> => {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.keys(value).length) {
      throw new Error(`${what} must be a non-empty object`)
    }
    return value as Record<string, unknown>
  }

  const api = Object.assign(state, {
    toggle,
    toggleBubbleVisibility(visibility: 'show' | 'hide') {
      state.hideMessageBubble = visibility === 'hide' ? true : visibility === 'show' ? false : !state.hideMessageBubble
      bubbleHolder.hidden = state.hideMessageBubble
      post('sdk-set-bubble-visibility', { hideMessageBubble: state.hideMessageBubble })
    },
    popoutChatWindow: popout,
    setUser(identifier: unknown, fields: unknown) {
      if (typeof identifier !== 'string' && typeof identifier !== 'number') {
        throw new Error('Identifier should be a string or a number')
      }
      const given = requireObject(fields, 'User') as UserFields
      if (!given.avatar_url && !given.email && !given.name) {
        throw new Error('User object should have one of the keys [avatar_url, email, name]')
      }
      const fingerprint = userFingerprint(identifier, given)
      // Already sent with these very fields (this page load or an earlier one): nothing to do.
      if (getCookie(userCookieName(websiteToken)) === fingerprint) return
      user = { identifier, user: given }
      setCookie(userCookieName(websiteToken), fingerprint)
      // Before load, `loaded` sends it (once) with the latest user.
      if (loaded) post('set-user', user)
      else ensureIframe()
    },
    setCustomAttributes(customAttributes: unknown) {
      post('set-custom-attributes', { customAttributes: requireObject(customAttributes, 'Custom attributes') })
    },
    deleteCustomAttribute(customAttribute: unknown) {
      if (typeof customAttribute !== 'string' || !customAttribute) throw new Error('Custom attribute is required')
      post('delete-custom-attribute', { customAttribute })
    },
    setConversationCustomAttributes(customAttributes: unknown) {
      post('set-conversation-custom-attributes', {
        customAttributes: requireObject(customAttributes, 'Custom attributes'),
      })
    },
    deleteConversationCustomAttribute(customAttribute: unknown) {
      if (typeof customAttribute !== 'string' || !customAttribute) throw new Error('Custom attribute is required')
      post('delete-conversation-custom-attribute', { customAttribute })
    },
    setLabel(label: unknown = '') {
      post('set-label', { label })
    },
    removeLabel(label: unknown = '') {
      post('remove-label', { label })
    },
    setLocale(locale: unknown = 'en') {
      state.locale = typeof locale === 'string' ? locale : 'en'
      post('set-locale', { locale: state.locale })
    },
    setColorScheme(mode: unknown = 'light') {
      state.darkMode = darkModeOf(mode)
      post('set-color-scheme', { darkMode: state.darkMode })
    },
    reset() {
      if (state.isOpen) toggle('close')
      setCookie(CONVERSATION_COOKIE, '', -1)
      setCookie(userCookieName(websiteToken), '', -1)
      user = null
      setUnread(0)
      if (iframe) {
        loaded = false
        pending = []
        resetTriggered = true
        state.resetTriggered = true
        iframe.src = widgetUrl(baseUrl, websiteToken, null, state.locale)
      }
    },
  })
  w.$chatwoot = api

  const mount = (): void => {
    document.body.appendChild(bubbleHolder)
    paintBubble()
    // The iframe waits until the page has nothing better to do (or the visitor opens the chat).
    const idle = (w.requestIdleCallback as ((cb: () => void, o: { timeout: number }) => number) | undefined) ?? null
    if (idle) idle(ensureIframe, { timeout: 2500 })
    else setTimeout(ensureIframe, 1200)
  }
  if (document.body) mount()
  else document.addEventListener('DOMContentLoaded', mount)
}

const sdk = window as unknown as { chatwootSDK?: { run: typeof run } }
sdk.chatwootSDK = { run }
