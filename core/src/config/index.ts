/** Config validation: the broker schema, ajv checks with readable issues, and ConfigError. */
export * from './issues.js';
export * from './schema.js';
export * from './validate.js';
