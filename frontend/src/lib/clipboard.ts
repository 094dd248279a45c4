// Copying text for the user: the async Clipboard API where the page may use it, else a hidden
// textarea and execCommand('copy') (older browsers, insecure origins, a denied permission).

export interface ClipboardDeps {
  clipboard?: { writeText(text: string): Promise<void> } | null
  fallback?: (text: string) => boolean
}

/** Put ``text`` on the clipboard; false when neither way worked (the caller then shows the text selected). */
export async function copyText(text: string, deps: ClipboardDeps = {}): Promise<boolean> {
  const clipboard = 'clipboard' in deps ? deps.clipboard : typeof navigator !== 'undefined' ? navigator.clipboard : null
  if (clipboard) {
    try {
      await clipboard.writeText(text)
      return true
    } catch {
      // Fall through to the textarea way.
    }
  }
  return (deps.fallback ?? copyWithTextarea)(text)
}

export function copyWithTextarea(text: string): boolean {
  if (typeof document === 'undefined') return false
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.style.position = 'fixed'
  area.style.top = '-1000px'
  document.body.appendChild(area)
  const previous = document.activeElement as HTMLElement | null
  area.select()
  let copied = false
  try {
    copied = document.execCommand('copy')
  } catch {
    copied = false
  } finally {
    area.remove()
    previous?.focus?.()
  }
  return copied
}
