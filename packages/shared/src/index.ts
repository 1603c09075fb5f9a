export * from './money.js';
export * from './order-status.js';
export * from './schemas.js';
export * from './error-codes.js';
export * from './fulfilment.js';
export * from './beijing-time.js';
export * from './order-events.js';
