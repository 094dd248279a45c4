import { createRouter, createWebHistory } from 'vue-router'
import { restoreSession, session, setUnauthorizedHandler } from './lib/api'
import { startLive, stopLive } from './lib/live'
import ContactsView from './views/ContactsView.vue'
import ContactView from './views/ContactView.vue'
import ConversationsView from './views/ConversationsView.vue'
import ProfileView from './views/ProfileView.vue'
import SettingsView from './views/SettingsView.vue'
import SignInView from './views/SignInView.vue'
import WebsiteInboxView from './views/WebsiteInboxView.vue'

export const router = createRouter({
  history: createWebHistory('/app/'),
  routes: [
    { path: '/', redirect: '/conversations' },
    { path: '/login', name: 'login', component: SignInView, meta: { public: true } },
    { path: '/conversations', name: 'conversations', component: ConversationsView },
    { path: '/conversations/:id', name: 'conversation', component: ConversationsView },
    { path: '/contacts', name: 'contacts', component: ContactsView },
    { path: '/contacts/:id', name: 'contact', component: ContactView },
    { path: '/settings', redirect: '/settings/inboxes' },
    { path: '/settings/inboxes/:id(\\d+)', name: 'inbox-settings', component: WebsiteInboxView },
    { path: '/settings/:section', name: 'settings', component: SettingsView },
    { path: '/profile', name: 'profile', component: ProfileView },
    { path: '/:rest(.*)*', redirect: '/conversations' },
  ],
})

router.beforeEach(async (to) => {
  if (!session.checked) await restoreSession()
  if (to.meta.public) return true
  if (!session.profile) return { name: 'login', query: to.fullPath !== '/conversations' ? { next: to.fullPath } : {} }
  startLive(session.profile)
  return true
})

setUnauthorizedHandler(() => {
  if (!session.profile) return
  session.profile = null
  stopLive()
  void router.push({ name: 'login' })
})
