import { listSchema, productSchema, type Page, type Product } from '@uni-checkout/shared';
import { http } from './http';

const productPageSchema = listSchema(productSchema);

export interface ListProductsParams {
  cursor?: string | null;
  limit?: number;
}

export function listProducts(
  params: ListProductsParams = {},
  options: { toast?: boolean } = {},
): Promise<Page<Product>> {
  return http.get('/api/products', {
    auth: 'none',
    query: { cursor: params.cursor ?? undefined, limit: params.limit },
    toast: options.toast,
    parse: (body) => productPageSchema.parse(body) as Page<Product>,
  });
}

export function getProduct(id: string, options: { toast?: boolean } = {}): Promise<Product> {
  return http.get(`/api/products/${encodeURIComponent(id)}`, {
    auth: 'none',
    toast: options.toast,
    parse: (body) => productSchema.parse(body),
  });
}
