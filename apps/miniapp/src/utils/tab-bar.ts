import { onHide, onShow } from '@dcloudio/uni-app';
import { watch } from 'vue';
import { useCartStore } from '../store/cart';

/**
 * The shell's tab bar (pages.json `tabBar`, in this order). WeChat and uni-app's h5 both refuse
 * `navigateTo` / `redirectTo` to a tab page and `switchTab` to any other: `openPage` picks the
 * right one, so no caller has to know which pages are tabs.
 */
export const TAB_PAGES = ['pages/index/index', 'pages/category/index', 'pages/cart/index', 'pages/me/index'] as const;
const CART_TAB = TAB_PAGES.indexOf('pages/cart/index');

export function isTabPage(route: string): boolean {
  return (TAB_PAGES as readonly string[]).includes(route.replace(/^\//, '').split('?')[0]!);
}

/** Opens a shop page: a tab page by switchTab (its query is dropped: tabs take none), any other by navigateTo. */
export function openPage(url: string): void {
  if (isTabPage(url)) uni.switchTab({ url: url.split('?')[0]! });
  else uni.navigateTo({ url });
}

/** Back to the first tab: every page above it closes. */
export function goHome(): void {
  uni.switchTab({ url: `/${TAB_PAGES[0]}` });
}

/**
 * The cart's count as the 购物车 tab's badge. WeChat only lets a tab page set it, so each tab page
 * calls this: it sets the badge when the page shows and again whenever the count changes there.
 */
export function useCartBadge(): void {
  const cart = useCartStore();
  let shown = false;
  const quiet = { fail: () => undefined };
  function paint(count: number): void {
    if (!shown) return;
    if (count > 0) uni.setTabBarBadge({ index: CART_TAB, text: count > 99 ? '99+' : String(count), ...quiet });
    else uni.removeTabBarBadge({ index: CART_TAB, ...quiet });
  }
  onShow(() => {
    shown = true;
    cart.restore();
    paint(cart.count);
  });
  onHide(() => {
    shown = false;
  });
  watch(
    () => cart.count,
    (count) => paint(count),
  );
}
