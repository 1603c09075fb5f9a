/**
 * Runs the production mp-weixin bundle in Node with WeChat's own component framework: the
 * official `miniprogram-simulate` / `j-component` (exparser, the framework inside WeChat's client)
 * render each page's WXML into jsdom and drive `Component` lifecycles, and this file provides what
 * WeChat's client provides around them — the globals `wx`, `App`, `Page`, `getApp`,
 * `getCurrentPages` (`Component` is j-component's), a page stack, and the `wx` APIs the shop uses:
 *
 * - `wx.request` goes over real HTTP. Only the origins given in `requestOrigins` may be called (like
 *   the request 合法域名 list of the WeChat admin console); each is mapped to where that server runs
 *   in the test, so one cached build serves every run.
 * - `wx.login` answers a sandbox code, `sandbox:<openid>` (the sandbox's jscode2session accepts it).
 * - `wx.requestPayment` does what WeChat's client does with the five parameters: checks their shape,
 *   then has WeChat Pay (the sandbox's `POST /sandbox/pay`) verify `paySign` over the mini-program's
 *   appId and settle the prepay; a bad signature or package fails the call and is recorded.
 * - navigation keeps a page stack and loads the target page from the bundle; storage is in memory.
 * - every other name of WeChat's `wx` API (from the official typings) is present and throws when
 *   called, naming itself, and is recorded in `missing`: never a silent no-op.
 *
 * One mini-program per process: the globals are the process's (vitest runs each test file in its
 * own worker).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { wechatApiNames } from './wx-api';

const require = createRequire(import.meta.url);

export interface MiniProgramOptions {
  /** the output of `uni build -p mp-weixin` (copied: the copy is what runs) */
  bundleDir: string;
  /** build-time origin → the origin it is served from in the test (the request 合法域名) */
  requestOrigins: Record<string, string>;
  /** the WeChat Pay sandbox, which stands for WeChat Pay behind `wx.requestPayment` */
  sandboxUrl: string;
  /** the mini-program's appId: WeChat's client pays with it, and the paySign covers it */
  appId: string;
  /** who is logged in to WeChat on this phone */
  openid: string;
  /** what the shopper picks in WeChat's address sheet (`wx.chooseAddress`) */
  address?: Record<string, string>;
  /** what the phone's storage holds before launch (a phone that has run the app before) */
  storage?: ReadonlyMap<string, unknown>;
  /** console.error of the bundle (also recorded in `errors`) */
  log?: (line: string) => void;
}

type Callbacks = {
  success?: (res: unknown) => void;
  fail?: (res: { errMsg: string }) => void;
  complete?: (res: unknown) => void;
};
type AnyOptions = Record<string, unknown> & Callbacks;

export interface PaymentRecord {
  params: Record<string, unknown>;
  status: number;
  body: unknown;
  outcome: 'paid' | 'cancelled' | 'rejected';
}

export interface Modal {
  title: string;
  content: string;
  confirmText: string;
  cancelText: string;
  /** the shopper's tap on one of the two buttons */
  tap(button: 'confirm' | 'cancel'): void;
}

interface PageEntry {
  route: string;
  query: Record<string, string>;
  comp: JComponent;
  host: HTMLElement;
}

/** A node of exparser's tree (`miniprogram-exparser` ships no types): what this runtime reads. */
interface ExNode {
  /** the DOM element that shows it (none for a virtual host) */
  $$?: unknown;
  dataset?: Record<string, unknown>;
  shadowRoot?: unknown;
  childNodes?: unknown[];
  value?: unknown;
  triggerLifeTime(name: string): void;
}

interface Exparser {
  Component: abstract new () => ExNode;
  Element: (abstract new () => ExNode) & {
    pretendAttached(node: ExNode): void;
    pretendDetached(node: ExNode): void;
  };
  Event: {
    create(type: string, detail: Record<string, unknown>, options: Record<string, unknown>): unknown;
    dispatchEvent(node: ExNode, event: unknown): void;
  };
}

/** The page instance WeChat's framework hands to page code (`this` of a page's methods). */
type PageInstance = Record<string, unknown> &
  Partial<Record<'onLoad' | 'onShow' | 'onHide' | 'onUnload' | 'onPullDownRefresh', (arg?: unknown) => unknown>>;

/** j-component's rendered component (only what is used here). */
interface JComponent {
  dom: HTMLElement;
  instance: PageInstance;
  _exparserNode: ExNode;
}

interface Simulate {
  load(componentPath: string, options: Record<string, unknown>): string;
  render(id: string): JComponent;
}

interface AppInstance {
  onLaunch?: (options: unknown) => void;
  onShow?: (options: unknown) => void;
}

type WxFunction = (...args: never[]) => unknown;

/** exparser's node behind a rendered DOM element. */
function wxElementOf(el: Element): ExNode | undefined {
  return (el as Element & { __wxElement?: ExNode }).__wxElement;
}

interface AppJson {
  pages: string[];
  subPackages?: { root: string; pages: string[] }[];
  tabBar?: { list: { pagePath: string }[] };
}

const MAX_PAGE_STACK = 10; // WeChat keeps at most ten pages in the stack

export class MiniProgram {
  /** every `wx` API the bundle called, with how often */
  readonly calls = new Map<string, number>();
  /** APIs the bundle called that this runtime does not implement */
  readonly missing = new Set<string>();
  /** console.error lines and uncaught errors from the bundle */
  readonly errors: string[] = [];
  readonly toasts: { title: string; icon?: string }[] = [];
  /** The badge WeChat draws on each tab of its tab bar (by index), as setTabBarBadge left it. */
  readonly tabBadges = new Map<number, string>();
  readonly payments: PaymentRecord[] = [];
  readonly storage = new Map<string, unknown>();
  /** network URLs the bundle asked WeChat to fetch outside `wx.request` (fonts, preloaded images) */
  readonly assetUrls: { api: string; url: string }[] = [];
  /** fonts the bundle loaded from data: URLs (what `wx.loadFontFace` registered) */
  readonly fonts: { family: string; bytes: number; global: boolean }[] = [];
  /**
   * What the bundle drew on each canvas (by canvas-id) through `wx.createCanvasContext`: j-component
   * has no canvas, so every drawing call is recorded by name and `draw()` counts a finished frame.
   */
  readonly canvases = new Map<string, { calls: string[]; texts: string[]; frames: number }>();
  /** names this runtime implements */
  readonly implemented: string[];
  readonly dir: string;

  private readonly stack: PageEntry[] = [];
  /** tab pages switched away from: hidden, alive, off the stack */
  private readonly tabPages = new Map<string, PageEntry>();
  private readonly appJson: AppJson;
  private readonly dom: JSDOM;
  private simulate!: Simulate;
  private exparser!: Exparser;
  private app: AppInstance | undefined;
  private pendingModals: Modal[] = [];
  private nextPayment: 'confirm' | 'cancel' | 'tamper' = 'confirm';
  private readonly appShowListeners: ((o: unknown) => void)[] = [];
  private readonly privacyListeners: ((resolve: (r: unknown) => void, ev: unknown) => void)[] = [];
  private readonly appHideListeners: ((o: unknown) => void)[] = [];
  private readonly wxApi: Record<string, WxFunction>;
  private webviewId = 0;

  constructor(private readonly options: MiniProgramOptions) {
    // Outside any `"type": "module"` package: the bundle is CommonJS, loaded with `require`.
    this.dir = mkdtempSync(path.join(tmpdir(), 'uc-mp-weixin-'));
    cpSync(options.bundleDir, this.dir, { recursive: true });
    this.appJson = JSON.parse(readFileSync(path.join(this.dir, 'app.json'), 'utf8')) as AppJson;
    for (const [key, value] of options.storage ?? []) this.storage.set(key, value);
    this.dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true });
    const api = this.api();
    this.implemented = Object.keys(api).sort();
    this.wxApi = api;
  }

  /** Installs the globals, loads `app.js` (the bundle's `App(...)`), launches and opens the home page. */
  async launch(): Promise<void> {
    const g = globalThis as Record<string, unknown>;
    const win = this.dom.window as unknown as Record<string, unknown>;
    g.window = win;
    g.document = win.document;
    for (const name of ['Node', 'Element', 'HTMLElement', 'TouchEvent', 'getComputedStyle']) g[name] = win[name];
    g.requestAnimationFrame = (cb: (t: number) => void) => setTimeout(() => cb(Date.now()), 16);
    g.cancelAnimationFrame = (id: ReturnType<typeof setTimeout>) => clearTimeout(id);
    this.simulate = require('miniprogram-simulate');
    this.exparser = createRequire(require.resolve('j-component'))('miniprogram-exparser');

    // WeChat's `wx`: every API name of the official typings is a property, as in WeChat's client.
    const wx: Record<string, unknown> = {};
    for (const name of new Set([...wechatApiNames(), ...this.implemented])) {
      const impl = this.wxApi[name];
      wx[name] = (...args: unknown[]) => {
        this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
        if (!impl) {
          this.missing.add(name);
          throw new Error(`wx.${name} is not implemented by the mp-weixin test runtime`);
        }
        return (impl as (...a: unknown[]) => unknown)(...args);
      };
    }
    g.wx = wx;
    g.App = (appOptions: AppInstance) => {
      if (this.app) throw new Error('App() called twice');
      this.app = appOptions;
    };
    g.getApp = () => this.app;
    g.getCurrentPages = () => this.stack.map((p) => p.comp.instance);
    g.Page = () => {
      throw new Error('Page() is not used by uni-app builds: pages are Component()s (wx.createPage)');
    };
    const consoleError = console.error;
    console.error = (...args: unknown[]) => {
      const line = args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(' ');
      // uni-app's fallback for an API that `wx` lacks: an error log instead of a call
      const unsupported = /暂不支持(\w+)/.exec(line);
      if (unsupported) this.missing.add(unsupported[1]!);
      this.errors.push(line);
      (this.options.log ?? consoleError)(line);
    };

    require(path.join(this.dir, 'app.js'));
    if (!this.app) throw new Error('app.js did not call App()');
    const launchOptions = this.launchOptions();
    this.app.onLaunch?.call(this.app, launchOptions);
    this.app.onShow?.call(this.app, launchOptions);
    for (const listener of this.appShowListeners) listener(launchOptions);
    this.openPage(this.appJson.pages[0]!, {});
    await settle();
  }

  /** Every page route of app.json, subpackages included. */
  get routes(): string[] {
    return [
      ...this.appJson.pages,
      ...(this.appJson.subPackages ?? []).flatMap((s) => s.pages.map((p) => `${s.root}/${p}`)),
    ];
  }

  get currentRoute(): string {
    return this.top().route;
  }

  get pageStack(): string[] {
    return this.stack.map((p) => p.route);
  }

  /**
   * Opens a page from outside the app, as WeChat does for a link or a scanned code that names a
   * page path: the page stack starts afresh with that page.
   */
  async open(url: string): Promise<void> {
    const { route, query } = this.resolveUrl(url.startsWith('/') ? url : `/${url}`);
    this.unloadAll();
    this.openPage(route, query);
    await settle();
  }

  /** A tap on WeChat's own tab bar (drawn by the client, not by WXML): `switchTab` to that page. */
  async tapTab(route: string): Promise<void> {
    if (!this.isTabPage(route)) throw new Error(`"${route}" is not in app.json's tabBar`);
    this.switchTabTo(route);
    await settle();
  }

  /** The shopper answers the next `wx.requestPayment` by cancelling the pay sheet instead of paying. */
  cancelNextPayment(): void {
    this.nextPayment = 'cancel';
  }

  /**
   * Fault: the next `wx.requestPayment` reaches WeChat Pay with one character of its paySign changed,
   * as a merchant server signing with the wrong key would produce. WeChat Pay must refuse it.
   */
  tamperNextPaySign(): void {
    this.nextPayment = 'tamper';
  }

  close(): void {
    this.unloadAll();
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ----- what the shopper sees and does --------------------------------------------------------

  /**
   * Elements of the current page with this `data-testid`, in tree order, inside child components too.
   * Searched in exparser's tree, not the DOM: a uview-plus component is a virtual host (no node of its
   * own in the rendered page), so its `data-testid` lives on the exparser node only; the element
   * returned for it is the first one it renders (a uview button's `<button>`).
   */
  all(testId: string): HTMLElement[] {
    const found: HTMLElement[] = [];
    const { Component, Element } = this.exparser;
    const visit = (node: ExNode): void => {
      if (node instanceof Element && node.dataset?.testid === testId) {
        const el = this.rendered(node);
        if (el && !found.includes(el)) found.push(el);
      }
      if (node instanceof Component && node.shadowRoot instanceof Element) visit(node.shadowRoot);
      for (const child of node.childNodes ?? []) if (child instanceof Element) visit(child);
    };
    visit(this.top().comp._exparserNode);
    return found;
  }

  /** The DOM element that shows an exparser node: its own, or for a virtual host the first it renders. */
  private rendered(node: ExNode): HTMLElement | undefined {
    if (node.$$ instanceof (window as unknown as { HTMLElement: typeof HTMLElement }).HTMLElement) {
      return node.$$ as HTMLElement;
    }
    const { Component, Element } = this.exparser;
    const kids = [
      ...(node instanceof Component && node.shadowRoot instanceof Element ? [node.shadowRoot] : []),
      ...(node.childNodes ?? []),
    ];
    for (const child of kids) {
      if (!(child instanceof Element)) continue;
      const el = this.rendered(child);
      if (el) return el;
    }
    return undefined;
  }

  /** The visible text of an element, whitespace collapsed. */
  static text(el: Element): string {
    return (el.textContent ?? '').replace(/\s+/g, ' ').trim();
  }

  /** Text of the first element with this test id, waiting for it to render. */
  async text(testId: string, timeoutMs = 10_000): Promise<string> {
    return MiniProgram.text(await this.find(testId, timeoutMs));
  }

  async find(testId: string, timeoutMs = 10_000): Promise<HTMLElement> {
    let found: HTMLElement | undefined;
    await this.waitFor(
      () => {
        found = this.all(testId)[0];
        return found !== undefined;
      },
      `[data-testid="${testId}"] on ${this.currentRoute}`,
      timeoutMs,
    );
    return found!;
  }

  /** Polls `check` (every 20 ms, at most `timeoutMs`) while the bundle's timers and requests run. */
  async waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // components the page rendered since (a v-if turned true) are laid out: WeChat sends them `ready`
      const page = this.stack.at(-1);
      if (page) this.readyTree(page.comp._exparserNode);
      if (check()) return;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}\npage stack: ${this.pageStack.join(' > ')}\n` +
            `page text: ${MiniProgram.text(this.top().host).slice(0, 2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async waitForRoute(route: string, timeoutMs = 10_000): Promise<void> {
    await this.waitFor(() => this.stack.length > 0 && this.currentRoute === route, `page ${route}`, timeoutMs);
    await settle();
  }

  /** A tap on the element (or, for a custom component such as a uview button, on what it renders). */
  async tap(target: string | HTMLElement): Promise<void> {
    const el = typeof target === 'string' ? await this.find(target) : target;
    this.dispatch(this.innermost(el), 'tap', { x: 0, y: 0 });
    await settle();
  }

  /** Typing into an `<input>`/`<textarea>` (or the one a uview input renders): WeChat's `input` event. */
  async type(target: string | HTMLElement, value: string): Promise<void> {
    const el = typeof target === 'string' ? await this.find(target) : target;
    const field = el.matches('wx-input, wx-textarea')
      ? el
      : (el.querySelector<HTMLElement>('wx-input, wx-textarea') ?? undefined);
    if (!field) throw new Error(`no <input> or <textarea> in ${el.tagName}`);
    const node = wxElementOf(field);
    if (node) node.value = value;
    this.dispatch(field, 'input', { value, cursor: value.length, keyCode: 0 });
    this.dispatch(field, 'blur', { value });
    await settle();
  }

  /** A modal (`wx.showModal`) that is on screen, waiting for it. */
  async modal(timeoutMs = 10_000): Promise<Modal> {
    await this.waitFor(() => this.pendingModals.length > 0, 'a modal', timeoutMs);
    return this.pendingModals.shift()!;
  }

  /** Pull-down refresh on the current page (WeChat calls the page's onPullDownRefresh). */
  async pullDownRefresh(): Promise<void> {
    this.top().comp.instance.onPullDownRefresh?.();
    await settle();
  }

  // ----- page stack ------------------------------------------------------------------------------

  private top(): PageEntry {
    const page = this.stack.at(-1);
    if (!page) throw new Error('no page is open');
    return page;
  }

  private resolveUrl(url: string): { route: string; query: Record<string, string> } {
    const [rawPath = '', search = ''] = url.split('?');
    let route = rawPath;
    if (!route.startsWith('/')) route = path.posix.join(path.posix.dirname(`/${this.currentRoute}`), route);
    route = route.replace(/^\/+/, '');
    const query: Record<string, string> = {};
    // WeChat hands onLoad the query values still URL-encoded
    for (const pair of search.split('&').filter(Boolean)) {
      const i = pair.indexOf('=');
      query[i < 0 ? pair : pair.slice(0, i)] = i < 0 ? '' : pair.slice(i + 1);
    }
    return { route, query };
  }

  /** Each page's component, loaded once (its code run, its templates and styles compiled), by route. */
  private readonly pageComponents = new Map<string, string>();

  private openPage(route: string, query: Record<string, string>): void {
    if (!this.routes.includes(route)) throw new Error(`page "${route}" is not found`);
    // WeChat runs a page's code once per launch: every later visit is a new instance of what it defined
    let id = this.pageComponents.get(route);
    if (id === undefined) {
      id = this.simulate.load(path.join(this.dir, route), { rootPath: this.dir, compiler: 'official' });
      this.pageComponents.set(route, id);
    }
    const comp = this.simulate.render(id) as JComponent;
    const instance = comp.instance;
    // what WeChat's framework sets on a page instance before it is attached
    this.webviewId += 1;
    instance.route = route;
    instance.__route__ = route;
    instance.__wxWebviewId__ = this.webviewId;
    instance.options = query;
    const host = document.createElement('div');
    host.setAttribute('data-route', route);
    document.body.appendChild(host);
    host.appendChild(comp.dom);
    this.stack.push({ route, query, comp, host });
    // WeChat's order for a page: attached, onLoad, onShow, ready (onReady)
    this.exparser.Element.pretendAttached(comp._exparserNode);
    instance.onLoad?.(query);
    instance.onShow?.();
    this.readyTree(comp._exparserNode);
  }

  /** Components that had their `ready`: WeChat sends it once per component, after its first layout. */
  private readonly readied = new WeakSet<object>();

  private readyTree(node: ExNode): void {
    const { Component, Element } = this.exparser;
    if (node instanceof Component && node.shadowRoot instanceof Element) this.readyTree(node.shadowRoot);
    if (node instanceof Component && !this.readied.has(node)) {
      this.readied.add(node);
      node.triggerLifeTime('ready');
    }
    for (const child of node.childNodes ?? []) if (child instanceof Element) this.readyTree(child);
  }

  private hideTop(): void {
    const page = this.stack.at(-1);
    if (!page) return;
    page.comp.instance.onHide?.();
    page.host.style.display = 'none';
  }

  private showTop(): void {
    const page = this.top();
    page.host.style.display = '';
    page.comp.instance.onShow?.();
  }

  private unloadTop(): void {
    const page = this.stack.pop();
    if (page) this.unload(page);
  }

  private unload(page: PageEntry): void {
    page.comp.instance.onUnload?.();
    this.exparser.Element.pretendDetached(page.comp._exparserNode);
    page.host.remove();
  }

  /** reLaunch: every page goes, the tab pages kept alive too. */
  private unloadAll(): void {
    while (this.stack.length) this.unloadTop();
    for (const page of this.tabPages.values()) this.unload(page);
    this.tabPages.clear();
  }

  /**
   * WeChat's switchTab: every non-tab page is closed, the tab page on screen is hidden but kept
   * alive, and a tab page opened before comes back as it was (onShow, no second onLoad).
   */
  private tabBadge(api: string, o: AnyOptions, text: string | null): void {
    later(() => {
      const index = Number(o.index);
      const tabs = this.appJson.tabBar?.list ?? [];
      if (!Number.isInteger(index) || index < 0 || index >= tabs.length) return fail(api, o, 'tabbar item not found');
      if (!this.isTabPage(this.currentRoute)) return fail(api, o, 'not TabBar page');
      if (text === null) this.tabBadges.delete(index);
      else this.tabBadges.set(index, text);
      return ok(api, o);
    });
  }

  private switchTabTo(route: string): void {
    while (this.stack.length) {
      const top = this.stack.at(-1)!;
      if (this.isTabPage(top.route)) {
        this.hideTop();
        this.stack.pop();
        this.tabPages.set(top.route, top);
      } else {
        this.unloadTop();
      }
    }
    const kept = this.tabPages.get(route);
    if (kept) {
      this.tabPages.delete(route);
      this.stack.push(kept);
      this.showTop();
    } else {
      this.openPage(route, {});
    }
  }

  private isTabPage(route: string): boolean {
    return (this.appJson.tabBar?.list ?? []).some((t) => t.pagePath === route);
  }

  private navigate(kind: string, options: AnyOptions, run: (route: string, query: Record<string, string>) => void) {
    const { route, query } = this.resolveUrl(String(options.url ?? ''));
    later(() => {
      if (!this.routes.includes(route)) return fail(kind, options, `page "${route}" is not found`);
      if (kind !== 'switchTab' && kind !== 'reLaunch' && this.isTabPage(route)) {
        return fail(kind, options, 'can not navigateTo a tabbar page');
      }
      if (kind === 'switchTab' && !this.isTabPage(route)) {
        return fail(kind, options, 'can not switch to no-tabBar page');
      }
      run(route, query);
      ok(kind, options);
    });
  }

  // ----- the wx API ------------------------------------------------------------------------------

  private launchOptions() {
    return { path: this.appJson.pages[0], query: {}, scene: 1001, referrerInfo: {}, apiCategory: 'default' };
  }

  private api(): Record<string, WxFunction> {
    const systemInfo = {
      brand: 'devtools',
      model: 'iPhone 14',
      system: 'iOS 17.0',
      platform: 'ios',
      language: 'zh_CN',
      version: '8.0.50',
      SDKVersion: '3.5.0',
      pixelRatio: 3,
      screenWidth: 390,
      screenHeight: 844,
      windowWidth: 390,
      windowHeight: 844,
      statusBarHeight: 47,
      safeArea: { top: 47, left: 0, right: 390, bottom: 810, width: 390, height: 763 },
      theme: 'light',
      fontSizeSetting: 16,
      host: { appId: this.options.appId },
      enableDebug: false,
      deviceOrientation: 'portrait',
    };
    // WeChat keeps storage serialised: a value is copied in and out as JSON (reactive proxies included)
    const serialise = (data: unknown) => (data === undefined ? undefined : JSON.parse(JSON.stringify(data)));
    const storageGet = (key: string) => (this.storage.has(key) ? serialise(this.storage.get(key)) : undefined);
    return {
      // -- base and system
      getSystemInfoSync: () => ({ ...systemInfo }),
      getSystemInfo: (o: AnyOptions = {}) => later(() => ok('getSystemInfo', o, { ...systemInfo })),
      getWindowInfo: () => {
        const { pixelRatio, screenWidth, screenHeight, windowWidth, windowHeight, statusBarHeight, safeArea } =
          systemInfo;
        return {
          pixelRatio,
          screenWidth,
          screenHeight,
          windowWidth,
          windowHeight,
          statusBarHeight,
          safeArea,
          screenTop: 0,
        };
      },
      getDeviceInfo: () => {
        const { brand, model, system, platform, pixelRatio } = systemInfo;
        return { brand, model, system, platform, pixelRatio, benchmarkLevel: 1 };
      },
      getAppBaseInfo: () => {
        const { SDKVersion, language, version, theme, fontSizeSetting, host, enableDebug } = systemInfo;
        return { SDKVersion, language, version, theme, fontSizeSetting, host, enableDebug };
      },
      getAccountInfoSync: () => ({ miniProgram: { appId: this.options.appId, envVersion: 'release', version: '' } }),
      getLaunchOptionsSync: () => this.launchOptions(),
      getEnterOptionsSync: () => this.launchOptions(),
      getMenuButtonBoundingClientRect: () => ({ width: 87, height: 32, top: 51, right: 383, bottom: 83, left: 296 }),
      canIUse: (schema: string) => typeof schema === 'string' && schema.split('.')[0]! in this.wxApi,
      onAppShow: (fn: (o: unknown) => void) => void this.appShowListeners.push(fn),
      onAppHide: (fn: (o: unknown) => void) => void this.appHideListeners.push(fn),
      offAppShow: (fn: (o: unknown) => void) => remove(this.appShowListeners, fn),
      offAppHide: (fn: (o: unknown) => void) => remove(this.appHideListeners, fn),
      // the theme never changes in a test run: the listener is kept and never called
      onThemeChange: () => undefined,
      offThemeChange: () => undefined,
      nextTick: (fn: () => void) => void setTimeout(fn, 0),
      // A font inlined as a data: URL is decoded and must be a TrueType/OpenType/WOFF file; a network
      // font would be downloaded, and the test machine has no route to a CDN, so that call answers as
      // WeChat does offline, and the URL is recorded (third-party hosts show up here)
      loadFontFace: (o: AnyOptions) =>
        later(() => {
          const source = String(o.source ?? '');
          const inline = /^url\(\s*["']?data:[^;,]+(?:;[^;,]+)*;base64,([A-Za-z0-9+/=]+)["']?\s*\)$/.exec(source);
          if (!inline) {
            this.assetUrls.push({ api: 'loadFontFace', url: source });
            return fail('loadFontFace', o, 'network unreachable from the test runtime');
          }
          const font = Buffer.from(inline[1]!, 'base64');
          const magic = font.subarray(0, 4).toString('hex');
          if (!['00010000', '4f54544f', '774f4646', '774f4632', '74727565'].includes(magic)) {
            return fail('loadFontFace', o, `not a font file (starts ${magic})`);
          }
          this.fonts.push({ family: String(o.family ?? ''), bytes: font.length, global: o.global === true });
          ok('loadFontFace', o, { status: 'loaded' });
        }),
      preloadAssets: (o: AnyOptions) =>
        later(() => {
          for (const item of (o.data as { src?: string }[] | undefined) ?? []) {
            this.assetUrls.push({ api: 'preloadAssets', url: String(item.src ?? '') });
          }
          fail('preloadAssets', o, 'network unreachable from the test runtime');
        }),

      // -- network
      request: (o: AnyOptions) => this.request(o),

      // -- WeChat login and pay
      login: (o: AnyOptions = {}) => later(() => ok('login', o, { code: `sandbox:${this.options.openid}` })),
      requestPayment: (o: AnyOptions) => void this.requestPayment(o),
      // the address the shopper picks in WeChat's own address sheet
      chooseAddress: (o: AnyOptions = {}) =>
        later(() =>
          this.options.address
            ? ok('chooseAddress', o, { ...this.options.address })
            : fail('chooseAddress', o, 'cancel'),
        ),

      // WeChat's privacy authorisation (用户隐私保护): the test shopper has not agreed yet, so a
      // privacy API would first raise onNeedPrivacyAuthorization; the listener is kept for that
      getPrivacySetting: (o: AnyOptions = {}) =>
        later(() =>
          ok('getPrivacySetting', o, { needAuthorization: true, privacyContractName: '《小程序隐私保护指引》' }),
        ),
      onNeedPrivacyAuthorization: (fn: (resolve: (r: unknown) => void, ev: unknown) => void) =>
        void this.privacyListeners.push(fn),
      openPrivacyContract: (o: AnyOptions = {}) => later(() => ok('openPrivacyContract', o, {})),

      // -- storage (in memory, values copied as WeChat's serialisation does)
      setStorageSync: (key: string, data: unknown) => void this.storage.set(key, serialise(data)),
      getStorageSync: (key: string) => storageGet(key) ?? '',
      removeStorageSync: (key: string) => void this.storage.delete(key),
      clearStorageSync: () => this.storage.clear(),
      getStorageInfoSync: () => ({ keys: [...this.storage.keys()], currentSize: 0, limitSize: 10240 }),
      setStorage: (o: AnyOptions) =>
        later(() => {
          this.storage.set(String(o.key), serialise(o.data));
          ok('setStorage', o);
        }),
      getStorage: (o: AnyOptions) =>
        later(() =>
          this.storage.has(String(o.key))
            ? ok('getStorage', o, { data: storageGet(String(o.key)) })
            : fail('getStorage', o, 'data not found'),
        ),
      removeStorage: (o: AnyOptions) =>
        later(() => {
          this.storage.delete(String(o.key));
          ok('removeStorage', o);
        }),

      // -- navigation
      navigateTo: (o: AnyOptions) =>
        this.navigate('navigateTo', o, (route, query) => {
          if (this.stack.length >= MAX_PAGE_STACK) throw new Error('navigateTo:fail webview count limit exceed');
          this.hideTop();
          this.openPage(route, query);
        }),
      redirectTo: (o: AnyOptions) =>
        this.navigate('redirectTo', o, (route, query) => {
          this.unloadTop();
          this.openPage(route, query);
        }),
      reLaunch: (o: AnyOptions) =>
        this.navigate('reLaunch', o, (route, query) => {
          this.unloadAll();
          this.openPage(route, query);
        }),
      switchTab: (o: AnyOptions) => this.navigate('switchTab', o, (route) => this.switchTabTo(route)),
      navigateBack: (o: AnyOptions = {}) =>
        later(() => {
          if (this.stack.length <= 1) return fail('navigateBack', o, 'cannot navigate back at first page.');
          const delta = Math.max(1, Math.min(Number(o.delta ?? 1) || 1, this.stack.length - 1));
          for (let i = 0; i < delta; i++) this.unloadTop();
          this.showTop();
          ok('navigateBack', o);
        }),

      // -- interface: what WeChat draws over the page is recorded; a modal waits for the test's tap
      showToast: (o: AnyOptions) =>
        later(() => {
          this.toasts.push({ title: String(o.title ?? ''), icon: o.icon as string | undefined });
          ok('showToast', o);
        }),
      hideToast: (o: AnyOptions = {}) => later(() => ok('hideToast', o)),
      showLoading: (o: AnyOptions) => later(() => ok('showLoading', o)),
      hideLoading: (o: AnyOptions = {}) => later(() => ok('hideLoading', o)),
      showModal: (o: AnyOptions) => {
        this.pendingModals.push({
          title: String(o.title ?? ''),
          content: String(o.content ?? ''),
          confirmText: String(o.confirmText ?? '确定'),
          cancelText: String(o.cancelText ?? '取消'),
          tap: (button) =>
            later(() => ok('showModal', o, { confirm: button === 'confirm', cancel: button === 'cancel' })),
        });
      },
      // the pull-down animation: the page's own state is what the test reads
      stopPullDownRefresh: (o: AnyOptions = {}) => later(() => ok('stopPullDownRefresh', o)),
      // WeChat refuses these from a page that is not in the tab bar ("not TabBar page")
      setTabBarBadge: (o: AnyOptions) => this.tabBadge('setTabBarBadge', o, String(o.text ?? '')),
      removeTabBarBadge: (o: AnyOptions) => this.tabBadge('removeTabBarBadge', o, null),
      hideKeyboard: (o: AnyOptions = {}) => later(() => ok('hideKeyboard', o)),
      setNavigationBarTitle: (o: AnyOptions) => later(() => ok('setNavigationBarTitle', o)),
      // -- canvas (the old CanvasContext API uCharts draws with): recorded, see `canvases`
      createCanvasContext: (canvasId: string) => this.canvasContext(String(canvasId)),
    };
  }

  private canvasContext(canvasId: string): Record<string, unknown> {
    const record = this.canvases.get(canvasId) ?? { calls: [], texts: [], frames: 0 };
    this.canvases.set(canvasId, record);
    let fontSize = 10;
    const context: Record<string, unknown> = {
      setFontSize: (size: number) => {
        fontSize = size;
        record.calls.push('setFontSize');
      },
      // WeChat measures with the real font; a CJK glyph is about one em, Latin and digits about half
      measureText: (text: string) => ({
        width: [...String(text)].reduce((w, c) => w + (/[\u0100-\uffff]/.test(c) ? fontSize : fontSize * 0.55), 0),
      }),
      fillText: (text: string) => {
        record.texts.push(String(text));
        record.calls.push('fillText');
      },
      draw: (_reserve?: boolean, callback?: () => void) => {
        record.frames++;
        if (callback) later(callback);
      },
    };
    // every other CanvasContext method (moveTo, arc, setFillStyle, …) is accepted and recorded
    return new Proxy(context, {
      get: (target, name) =>
        typeof name !== 'string' || name === 'then' || name in target
          ? (target as Record<string | symbol, unknown>)[name]
          : (..._args: unknown[]) => void record.calls.push(name),
    });
  }

  private request(o: AnyOptions): { abort(): void } {
    const controller = new AbortController();
    const method = String(o.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(String(o.url));
    } catch {
      later(() => fail('request', o, `invalid url "${String(o.url)}"`));
      return { abort: () => undefined };
    }
    const target = this.options.requestOrigins[url.origin];
    if (!target) {
      later(() => fail('request', o, `url not in domain list: ${url.origin}`));
      return { abort: () => undefined };
    }
    const actual = new URL(url.pathname + url.search, target);
    const header: Record<string, string> = {};
    for (const [k, v] of Object.entries((o.header as Record<string, unknown>) ?? {})) header[k] = String(v);
    const hasContentType = Object.keys(header).some((k) => k.toLowerCase() === 'content-type');
    if (!hasContentType) header['content-type'] = 'application/json';
    let body: string | undefined;
    if (o.data !== undefined && o.data !== null) {
      if (method === 'GET') {
        // WeChat turns GET data into query parameters
        if (typeof o.data === 'object') {
          for (const [k, v] of Object.entries(o.data as Record<string, unknown>)) actual.searchParams.set(k, String(v));
        }
      } else {
        body = typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
      }
    }
    const timeout = Number(o.timeout ?? 60_000);
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeout);
    fetch(actual, { method, headers: header, body, signal: controller.signal })
      .then(async (res) => {
        const text = await res.text();
        let data: unknown = text;
        if ((o.dataType ?? 'json') === 'json') {
          try {
            data = JSON.parse(text);
          } catch {
            // WeChat hands over the string when the body is not JSON
          }
        }
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => (headers[k] = v));
        ok('request', o, { data, statusCode: res.status, header: headers, cookies: [] });
      })
      .catch((err: unknown) => {
        const reason = controller.signal.aborted
          ? String((controller.signal.reason as Error)?.message ?? 'abort')
          : String((err as Error)?.message ?? err);
        fail('request', o, reason);
      })
      .finally(() => clearTimeout(timer));
    return { abort: () => controller.abort(new Error('abort')) };
  }

  /** WeChat's client: the five parameters, then WeChat Pay checks the signature and settles. */
  private async requestPayment(o: AnyOptions): Promise<void> {
    const params = {
      timeStamp: o.timeStamp,
      nonceStr: o.nonceStr,
      package: o.package,
      signType: o.signType,
      paySign: o.paySign,
    };
    const problems: string[] = [];
    if (typeof params.timeStamp !== 'string' || !/^\d{10}$/.test(params.timeStamp)) {
      problems.push('timeStamp must be a string of the seconds since the epoch');
    }
    if (typeof params.nonceStr !== 'string' || params.nonceStr.length === 0 || params.nonceStr.length > 32) {
      problems.push('nonceStr must be a string of 1 to 32 characters');
    }
    if (typeof params.package !== 'string' || !/^prepay_id=\S+$/.test(params.package)) {
      problems.push('package must be "prepay_id=…"');
    }
    if (params.signType !== 'RSA') problems.push('signType must be "RSA" (WeChat Pay APIv3)');
    if (typeof params.paySign !== 'string' || params.paySign.length === 0) problems.push('paySign is missing');
    if (problems.length) {
      this.payments.push({ params, status: 0, body: problems, outcome: 'rejected' });
      fail('requestPayment', o, `parameter error: ${problems.join('; ')}`);
      return;
    }
    if (this.nextPayment === 'cancel') {
      this.nextPayment = 'confirm';
      this.payments.push({ params, status: 0, body: null, outcome: 'cancelled' });
      fail('requestPayment', o, 'cancel');
      return;
    }
    if (this.nextPayment === 'tamper') {
      this.nextPayment = 'confirm';
      const sign = params.paySign as string;
      params.paySign = `${sign[0] === 'A' ? 'B' : 'A'}${sign.slice(1)}`;
    }
    let status = 0;
    let body: unknown;
    try {
      const res = await fetch(new URL('/sandbox/pay', this.options.sandboxUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appId: this.options.appId, ...params, openid: this.options.openid }),
      });
      status = res.status;
      body = await res.json().catch(() => null);
    } catch (err) {
      body = String(err);
    }
    const paid = status === 200;
    this.payments.push({ params, status, body, outcome: paid ? 'paid' : 'rejected' });
    if (paid) ok('requestPayment', o);
    else {
      const code = (body as { code?: string } | null)?.code ?? `HTTP ${status}`;
      fail('requestPayment', o, code);
    }
  }

  /** A WeChat event on an element, dispatched through exparser as WeChat's client does. */
  private dispatch(el: Element, type: string, detail: Record<string, unknown>): void {
    const node = wxElementOf(el);
    if (!node) throw new Error(`<${el.tagName.toLowerCase()}> is not an element of the rendered page`);
    const event = this.exparser.Event.create(type, detail, {
      bubbles: true,
      composed: true,
      capturePhase: true,
      extraFields: { touches: [], changedTouches: [] },
    });
    this.exparser.Event.dispatchEvent(node, event);
  }

  /** A custom component's host takes no taps of its own: the tap lands on what it renders. */
  private innermost(el: HTMLElement): HTMLElement {
    let current = el;
    for (;;) {
      const node = wxElementOf(current);
      const isCustom =
        node instanceof this.exparser.Component && !String(current.tagName).toLowerCase().startsWith('wx-');
      if (!isCustom) return current;
      const first = current.firstElementChild as HTMLElement | null;
      if (!first) return current;
      current = first;
    }
  }
}

function later(fn: () => void): void {
  setTimeout(fn, 0);
}

function ok(api: string, o: Callbacks, res: Record<string, unknown> = {}): void {
  const result = { ...res, errMsg: `${api}:ok` };
  o.success?.(result);
  o.complete?.(result);
}

function fail(api: string, o: Callbacks, reason: string): void {
  const result = { errMsg: `${api}:fail ${reason}` };
  o.fail?.(result);
  o.complete?.(result);
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** Lets the bundle's pending microtasks, timers and setData rounds run. */
export async function settle(ms = 30): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
