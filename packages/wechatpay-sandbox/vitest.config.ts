import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'wechatpay-sandbox', include: ['test/**/*.test.ts'], environment: 'node' },
});
