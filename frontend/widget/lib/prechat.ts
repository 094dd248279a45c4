// The pre-chat form: which fields to ask (from pre_chat_form_options), their validation, and the
// POST /api/v1/widget/conversations body they make.

import type { MessageKey } from './i18n'

export interface PreChatField {
  name: string
  label: string
  placeholder?: string
  type: string
  field_type?: string
  required: boolean
  enabled: boolean
  values?: string[]
  regex_pattern?: string | null
  regex_cue?: string | null
}

export interface KnownContact {
  has_email?: boolean
  has_name?: boolean
  has_phone_number?: boolean
  identifier?: string | null
}

/** The enabled fields, minus the standard ones the contact already gave us. Anonymous visitors get a
 * generated name, so the name counts as known only once the contact is identified some other way. */
export function formFields(options: unknown, known: KnownContact = {}): PreChatField[] {
  const raw = options && typeof options === 'object' ? (options as { pre_chat_fields?: unknown }).pre_chat_fields : []
  if (!Array.isArray(raw)) return []
  const nameKnown = !!(known.identifier || known.has_email || known.has_phone_number)
  const skip = (name: string): boolean =>
    (name === 'emailAddress' && !!known.has_email) ||
    (name === 'phoneNumber' && !!known.has_phone_number) ||
    (name === 'fullName' && nameKnown)
  return raw
    .filter((f): f is Record<string, unknown> => !!f && typeof f === 'object' && typeof f.name === 'string')
    .map((f) => ({
      name: String(f.name),
      label: typeof f.label === 'string' && f.label ? f.label : String(f.name),
      placeholder: typeof f.placeholder === 'string' ? f.placeholder : '',
      type: inputType(f),
      field_type: typeof f.field_type === 'string' ? f.field_type : 'standard',
      required: f.required === true,
      enabled: f.enabled === true,
      values: Array.isArray(f.values) ? f.values.map(String) : [],
      regex_pattern: typeof f.regex_pattern === 'string' ? f.regex_pattern : null,
      regex_cue: typeof f.regex_cue === 'string' ? f.regex_cue : null,
    }))
    .filter((f) => f.enabled && !skip(f.name))
}

function inputType(f: Record<string, unknown>): string {
  if (f.name === 'emailAddress') return 'email'
  if (f.name === 'phoneNumber') return 'phone'
  const type = typeof f.type === 'string' ? f.type : 'text'
  return ['text', 'email', 'number', 'phone', 'link', 'date', 'list', 'checkbox'].includes(type) ? type : 'text'
}

export type FieldValue = string | boolean
export interface FieldError {
  key: MessageKey
  params?: Record<string, string>
  // The inbox's own wording (regex_cue) overrides the translated text.
  text?: string
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/
export const PHONE_PATTERN = /^\+[1-9]\d{6,14}$/

export const normalisePhone = (value: string): string => value.replace(/[\s().-]/g, '')

export function validateField(field: PreChatField, value: FieldValue | undefined): FieldError | null {
  if (field.type === 'checkbox') {
    return field.required && value !== true ? { key: 'errorRequired', params: { field: field.label } } : null
  }
  const text = typeof value === 'string' ? value.trim() : ''
  if (!text) return field.required ? { key: 'errorRequired', params: { field: field.label } } : null
  if (field.type === 'email' && !EMAIL_PATTERN.test(text)) return { key: 'errorEmail' }
  if (field.type === 'phone' && !PHONE_PATTERN.test(normalisePhone(text))) return { key: 'errorPhone' }
  if (field.type === 'number' && !Number.isFinite(Number(text))) return { key: 'errorNumber' }
  if (field.type === 'link') {
    try {
      const url = new URL(text)
      if (!/^https?:$/.test(url.protocol)) return { key: 'errorUrl' }
    } catch {
      return { key: 'errorUrl' }
    }
  }
  if (field.type === 'list' && field.values?.length && !field.values.includes(text)) {
    return { key: 'errorRequired', params: { field: field.label } }
  }
  if (field.regex_pattern) {
    let pattern: RegExp | null = null
    try {
      pattern = new RegExp(field.regex_pattern)
    } catch {
      pattern = null
    }
    if (pattern && !pattern.test(text)) {
      return { key: 'errorPattern', params: { field: field.label }, text: field.regex_cue || undefined }
    }
  }
  return null
}

export function validateForm(
  fields: PreChatField[],
  values: Record<string, FieldValue>,
  message: string,
): Record<string, FieldError> {
  const errors: Record<string, FieldError> = {}
  for (const field of fields) {
    const error = validateField(field, values[field.name])
    if (error) errors[field.name] = error
  }
  if (!message.trim()) errors.message = { key: 'errorRequired', params: { field: 'message' } }
  return errors
}

export interface ConversationBody {
  contact: { name?: string; email?: string; phone_number?: string; custom_attributes?: Record<string, FieldValue> }
  message: { content: string; timestamp: string; referer_url: string }
  custom_attributes: Record<string, FieldValue>
}

export function conversationBody(
  fields: PreChatField[],
  values: Record<string, FieldValue>,
  message: string,
  context: { refererUrl: string; timestamp: string },
): ConversationBody {
  const contact: ConversationBody['contact'] = {}
  const contactAttributes: Record<string, FieldValue> = {}
  const conversationAttributes: Record<string, FieldValue> = {}
  for (const field of fields) {
    const raw = values[field.name]
    if (raw === undefined || raw === '') continue
    const value = typeof raw === 'string' ? raw.trim() : raw
    if (field.name === 'fullName') contact.name = String(value)
    else if (field.name === 'emailAddress') contact.email = String(value)
    else if (field.name === 'phoneNumber') contact.phone_number = normalisePhone(String(value))
    else if (field.field_type === 'conversation_attribute') conversationAttributes[field.name] = value
    else contactAttributes[field.name] = value
  }
  if (Object.keys(contactAttributes).length) contact.custom_attributes = contactAttributes
  return {
    contact,
    message: { content: message.trim(), timestamp: context.timestamp, referer_url: context.refererUrl },
    custom_attributes: conversationAttributes,
  }
}
