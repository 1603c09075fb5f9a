import type { Router } from 'express';
import type { AppContext, SendSigned } from './app.js';

export function mountBill(_r: Router, _ctx: AppContext, _send: SendSigned): void {}
