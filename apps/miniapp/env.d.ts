/// <reference types="vite/client" />
/// <reference types="@dcloudio/types" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface ImportMetaEnv {
  readonly VITE_API_BASE?: string;
  readonly VITE_API_TIMEOUT_MS?: string;
  readonly VITE_ALLOW_API_OVERRIDE?: string;
  readonly VITE_ICON_FONT_URL?: string;
  readonly VITE_SANDBOX_URL?: string;
}
interface ImportMeta {
  readonly env: ImportMetaEnv;
}
