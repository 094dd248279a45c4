import { describe, expect, it } from 'vitest'
import { conversationBody, formFields, validateField, validateForm, type PreChatField } from './prechat'

// Chatwoot's default pre_chat_fields, all enabled here, plus two custom attributes.
const OPTIONS = {
  pre_chat_message: 'Share your queries or comments here.',
  pre_chat_fields: [
    { field_type: 'standard', label: 'Email Id', name: 'emailAddress', type: 'email', required: true, enabled: true },
    { field_type: 'standard', label: 'Full name', name: 'fullName', type: 'text', required: false, enabled: true },
    { field_type: 'standard', label: 'Phone number', name: 'phoneNumber', type: 'text', required: false, enabled: true },
    {
      field_type: 'conversation_attribute',
      label: 'Order',
      name: 'order_id',
      type: 'text',
      required: true,
      enabled: true,
      regex_pattern: '^ORD-\\d+$',
      regex_cue: 'Looks like ORD-123',
    },
    { field_type: 'contact_attribute', label: 'Plan', name: 'plan', type: 'list', values: ['free', 'pro'], enabled: true },
    { field_type: 'standard', label: 'Hidden', name: 'hidden', type: 'text', enabled: false },
    'garbage',
  ],
}

describe('pre-chat fields', () => {
  it('keeps the enabled ones, phone typed as phone', () => {
    const fields = formFields(OPTIONS)
    expect(fields.map((f) => [f.name, f.type])).toEqual([
      ['emailAddress', 'email'],
      ['fullName', 'text'],
      ['phoneNumber', 'phone'],
      ['order_id', 'text'],
      ['plan', 'list'],
    ])
  })

  it('skips what the contact already told us; a generated name alone is not a name', () => {
    const anonymous = formFields(OPTIONS, { has_name: true })
    expect(anonymous.map((f) => f.name)).toEqual(['emailAddress', 'fullName', 'phoneNumber', 'order_id', 'plan'])
    const withEmail = formFields(OPTIONS, { has_email: true, has_name: true })
    expect(withEmail.map((f) => f.name)).toEqual(['phoneNumber', 'order_id', 'plan'])
    const identified = formFields(OPTIONS, { identifier: 'u-1', has_phone_number: true })
    expect(identified.map((f) => f.name)).toEqual(['emailAddress', 'order_id', 'plan'])
    expect(formFields(null)).toEqual([])
    expect(formFields({ pre_chat_fields: 'x' })).toEqual([])
  })
})

describe('validation', () => {
  const fields = formFields(OPTIONS)
  const field = (name: string): PreChatField => fields.find((f) => f.name === name)!

  it('names the missing required fields, and the message', () => {
    const errors = validateForm(fields, {}, '  ')
    expect(Object.keys(errors).sort()).toEqual(['emailAddress', 'message', 'order_id'])
    expect(errors.emailAddress).toEqual({ key: 'errorRequired', params: { field: 'Email Id' } })
  })

  it('checks emails, phone numbers with a country code, lists and patterns', () => {
    expect(validateField(field('emailAddress'), 'ada@example')).toEqual({ key: 'errorEmail' })
    expect(validateField(field('emailAddress'), ' ada@example.com ')).toBeNull()
    expect(validateField(field('phoneNumber'), '0612345678')).toEqual({ key: 'errorPhone' })
    expect(validateField(field('phoneNumber'), '+31 (6) 1234-5678')).toBeNull()
    expect(validateField(field('phoneNumber'), '')).toBeNull()
    expect(validateField(field('plan'), 'enterprise')?.key).toBe('errorRequired')
    expect(validateField(field('order_id'), 'order 5')).toEqual({
      key: 'errorPattern',
      params: { field: 'Order' },
      text: 'Looks like ORD-123',
    })
    expect(validateField(field('order_id'), 'ORD-55')).toBeNull()
  })

  it('survives a broken pattern and checks links and numbers', () => {
    const broken = { ...field('order_id'), regex_pattern: '([' }
    expect(validateField(broken, 'anything')).toBeNull()
    const link = { ...field('fullName'), type: 'link' }
    expect(validateField(link, 'javascript:alert(1)')).toEqual({ key: 'errorUrl' })
    expect(validateField(link, 'https://example.com/a')).toBeNull()
    expect(validateField({ ...field('fullName'), type: 'number' }, '12a')).toEqual({ key: 'errorNumber' })
    expect(validateField({ ...field('fullName'), type: 'checkbox', required: true }, false)?.key).toBe('errorRequired')
  })
})

describe('the POST /conversations body', () => {
  it('puts standard fields on the contact, attributes where they belong', () => {
    const fields = formFields(OPTIONS)
    const body = conversationBody(
      fields,
      {
        emailAddress: ' ada@example.com ',
        fullName: 'Ada Lovelace',
        phoneNumber: '+31 6 1234 5678',
        order_id: 'ORD-1',
        plan: 'pro',
      },
      '  My order is late ',
      { refererUrl: 'https://shop.example.com/cart', timestamp: 'now' },
    )
    expect(body).toEqual({
      contact: {
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        phone_number: '+31612345678',
        custom_attributes: { plan: 'pro' },
      },
      message: { content: 'My order is late', timestamp: 'now', referer_url: 'https://shop.example.com/cart' },
      custom_attributes: { order_id: 'ORD-1' },
    })
  })
})
