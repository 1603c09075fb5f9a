/// <reference types="vite/client" />
/// <reference types="@dcloudio/types" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare module 'virtual:uview-icon-font' {
  /** uview-plus's icon font as shipped in its npm package: a URL h5 serves, a data: URL in the mini-program. */
  const url: string;
  export default url;
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

/** uCharts ships JavaScript only: the part of its surface the admin's stats chart uses. */
declare module '@qiun/ucharts' {
  interface UChartsOptions {
    type: string;
    context: unknown;
    canvasId?: string;
    width: number;
    height: number;
    categories: string[];
    series: { name: string; data: number[]; color?: string }[];
    [option: string]: unknown;
  }
  export default class UCharts {
    constructor(options: UChartsOptions);
  }
}
