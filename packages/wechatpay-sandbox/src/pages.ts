import type { Router } from 'express';
import type { AppContext } from './app.js';

export function mountPages(_r: Router, _ctx: AppContext): void {}
