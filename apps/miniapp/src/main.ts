import { createSSRApp } from 'vue';
import App from './App.vue';
import { installHttpInterceptors } from './api/interceptors';
import { createStore } from './store';
import { installUview } from './ui/uview';

export function createApp() {
  const app = createSSRApp(App);
  app.use(createStore());
  installUview(app);
  installHttpInterceptors();
  return { app };
}
