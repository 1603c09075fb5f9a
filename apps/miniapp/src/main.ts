import { createSSRApp } from 'vue';
import uviewPlus from 'uview-plus';
import App from './App.vue';
import { installHttpInterceptors } from './api/interceptors';
import { createStore } from './store';

export function createApp() {
  const app = createSSRApp(App);
  app.use(createStore());
  app.use(uviewPlus);
  installHttpInterceptors();
  return { app };
}
