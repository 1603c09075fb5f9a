import { loginResponseSchema, type LoginResponse } from '@uni-checkout/shared';
import { http } from './http';

/** `POST /api/auth/login { code }`: the BFF trades the `uni.login` code for an openid (jscode2session). */
export function loginWithCode(code: string): Promise<LoginResponse> {
  return http.post('/api/auth/login', { code }, { auth: 'none', parse: (body) => loginResponseSchema.parse(body) });
}
