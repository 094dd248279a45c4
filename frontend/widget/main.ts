import { createApp } from 'vue'
import App from './App.vue'
import { boot } from './lib/store'
import './style.css'

createApp(App).mount('#app')
void boot()
