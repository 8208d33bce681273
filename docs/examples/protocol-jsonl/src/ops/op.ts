/**
 * The shape of an op handler, and the fields each op declares. Declaring fields lets one validator
 * (requests.ts) refuse a missing field, a wrong type or an unknown (misspelt) field with a message
 * naming it, before any handler runs.
 */
import type { JsonlConnection } from '../connection.js';

export type FieldType =
  | 'name'      // a non-empty string (destinations, ids)
  | 'string'    // any string (login, passcode, receipt)
  | 'count'     // a whole number >= 0
  | 'boolean'
  | 'headers'   // an object of string values
  | 'ack-mode'; // auto | client | client-individual

export interface FieldSpec {
  readonly type: FieldType;
  readonly required?: boolean;
}

/** One parsed line: `op` plus the fields its handler declared, checked. */
export interface Request {
  readonly op: string;
  readonly receipt?: string;
  readonly [field: string]: unknown;
}

export interface OpHandler {
  /** Every field the op takes besides `op`; anything else is refused. */
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** `connect`: allowed only before the session is open. */
  readonly beforeConnect?: boolean;
  /** A returned promise (a durable send) delays the receipt until it resolves. */
  handle(connection: JsonlConnection, request: Request): void | Promise<void>;
}

/** Every op that can ask for a receipt takes this field. */
export const RECEIPT: FieldSpec = { type: 'string' };
