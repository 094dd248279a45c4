// Wire shapes of the Chatwoot-compatible API, as far as the dashboard reads them.

export interface Sender {
  id: number
  name: string | null
  email?: string | null
  phone_number?: string | null
  type?: string
  thumbnail?: string
  available_name?: string
  custom_attributes?: Record<string, unknown>
  additional_attributes?: Record<string, unknown>
}

/** A file on a message (the ``attachments`` of a message payload; present only when it has files). */
export interface Attachment {
  id: number
  message_id: number
  file_type: string // "image" | "audio" | "video" | "file" | …
  account_id?: number
  extension?: string | null
  content_type?: string | null
  data_url: string
  thumb_url: string // "" for non-images
  file_size: number
  width?: number | null
  height?: number | null
}

/** One row of GET …/conversations/{id}/attachments (newest first). */
export interface ConversationAttachment {
  id: number
  message_id: number
  file_type: string
  extension?: string | null
  data_url: string
  thumb_url: string
  file_size: number
  width?: number | null
  height?: number | null
  created_at: number
  sender?: Sender | null
}

/** A file chosen in the composer, before it is sent. */
export interface LocalFile {
  key: string
  file: File
  // A data: URL (the dashboard's CSP allows data: images, not blob:) for image previews.
  preview: string | null
}

export interface Message {
  id: number
  content: string | null
  conversation_id: number
  inbox_id?: number
  message_type: number // 0 incoming, 1 outgoing, 2 activity, 3 template
  content_type?: string
  private: boolean
  created_at: number
  status?: string
  sender?: Sender | null
  echo_id?: string | null
  conversation?: { assignee_id: number | null; unread_count: number; last_activity_at: number }
  attachments?: Attachment[]
  // Client-side only: the names and sizes of the files an optimistic send is uploading.
  localFiles?: { name: string; size: number }[]
  // Client-side only: an optimistic send waiting for the server, or one that failed.
  pending?: boolean
  failed?: boolean
}

export interface Agent {
  id: number
  name: string
  available_name?: string
  email?: string
  role?: string
  availability_status?: string
}

export interface Team {
  id: number
  name: string
  description?: string | null
}

export interface Conversation {
  id: number
  inbox_id: number
  status: string
  unread_count: number
  last_activity_at: number
  created_at: number
  timestamp?: number
  waiting_since?: number | null
  priority: string | null
  labels: string[]
  snoozed_until?: number | null
  messages: Message[]
  last_non_activity_message?: Message | null
  meta: {
    sender: Sender
    assignee?: Agent | null
    team?: Team | null
    channel?: string
  }
}

export interface Counts {
  mine_count: number
  unassigned_count: number
  all_count: number
}

export type Tab = 'mine' | 'unassigned' | 'all'
export type StatusFilter = 'open' | 'pending' | 'snoozed' | 'resolved' | 'all'
export type SortKey = 'last_activity_at_desc' | 'created_at_desc' | 'created_at_asc' | 'priority_desc' | 'waiting_since_asc'

export interface Filters {
  tab: Tab
  status: StatusFilter
  inboxId: number | null
  teamId: number | null
  label: string | null
  sort: SortKey
}

export interface Profile {
  id: number
  name: string
  email: string
  access_token: string
  account_id: number | null
  pubsub_token: string
  role: string | null
  available_name: string
  accounts: { id: number; name: string; role: string }[]
}

export interface Inbox {
  id: number
  name: string
  channel_type: string // "Channel::Api" | "Channel::WebWidget"
  webhook_url?: string | null
  inbox_identifier?: string | null
  hmac_token?: string | null
  secret?: string | null
  // The inbox's own settings (every channel type).
  greeting_enabled?: boolean
  greeting_message?: string | null
  enable_email_collect?: boolean
  csat_survey_enabled?: boolean
  allow_messages_after_resolved?: boolean
  working_hours_enabled?: boolean
  out_of_office_message?: string | null
  timezone?: string
  working_hours?: WorkingHour[]
  // Channel::WebWidget only (``hmac_token`` for administrators only).
  website_url?: string | null
  widget_color?: string | null
  welcome_title?: string | null
  welcome_tagline?: string | null
  reply_time?: string | null
  web_widget_script?: string | null
  website_token?: string | null
  selected_feature_flags?: string[] | null
  hmac_mandatory?: boolean | null
  allowed_domains?: string | null
  pre_chat_form_enabled?: boolean
  pre_chat_form_options?: PreChatFormOptions
  continuity_via_email?: boolean
}

export const WEB_WIDGET = 'Channel::WebWidget'

export type ReplyTime = 'in_a_few_minutes' | 'in_a_few_hours' | 'in_a_day'

/** One day of an inbox's week (``day_of_week`` 0 = Sunday). */
export interface WorkingHour {
  day_of_week: number
  closed_all_day: boolean
  open_hour: number | null
  open_minutes: number | null
  close_hour: number | null
  close_minutes: number | null
  open_all_day: boolean
}

/** A field of the website widget's pre-chat form (``field_type`` "standard" for email, name and phone). */
export interface PreChatField {
  field_type: string
  label: string
  name: string
  type: string
  required: boolean
  enabled: boolean
  placeholder?: string
  [key: string]: unknown
}

export interface PreChatFormOptions {
  pre_chat_message?: string
  pre_chat_fields?: PreChatField[]
  [key: string]: unknown
}

export interface Label {
  id: number
  title: string
  description?: string | null
  color?: string
}

export interface Contact {
  id: number
  name: string | null
  email: string | null
  phone_number: string | null
  identifier?: string | null
  custom_attributes: Record<string, unknown>
  additional_attributes: Record<string, unknown>
  created_at?: number
  last_activity_at?: number | null
}
