import { adminLoginResponseSchema, type AdminLoginRequest } from '@uni-checkout/shared';
import { http } from './http';

export function adminLogin(credentials: AdminLoginRequest): Promise<{ token: string }> {
  return http.post('/api/admin/login', { ...credentials }, {
    auth: 'none',
    parse: (body) => adminLoginResponseSchema.parse(body),
  });
}
